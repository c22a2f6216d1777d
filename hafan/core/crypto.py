"""Encryption at rest for the most sensitive free text, and keyed hashes for exact identifier lookups.

Field encryption is AES-256-GCM (authenticated: a changed byte fails to decrypt, it never yields other
text) with versioned keys. `HAFAN_FIELD_KEYS` lists `keyid:base64-key` entries: the first encrypts, all
decrypt, chosen by the key id each token carries, so a key is rotated by putting a new one first, running
`hafan rotate_keys`, then removing the old one. A token is `enc1:<keyid>:<base64url(nonce || ciphertext)>`;
the header is authenticated too, so a token cannot be relabelled with another key id or format.

Lookup keys are HMAC-SHA256 of a normalised identifier under `HAFAN_LOOKUP_KEY`, prefixed by kind so that an
NHS number and a UPN never give the same key: the database can find a child by NHS number without holding
an index of NHS numbers that anyone who reads the table could use.

Without keys in the environment (the demo and the tests) both keys are derived from SECRET_KEY with HKDF,
under different labels; the deploy check `hafan.E001` (core/checks.py) refuses that in production.
docs/encryption.md has the whole story.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FORMAT_PREFIX = "enc1:"
DEV_KEY_ID = "dev"
_NONCE_BYTES = 12
_KEY_BYTES = 32
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_FIELD_KEY_INFO = b"hafan field encryption key v1"
_LOOKUP_KEY_INFO = b"hafan identifier lookup key v1"

LookupKind = Literal["nhs", "upn"]


class DecryptionError(Exception):
    """A stored value could not be decrypted: not a token, an unknown key id, or changed since it was
    written. Never answered with a guess: the caller sees this error, not text."""


@dataclass(frozen=True)
class FieldKey:
    key_id: str
    cipher: AESGCM


@dataclass(frozen=True)
class Keyring:
    current: FieldKey
    by_id: dict[str, FieldKey]


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=info).derive(secret.encode())


def _decode_key(text: str, *, name: str) -> bytes:
    """Standard or URL-safe base64, padding optional."""
    normalised = text.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(normalised + "=" * (-len(normalised) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name}: a key is not valid base64.") from exc


def parse_field_keys(entries: list[str] | tuple[str, ...]) -> list[tuple[str, bytes]]:
    """`["k2:base64", "k1:base64"]` -> [(key id, 32-byte key)], checked; raises ImproperlyConfigured."""
    keys: list[tuple[str, bytes]] = []
    for entry in entries:
        key_id, sep, encoded = entry.strip().partition(":")
        if not sep or not _KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(
                "HAFAN_FIELD_KEYS: each entry is keyid:base64-key, the key id being 1-32 letters, digits, "
                "'-' or '_'."
            )
        if any(existing == key_id for existing, _ in keys):
            raise ImproperlyConfigured(f"HAFAN_FIELD_KEYS: the key id {key_id!r} appears twice.")
        key = _decode_key(encoded, name="HAFAN_FIELD_KEYS")
        if len(key) != _KEY_BYTES:
            raise ImproperlyConfigured(
                f"HAFAN_FIELD_KEYS: the key {key_id!r} must be 32 bytes (44 characters of base64)."
            )
        keys.append((key_id, key))
    return keys


@functools.lru_cache(maxsize=8)
def _keyring(entries: tuple[str, ...], secret: str) -> Keyring:
    parsed = parse_field_keys(entries) if entries else [(DEV_KEY_ID, _derive(secret, _FIELD_KEY_INFO))]
    keys = [FieldKey(key_id=key_id, cipher=AESGCM(key)) for key_id, key in parsed]
    return Keyring(current=keys[0], by_id={k.key_id: k for k in keys})


def development_field_key() -> bytes:
    """The field key used when HAFAN_FIELD_KEYS is unset, derived from SECRET_KEY. To move a database from
    it to real keys, list it last as `dev:<base64 of this>` and run `hafan rotate_keys`."""
    return _derive(settings.SECRET_KEY, _FIELD_KEY_INFO)


def keyring() -> Keyring:
    """The configured keys (cached per settings value, so override_settings in tests takes effect)."""
    entries = getattr(settings, "HAFAN_FIELD_KEYS", []) or []
    return _keyring(tuple(entries), settings.SECRET_KEY)


def current_key_id() -> str:
    return keyring().current.key_id


def is_token(value: str) -> bool:
    return value.startswith(FORMAT_PREFIX)


def _header(key_id: str) -> bytes:
    return f"{FORMAT_PREFIX}{key_id}:".encode()


def encrypt(plaintext: str) -> str:
    """A fresh token for `plaintext` under the current key (a new random nonce each call)."""
    key = keyring().current
    nonce = os.urandom(_NONCE_BYTES)
    header = _header(key.key_id)
    sealed = key.cipher.encrypt(nonce, plaintext.encode("utf-8"), header)
    return header.decode() + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def token_key_id(token: str) -> str:
    """The id of the key that wrote `token`; raises DecryptionError if it is not a token."""
    if not is_token(token):
        raise DecryptionError("The stored value is not an encrypted token.")
    key_id, sep, _ = token[len(FORMAT_PREFIX) :].partition(":")
    if not sep or not key_id:
        raise DecryptionError("The encrypted token is malformed.")
    return key_id


def decrypt(token: str) -> str:
    key_id = token_key_id(token)
    key = keyring().by_id.get(key_id)
    if key is None:
        raise DecryptionError(
            f"The value was encrypted with key {key_id!r}, which HAFAN_FIELD_KEYS does not hold."
        )
    body = token[len(FORMAT_PREFIX) + len(key_id) + 1 :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("The encrypted token is malformed.") from exc
    if len(raw) <= _NONCE_BYTES:
        raise DecryptionError("The encrypted token is malformed.")
    try:
        plaintext = key.cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _header(key_id))
    except InvalidTag as exc:
        raise DecryptionError(
            f"The encrypted value under key {key_id!r} failed authentication: it was changed, or the key is wrong."
        ) from exc
    return plaintext.decode("utf-8")


def needs_rotation(token: str) -> bool:
    return token_key_id(token) != current_key_id()


# --- keyed hashes for identifier lookups -------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _lookup_key(configured: str, secret: str) -> bytes:
    if not configured:
        return _derive(secret, _LOOKUP_KEY_INFO)
    key = _decode_key(configured, name="HAFAN_LOOKUP_KEY")
    if len(key) < _KEY_BYTES:
        raise ImproperlyConfigured("HAFAN_LOOKUP_KEY must be at least 32 bytes (44 characters of base64).")
    return key


def lookup_key_bytes() -> bytes:
    return _lookup_key(getattr(settings, "HAFAN_LOOKUP_KEY", "") or "", settings.SECRET_KEY)


def normalise_identifier(kind: LookupKind, value: str) -> str:
    """NHS number: its digits only; UPN: upper case without spaces."""
    if kind == "nhs":
        return re.sub(r"\D", "", value or "")
    if kind == "upn":
        return re.sub(r"\s", "", value or "").upper()
    raise ValueError(f"Unknown identifier kind {kind!r}.")


def lookup_hash(kind: LookupKind, value: str) -> str:
    """The keyed hash of an identifier (64 hex digits), or "" when there is no identifier."""
    normalised = normalise_identifier(kind, value)
    if not normalised:
        return ""
    message = f"{kind}:{normalised}".encode()
    return hmac.new(lookup_key_bytes(), message, hashlib.sha256).hexdigest()


def nhs_number_key(value: str) -> str:
    return lookup_hash("nhs", value)


def upn_key(value: str) -> str:
    return lookup_hash("upn", value)
