"""Fast multi-row inserts for imports: the same rows Django's bulk_create writes, without building a model
instance and compiling SQL per row (which limits bulk_create to about a thousand records a second).

Rows are dicts keyed by field attname (`child_id`, not `child`); every other concrete field gets its
default (a callable default, such as a new public UUID, is called per row; auto_now fields get `now`;
a required field left out fails loudly in the database, never silently).
Values are prepared for the database by the field itself, except where psycopg adapts the Python value
natively; encrypted fields (core/fields.py) are always encrypted here, on both databases. Used only inside
the import services' transactions.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.utils import timezone

from hafan.core.fields import EncryptedTextField, JsonText

_NATIVE_ON_POSTGRES = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DateField,  # DateTimeField is a subclass: psycopg sends aware datetimes as timestamptz
    models.UUIDField,
    models.ForeignKey,
    models.AutoField,
)


class RawJson(JsonText):
    """JSON text already serialised (a record's canonical form): written as it is, not encoded again (an
    encrypted JSON field encrypts it as it is)."""

    __slots__ = ()


_VARIANT = "89ab"


def uuid7_hex() -> str:
    """A time-ordered (version 7, RFC 9562) UUID as 32 hex digits, the form both databases take for a UUID
    column. Rows written in bulk get ids that sort by creation, so each public-id index grows at its end
    instead of touching a random page per row (at a million rows, the difference between the index
    staying in memory and rewriting most of it); 74 random bits keep the ids unguessable."""
    millis = time.time_ns() // 1_000_000
    digits = os.urandom(10).hex()
    return f"{millis:012x}7{digits[:3]}{_VARIANT[int(digits[3], 16) & 3]}{digits[4:19]}"


def _prepare(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, EncryptedTextField):
        # Encrypted by the field itself, on both databases: the plaintext never reaches the SQL.
        return lambda value: field.get_db_prep_value(value, connection)
    if connection.vendor == "postgresql" and isinstance(field, _NATIVE_ON_POSTGRES):
        return None
    if isinstance(field, models.UUIDField):
        # Values are uuid7_hex() text already, or UUID objects: SQLite stores the 32 hex digits.
        return lambda value: value if isinstance(value, str) else value.hex
    if isinstance(field, models.CharField | models.TextField | models.IntegerField | models.ForeignKey):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def insert_rows(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, returning_ids: bool = False
) -> list[int]:
    """Inserts `rows` into `model`'s table; returns their new primary keys, in order, if asked."""
    if not rows:
        return []
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults: list[tuple[str, Callable[[], Any]]] = []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults.append((field.attname, lambda: now))
        elif isinstance(field, models.UUIDField) and field.default is uuid.uuid4:
            defaults.append((field.attname, uuid7_hex))
        else:
            # The field's own default: a callable per row, "" for text, None otherwise.
            defaults.append((field.attname, field._get_default))  # type: ignore[attr-defined]
    if connection.vendor == "postgresql":
        return _copy_rows(model, fields, defaults, rows, returning_ids=returning_ids)
    preparers = [_prepare(f) for f in fields]
    encrypted = [isinstance(f, EncryptedTextField) for f in fields]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    per_statement = 1000 if connection.vendor == "postgresql" else max(1, 999 // len(fields))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params: list[Any] = []
            for row in chunk:
                for (name, default), prepare, secret in zip(defaults, preparers, encrypted, strict=True):
                    value = row[name] if name in row else default()
                    if (
                        prepare is not None
                        and value is not None
                        and (secret or not isinstance(value, RawJson))
                    ):
                        value = prepare(value)
                    params.append(value)
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(chunk))
            sql = f"INSERT INTO {table} ({columns}) VALUES {placeholders}"  # noqa: S608 - names are quoted
            if returning_ids:
                sql += f" RETURNING {connection.ops.quote_name(str(model._meta.pk.column))}"  # type: ignore[union-attr]
            cursor.execute(sql, params)
            if returning_ids:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _copy_rows(
    model: type[models.Model],
    fields: list[Any],
    defaults: list[tuple[str, Callable[[], Any]]],
    rows: Sequence[dict[str, Any]],
    *,
    returning_ids: bool,
) -> list[int]:
    """PostgreSQL: COPY FROM STDIN, several times faster than INSERT for thousands of rows. Primary keys
    are taken from the table's sequence first, so that the caller knows them."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk_column = str(model._meta.pk.column)  # type: ignore[union-attr]
    json_positions = [(i, f) for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    encrypted_positions = [(i, f) for i, f in enumerate(fields) if isinstance(f, EncryptedTextField)]
    columns = [connection.ops.quote_name(str(f.column)) for f in fields]
    ids: list[int] = []
    with connection.cursor() as cursor:
        if returning_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk_column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns.insert(0, connection.ops.quote_name(pk_column))
        raw = cursor.cursor  # the psycopg cursor, in the same transaction
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for index, row in enumerate(rows):
                values = [row[name] if name in row else default() for name, default in defaults]
                for position, field in json_positions:
                    value = values[position]
                    if value is not None and not isinstance(value, RawJson):
                        values[position] = field.get_db_prep_save(value, connection)
                for position, secret in encrypted_positions:
                    if values[position] is not None:
                        values[position] = secret.get_db_prep_value(values[position], connection)
                copy.write_row([ids[index], *values] if returning_ids else values)
    return ids


def select_in(
    model: type[models.Model],
    columns: Sequence[str],
    key: str,
    values: Sequence[Any],
    *,
    where: dict[str, Any] | None = None,
    not_empty: bool = False,
) -> list[tuple[Any, ...]]:
    """`SELECT columns FROM model WHERE key IN values [AND where...]`, for thousands of values at once.

    On PostgreSQL the values travel as one array parameter (`= ANY(%s)`); Django's `__in` would send one
    parameter each, which costs more to build than to run. Column names are model attnames; `where` adds
    equality conditions, which should complete an index's leading columns so that the lookup uses it."""
    if not values:
        return []
    meta = model._meta
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        if name in ("pk", "id"):
            return quote(str(meta.pk.column))  # type: ignore[union-attr]
        try:
            return quote(str(meta.get_field(name).column))  # type: ignore[union-attr]
        except FieldDoesNotExist:  # a foreign key's attname, e.g. child_id
            return quote(str(meta.get_field(name.removesuffix("_id")).column))  # type: ignore[union-attr]

    select = ", ".join(column(c) for c in columns)
    conditions = [f"{column(name)} = %s" for name in (where or {})]
    if not_empty:
        # Lets the planner use a partial index "WHERE key <> ''" (e.g. episodes' occurrence numbers).
        conditions.append(f"{column(key)} <> ''")
    fixed = list((where or {}).values())
    table = quote(meta.db_table)
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"SELECT {select} FROM {table} WHERE {' AND '.join([f'{column(key)} = ANY(%s)', *conditions])}"  # noqa: S608
            cursor.execute(sql, [list(values), *fixed])
            rows.extend(cursor.fetchall())
        else:
            for start in range(0, len(values), 900):
                chunk = list(values[start : start + 900])
                marks = ", ".join(["%s"] * len(chunk))
                sql = f"SELECT {select} FROM {table} WHERE {' AND '.join([f'{column(key)} IN ({marks})', *conditions])}"  # noqa: S608
                cursor.execute(sql, [*chunk, *fixed])
                rows.extend(cursor.fetchall())
    return rows
