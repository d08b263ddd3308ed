"""The XLSX export, written by hand as it streams: a zip with one sheet XML per 1,048,575
data rows, inline strings, no shared-string table to hold.

openpyxl and xlsxwriter both build the whole file before the first byte and are ten times
slower or more (bench/README.md). This module writes the package around the cells: the
content types, the styles, each sheet's head (column widths, frozen header, header row)
and tail (autofilter), the workbook and its relationships, and the zip itself. The cells
come from `inventory.exports.xlsx_cells` (Python, SQLite) or, on PostgreSQL, from the
query (`inventory.exports.postgres`); both follow the same rules byte for byte.
"""

import re
import zipfile
from collections.abc import Callable, Iterator
from xml.sax.saxutils import quoteattr

from django.db.models import QuerySet

from inventory.columns import Column, Kind
from inventory.exports import streaming
from inventory.exports.postgres import copy_xlsx_sql
from inventory.exports.xlsx_cells import (
    ROW_STAND_IN,
    STYLE_HEADER,
    cell_writers,
    column_letter,
    header_text,
)

#: Rows an XLSX sheet may hold, the header included (Excel's limit). Tests make it small.
SHEET_MAX_ROWS = 1_048_576
#: A sheet's XML also ends before it outgrows a plain (non-ZIP64) zip entry, which every
#: spreadsheet program reads; only very long texts get near this before the row limit.
SHEET_MAX_XML_BYTES = 1_900_000_000
#: Fast zlib level: the XML compresses about 10:1 even so, and level 6 halves throughput.
XLSX_COMPRESSLEVEL = 1
#: Rows written to a sheet at once.
_ROWS_PER_WRITE = 500
#: Excel's number formats for the shown timestamp and date (see `inventory.dbfunctions`).
XLSX_TIMESTAMP_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_DATE_FORMAT = "yyyy-mm-dd"

_ROW_STAND_IN_BYTES = ROW_STAND_IN.encode()
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
# Cell styles by index (`xlsx_cells.STYLE_*`): 0 plain, 1 bold header, 2 timestamp, 3 date.
_STYLES_XML = (
    _XML_DECLARATION + '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main"><numFmts count="2">'
    f'<numFmt numFmtId="164" formatCode="{XLSX_TIMESTAMP_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{XLSX_DATE_FORMAT}"/></numFmts>'
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


def xlsx_chunks(
    queryset: QuerySet, columns: list[Column], finish: Callable[[int], None]
) -> Iterator[bytes]:
    """The XLSX file in pieces; rows beyond a sheet's limit continue on the next sheet."""
    if streaming.is_postgresql(queryset):
        rows = copy_xlsx_rows(queryset, columns)
    else:
        rows = python_xlsx_rows(queryset, columns)
    try:
        row_count = yield from xlsx_pieces(rows, columns)
    finally:
        rows.close()
    finish(row_count)


def python_xlsx_rows(queryset: QuerySet, columns: list[Column]) -> Iterator[bytes]:
    """Each row's cells as XML, written by Python (SQLite)."""
    writers = cell_writers(columns)
    for values in streaming.stored_rows(queryset, columns):
        yield "".join([write(value) for write, value in zip(writers, values, strict=True)]).encode()


def copy_xlsx_rows(queryset: QuerySet, columns: list[Column]) -> Iterator[bytes]:
    """Each row's cells as XML, written by PostgreSQL."""
    for line in streaming.copy_rows(queryset, copy_xlsx_sql(queryset, columns)):
        # COPY's text format escapes a backslash as two; nothing else needs escaping
        # because the cells hold no control characters (see `postgres.text_cell_sql`).
        if b"\\" in line:
            line = line.replace(b"\\\\", b"\\")
        yield line[:-1]  # without the line feed


def xlsx_pieces(rows: Iterator[bytes], columns: list[Column]) -> Iterator[bytes]:
    """Wrap rows of cell XML into sheets, the sheets into a workbook, that into a zip;
    returns the row count."""
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
                row_cells = cells.replace(_ROW_STAND_IN_BYTES, number)
                batch.append(b'<row r="%b">%b</row>' % (number, row_cells))
                cells = next(rows, end)
                if len(batch) == _ROWS_PER_WRITE:
                    size += sheet.write(b"".join(batch))
                    batch.clear()
                    if drain.size >= streaming.STREAM_CHUNK_BYTES:
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


def _column_width(column: Column) -> int:
    if column.kind is Kind.TIMESTAMP:
        # The label is long but the cell holds 'YYYY-MM-DD HH:MM'.
        return 18
    if column.kind is Kind.DATE:
        return 12
    return max(_WIDTHS.get(column.key, 14), min(len(column.label) + 3, 30))


def _sheet_head(columns: list[Column]) -> bytes:
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{_column_width(column)}" customWidth="1"/>'
        for n, column in enumerate(columns, start=1)
    )
    header = "".join(
        f'<c r="{column_letter(number)}1" s="{STYLE_HEADER}" t="inlineStr">'
        f"<is><t>{header_text(column.label)}</t></is></c>"
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
    return f"A1:{column_letter(len(columns))}{data_rows + 1}"


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
