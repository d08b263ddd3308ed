"""The CSV export, streamed: UTF-8 with a byte-order mark (so Excel reads non-ASCII names),
RFC 4180 quoting and CRLF line ends, each field the text the table shows.

On PostgreSQL the database writes every field (`inventory.exports.postgres`) and COPY
streams them; elsewhere Python writes them. Text fields carry the formula-safety `'` of
`inventory.spreadsheet`.
"""

import csv
import io
from collections.abc import Callable, Iterator

from django.db.models import QuerySet

from inventory.columns import Column, Kind
from inventory.exports import streaming
from inventory.exports.postgres import copy_csv_sql
from inventory.spreadsheet import neutralize

BOM = "\ufeff".encode()


def _header(columns: list[Column]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([column.label for column in columns])
    return BOM + buffer.getvalue().encode()


def csv_chunks(
    queryset: QuerySet, columns: list[Column], finish: Callable[[int], None]
) -> Iterator[bytes]:
    """The CSV file in pieces: BOM and header at once, then the rows as they are read."""
    yield _header(columns)
    if streaming.is_postgresql(queryset):
        row_count = yield from copy_csv_rows(queryset, columns)
    else:
        row_count = yield from python_csv_rows(queryset, columns)
    finish(row_count)


def _field(column: Column) -> Callable[[object], str]:
    if column.kind is Kind.TEXT:
        return lambda value: "" if value is None else neutralize(str(value))
    return column.format


def python_csv_rows(queryset: QuerySet, columns: list[Column]) -> Iterator[bytes]:
    """The CSV rows written by Python, in pieces; returns the row count."""
    fields = [_field(column) for column in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    row_count = 0
    for values in streaming.stored_rows(queryset, columns):
        writer.writerow([field(value) for field, value in zip(fields, values, strict=True)])
        row_count += 1
        if buffer.tell() >= streaming.STREAM_CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
    return row_count


def copy_csv_rows(queryset: QuerySet, columns: list[Column]) -> Iterator[bytes]:
    """The CSV rows written by PostgreSQL, in pieces; returns the row count."""
    pending: list[bytes] = []
    size = 0
    rows = streaming.copy_rows(queryset, copy_csv_sql(queryset, columns))
    while True:
        try:
            row = next(rows)
        except StopIteration as done:
            row_count = done.value
            break
        pending.append(row)
        size += len(row)
        if size >= streaming.STREAM_CHUNK_BYTES:
            yield _crlf(b"".join(pending), len(pending))
            pending.clear()
            size = 0
    if pending:
        yield _crlf(b"".join(pending), len(pending))
    return row_count


def _crlf(rows: bytes, row_count: int) -> bytes:
    """COPY ends rows with LF; RFC 4180 wants CRLF. A line feed inside a quoted field is
    data and stays as it is."""
    if rows.count(b"\n") == row_count:  # no line feed in any field: the usual case
        return rows.replace(b"\n", b"\r\n")
    # Outside quotes are the even pieces between quote characters (a doubled quote in a
    # field makes an empty outside piece, which is harmless).
    pieces = rows.split(b'"')
    for index in range(0, len(pieces), 2):
        pieces[index] = pieces[index].replace(b"\n", b"\r\n")
    return b'"'.join(pieces)
