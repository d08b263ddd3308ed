"""One bulk statement the import needs: INSERT ... ON CONFLICT (key) DO UPDATE, from rows
of plain values.

This is what `bulk_create(update_conflicts=True, unique_fields=..., update_fields=...)`
writes, without its cost: Django builds a model instance per row and prepares every
value through its compiler, which made a 100,000-token import take 1.6 times the CPU on
SQLite, 1.2 times the time on PostgreSQL, and 130 MB more memory (bench/README.md,
"Import"). Here a row is a tuple of values; a statement writes a batch of them with
bound parameters. PostgreSQL gets one array per column (`unnest`), so a statement has a
handful of parameters however many rows it writes; SQLite gets a VALUES list, as many
rows as its variable limit allows.
"""

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from django.db import connection, models
from django.db.models import DateField

from inventory.importing.plan import chunks

#: Rows per statement at most (SQLite may allow fewer; see `_rows_per_statement`).
BATCH = 1000


@dataclass(frozen=True)
class _Column:
    """A field written by the statement: its quoted name, and how a value is sent."""

    field: models.Field

    @property
    def name(self) -> str:
        return connection.ops.quote_name(self.field.column)

    @property
    def prepare(self) -> Callable | None:
        """How a value other than None becomes a parameter; None: as it is. SQLite stores
        dates and times as text, in the form Django's field writes. PostgreSQL's driver
        sends date and datetime objects as they are (the import's times are aware, in
        UTC), so the field's checks are skipped there: 310,000 values in a 100,000-row
        import, a second or more of CPU."""
        if isinstance(self.field, DateField) and connection.vendor != "postgresql":
            return partial(self.field.get_db_prep_save, connection=connection)
        return None


def upsert_rows(model: type[models.Model], key: str, fields: Sequence[str], rows: list[tuple]):
    """Insert each row (a tuple: its `key`, then the values of `fields` in that order); a
    row whose key is stored already updates that stored row's `fields` instead. Keys must
    be unique among `rows`."""
    if not rows:
        return
    meta = model._meta
    key_column = _Column(meta.get_field(key))
    updated = [_Column(meta.get_field(name)) for name in fields]
    columns = [key_column, *updated]
    insert = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} "
        f"({', '.join(column.name for column in columns)}) "
    )
    assignments = ", ".join(f"{column.name} = excluded.{column.name}" for column in updated)
    on_conflict = f" ON CONFLICT ({key_column.name}) DO UPDATE SET {assignments}"
    preparers = [column.prepare for column in columns]
    with connection.cursor() as cursor:
        for batch in chunks(rows, _rows_per_statement(len(columns))):
            values = [_parameters(row, preparers) for row in batch]
            source, parameters = _source(columns, values)
            cursor.execute(insert + source + on_conflict, parameters)


def _parameters(row: tuple, preparers: list[Callable | None]) -> list:
    return [
        value if prepare is None or value is None else prepare(value)
        for prepare, value in zip(preparers, row, strict=True)
    ]


def _source(columns: list[_Column], values: list[list]) -> tuple[str, list]:
    """The rows to insert as SQL and its parameters: on PostgreSQL a SELECT from one array
    per column, elsewhere a VALUES list."""
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{column.field.cast_db_type(connection)}[]" for column in columns)
        return f"SELECT * FROM unnest({arrays})", [
            list(column) for column in zip(*values, strict=True)
        ]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return "VALUES " + ", ".join([row] * len(values)), [value for row in values for value in row]


def _rows_per_statement(width: int) -> int:
    if connection.vendor != "sqlite":
        return BATCH
    connection.ensure_connection()
    # 32,766 since SQLite 3.32, 999 before: ask the library this process runs.
    variables = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(BATCH, variables // width))
