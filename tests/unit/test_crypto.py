"""Field encryption (AES-256-GCM, versioned keys) and keyed identifier hashes: hafan/core/crypto.py."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from hafan.core import crypto
from hafan.core.checks import field_keys_are_set, field_keys_are_well_formed
from hafan.core.crypto import DecryptionError, decrypt, encrypt, lookup_hash, token_key_id


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


K1, K2 = f"k1:{_key()}", f"k2:{_key()}"


def test_round_trip_keeps_welsh_text_and_uses_a_new_nonce_each_time() -> None:
    text = "Aeth hi i’r dre gyda’i ffrindiau; ŵyr ŷd — 'Llŷr' ✓"
    first, second = encrypt(text), encrypt(text)
    assert first != second, "the same text must not give the same token"
    assert text not in first and "Llŷr" not in first
    assert first.startswith("enc1:dev:")
    assert decrypt(first) == decrypt(second) == text


@given(st.text(max_size=500))
def test_round_trip_any_text(text: str) -> None:
    assert decrypt(encrypt(text)) == text


@pytest.mark.parametrize("position", [10, 20, -1])
def test_a_flipped_byte_fails_loudly(position: int) -> None:
    token = encrypt("Asthma: needs her inhaler")
    prefix, body = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[position] ^= 0x01
    tampered = f"{prefix}:{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"
    with pytest.raises(DecryptionError, match="failed authentication"):
        decrypt(tampered)


def test_a_token_relabelled_with_another_key_id_fails() -> None:
    with override_settings(HAFAN_FIELD_KEYS=[K1, K2]):
        token = encrypt("intelligence")
        relabelled = token.replace("enc1:k1:", "enc1:k2:", 1)
        with pytest.raises(DecryptionError, match="failed authentication"):
            decrypt(relabelled)


def test_an_unknown_key_id_is_an_error_naming_the_key() -> None:
    with override_settings(HAFAN_FIELD_KEYS=[K1]):
        token = encrypt("text")
    with override_settings(HAFAN_FIELD_KEYS=[K2]), pytest.raises(DecryptionError, match="'k1'"):
        decrypt(token)


@pytest.mark.parametrize(
    "value", ["plain text", "enc1:", "enc1:dev", "enc1:dev:", "enc1:dev:!!!!", "enc1:dev:AAAA"]
)
def test_values_that_are_not_tokens_are_refused(value: str) -> None:
    with pytest.raises(DecryptionError):
        decrypt(value)


def test_rotation_the_first_key_encrypts_and_every_key_decrypts() -> None:
    with override_settings(HAFAN_FIELD_KEYS=[K1]):
        old = encrypt("written under k1")
    with override_settings(HAFAN_FIELD_KEYS=[K2, K1]):
        new = encrypt("written under k2")
        assert token_key_id(old) == "k1" and token_key_id(new) == "k2"
        assert decrypt(old) == "written under k1"
        assert decrypt(new) == "written under k2"
        assert crypto.needs_rotation(old) and not crypto.needs_rotation(new)
    with override_settings(HAFAN_FIELD_KEYS=[K2]):
        assert decrypt(new) == "written under k2"
        with pytest.raises(DecryptionError):
            decrypt(old)


def test_the_development_key_depends_on_the_secret_key() -> None:
    token = encrypt("text")
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40), pytest.raises(DecryptionError):
        decrypt(token)


@pytest.mark.parametrize(
    "entries",
    [
        ["nocolon"],
        ["bad id:" + _key()],
        ["k1:" + base64.b64encode(os.urandom(16)).decode()],
        ["k1:not base64 at all!"],
        [K1, K1.replace("k1:", "k1:", 1)],
    ],
)
def test_malformed_field_keys_are_refused(entries: list[str]) -> None:
    with pytest.raises(ImproperlyConfigured):
        crypto.parse_field_keys(entries)
    with override_settings(HAFAN_FIELD_KEYS=entries):
        assert [m.id for m in field_keys_are_well_formed()] == ["hafan.E002"]


def test_url_safe_and_unpadded_keys_are_accepted() -> None:
    raw = os.urandom(32)
    [(key_id, key)] = crypto.parse_field_keys([f"k9:{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}"])
    assert (key_id, key) == ("k9", raw)


# Keyed hashes


def test_lookup_hash_normalises_and_separates_kinds() -> None:
    assert (
        lookup_hash("nhs", "999 123 4564")
        == lookup_hash("nhs", "9991234564")
        == lookup_hash("nhs", "999-123-4564")
    )
    assert lookup_hash("upn", "a 801200001001") == lookup_hash("upn", "A801200001001")
    assert lookup_hash("nhs", "9991234564") != lookup_hash("nhs", "9991234572")
    # The same characters as an NHS number and as a UPN never give the same key.
    assert lookup_hash("nhs", "1234567890") != lookup_hash("upn", "1234567890")
    assert len(lookup_hash("nhs", "9991234564")) == 64
    assert "9991234564" not in lookup_hash("nhs", "9991234564")
    assert lookup_hash("nhs", "") == lookup_hash("upn", "  ") == ""


def test_lookup_hash_is_keyed() -> None:
    before = lookup_hash("nhs", "9991234564")
    with override_settings(HAFAN_LOOKUP_KEY=_key()):
        assert lookup_hash("nhs", "9991234564") != before
    with override_settings(HAFAN_LOOKUP_KEY="dG9vIHNob3J0"):  # "too short"
        with pytest.raises(ImproperlyConfigured):
            lookup_hash("nhs", "9991234564")
        assert [m.id for m in field_keys_are_well_formed()] == ["hafan.E003"]


# The deploy check


LOOKUP = base64.b64encode(b"L" * 32).decode()


@pytest.mark.parametrize(
    ("debug", "keys", "lookup", "secret", "expected"),
    [
        (False, [], "", "django-insecure-development", ["hafan.E001"]),
        (True, [], "", "django-insecure-development", []),
        (False, [K1], LOOKUP, "django-insecure-development", []),
        # A real SECRET_KEY is not enough: keys derived from it would be lost when it is rotated.
        (False, [], "", "a-real-random-secret-key-" + "y" * 30, ["hafan.E001"]),
        (False, [K1], "", "a-real-random-secret-key-" + "y" * 30, ["hafan.E001"]),
        (False, [K1], LOOKUP, "a-real-random-secret-key-" + "y" * 30, []),
    ],
)
def test_deploy_check_refuses_keys_derived_from_the_secret_key(
    debug: bool, keys: list[str], lookup: str, secret: str, expected: list[str]
) -> None:
    with override_settings(DEBUG=debug, HAFAN_FIELD_KEYS=keys, HAFAN_LOOKUP_KEY=lookup, SECRET_KEY=secret):
        assert [m.id for m in field_keys_are_set()] == expected


def test_the_deploy_check_is_registered_for_check_deploy() -> None:
    settings_: dict[str, Any] = {
        "DEBUG": False,
        "HAFAN_FIELD_KEYS": [],
        "SECRET_KEY": "django-insecure-x" * 3,
    }
    with override_settings(**settings_):
        assert "hafan.E001" in {m.id for m in run_checks(tags=["security"], include_deployment_checks=True)}
        assert "hafan.E001" not in {
            m.id for m in run_checks(tags=["security"], include_deployment_checks=False)
        }
