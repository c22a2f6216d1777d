"""A text field stored encrypted (core/crypto.py): the database holds only tokens.

The ORM reads and writes plaintext as usual. What the database cannot do with ciphertext is refused
loudly rather than answered wrongly: filtering on the text (`summary="..."`, `summary__icontains=...`)
raises FieldError, since the same text encrypts differently every time; compare in Python after loading
the rows the user may see. `isnull` and `exact=""` stay, because empty text is stored empty (so blank
checks such as `.exclude(harm_details="")` work). Ordering by an encrypted field sorts ciphertext: do not.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any, Literal

from django.core.exceptions import FieldError
from django.db import models, transaction
from django.db.models.lookups import Exact, IsNull

from hafan.core.crypto import FORMAT_PREFIX, DecryptionError, current_key_id, decrypt, encrypt, is_token


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Free text encrypted at rest with AES-256-GCM; `max_length`, if given, limits the plaintext in forms."""

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except DecryptionError as exc:
            raise DecryptionError(f"{self.model._meta.label}.{self.name}: {exc}") from exc

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name: str) -> type[Any] | None:
        allowed = _ALLOWED_LOOKUPS.get(lookup_name)
        if allowed is None:
            raise FieldError(
                f"{self.model._meta.label}.{self.name} is encrypted at rest: the database cannot compare it "
                f"('{lookup_name}'). Filter on other fields and compare the text in Python."
            )
        return allowed

    def get_transform(self, lookup_name: str) -> type[Any] | None:
        raise FieldError(
            f"{self.model._meta.label}.{self.name} is encrypted at rest: no database function applies to it "
            f"('{lookup_name}')."
        )


class JsonText(str):
    """JSON already serialised (e.g. a record's canonical form): encrypted as it is, not encoded again."""

    __slots__ = ()


class EncryptedJSONField(EncryptedTextField):
    """A JSON document encrypted at rest (the whole document is one token). Reads give the decoded value."""

    description = "JSON encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        text = super().from_db_value(value, expression, connection)
        return None if text is None else json.loads(text)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        text = value if isinstance(value, JsonText) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        return encrypt(text)

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, sort_keys=True)


class EncryptedBinaryField(EncryptedTextField):
    """Bytes (a photo) encrypted at rest: the database holds a token of their base64 text. Reads give bytes; no
    value is None. Only `isnull` compares in the database."""

    description = "Binary data encrypted at rest"
    # For django-stubs: the model attribute is bytes, not text.
    _pyi_private_set_type: bytes | memoryview | None  # type: ignore[assignment]
    _pyi_private_get_type: bytes | None  # type: ignore[assignment]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        text = super().from_db_value(value, expression, connection)
        return None if not text else base64.b64decode(text)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None or len(value) == 0:
            return None
        return encrypt(base64.b64encode(bytes(value)).decode("ascii"))

    def value_to_string(self, obj: models.Model) -> str:
        value: Any = self.value_from_object(obj)
        return "" if value is None else base64.b64encode(bytes(value)).decode("ascii")


class _EmptyExact(Exact):
    """`field=""` only: the one value stored as it is."""

    def get_prep_lookup(self) -> Any:
        if self.rhs is None:  # turned into isnull by the query
            return None
        if self.rhs != "":
            raise FieldError(
                f"{self.lhs.output_field.model._meta.label}.{self.lhs.output_field.name} is encrypted at rest: "
                "only an empty value can be compared in the database. Compare the text in Python."
            )
        return ""


_ALLOWED_LOOKUPS: dict[str, type[Any]] = {"isnull": IsNull, "exact": _EmptyExact}


# --- walking a table's encrypted columns: data migrations and `hafan rotate_keys` ---------------------

Mode = Literal["encrypt", "decrypt", "rotate"]


def _needs_work(column: str, mode: Mode, prefix: str) -> str:
    """SQL true for a row whose column `mode` would change (the same SQL on SQLite and PostgreSQL)."""
    if mode == "decrypt":
        return f"SUBSTR({column}, 1, {len(FORMAT_PREFIX)}) = %s"
    return f"({column} IS NOT NULL AND {column} <> '' AND SUBSTR({column}, 1, {len(prefix)}) <> %s)"


def _convert(value: str | None, mode: Mode, prefix: str) -> str | None:
    if value is None or value == "":
        return value
    if mode == "decrypt":
        return decrypt(value) if is_token(value) else value
    if value.startswith(prefix):
        return value
    # "encrypt" leaves a token alone (a migration run twice); "rotate" re-encrypts it under the current key.
    if is_token(value):
        return value if mode == "encrypt" else encrypt(decrypt(value))
    return encrypt(value)


def convert_columns(
    *,
    connection: Any,
    table: str,
    pk_column: str,
    columns: Sequence[str],
    mode: Mode,
    batch_size: int = 1000,
    dry_run: bool = False,
) -> int:
    """Encrypts plaintext, decrypts tokens, or re-encrypts tokens under the current key, in `columns` of
    `table`, `batch_size` rows at a time; returns how many rows needed it (and were changed, unless
    `dry_run`). Works on the raw column values, so data migrations can use it before the field becomes an
    EncryptedTextField (and after it stops being one)."""
    quote = connection.ops.quote_name
    prefix = FORMAT_PREFIX if mode != "rotate" else f"{FORMAT_PREFIX}{current_key_id()}:"
    quoted = [quote(c) for c in columns]
    condition = " OR ".join(_needs_work(c, mode, prefix) for c in quoted)
    condition_params = [prefix] * len(columns) if mode != "decrypt" else [FORMAT_PREFIX] * len(columns)
    pk = quote(pk_column)
    name = quote(table)
    with connection.cursor() as cursor:
        if dry_run:
            cursor.execute(f"SELECT COUNT(*) FROM {name} WHERE {condition}", condition_params)  # noqa: S608
            return int(cursor.fetchone()[0])
        changed = 0
        last: Any = None
        # Rows are locked while converted, so a write by someone else between the read and the update is
        # never overwritten with the old text (PostgreSQL: FOR UPDATE; SQLite: the IMMEDIATE transaction).
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        assignments = ", ".join(f"{c} = %s" for c in quoted)
        while True:
            after = "" if last is None else f" AND {pk} > %s"
            # One transaction per batch: a long run can be stopped and started again, and picks up where
            # it stopped (rows already done no longer match the condition).
            with transaction.atomic(using=connection.alias):
                cursor.execute(
                    f"SELECT {pk}, {', '.join(quoted)} FROM {name} WHERE ({condition}){after} "  # noqa: S608
                    f"ORDER BY {pk} LIMIT {int(batch_size)}{lock}",
                    [*condition_params, *([] if last is None else [last])],
                )
                rows = cursor.fetchall()
                if not rows:
                    return changed
                cursor.executemany(
                    f"UPDATE {name} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                    [[*(_convert(v, mode, prefix) for v in row[1:]), row[0]] for row in rows],
                )
            changed += len(rows)
            last = rows[-1][0]


def encrypted_columns(model: type[models.Model]) -> list[str]:
    """The database columns of `model` that hold EncryptedTextField tokens."""
    return [str(f.column) for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def migration_converter(app_label: str, model_name: str, columns: Sequence[str], mode: Mode) -> Any:
    """A RunPython function that converts `columns` of a (historical) model's table."""

    def run(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        convert_columns(
            connection=schema_editor.connection,
            table=model._meta.db_table,
            pk_column=model._meta.pk.column,
            columns=columns,
            mode=mode,
        )

    return run
