"""How an export's rows leave the database and its bytes leave the server.

Nothing is held in memory: rows are read in chunks (stored values through the ORM on any
database, or finished text through PostgreSQL's `COPY ... TO STDOUT`) and the file's
bytes are handed on in pieces of about STREAM_CHUNK_BYTES as they are made. The CSV and
XLSX writers read these through the module (`streaming.stored_rows`), so that a test can
make either source fail.
"""

from collections.abc import Iterator

from django.db import DatabaseError, connections, transaction
from django.db.models import QuerySet

from inventory.columns import Column

#: Rows fetched from the database per round trip (server-side cursor on PostgreSQL).
FETCH_CHUNK_ROWS = 2000
#: Bytes gathered before a piece of the response is handed to the server.
STREAM_CHUNK_BYTES = 64 * 1024


def is_postgresql(queryset: QuerySet) -> bool:
    """Whether the database can write the file's text itself (COPY)."""
    return connections[queryset.db].vendor == "postgresql"


def stored_rows(queryset: QuerySet, columns: list[Column]) -> Iterator[tuple]:
    """Stored values of the columns, row by row, read FETCH_CHUNK_ROWS at a time."""
    rows = queryset.values_list(*[column.path for column in columns])
    if is_postgresql(queryset):
        # Outside a transaction Django declares the cursor WITH HOLD, which makes
        # PostgreSQL compute the whole result before the first row. Inside one, rows come
        # as the query produces them. (SQLite is not wrapped: its transactions here are
        # IMMEDIATE and would block writers for the whole download.)
        with transaction.atomic(using=queryset.db):
            yield from rows.iterator(chunk_size=FETCH_CHUNK_ROWS)
    else:
        yield from rows.iterator(chunk_size=FETCH_CHUNK_ROWS)


#: Planner settings for the length of one export's COPY. Without them PostgreSQL plans a
#: COPY for its total cost alone: hash joins of the whole table, then one sort of every
#: row, so a million-row file's first rows wait for all of it (10 s and more here). With
#: sorting made the last resort it reads the tokens in the order of the index that
#: serves the sort (Token S/N, a date, ...) and joins each row as it goes, so rows leave
#: at once; a sort no index serves is still done. (No statement is compiled just in time
#: on any connection: see `_without_jit` in the settings.)
STREAMING_PLAN = {"enable_sort": "off"}


def copy_rows(queryset: QuerySet, statement: str) -> Iterator[bytes]:
    """The output of a `COPY ... TO STDOUT` statement row by row (libpq hands over exactly
    one whole row per block), in the order an index gives where one can; returns the row
    count."""
    with connections[queryset.db].cursor() as cursor:
        for name, value in STREAMING_PLAN.items():
            cursor.execute(f"SET {name} = {value}")
        try:
            with cursor.copy(statement) as copy:
                for block in copy:
                    yield bytes(block)
            # psycopg reads the row count from COPY's command tag.
            rows = cursor.rowcount
        finally:
            try:
                for name in STREAMING_PLAN:
                    cursor.execute(f"RESET {name}")
            except DatabaseError:
                # The COPY failed inside a transaction, which now refuses every statement;
                # its rollback undoes the settings with it. The COPY's error is the one
                # that propagates.
                pass
        return rows
