"""Reading an import file into sheets of raw rows: CSV and XLSX, and their dangers.

`sheets(path)` picks the reader by the file's extension. A CSV is read as UTF-8 (a
byte-order mark is dropped). A workbook is refused before it is opened if it would
unpack out of all proportion (a "zip bomb"); each of its worksheets is one sheet. A
workbook without formulas is read as a stream of its XML (`xlsx_stream`); one that may
hold formulas by openpyxl, where a formula cell gives the result its program saved, or an
`UnsavedFormula` that the cell rules report as a bad cell. A damaged file is one
`ImportFailed` message; a CSV cell too long for the CSV reader stops the reading at its
line (`StoppedReading`).
"""

import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from inventory.importing import xlsx_stream
from inventory.importing.result import ImportFailed

#: An XLSX is a zip of XML, which packs about ten to one. A file that would unpack to
#: more than this many times its size, or to more than MAX_UNPACKED_BYTES in all, is
#: refused before it is opened: a "zip bomb" would otherwise exhaust memory and time.
MAX_UNPACKED_RATIO = 100
MAX_UNPACKED_BYTES = 1_000_000_000


def sheets(path: Path) -> Iterator["Sheet"]:
    """The tables of the CSV or XLSX file at `path`; ImportFailed if it cannot be read."""
    if not path.exists():
        raise ImportFailed.file(f"File not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_sheets(path)
    if suffix == ".xlsx":
        return _xlsx_sheets(path)
    raise ImportFailed.file(f"Cannot import {path.name}: the file name must end in .csv or .xlsx.")


@dataclass
class Sheet:
    """One table of the file: a CSV, or a worksheet of a workbook."""

    index: int
    name: str | None  # set when the workbook has several sheets, for the messages
    rows: Iterator[tuple[int, list]]  # (line number, cells), the header first


def _csv_sheets(path: Path) -> Iterator[Sheet]:
    try:
        # utf-8-sig drops the byte-order mark Excel writes at the start of "CSV UTF-8".
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ImportFailed.file(f"Cannot read {path.name}: {error.strerror or error}.") from None
    with handle:
        rows = enumerate(csv.reader(handle), start=1)
        yield Sheet(0, None, _guarded(rows, path, (UnicodeDecodeError, csv.Error)))


def _xlsx_sheets(path: Path) -> Iterator[Sheet]:
    _refuse_lopsided_zip(path)
    try:
        formulas = _may_hold_formulas(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        formulas = False  # not a zip at all: the reader reports the damaged file
    return _openpyxl_sheets(path) if formulas else _streamed_sheets(path)


def _streamed_sheets(path: Path) -> Iterator[Sheet]:
    """A workbook without formulas, its worksheets' XML parsed as it is unzipped
    (`xlsx_stream`): memory stays flat, where readers of whole sheets hold every cell."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFailed.file(_unreadable_workbook(path, error)) from None
    with archive:
        try:
            workbook = xlsx_stream.Workbook(archive)
        except Exception as error:  # a damaged or foreign file fails in many ways
            raise ImportFailed.file(_unreadable_workbook(path, error)) from None
        names = workbook.sheets
        for index, (name, part) in enumerate(names):
            rows = enumerate(workbook.rows(part), start=1)
            yield Sheet(index, name if len(names) > 1 else None, _guarded(rows, path, Exception))


def _openpyxl_sheets(path: Path) -> Iterator[Sheet]:
    """A workbook that may hold formulas, read twice by openpyxl (saved results and
    formulas), so that a formula never calculated is told from an empty cell."""
    formulas = None
    try:
        # read_only streams the rows; data_only gives a formula's last value, not its text.
        workbook = load_workbook(path, read_only=True, data_only=True)
        # The saved results alone cannot tell a formula never calculated from an empty
        # cell: read the formulas too, row beside row.
        formulas = load_workbook(path, read_only=True)
    except Exception as error:  # openpyxl fails in many ways on a damaged file
        raise ImportFailed.file(_unreadable_workbook(path, error)) from None
    try:
        several = len(workbook.worksheets) > 1
        for index, worksheet in enumerate(workbook.worksheets):
            # The size a file declares may be wrong; read the rows that are really there.
            worksheet.reset_dimensions()
            if formulas is None:
                values = worksheet.iter_rows(values_only=True)
            else:
                written = formulas.worksheets[index]
                written.reset_dimensions()
                values = _saved_results(worksheet.iter_rows(), written.iter_rows())
            rows = enumerate(values, start=1)
            yield Sheet(
                index, worksheet.title if several else None, _guarded(rows, path, Exception)
            )
    finally:
        workbook.close()
        if formulas is not None:
            formulas.close()


def _refuse_lopsided_zip(path: Path) -> None:
    """Refuse, before opening it, a workbook that would unpack out of all proportion.

    The sizes are those the zip's directory declares; Python's zip reader stops at the
    declared size of each member, so they bound what reading can unpack.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip at all: openpyxl reports the damaged file in its own words
    packed = path.stat().st_size
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_UNPACKED_RATIO * packed:
        raise ImportFailed.file(
            f"Cannot import {path.name}: it would unpack to {_size(unpacked)} from "
            f"{_size(packed)}, more than {MAX_UNPACKED_RATIO} times its size or "
            f"{_size(MAX_UNPACKED_BYTES)} in all. A workbook of tokens packs far less; "
            "this file is damaged or made to exhaust the server. Nothing was read."
        )


def _size(count: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:,} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


# The start of a formula element in worksheet XML, with or without a namespace prefix:
# `<f>`, `<f t="shared" ..`, `<x:f>`. Text cannot hold `<` unescaped, so markup matches;
# text like "x:f y" may match too, which only costs the slower, exact reading. Written
# as "f, then look back" because an `f` is far rarer than a `<` (ten times faster).
_FORMULA_TAG = re.compile(rb"f[\s/>](?<=[<:]f[\s/>])")


def _may_hold_formulas(path: Path) -> bool:
    """Whether any XML part of the workbook may hold a formula: a fast scan of the bytes."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            if not member.filename.endswith(".xml"):
                continue
            with archive.open(member) as stream:
                tail = b""
                while chunk := stream.read(1 << 20):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-256:]
    return False


class UnsavedFormula:
    """A formula cell without a result to import; `cells.convert` reports it for its column."""

    def __init__(self, formula, error=None):
        self.formula = str(getattr(formula, "text", formula))
        self.error = error

    def __str__(self):
        return self.formula

    def reason(self) -> str:
        if self.error:
            return f"the formula {self.formula} gives the error {self.error}."
        return (
            f"the formula {self.formula} has no saved result (it was never calculated): "
            "open and save the file in Excel or LibreOffice, or paste the values."
        )


# Cell types of a result that may legitimately be empty: text, e.g. =IF(A2="","",A2).
_TEXT_TYPES = {"s", "str", "inlineStr"}


def _saved_results(results: Iterator, formulas: Iterator) -> Iterator[tuple]:
    """Row values from two readings of one sheet (saved results, and formulas): the saved
    result, or an `UnsavedFormula` where a formula has none, or only an error."""
    for saved_row, written_row in zip(results, formulas, strict=False):
        values = []
        for saved, written in zip(saved_row, written_row, strict=False):
            value = saved.value
            if written.data_type == "f":
                if saved.data_type == "e":
                    value = UnsavedFormula(written.value, error=saved.value)
                elif value is None and saved.data_type not in _TEXT_TYPES:
                    value = UnsavedFormula(written.value)
            values.append(value)
        yield tuple(values)


class StoppedReading(Exception):
    """A row the reader cannot get past: reported at its line, nothing after it is read."""

    def __init__(self, sheet: int, line: int, reason: str):
        super().__init__(reason)
        self.sheet, self.line, self.reason = sheet, line, reason


def _guarded(rows: Iterator, path: Path, failures) -> Iterator:
    """The rows, with a damaged file (one of `failures` while reading) as one message."""
    line = 0
    try:
        for line, cells in rows:
            yield line, cells
    except failures as error:
        if isinstance(error, UnicodeDecodeError):
            message = f"Cannot read {path.name}: it is not UTF-8 text. Save it as CSV UTF-8."
        elif isinstance(error, csv.Error) and "field larger than field limit" in str(error):
            # The reader cannot resynchronise inside an over-long cell: stop at its line.
            raise StoppedReading(
                0,
                line + 1,
                f"a cell is longer than {csv.field_size_limit():,} characters, far more than "
                "any column holds; the file was not read past this line.",
            ) from None
        elif isinstance(error, csv.Error):
            message = f"Cannot read {path.name} as CSV: line {line + 1}: {error}."
        else:
            message = _unreadable_workbook(path, error)
        raise ImportFailed.file(message) from None


def _unreadable_workbook(path: Path, error: Exception) -> str:
    return f"Cannot read {path.name} as an Excel workbook (.xlsx): {error}."
