"""Streamed CSV and XLSX exports of the Port Tokens table: exactly what the table shows.

An export takes the table's view state (filters, match, columns, sort), the user's visible
tokens and, optionally, a list of selected Token S/Ns, and streams every matching row in
the table's order. Nothing is held in memory: rows are read in chunks and bytes leave as
they are made, so a million tokens start downloading at once and never sit in the server.

- CSV is UTF-8 with a byte-order mark (so Excel reads non-ASCII names), RFC 4180 quoting
  and CRLF line ends. On PostgreSQL the database writes it with `COPY (query) TO STDOUT`,
  the display text and formula neutralization computed in SQL; elsewhere Python writes it.
- XLSX is written by hand as it streams (a zip with one sheet XML per 1,048,575 data rows,
  inline strings, no shared-string table to hold): openpyxl and xlsxwriter both build the
  whole file before the first byte and are ten times slower or more (bench/README.md).
  On PostgreSQL the query writes each row's cell XML and COPY streams it; elsewhere Python
  does. Both follow the same rules byte for byte (a test compares them).
- Timestamps are XLSX date cells holding the Pacific wall time to the minute (what the
  table shows), dates are date cells, Term (Years) a number, the rest inline strings.
  Every cell carries its reference (`r="B7"`): Gnumeric reads no cell without one. A
  text longer than a cell may hold is cut with a visible mark (`fit_cell_text`); text
  that looks like an XML escape is written so that every reader keeps it (see
  `_ESCAPE_LOOKALIKE`).

Formula safety follows `inventory.spreadsheet` (shared with the import). XLSX text cells
are always string cells, never formulas, and carry the same `'` as the CSV, so editing a
cell in Excel cannot turn it into a formula.
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from xml.sax.saxutils import quoteattr

from django.db import connections, transaction
from django.db.models import F, Func, QuerySet, TextField
from django.utils import timezone

from inventory.columns import COLUMNS, Column, Kind
from inventory.dbfunctions import PACIFIC, PACIFIC_NAME, timestamp_text
from inventory.export_log import LoggedStream, start_log
from inventory.filtering import ViewState, parse_view_state
from inventory.models import ExportLog
from inventory.selectors import matching_tokens
from inventory.spreadsheet import DANGEROUS_LEADING, neutralize

FORMATS = ("csv", "xlsx")
SCOPES = ("visible", "all")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: Rows an XLSX sheet may hold, the header included (Excel's limit). Tests make it small.
SHEET_MAX_ROWS = 1_048_576
#: A sheet's XML also ends before it outgrows a plain (non-ZIP64) zip entry, which every
#: spreadsheet program reads; only very long texts get near this before the row limit.
SHEET_MAX_XML_BYTES = 1_900_000_000
#: Rows fetched from the database per round trip (server-side cursor on PostgreSQL).
FETCH_CHUNK_ROWS = 2000
#: Bytes gathered before a piece of the response is handed to the server.
STREAM_CHUNK_BYTES = 64 * 1024
#: Fast zlib level: the XML compresses about 10:1 even so, and level 6 halves throughput.
XLSX_COMPRESSLEVEL = 1

BOM = "\ufeff".encode()


class ExportError(ValueError):
    """A request the export cannot serve; the message says what to change."""


@dataclass(frozen=True)
class ExportRequest:
    file_format: str
    scope: str
    state: ViewState
    serials: tuple[str, ...] = ()

    @property
    def columns(self) -> list[Column]:
        """`visible`: the table's columns in display order; `all`: the 25 in SPEC order."""
        return list(COLUMNS) if self.scope == "all" else list(self.state.columns)


@dataclass
class Export:
    """A started export: the response's name and type, and its bytes as they come."""

    filename: str
    content_type: str
    chunks: Iterator[bytes]
    log: ExportLog


def parse_export_request(query_dict, saved_keys: list[str] | None = None) -> ExportRequest:
    """Read format, scope, view state and `token=` from the query string.

    The view state is parsed exactly as the table parses it (bad pieces are ignored).
    A missing or unknown format, or an unknown scope, raises ExportError.
    """
    file_format = (query_dict.get("format") or "").strip().lower()
    if file_format not in FORMATS:
        shown = f" {file_format[:20]!r}" if file_format else ""
        raise ExportError(f"Unknown export format{shown}: use format=csv or format=xlsx.")
    scope = (query_dict.get("scope") or "visible").strip().lower()
    if scope not in SCOPES:
        raise ExportError(f"Unknown export scope {scope[:20]!r}: use scope=visible or scope=all.")
    # NUL cannot be in a serial (and PostgreSQL refuses it in a query): drop it.
    cleaned = (raw.replace("\x00", "").strip() for raw in query_dict.getlist("token"))
    serials = tuple(dict.fromkeys(serial for serial in cleaned if serial))
    return ExportRequest(file_format, scope, parse_view_state(query_dict, saved_keys), serials)


def export_queryset(user, export_request: ExportRequest) -> QuerySet:
    """Every token the table would list for this state (all pages), in the table's order,
    narrowed to the selected serials when some are given. Only the user's tokens."""
    return matching_tokens(user, export_request.state, serials=export_request.serials or None)


def export_filename(scope: str, file_format: str, moment: datetime | None = None) -> str:
    """`port-tokens-<scope>-<YYYYMMDD-HHMMSS>.<format>`, stamped in Pacific Time."""
    moment = (moment or timezone.now()).astimezone(PACIFIC)
    return f"port-tokens-{scope}-{moment:%Y%m%d-%H%M%S}.{file_format}"


def start_export(*, user, export_request: ExportRequest, query_string: str) -> Export:
    """Log the export and return its byte stream. The log is closed when the stream ends:
    finished with its row count, or failed with the reason (see `inventory.export_log`)."""
    log = start_log(
        user=user,
        file_format=export_request.file_format,
        scope=export_request.scope,
        query_string=query_string,
    )
    queryset = export_queryset(user, export_request)
    columns = export_request.columns
    writer = csv_chunks if export_request.file_format == "csv" else xlsx_chunks
    stream = LoggedStream(log, partial(writer, queryset, columns))
    return Export(
        filename=export_filename(export_request.scope, export_request.file_format, log.created_at),
        content_type=CONTENT_TYPES[export_request.file_format],
        chunks=stream,
        log=log,
    )


# --- text safety ----------------------------------------------------------------------


# Characters XML 1.0 cannot hold (so neither can XLSX) are dropped; `&<>` are escaped; a
# carriage return is written as a character reference because XML readers turn a literal
# one into a line feed, and tab and line feed too, as the PostgreSQL path must.
_XML_SPECIAL = re.compile("[&<>\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_REPLACEMENTS = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\t": "&#9;",
    "\n": "&#10;",
    "\r": "&#13;",
}


def _xml_replacement(match: re.Match) -> str:
    return _XML_REPLACEMENTS.get(match.group(), "")


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xlsx_text(text: str) -> str:
    """Text as an XLSX cell holds it: without the control characters XML forbids."""
    return _XML_FORBIDDEN.sub("", text)


def _xml_text(text: str) -> str:
    """Neutralized, cleaned and escaped text for an inline-string cell."""
    if _XML_SPECIAL.search(text) is None:
        return neutralize(text)
    return _XML_SPECIAL.sub(_xml_replacement, neutralize(xlsx_text(text)))


#: The characters one XLSX cell may hold (Excel's limit). Excel counts UTF-16 code units,
#: so a character outside the Basic Multilingual Plane (an emoji) counts two; so do we.
CELL_MAX_CHARACTERS = 32_767
#: Ends a text cut to fit a cell, so that nobody takes the cut text for the whole.
TRUNCATED_MARK = " [truncated]"
# No text of at most this many characters can exceed the limit, even if every character
# counts two: the common case skips counting.
_SURELY_FITS = CELL_MAX_CHARACTERS // 2


def fit_cell_text(text: str) -> str:
    """`text` as one XLSX cell can hold it: a text over CELL_MAX_CHARACTERS (counted as
    Excel counts) is cut so that, with TRUNCATED_MARK after it, it fills the cell exactly
    or one short (a character that counts two is never cut in half). The text must hold
    no lone surrogate (`xlsx_text` removes them). CSV keeps the whole text."""
    if len(text) <= _SURELY_FITS:
        return text
    encoded = text.encode("utf-16-le")
    if len(encoded) <= 2 * CELL_MAX_CHARACTERS:
        return text
    room = 2 * (CELL_MAX_CHARACTERS - len(TRUNCATED_MARK))
    # A surrogate pair cut in half is an incomplete last character: "ignore" drops it.
    return encoded[:room].decode("utf-16-le", errors="ignore") + TRUNCATED_MARK


# --- reading rows ---------------------------------------------------------------------


def _raw_rows(queryset: QuerySet, columns: list[Column]) -> Iterator[tuple]:
    """Stored values of the columns, row by row, read FETCH_CHUNK_ROWS at a time."""
    rows = queryset.values_list(*[column.path for column in columns])
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        # Outside a transaction Django declares the cursor WITH HOLD, which makes
        # PostgreSQL compute the whole result before the first row. Inside one, rows come
        # as the query produces them. (SQLite is not wrapped: its transactions here are
        # IMMEDIATE and would block writers for the whole download.)
        with transaction.atomic(using=queryset.db):
            yield from rows.iterator(chunk_size=FETCH_CHUNK_ROWS)
    else:
        yield from rows.iterator(chunk_size=FETCH_CHUNK_ROWS)


# --- CSV ------------------------------------------------------------------------------


def _csv_header(columns: list[Column]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([column.label for column in columns])
    return BOM + buffer.getvalue().encode()


def csv_chunks(
    queryset: QuerySet, columns: list[Column], finish: Callable[[int], None]
) -> Iterator[bytes]:
    """The CSV file in pieces: BOM and header at once, then the rows as they are read."""
    yield _csv_header(columns)
    if connections[queryset.db].vendor == "postgresql":
        row_count = yield from _copy_csv_rows(queryset, columns)
    else:
        row_count = yield from _python_csv_rows(queryset, columns)
    finish(row_count)


def _csv_cell(column: Column) -> Callable[[object], str]:
    if column.kind is Kind.TEXT:
        return lambda value: "" if value is None else neutralize(str(value))
    return column.format


def _python_csv_rows(queryset: QuerySet, columns: list[Column]) -> Iterator[bytes]:
    cells = [_csv_cell(column) for column in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    row_count = 0
    for values in _raw_rows(queryset, columns):
        writer.writerow([cell(value) for cell, value in zip(cells, values, strict=True)])
        row_count += 1
        if buffer.tell() >= STREAM_CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
    return row_count


# --- XLSX -----------------------------------------------------------------------------

_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_EPOCH_DATE = _EXCEL_EPOCH.date()
# Excel's serial numbers count 1900 as a leap year; from March 1900 on they are right.
_FIRST_SERIAL_DATE = date(1900, 3, 1)
_ONE_MINUTE = timedelta(minutes=1)
_STYLE_HEADER, _STYLE_TIMESTAMP, _STYLE_DATE = 1, 2, 3
# Cells are written before their row number is known (the row may start a further
# sheet, and on PostgreSQL the query writes them): each reference ends in this stand-in,
# replaced when the row is placed. No cell can hold it: it is a control character,
# removed from every text.
_ROW = "\x01"
_ROW_BYTES = _ROW.encode()

_NAMESPACES = (
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006"
# Every .xml part not named below is a worksheet, so this file can go first in the zip
# (where file-type sniffers look) before we know how many sheets there will be.
_CONTENT_TYPES_XML = (
    _XML_DECLARATION + f'<Types xmlns="{_PACKAGE}/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS_XML = (
    _XML_DECLARATION + f'<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_OFFICE}/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
# Cell styles by index: 0 plain, 1 bold header, 2 timestamp, 3 date.
_STYLES_XML = (
    _XML_DECLARATION + '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main"><numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)
#: Column widths in characters where the label is a poor guide to the content.
_WIDTHS = {
    "description": 48,
    "cloud_plan": 24,
    "org_name": 26,
    "station_name": 26,
    "customer_name": 26,
    "customer_reference": 22,
    "renewal_owner": 30,
    "token_sn": 16,
    "evse_id": 20,
}


def _column_width(column: Column) -> int:
    if column.kind is Kind.TIMESTAMP:
        # The label is long but the cell holds 'YYYY-MM-DD HH:MM'.
        return 18
    if column.kind is Kind.DATE:
        return 12
    return max(_WIDTHS.get(column.key, 14), min(len(column.label) + 3, 30))


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _text_cell(ref: str, value) -> str:
    if value is None or value == "":
        return f'<c r="{ref}"/>'
    text = str(value)
    if _is_plain(text):
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
    return f'<c r="{ref}" t="inlineStr"><is>{_inline_text(text)}</is></c>'


# First characters that send text the long way: neutralized, or may be, or a space.
_NOT_PLAIN_FIRST = DANGEROUS_LEADING | {"'", " "}


def _is_plain(text: str) -> bool:
    """True when text goes into a cell as it is: nothing to escape, remove, neutralize,
    cut or split (see `_inline_text`), no space at either end (which would need
    xml:space="preserve")."""
    return (
        text[0] not in _NOT_PLAIN_FIRST
        and text[-1] != " "
        and len(text) <= _SURELY_FITS
        and _XML_SPECIAL.search(text) is None
        and ("_" not in text or _ESCAPE_LOOKALIKE.search(text) is None)
    )


# Text that looks like an XML escape of the OOXML string type (ST_Xstring: `_x000D_` is a
# carriage return) is not read back the same by every reader. Tried on a cell holding
# `a_x000D_b`, written literally and escaped as `a_x005F_x000D_b`, in an inline string
# and in the shared-string table:
# - calamine (python-calamine 0.9) decodes every `_xHHHH_` in every string, inline or
#   shared, as Excel does (and LibreOffice, by the report that found this): the literal
#   reads as "a\rb", the escape reads back right.
# - openpyxl 3.1 decodes nothing in inline strings, so the escape reads as written
#   (`a_x005F_x000D_b`); in shared strings it only deletes every "x005F_", even in text
#   that was never escaped.
# - Gnumeric 1.12 (ssconvert) decodes nothing anywhere: the escape reads as written.
# So no spelling of the text in one piece reads back right everywhere, and a shared-string
# table would not help. What does is never letting the pattern appear within one `<t>`:
# the escape is defined per `<t>` element, so the cell becomes an inline string of runs
# (`<r><t>`) broken after each `_` that begins the pattern. Readers decode each run on its
# own and join the runs; no run holds an escape, so openpyxl, calamine and Gnumeric all
# read `a_x000D_b` (tests/test_xlsx_readers.py). It streams: nothing to hold in memory.
# The pattern is matched loosely (either case of x) and overlapping occurrences all
# break: a break too many costs nothing. (openpyxl's optional rich_text mode deletes
# "x005F_" in every run, a fault no spelling avoids.)
_ESCAPE_LOOKALIKE = re.compile("_(?=[xX][0-9A-Fa-f]{4}_)")
_RUN_START = '<r><t xml:space="preserve">'
_RUN_END = "</t></r>"


def _inline_text(text: str) -> str:
    """The `<is>` content of a text cell that is not plain: neutralized, cleaned, cut to
    fit, escaped, in runs when it holds an escape look-alike."""
    cleaned = xlsx_text(text)
    escaped = _XML_SPECIAL.sub(_xml_replacement, fit_cell_text(neutralize(cleaned)))
    if _ESCAPE_LOOKALIKE.search(cleaned) is None:
        return f'<t xml:space="preserve">{escaped}</t>'
    return _RUN_START + _ESCAPE_LOOKALIKE.sub("_" + _RUN_END + _RUN_START, escaped) + _RUN_END


def _number_cell(ref: str, value) -> str:
    return f'<c r="{ref}"/>' if value is None else f'<c r="{ref}"><v>{value}</v></c>'


def _timestamp_cell(ref: str, value) -> str:
    if value is None:
        return f'<c r="{ref}"/>'
    # The Pacific wall time the table shows, to the minute, as Excel's day count.
    local = value.astimezone(PACIFIC).replace(tzinfo=None)
    if local.date() < _FIRST_SERIAL_DATE:
        return _text_cell(ref, timestamp_text(value))
    minutes = (local - _EXCEL_EPOCH) // _ONE_MINUTE
    return f'<c r="{ref}" s="{_STYLE_TIMESTAMP}"><v>{minutes / 1440!r}</v></c>'


def _date_cell(ref: str, value) -> str:
    if value is None:
        return f'<c r="{ref}"/>'
    if isinstance(value, datetime):
        value = value.date()
    if value < _FIRST_SERIAL_DATE:
        return _text_cell(ref, value.isoformat())
    return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{(value - _EXCEL_EPOCH_DATE).days}</v></c>'


_CELL_WRITERS = {
    Kind.TEXT: _text_cell,
    Kind.NUMBER: _number_cell,
    Kind.TIMESTAMP: _timestamp_cell,
    Kind.DATE: _date_cell,
}


def _cell_ref(number: int) -> str:
    """Column `number`'s cell reference with the row left to fill in: 'B' + _ROW."""
    return _column_letter(number) + _ROW


def _cell_writers(columns: list[Column]) -> list[Callable[[object], str]]:
    """One function per column: value -> that column's cell XML (row left to fill in)."""
    return [
        partial(_CELL_WRITERS[column.kind], _cell_ref(number))
        for number, column in enumerate(columns, start=1)
    ]


def _sheet_head(columns: list[Column]) -> bytes:
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{_column_width(column)}" customWidth="1"/>'
        for n, column in enumerate(columns, start=1)
    )
    header = "".join(
        f'<c r="{_column_letter(number)}1" s="{_STYLE_HEADER}" t="inlineStr">'
        f"<is><t>{_xml_text(column.label)}</t></is></c>"
        for number, column in enumerate(columns, start=1)
    )
    return (
        f"{_XML_DECLARATION}<worksheet {_NAMESPACES}>"
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
        f'<sheetData><row r="1">{header}</row>'
    ).encode()


def _filter_range(columns: list[Column], data_rows: int) -> str:
    return f"A1:{_column_letter(len(columns))}{data_rows + 1}"


def _sheet_name(number: int) -> str:
    return "Port Tokens" if number == 1 else f"Port Tokens {number}"


def _workbook_xml(columns: list[Column], sheet_rows: list[int]) -> str:
    sheets = "".join(
        f'<sheet name="{_sheet_name(n)}" sheetId="{n}" r:id="rId{n}"/>'
        for n in range(1, len(sheet_rows) + 1)
    )
    # Excel keeps each sheet's autofilter range in this hidden name as well.
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n - 1}" hidden="1">'
        f"'{_sheet_name(n)}'!{_absolute(_filter_range(columns, rows))}</definedName>"
        for n, rows in enumerate(sheet_rows, start=1)
    )
    return (
        f"{_XML_DECLARATION}<workbook {_NAMESPACES}>"
        f"<sheets>{sheets}</sheets><definedNames>{names}</definedNames></workbook>"
    )


def _absolute(cell_range: str) -> str:
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in cell_range.split(":"))


def _workbook_rels_xml(sheet_count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{n}" Type="{_OFFICE}/relationships/worksheet" '
        f"Target={quoteattr(f'worksheets/sheet{n}.xml')}/>"
        for n in range(1, sheet_count + 1)
    )
    return (
        f'{_XML_DECLARATION}<Relationships xmlns="{_PACKAGE}/relationships">{sheets}'
        f'<Relationship Id="rId{sheet_count + 1}" Type="{_OFFICE}/relationships/styles" '
        'Target="styles.xml"/></Relationships>'
    )


class _Drain:
    """A write-only file for `zipfile`: keeps what is written until it is taken.

    zipfile writes to an unseekable file by putting each entry's sizes after its data,
    which is what lets the archive leave piece by piece."""

    def __init__(self):
        self._pieces: list[bytes] = []

    def write(self, data) -> int:
        self._pieces.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    @property
    def size(self) -> int:
        return sum(map(len, self._pieces))

    def take(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces.clear()
        return data


def xlsx_chunks(
    queryset: QuerySet, columns: list[Column], finish: Callable[[int], None]
) -> Iterator[bytes]:
    """The XLSX file in pieces; rows beyond a sheet's limit continue on the next sheet."""
    if connections[queryset.db].vendor == "postgresql":
        rows = _copy_xlsx_rows(queryset, columns)
    else:
        rows = _python_xlsx_rows(queryset, columns)
    try:
        row_count = yield from _xlsx_pieces(rows, columns)
    finally:
        rows.close()
    finish(row_count)


def _python_xlsx_rows(queryset: QuerySet, columns: list[Column]) -> Iterator[bytes]:
    """Each row's cells as XML, written by Python (SQLite)."""
    writers = _cell_writers(columns)
    for values in _raw_rows(queryset, columns):
        yield "".join([write(value) for write, value in zip(writers, values, strict=True)]).encode()


def _xlsx_pieces(rows: Iterator[bytes], columns: list[Column]) -> Iterator[bytes]:
    """Wrap rows of cell XML into sheets, the sheets into a workbook, that into a zip."""
    drain = _Drain()
    archive = zipfile.ZipFile(
        drain, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSLEVEL
    )
    archive.writestr("[Content_Types].xml", _CONTENT_TYPES_XML)
    archive.writestr("_rels/.rels", _ROOT_RELS_XML)
    archive.writestr("xl/styles.xml", _STYLES_XML)
    yield drain.take()

    head = _sheet_head(columns)
    data_rows_per_sheet = SHEET_MAX_ROWS - 1
    sheet_rows: list[int] = []
    end = None
    cells = next(rows, end)
    while True:
        in_sheet = 0
        with archive.open(f"xl/worksheets/sheet{len(sheet_rows) + 1}.xml", "w") as sheet:
            size = sheet.write(head)
            batch: list[bytes] = []
            while cells is not end and in_sheet < data_rows_per_sheet:
                in_sheet += 1
                number = b"%d" % (in_sheet + 1)
                batch.append(b'<row r="%b">%b</row>' % (number, cells.replace(_ROW_BYTES, number)))
                cells = next(rows, end)
                if len(batch) == 500:
                    size += sheet.write(b"".join(batch))
                    batch.clear()
                    if drain.size >= STREAM_CHUNK_BYTES:
                        yield drain.take()
                    if size >= SHEET_MAX_XML_BYTES:
                        break
            tail = f'</sheetData><autoFilter ref="{_filter_range(columns, in_sheet)}"/></worksheet>'
            sheet.write(b"".join(batch) + tail.encode())
        if drain.size:
            yield drain.take()
        sheet_rows.append(in_sheet)
        if cells is end:
            break

    archive.writestr("xl/workbook.xml", _workbook_xml(columns, sheet_rows))
    archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels_xml(len(sheet_rows)))
    archive.close()
    yield drain.take()
    return sum(sheet_rows)


# --- PostgreSQL: the database writes the cells ----------------------------------------
#
# Reading a million rows of 25 columns into Python objects alone runs at about 20,000
# rows a second here; `COPY (query) TO STDOUT` hands over finished text five times as
# fast. So on PostgreSQL the query itself produces each CSV field and each XLSX row's
# cell XML, with the same rules as the Python functions above (the tests run on both).

_DANGEROUS_CODES = ", ".join(str(ord(character)) for character in sorted(DANGEROUS_LEADING))
# The characters `xlsx_text` removes, as a PostgreSQL string for translate().
_PG_XML_FORBIDDEN = (
    "E'"
    + "".join(f"\\x{code:02x}" for code in [*range(1, 9), 11, 12, *range(14, 32)])
    + "\\uFFFE\\uFFFF'"
)
# Text that is not plain (see `_is_plain`): markup, control characters (tab, line feed and
# carriage return included), the two non-characters, or a space at either end. Length and
# escape look-alikes are tested apart (one more branch here costs half as much again).
_PG_NOT_PLAIN = "E'[&<>\\x01-\\x1f\\uFFFE\\uFFFF]|^ | $'"
# A character outside the Basic Multilingual Plane: one that Excel counts two.
_PG_ASTRAL = r"[\U00010000-\U0010FFFF]"


def _pg_neutralized(text: str) -> str:
    # Comparing ascii() (the first character's code) with small numbers keeps it nearly
    # free: the first test fails at once for almost every value.
    return (
        f"CASE WHEN ascii({text}) IN ({_DANGEROUS_CODES}, 39) "
        f"AND ascii(ltrim({text}, '''')) IN ({_DANGEROUS_CODES}) "
        f"THEN '''' || {text} ELSE {text} END"
    )


def _pg_csv_text(value: str) -> str:
    # '' becomes NULL, which COPY writes as an unquoted empty field.
    return f"NULLIF({_pg_neutralized(value)}, '')"


def _pg_xlsx_cell(column: Column, ref: str, value: str) -> str:
    empty = _pg_quote(f'<c r="{ref}"/>')
    number = _pg_quote(f'<c r="{ref}"><v>')
    date_value = _pg_quote(f'<c r="{ref}" s="{_STYLE_DATE}"><v>')
    timestamp_value = _pg_quote(f'<c r="{ref}" s="{_STYLE_TIMESTAMP}"><v>')
    if column.kind is Kind.NUMBER:
        return f"COALESCE({number} || {value} || '</v></c>', {empty})"
    if column.kind is Kind.DATE:
        serial = f"({value} - DATE '1899-12-30')"
        return (
            f"CASE WHEN {value} IS NULL THEN {empty} "
            f"WHEN {value} < DATE '{_FIRST_SERIAL_DATE}' THEN "
            f"{_pg_text_cell(ref, f'to_char({value}, {_pg_quote(_PG_DATE)})')} "
            f"ELSE {date_value} || {serial} || '</v></c>' END"
        )
    if column.kind is Kind.TIMESTAMP:
        local = f"date_trunc('minute', {value} AT TIME ZONE '{PACIFIC_NAME}')"
        # Whole minutes since Excel's epoch, divided as a float8 exactly as Python does.
        minutes = f"(extract(epoch FROM {local} - TIMESTAMP '1899-12-30') / 60)::bigint"
        return (
            f"CASE WHEN {value} IS NULL THEN {empty} "
            f"WHEN {local} < TIMESTAMP '{_FIRST_SERIAL_DATE}' THEN "
            f"{_pg_text_cell(ref, f'to_char({local}, {_pg_quote(_PG_TIMESTAMP)})')} "
            f"ELSE {timestamp_value} || ({minutes}::float8 / 1440) || '</v></c>' END"
        )
    return _pg_text_cell(ref, value)


_PG_DATE = "YYYY-MM-DD"
_PG_TIMESTAMP = "YYYY-MM-DD HH24:MI"


def _pg_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _pg_text_cell(ref: str, value: str) -> str:
    cell = f'<c r="{ref}" t="inlineStr"><is>'
    empty, plain_start = _pg_quote(f'<c r="{ref}"/>'), _pg_quote(cell + "<t>")
    lookalike = _pg_quote(_ESCAPE_LOOKALIKE.pattern)
    # Almost every value is plain: a few cheap tests send it straight through (the long
    # way costs twenty times more).
    plain = (
        f"{value} !~ {_PG_NOT_PLAIN} AND ascii({value}) NOT IN ({_DANGEROUS_CODES}, 39, 32) "
        f"AND length({value}) <= {_SURELY_FITS} "
        f"AND (strpos({value}, '_') = 0 OR {value} !~ {lookalike})"
    )
    return (
        f"CASE WHEN COALESCE({value}, '') = '' THEN {empty} "
        f"WHEN {plain} THEN {plain_start} || {value} || '</t></is></c>' "
        f"ELSE {_pg_inline_text(cell, value)} END"
    )


def _pg_inline_text(cell: str, value: str) -> str:
    """`_inline_text` in SQL, wrapped in `cell` and its end: a subquery per step, each
    fenced with OFFSET 0 so that PostgreSQL computes every step once instead of pasting
    its expression into the next (which would make the query many times longer, and
    slow to plan and compile)."""
    lookalike = _pg_quote(_ESCAPE_LOOKALIKE.pattern)
    escaped = _pg_fitted("held")
    # Tab and line feed become references too: COPY's text format would escape them.
    for character, reference in [
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("\\t", "&#9;"),
        ("\\n", "&#10;"),
        ("\\r", "&#13;"),
    ]:
        escaped = f"replace({escaped}, E'{character}', '{reference}')"
    run_break = _pg_quote("_" + _RUN_END + _RUN_START)
    runs_start, runs_end = _pg_quote(cell + _RUN_START), _pg_quote(_RUN_END + "</is></c>")
    preserve_start = _pg_quote(cell + '<t xml:space="preserve">')
    return (
        f"(SELECT CASE WHEN looks THEN {runs_start} || "
        f"regexp_replace(escaped, {lookalike}, {run_break}, 'g') || {runs_end} "
        f"ELSE {preserve_start} || escaped || '</t></is></c>' END "
        f"FROM (SELECT looks, {escaped} AS escaped "
        f"FROM (SELECT cleaned ~ {lookalike} AS looks, {_pg_neutralized('cleaned')} AS held "
        f"FROM (SELECT translate({value}, {_PG_XML_FORBIDDEN}, '') AS cleaned OFFSET 0) "
        "AS xlsx_cleaned OFFSET 0) AS xlsx_held OFFSET 0) AS xlsx_escaped)"
    )


def _pg_fitted(text: str) -> str:
    """`fit_cell_text(text)` in SQL, for `text` a name (it is used several times).

    Characters outside the Basic Multilingual Plane are doubled so that one SQL character
    is one UTF-16 code unit; the units that fit are taken, and a character whose second
    half did not fit is left out whole, as Python does. Only a long text pays for that.
    """
    room = CELL_MAX_CHARACTERS - len(TRUNCATED_MARK)
    units = f"regexp_replace({text}, '({_PG_ASTRAL})', '\\1\\1', 'g')"
    head = f"left({units}, {room})"
    astral_in_head = f"length({head}) - length(regexp_replace({head}, '{_PG_ASTRAL}', '', 'g'))"
    return (
        f"CASE WHEN length({text}) <= {_SURELY_FITS} THEN {text} "
        f"WHEN length({units}) <= {CELL_MAX_CHARACTERS} THEN {text} "
        f"ELSE left({text}, length({head}) - ({astral_in_head} + 1) / 2) || "
        f"{_pg_quote(TRUNCATED_MARK)} END"
    )


class _SqlOf(Func):
    """Wrap a column's SQL in text built by `build(sql) -> sql` (PostgreSQL only)."""

    output_field = TextField()
    _marker = "\x00column\x00"

    def __init__(self, expression, build: Callable[[str], str]):
        super().__init__(expression)
        self.build = build

    def as_sql(self, compiler, connection, **extra_context):
        column_sql, params = compiler.compile(self.source_expressions[0])
        template = self.build(self._marker)
        # The column may appear several times, and its parameters with it.
        return (
            template.replace(self._marker, column_sql),
            tuple(params) * template.count(self._marker),
        )


class _Joined(Func):
    """Its expressions concatenated with `||`: one text per row."""

    output_field = TextField()
    arg_joiner = " || "
    template = "%(expressions)s"


def _copy_sql(queryset: QuerySet, expressions: list, options: str) -> str:
    """`COPY (<the export query selecting these>) TO STDOUT WITH (<options>)`, parameters
    inlined by psycopg's client-side binding (COPY takes none)."""
    names = [f"export_{index}" for index in range(len(expressions))]
    query = (
        queryset.annotate(**dict(zip(names, expressions, strict=True))).values_list(*names).query
    )
    sql, params = query.sql_with_params()
    select = connections[queryset.db].ops.compose_sql(sql, params)
    return f"COPY ({select}) TO STDOUT WITH ({options})"


def copy_csv_sql(queryset: QuerySet, columns: list[Column]) -> str:
    """The COPY statement whose output is the CSV rows (without the header)."""
    fields = [
        _SqlOf(F(column.path), _pg_csv_text)
        if column.kind is Kind.TEXT
        else column.display_expression()
        for column in columns
    ]
    return _copy_sql(queryset, fields, "FORMAT csv")


def copy_xlsx_sql(queryset: QuerySet, columns: list[Column]) -> str:
    """The COPY statement whose output is one line of cell XML per row."""
    cells = [
        _SqlOf(F(column.path), partial(_pg_xlsx_cell, column, _cell_ref(number)))
        for number, column in enumerate(columns, start=1)
    ]
    return _copy_sql(queryset, [_Joined(*cells)], "FORMAT text")


def _copy_blocks(queryset: QuerySet, statement: str) -> Iterator[bytes]:
    """COPY's output row by row (libpq hands over exactly one whole row per block);
    returns the row count."""
    with connections[queryset.db].cursor() as cursor:
        with cursor.copy(statement) as copy:
            for block in copy:
                yield bytes(block)
        # psycopg reads the row count from COPY's command tag.
        return cursor.rowcount


def _copy_csv_rows(queryset: QuerySet, columns: list[Column]) -> Iterator[bytes]:
    pending: list[bytes] = []
    size = 0
    blocks = _copy_blocks(queryset, copy_csv_sql(queryset, columns))
    while True:
        try:
            row = next(blocks)
        except StopIteration as done:
            row_count = done.value
            break
        pending.append(row)
        size += len(row)
        if size >= STREAM_CHUNK_BYTES:
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


def _copy_xlsx_rows(queryset: QuerySet, columns: list[Column]) -> Iterator[bytes]:
    for line in _copy_blocks(queryset, copy_xlsx_sql(queryset, columns)):
        # COPY's text format escapes a backslash as two; nothing else needs escaping
        # because the cells hold no control characters (see _pg_text_cell).
        if b"\\" in line:
            line = line.replace(b"\\\\", b"\\")
        yield line[:-1]  # without the line feed
