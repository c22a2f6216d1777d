"""System checks for encryption at rest (docs/encryption.md), registered in CoreConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from hafan.core.crypto import lookup_key_bytes, parse_field_keys


@register(Tags.security, deploy=True)
def field_keys_are_set(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Production sets its own encryption and lookup keys: derived from SECRET_KEY they would be published with
    the source code (the development key), or lost with a SECRET_KEY rotation (any other key)."""
    if settings.DEBUG or (settings.HAFAN_FIELD_KEYS and settings.HAFAN_LOOKUP_KEY):
        return []
    return [
        Error(
            "HAFAN_FIELD_KEYS or HAFAN_LOOKUP_KEY is not set, so the keys that encrypt health details, debriefs "
            "and intelligence, and hash NHS numbers and UPNs, would be derived from SECRET_KEY.",
            hint="Set HAFAN_FIELD_KEYS and HAFAN_LOOKUP_KEY (docs/encryption.md) and a real SECRET_KEY.",
            id="hafan.E001",
        )
    ]


@register(Tags.security)
def field_keys_are_well_formed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A malformed key is found when the server starts, not on the first encrypted read."""
    errors: list[CheckMessage] = []
    try:
        parse_field_keys(settings.HAFAN_FIELD_KEYS)
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), hint="See docs/encryption.md.", id="hafan.E002"))
    try:
        lookup_key_bytes()
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), hint="See docs/encryption.md.", id="hafan.E003"))
    return errors
