"""The one-time link's token: 256 random bits in the URL, only a keyed hash of them in the database.

The hash is HMAC-SHA256 under the lookup key (hafan.core.crypto.lookup_key_bytes, HAFAN_LOOKUP_KEY), labelled
so it can never equal an identifier's lookup hash. A plain SHA-256 would already be impossible to reverse for a
random 256-bit token; the key adds that someone able to write to the database cannot plant a link of their own
(they cannot work out the hash a token of theirs would need) and that a copy of the table is no use at all.
Rotating HAFAN_LOOKUP_KEY ends every unused link, which at most asks a few young people for a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from hafan.core.crypto import lookup_key_bytes

TOKEN_BYTES = 32
# secrets.token_urlsafe(32): 43 characters of URL-safe base64. Anything else is no token of ours.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def looks_like_token(value: str) -> bool:
    return bool(_TOKEN_RE.match(value or ""))


def token_hash(token: str) -> str:
    """64 hex digits; the same token always gives the same hash (so the link can be found by it)."""
    return hmac.new(lookup_key_bytes(), b"feedback-link:" + token.encode(), hashlib.sha256).hexdigest()
