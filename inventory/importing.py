"""The import service behind `import_tokens`: a CSV or XLSX file of the 25 columns in.

The file's header row holds the 25 labels of `columns.py` in any order. Every data row
describes one token completely, so an empty cell means "empty" (NULL), not "keep". Rows
are upserted by Token S/N, together with the organizations, customers, orders, parts,
stations and EVSEs they name.

All or nothing: the whole file is read and checked first; if any row is bad nothing is
written and `ImportFailed` carries one `line N: reason` per problem (the header is line 1,
counted as a spreadsheet counts rows). Rows that name the same Org ID, Customer ID, Sales
Order, Part No., Station S/N or EVSE ID must agree on its details: a disagreement is an
error, not "last row wins", because the export repeats those details on every row and a
difference means the file is inconsistent. The file is the truth for what it names: a
station takes the organization of the tokens on it, an EVSE the station named with it.
A workbook may continue on further sheets, each starting with the header row (as the
export does past Excel's row limit); problems there say `sheet 'Name' line N`.

An import never moves a token silently: a row giving an existing token another
organization is a bad row, unless the caller names a user (`transfer_as`); then each move
is recorded in the transfer history by that user, in the import's transaction.

The file is distrusted as a whole too: a workbook that would unpack to far more than its
size is refused before it is opened, a formula cell must carry the result its program
saved (else the row is bad, not silently empty), and a CSV cell too long for the CSV
reader stops the reading at its line.

Writing is bulk: existing rows are fetched with `__in` queries in chunks and compared in
memory; new and changed rows are written in batches of plain tuples (see `_bulk_insert`),
unchanged rows not at all. 100,000 rows take well under a minute.
"""

import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from pathlib import Path

from django.db import DatabaseError, connection, transaction
from django.db.models import DateField
from openpyxl import load_workbook

from inventory.columns import COLUMNS, Column, Kind
from inventory.dbfunctions import PACIFIC
from inventory.models import (
    CloudPlanPart,
    Customer,
    Evse,
    Order,
    Organization,
    PortToken,
    Station,
    Transfer,
)
from inventory.spreadsheet import restore_neutralized
from inventory.transfers import ImportMove, record_import_moves

BATCH = 1000
# Values per `__in` query: far below the bind-parameter limits of SQLite and PostgreSQL.
LOOKUP_CHUNK = 2000
STATUSES = {status.lower(): status for status in PortToken.Status.values}
TIMESTAMP_PATTERN = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
WHOLE_NUMBER_PATTERN = re.compile(r"\d+")
MAX_TERM_YEARS = 32767  # PositiveSmallIntegerField
#: An XLSX is a zip of XML, which packs about ten to one. A file that would unpack to
#: more than this many times its size, or to more than MAX_UNPACKED_BYTES in all, is
#: refused before it is opened: a "zip bomb" would otherwise exhaust memory and time.
MAX_UNPACKED_RATIO = 100
MAX_UNPACKED_BYTES = 1_000_000_000

LABEL = {column.key: column.label for column in COLUMNS}


class ImportFailed(Exception):
    """Nothing was imported. `problems` lists every reason: `line N: ...` for a row."""

    def __init__(self, problems: list[str], *, file_problem: bool = False):
        super().__init__("\n".join(problems))
        self.problems = problems
        self.file_problem = file_problem

    def report(self) -> str:
        """The text for a person: the problems, under a heading when rows are at fault."""
        if self.file_problem:
            return "\n".join(self.problems)
        count = len(self.problems)
        heading = f"Nothing was imported: {count} problem{'s' if count != 1 else ''} found."
        return "\n".join([heading, *self.problems])

    @classmethod
    def file(cls, message: str) -> "ImportFailed":
        """The file itself cannot be used (missing, wrong type, unreadable)."""
        return cls([message], file_problem=True)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportResult:
    tokens: Counts
    organizations: Counts
    customers: Counts
    orders: Counts
    parts: Counts
    stations: Counts
    evses: Counts
    #: The transfers recording the tokens this import moved (with `transfer_as`).
    transfers: list[Transfer] = field(default_factory=list)

    def summary(self) -> str:
        """What happened, for a person. Every token named in the file that existed already
        counts as updated, even if nothing about it changed (said separately)."""
        tokens = self.tokens
        updated = tokens.updated + tokens.unchanged
        lines = [
            f"Imported {tokens.total} tokens ({tokens.created} created, {updated} updated"
            + (f"; {tokens.unchanged} of them already up to date)." if tokens.unchanged else ").")
        ]
        for name in ("organizations", "customers", "orders", "parts", "stations", "evses"):
            counts = getattr(self, name)
            label = "EVSEs" if name == "evses" else name.capitalize()
            lines.append(
                f"{label}: {counts.created} created, {counts.updated} updated, "
                f"{counts.unchanged} unchanged."
            )
        for record in self.transfers:
            plural = "" if record.token_count == 1 else "s"
            lines.append(
                f"Transfer #{record.pk} by {record.created_by}: {record.token_count} "
                f"token{plural} moved into {record.to_organization.org_id}."
            )
        return "\n".join(lines)


def import_tokens(*, path: str | Path, transfer_as=None) -> ImportResult:
    """Import the CSV or XLSX file at `path` (by its extension) all or nothing.

    A row that gives an existing token another organization is a bad row, unless
    `transfer_as` (a user) is given: then every such move is recorded as a transfer by
    that user, noted with the file's name, in the same transaction. No role is checked:
    the import is an operator's tool, and the history says who the operator named.

    Raises `ImportFailed` when the file cannot be read or any row is bad; then nothing
    has been written.
    """
    path = Path(path)
    if not path.exists():
        raise ImportFailed.file(f"File not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        sheets = _csv_sheets(path)
    elif suffix == ".xlsx":
        sheets = _xlsx_sheets(path)
    else:
        raise ImportFailed.file(
            f"Cannot import {path.name}: the file name must end in .csv or .xlsx."
        )
    plan = _Plan()
    try:
        for sheet in sheets:
            _read_sheet(sheet, plan)
    except _StoppedReading as stop:
        plan.problem((stop.sheet, stop.line), f"line {stop.line}", stop.reason)
    if plan.sheets_with_header == 0 and not plan.problems:
        raise ImportFailed(
            ["line 1: the file is empty; the first row must hold the 25 column labels."]
        )
    _check_active_evses_against_database(plan)
    if transfer_as is None:
        _check_moves_against_database(plan)
    if plan.problems:
        raise ImportFailed([problem.text for problem in sorted(plan.problems)])
    try:
        with transaction.atomic():
            return _write(plan, transfer_as=transfer_as, note=f"Imported from {path.name}")
    except DatabaseError as error:
        # The rules were checked above, so this is a change someone else made meanwhile
        # (or a database outage): report it, nothing was written.
        raise ImportFailed.file(
            f"The database refused the import, nothing was written: {error}"
        ) from None


# Reading ---------------------------------------------------------------------------------


@dataclass
class _Sheet:
    """One table of the file: a CSV, or a worksheet of a workbook."""

    index: int
    name: str | None  # set when the workbook has several sheets, for the messages
    rows: Iterator[tuple[int, list]]  # (line number, cells), the header first


def _csv_sheets(path: Path) -> Iterator[_Sheet]:
    try:
        # utf-8-sig drops the byte-order mark Excel writes at the start of "CSV UTF-8".
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ImportFailed.file(f"Cannot read {path.name}: {error.strerror or error}.") from None
    with handle:
        rows = enumerate(csv.reader(handle), start=1)
        yield _Sheet(0, None, _guarded(rows, path, (UnicodeDecodeError, csv.Error)))


def _xlsx_sheets(path: Path) -> Iterator[_Sheet]:
    _refuse_lopsided_zip(path)
    formulas = None
    try:
        # read_only streams the rows; data_only gives a formula's last value, not its text.
        workbook = load_workbook(path, read_only=True, data_only=True)
        if _may_hold_formulas(path):
            # The saved results alone cannot tell a formula never calculated from an
            # empty cell: read the formulas too, row beside row (only when there are any).
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
            yield _Sheet(
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


class _UnsavedFormula:
    """A formula cell without a result to import; `_convert` reports it for its column."""

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
    result, or an `_UnsavedFormula` where a formula has none, or only an error."""
    for saved_row, written_row in zip(results, formulas, strict=False):
        values = []
        for saved, written in zip(saved_row, written_row, strict=False):
            value = saved.value
            if written.data_type == "f":
                if saved.data_type == "e":
                    value = _UnsavedFormula(written.value, error=saved.value)
                elif value is None and saved.data_type not in _TEXT_TYPES:
                    value = _UnsavedFormula(written.value)
            values.append(value)
        yield tuple(values)


class _StoppedReading(Exception):
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
            raise _StoppedReading(
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


@dataclass(order=True)
class _Problem:
    position: tuple[int, int]
    text: str = field(compare=False)


@dataclass(slots=True)
class _TokenRow:
    where: str
    position: tuple[int, int]
    serial: str
    part_no: str
    org_id: str
    evse_id: str | None
    sales_order: str | None
    activation_date: datetime | None
    applied_date: datetime | None
    plan_start_date: datetime | None
    plan_end_date: datetime | None
    status: str
    renewal_owner: str | None


# Each kind of related object: the column holding its key and the columns of its details.
ENTITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "organization": ("org_id", ("org_name",)),
    "customer": ("customer_id", ("customer_name",)),
    "order": (
        "sales_order",
        ("purchase_order", "customer_reference", "customer_id", "order_date", "ship_date"),
    ),
    "part": ("part_no", ("cloud_plan", "description", "term_years", "port_type", "token_type")),
    "station": ("station_sn", ("station_name", "org_id")),
    "evse": ("evse_id", ("station_sn",)),
}


@dataclass
class _Plan:
    """Everything read from the file: the token rows, the related objects and problems."""

    tokens: dict[str, _TokenRow] = field(default_factory=dict)
    # kind -> key -> (details by column key, where first named)
    entities: dict[str, dict[str, tuple[dict, str]]] = field(
        default_factory=lambda: {kind: {} for kind in ENTITIES}
    )
    # EVSE ID -> (Token S/N, where, position) of the file's Active token on it
    active_evses: dict[str, tuple[str, str, tuple[int, int]]] = field(default_factory=dict)
    problems: list[_Problem] = field(default_factory=list)
    sheets_with_header: int = 0

    def problem(self, position: tuple[int, int], where: str, reason: str):
        self.problems.append(_Problem(position, f"{where}: {reason}"))


def _read_sheet(sheet: _Sheet, plan: _Plan) -> None:
    prefix = f"sheet {sheet.name!r} " if sheet.name else ""
    columns: list[Column] | None = None
    for line, cells in sheet.rows:
        position = (sheet.index, line)
        where = f"{prefix}line {line}"
        if columns is None:
            if all(_is_blank(cell) for cell in cells):
                # Fine for an empty file or worksheet; anything below it has no header.
                if any(not all(map(_is_blank, cells)) for _, cells in sheet.rows):
                    plan.problem(position, where, "the header row is empty.")
                return
            columns = _header_columns(cells, plan, position, where)
            if columns is None:
                return
            plan.sheets_with_header += 1
            continue
        if all(_is_blank(cell) for cell in cells):
            continue
        _read_row(columns, cells, plan, position, where)


def _is_blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and cell.strip() == "")


def _label_key(text) -> str:
    return " ".join(str(text).replace("\ufeff", "").split()).casefold()


COLUMNS_BY_LABEL_KEY = {_label_key(column.label): column for column in COLUMNS}


def _header_columns(cells, plan: _Plan, position, where) -> list[Column] | None:
    """The columns in file order, or None (with problems recorded) for a bad header."""
    cells = list(cells)
    while cells and _is_blank(cells[-1]):
        cells.pop()
    columns: list[Column] = []
    unknown, empty, repeated = [], [], []
    for number, cell in enumerate(cells, start=1):
        if _is_blank(cell):
            empty.append(str(number))
            continue
        column = COLUMNS_BY_LABEL_KEY.get(_label_key(cell))
        if column is None:
            unknown.append(str(cell).strip())
        elif column in columns:
            repeated.append(column.label)
        else:
            columns.append(column)
    missing = [column.label for column in COLUMNS if column not in columns]
    reasons = []
    if unknown:
        reasons.append("unknown columns in the header: " + ", ".join(map(repr, unknown)))
    if missing:
        reasons.append("missing columns in the header: " + ", ".join(map(repr, missing)))
    if repeated:
        reasons.append("columns named twice in the header: " + ", ".join(map(repr, repeated)))
    if empty:
        reasons.append("header cells without a label in column " + ", ".join(empty))
    if reasons:
        for reason in reasons:
            plan.problem(position, where, reason + ".")
        return None
    return columns


def _read_row(columns: list[Column], cells, plan: _Plan, position, where) -> None:
    cells = list(cells)
    if len(cells) > len(columns) and not all(_is_blank(cell) for cell in cells[len(columns) :]):
        plan.problem(
            position, where, f"{len(cells)} values, but the header has {len(columns)} columns."
        )
        return
    # A spreadsheet leaves out the empty cells at the end of a row: they are empty.
    cells.extend([None] * (len(columns) - len(cells)))
    values: dict[str, object] = {}
    for column, raw in zip(columns, cells, strict=False):
        try:
            values[column.key] = _convert(column, raw)
        except ValueError as error:
            plan.problem(position, where, f"{column.label}: {error}")
            values[column.key] = _INVALID
    for reason in _row_rules(values):
        plan.problem(position, where, reason)

    serial = values["token_sn"]
    if serial is None or serial is _INVALID:
        return
    first = plan.tokens.get(serial)
    if first is not None:
        plan.problem(position, where, f"Token S/N {serial} is also on {first.where}.")
        return
    for kind in ENTITIES:
        reason = _note_entity(plan, kind, values, where)
        if reason:
            plan.problem(position, where, reason)
    evse_id = values["evse_id"]
    if values["status"] == PortToken.Status.ACTIVE and evse_id not in (None, _INVALID):
        holder = plan.active_evses.get(evse_id)
        if holder is None:
            plan.active_evses[evse_id] = (serial, where, position)
        else:
            plan.problem(
                position,
                where,
                f"EVSE ID {evse_id} already has Active token {holder[0]} on {holder[1]}; "
                "an EVSE carries at most one Active token.",
            )
    # Kept even for a bad row (never written then), so a later repeat is still reported.
    plan.tokens[serial] = _TokenRow(
        where=where,
        position=position,
        serial=serial,
        part_no=values["part_no"],
        org_id=values["org_id"],
        evse_id=evse_id,
        sales_order=values["sales_order"],
        activation_date=values["activation_date"],
        applied_date=values["applied_date"],
        plan_start_date=values["plan_start_date"],
        plan_end_date=values["plan_end_date"],
        status=values["status"],
        renewal_owner=values["renewal_owner"],
    )


class _Invalid:
    """Marks a value that could not be read; its problem is already recorded."""

    def __repr__(self):
        return "<invalid>"


_INVALID = _Invalid()


ORDER_DETAILS = (
    "purchase_order",
    "customer_reference",
    "customer_id",
    "customer_name",
    "order_date",
    "ship_date",
)


def _row_rules(values: dict) -> list[str]:
    """Rules across the cells of one row."""
    given = {key: value is not None for key, value in values.items()}
    reasons = []
    if not given["token_sn"]:
        reasons.append("missing Token S/N.")
    if not given["part_no"]:
        reasons.append("missing Part No.")
    elif not given["cloud_plan"]:
        reasons.append(f"missing Cloud Plan for Part No. {values['part_no']}.")
    if not given["org_id"]:
        reasons.append("missing Org ID.")
    elif not given["org_name"]:
        reasons.append(f"missing Org Name for Org ID {values['org_id']}.")
    if not given["status"]:
        reasons.append("missing Status: use New, Available, Active or Expired.")
    if given["customer_id"] and not given["customer_name"]:
        reasons.append(f"missing Customer Name for Customer ID {values['customer_id']}.")
    if given["customer_name"] and not given["customer_id"]:
        reasons.append("Customer Name given without Customer ID.")
    if not given["sales_order"]:
        orphans = [LABEL[key] for key in ORDER_DETAILS if given[key]]
        if orphans:
            reasons.append(f"{', '.join(orphans)} given without Sales Order.")
    if given["evse_id"] and not given["station_sn"]:
        reasons.append("EVSE ID given without Station S/N.")
    if not given["evse_id"]:
        orphans = [LABEL[key] for key in ("station_sn", "station_name") if given[key]]
        if orphans:
            reasons.append(f"{', '.join(orphans)} given without EVSE ID.")
    if values["status"] == PortToken.Status.ACTIVE and not given["evse_id"]:
        reasons.append("an Active token must be applied to an EVSE, but EVSE ID is empty.")
    start, end = values["plan_start_date"], values["plan_end_date"]
    if isinstance(start, datetime) and isinstance(end, datetime) and end < start:
        reasons.append(
            f"Plan End Date {_pacific(end)} is before Plan Start Date {_pacific(start)} "
            "(Pacific Time); a plan cannot end before it starts."
        )
    return reasons


def _pacific(moment: datetime) -> str:
    return moment.astimezone(PACIFIC).strftime("%Y-%m-%d %H:%M")


def _note_entity(plan: _Plan, kind: str, values: dict, where: str) -> str | None:
    """Remember the details this row gives for a related object; a conflict is a problem."""
    key_column, detail_columns = ENTITIES[kind]
    key = values[key_column]
    if key is None or key is _INVALID:
        return None
    known = plan.entities[kind].get(key)
    if known is not None and all(values[column] == known[0][column] for column in detail_columns):
        return None  # the usual case: one more row naming the same thing alike
    details = {column: values[column] for column in detail_columns}
    if any(value is _INVALID for value in details.values()):
        return None
    if kind in ("organization", "part", "customer") and details[detail_columns[0]] is None:
        return None  # already reported as missing
    if known is None:
        plan.entities[kind][key] = (details, where)
        return None
    first_details, first_where = known
    differing = [
        LABEL[column] for column in detail_columns if details[column] != first_details[column]
    ]
    return (
        f"{LABEL[key_column]} {key} has a different {', '.join(differing)} than on "
        f"{first_where}; every row must give the same details for it."
    )


# Cell values -----------------------------------------------------------------------------


def _convert(column: Column, raw):
    """The cell's value for the database: None when empty; ValueError when unreadable."""
    if isinstance(raw, str):
        raw = raw.strip()
        if raw[:1] == "'":
            raw = _unquote(raw)
        if not raw:
            return None
    elif raw is None:
        return None
    elif isinstance(raw, _UnsavedFormula):
        raise ValueError(raw.reason())
    return PARSERS[column.key](raw)


def _unquote(text: str) -> str:
    """Undo the export's `'` before text a spreadsheet would run as a formula, so that an
    export re-imports unchanged. Whitespace the quote protected (a tab) is trimmed too."""
    return restore_neutralized(text).strip()


def _text(raw) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a number a spreadsheet stored as 10001.0
    if isinstance(raw, datetime):
        return raw.strftime("%Y-%m-%d %H:%M:%S" if raw.second else "%Y-%m-%d %H:%M")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw)


def _status(raw) -> str:
    status = STATUSES.get(str(raw).lower())
    if status is None:
        raise ValueError(f"unknown status {raw!r}: use New, Available, Active or Expired.")
    return status


def _timestamp(raw) -> datetime:
    """A Pacific local wall time (text `YYYY-MM-DD HH:MM[:SS]` or a cell) as UTC."""
    if isinstance(raw, str):
        return _timestamp_text(raw)
    if isinstance(raw, datetime):
        if raw.tzinfo is not None:
            return raw.astimezone(UTC)
        # Spreadsheet times are fractions of a day; round off the float noise.
        wall = (raw + timedelta(microseconds=500_000)).replace(microsecond=0)
    elif isinstance(raw, date):
        wall = datetime.combine(raw, time())
    else:
        raise ValueError(f"{raw!r} is not a time: write YYYY-MM-DD HH:MM (Pacific Time).")
    return pacific_to_utc(wall)


# Exports repeat times (applied = plan start) and dates (one order, many tokens): a cache
# of the text's meaning saves a good part of a large import's reading time.
@lru_cache(maxsize=65536)
def _timestamp_text(text: str) -> datetime:
    match = TIMESTAMP_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time: write YYYY-MM-DD HH:MM (Pacific Time).")
    try:
        wall = datetime(*(int(part or 0) for part in match.groups()))
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date and time.") from None
    return pacific_to_utc(wall)


def pacific_to_utc(wall: datetime) -> datetime:
    """A naive Pacific wall time as an aware UTC datetime.

    In the November repeated hour the first occurrence (daylight time) is meant. A time
    in the March gap does not exist on Pacific clocks: ValueError.
    """
    try:
        moment = wall.replace(tzinfo=PACIFIC, fold=0).astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{wall:%Y-%m-%d %H:%M} is out of range.") from None
    if moment.astimezone(PACIFIC).replace(tzinfo=None) != wall:
        raise ValueError(
            f"{wall:%Y-%m-%d %H:%M} does not exist in Pacific Time "
            "(clocks jump from 02:00 to 03:00 that night)."
        )
    return moment


def _date(raw) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    return _date_text(str(raw))


@lru_cache(maxsize=65536)
def _date_text(text: str) -> date:
    if DATE_PATTERN.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD.")


def _whole_number(raw) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a whole number.")
    if (
        isinstance(raw, int)
        or (isinstance(raw, float) and raw.is_integer())
        or (isinstance(raw, str) and WHOLE_NUMBER_PATTERN.fullmatch(raw))
    ):
        number = int(raw)
    else:
        raise ValueError(f"{raw!r} is not a whole number.")
    # The database refuses a term of 0 too: a plan runs for at least a year.
    if not 1 <= number <= MAX_TERM_YEARS:
        raise ValueError(f"{number} is out of range (1 to {MAX_TERM_YEARS}).")
    return number


def _max_lengths() -> dict[str, int]:
    """Column key -> the max_length of the text field its path ends at."""
    limits = {}
    for column in COLUMNS:
        model = PortToken
        *relations, name = column.path.split("__")
        for relation in relations:
            model = model._meta.get_field(relation).related_model
        max_length = getattr(model._meta.get_field(name), "max_length", None)
        if max_length:
            limits[column.key] = max_length
    return limits


MAX_LENGTHS = _max_lengths()


def _limited_text(limit: int | None):
    def parse(raw) -> str:
        text = _text(raw)
        if limit is not None and len(text) > limit:
            raise ValueError(f"longer than {limit} characters.")
        if "\x00" in text:
            # PostgreSQL text cannot hold it; refuse it on SQLite too, for one behaviour.
            raise ValueError("contains a NUL character.")
        return text

    return parse


def _parser(column: Column):
    if column.key == "status":
        return _status
    return {
        Kind.TIMESTAMP: _timestamp,
        Kind.DATE: _date,
        Kind.NUMBER: _whole_number,
    }.get(column.kind) or _limited_text(MAX_LENGTHS.get(column.key))


#: Column key -> how a non-empty cell becomes the stored value (ValueError if it cannot).
PARSERS = {column.key: _parser(column) for column in COLUMNS}


# Checks against the database ----------------------------------------------------------------


def _chunks(items: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_active_evses_against_database(plan: _Plan) -> None:
    """An EVSE the file makes Active must not keep an Active token the file leaves alone."""
    evse_ids = list(plan.active_evses)
    for chunk in _chunks(evse_ids):
        holders = PortToken.objects.filter(
            status=PortToken.Status.ACTIVE, evse__evse_id__in=chunk
        ).values_list("evse__evse_id", "serial")
        for evse_id, serial in holders:
            if serial in plan.tokens:
                continue  # the file says what becomes of that token
            _, where, position = plan.active_evses[evse_id]
            plan.problem(
                position,
                where,
                f"EVSE ID {evse_id} already has Active token {serial} in the database; "
                "an EVSE carries at most one Active token.",
            )


def _check_moves_against_database(plan: _Plan) -> None:
    """A row may not give an existing token another organization (see `import_tokens`)."""
    for chunk in _chunks(list(plan.tokens)):
        owners = PortToken.objects.filter(serial__in=chunk).values_list(
            "serial", "organization__org_id"
        )
        for serial, org_id in owners:
            token = plan.tokens[serial]
            if token.org_id in (None, _INVALID, org_id):
                continue
            plan.problem(token.position, token.where, _move_refused(serial, org_id, token.org_id))


def _move_refused(serial: str, org_id: str, new_org_id: str) -> str:
    return (
        f"Token S/N {serial} belongs to {org_id}; importing it into {new_org_id} would move "
        "it. Move it with a transfer, or import with --transfer-as USERNAME to record the "
        "move in the transfer history."
    )


# Writing -----------------------------------------------------------------------------------


TOKEN_FIELDS = (
    "part_id",
    "order_id",
    "organization_id",
    "evse_id",
    "activation_date",
    "applied_date",
    "plan_start_date",
    "plan_end_date",
    "status",
    "renewal_owner",
)


def _write(plan: _Plan, *, transfer_as, note: str) -> ImportResult:
    entities = plan.entities
    organizations, org_counts = _upsert(
        Organization,
        "org_id",
        {key: {"name": d["org_name"]} for key, (d, _) in entities["organization"].items()},
    )
    customers, customer_counts = _upsert(
        Customer,
        "customer_id",
        {key: {"name": d["customer_name"]} for key, (d, _) in entities["customer"].items()},
    )
    orders, order_counts = _upsert(
        Order,
        "sales_order",
        {
            key: {
                "purchase_order": d["purchase_order"],
                "customer_reference": d["customer_reference"],
                "customer_id": customers[d["customer_id"]] if d["customer_id"] else None,
                "order_date": d["order_date"],
                "ship_date": d["ship_date"],
            }
            for key, (d, _) in entities["order"].items()
        },
    )
    parts, part_counts = _upsert(
        CloudPlanPart,
        "part_no",
        {
            key: {name: d[name] for name in ENTITIES["part"][1]}
            for key, (d, _) in entities["part"].items()
        },
    )
    stations, station_counts = _upsert(
        Station,
        "serial",
        {
            key: {"name": d["station_name"], "organization_id": organizations[d["org_id"]]}
            for key, (d, _) in entities["station"].items()
        },
    )
    evses, evse_counts = _upsert(
        Evse,
        "evse_id",
        {
            key: {"station_id": stations[d["station_sn"]]}
            for key, (d, _) in entities["evse"].items()
        },
    )
    token_counts, moves = _write_tokens(plan, organizations, orders, parts, evses)
    if moves and transfer_as is None:
        # Checked before writing; a transfer has moved these tokens since.
        raise ImportFailed(
            [
                f"{plan.tokens[move.serial].where}: Token S/N {move.serial} was moved to "
                "another organization while the file was being checked; import it again."
                for move in moves
            ]
        )
    return ImportResult(
        tokens=token_counts,
        organizations=org_counts,
        customers=customer_counts,
        orders=order_counts,
        parts=part_counts,
        stations=station_counts,
        evses=evse_counts,
        transfers=record_import_moves(user=transfer_as, moves=moves, note=note) if moves else [],
    )


def _upsert(model, key_field: str, wanted: dict[str, dict]) -> tuple[dict[str, int], Counts]:
    """Create or update `model` rows keyed by `key_field`; return key -> pk and counts."""
    counts = Counts()
    if not wanted:
        return {}, counts
    fields = list(next(iter(wanted.values())))
    pks: dict[str, int] = {}
    to_create, to_update = [], []
    for chunk in _chunks(list(wanted)):
        rows = model.objects.filter(**{f"{key_field}__in": chunk}).values_list(
            key_field, "pk", *fields
        )
        for key, pk, *stored in rows:
            pks[key] = pk
            values = tuple(wanted[key].values())
            if tuple(stored) == values:
                counts.unchanged += 1
            else:
                to_update.append((pk, *values))
    to_create = [(key, *values.values()) for key, values in wanted.items() if key not in pks]
    _bulk_insert(model, [key_field, *fields], to_create)
    _bulk_update(model, fields, to_update)
    created_keys = [row[0] for row in to_create]
    for chunk in _chunks(created_keys):
        pks.update(model.objects.filter(**{f"{key_field}__in": chunk}).values_list(key_field, "pk"))
    counts.created, counts.updated = len(to_create), len(to_update)
    return pks, counts


def _write_tokens(
    plan: _Plan, organizations, orders, parts, evses
) -> tuple[Counts, list[ImportMove]]:
    """Write the tokens; return the counts and the tokens given another organization."""
    counts = Counts()
    existing: list[int] = []
    for chunk in _chunks(list(plan.tokens)):
        existing.extend(PortToken.objects.filter(serial__in=chunk).values_list("pk", flat=True))
    # Locked in primary-key order, as a transfer locks: a transfer under way finishes
    # first and its move is seen here, or it waits for the import; either way no move
    # is overwritten unseen.
    stored: dict[str, tuple] = {}
    for chunk in _chunks(sorted(existing)):
        rows = (
            PortToken.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("serial", "pk", *TOKEN_FIELDS)
        )
        for serial, *row in rows:
            stored[serial] = tuple(row)

    to_create, to_update, moves = [], [], []
    org = 1 + TOKEN_FIELDS.index("organization_id")
    for serial, token in plan.tokens.items():
        values = (
            parts[token.part_no],
            orders[token.sales_order] if token.sales_order else None,
            organizations[token.org_id],
            evses[token.evse_id] if token.evse_id else None,
            token.activation_date,
            token.applied_date,
            token.plan_start_date,
            token.plan_end_date,
            token.status,
            token.renewal_owner,
        )
        old = stored.get(serial)
        if old is None:
            to_create.append((serial, *values))
        elif old[1:] != values:
            to_update.append((old, (old[0], *values)))
            if old[org] != values[org - 1]:
                moves.append(ImportMove(old[0], serial, old[org], values[org - 1]))
        else:
            counts.unchanged += 1

    # "One Active token per EVSE" is checked row by row inside a statement, so first free
    # the EVSEs: tokens that stop being Active, then Active tokens moving to another EVSE;
    # only then put tokens on their (now free) EVSEs, and create the new tokens last.
    status, evse = 1 + TOKEN_FIELDS.index("status"), 1 + TOKEN_FIELDS.index("evse_id")
    active = PortToken.Status.ACTIVE
    releasing = [new for _, new in to_update if new[status] != active]
    taking = [new for _, new in to_update if new[status] == active]
    moving = [
        old[0]
        for old, new in to_update
        if new[status] == active and old[status] == active and old[evse] != new[evse]
    ]
    _bulk_update(PortToken, TOKEN_FIELDS, releasing)
    for chunk in _chunks(moving):
        PortToken.objects.filter(pk__in=chunk).update(evse=None)
    _bulk_update(PortToken, TOKEN_FIELDS, taking)
    _bulk_insert(PortToken, ["serial", *TOKEN_FIELDS], to_create)
    counts.created, counts.updated = len(to_create), len(to_update)
    return counts, moves


# Django's `bulk_create` and `bulk_update` build a model instance, or a CASE expression,
# per row and field: for 100,000 tokens that is most of the import's time (minutes, for
# `bulk_update`). These two write the same rows from plain tuples, one statement per
# batch, with bound parameters. PostgreSQL gets one array per column (`unnest`), so a
# statement has a handful of parameters instead of thousands for the driver to splice in;
# SQLite (3.33 and later) gets a VALUES list.


def _bulk_insert(model, fields: list[str], rows: list[tuple]) -> None:
    """INSERT `rows` (values in `fields` order), in batches."""
    if not rows:
        return
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in fields]
    prepare = _preparers(fields)
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    )
    with connection.cursor() as cursor:
        for batch in _chunks(rows, BATCH):
            if connection.vendor == "postgresql":
                cursor.execute(head + f"SELECT * FROM {_unnest(fields)}", _arrays(batch, prepare))
            else:
                cursor.execute(
                    head + f"VALUES {_placeholders(len(fields), len(batch))}",
                    _parameters(batch, prepare),
                )


def _bulk_update(model, fields, rows: list[tuple]) -> None:
    """UPDATE the rows given as (pk, *values in `fields` order), in batches."""
    if not rows:
        return
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [meta.pk, *(meta.get_field(name) for name in fields)]
    prepare = _preparers(fields)
    names = ["v_pk", *(f"v_{field.column}" for field in fields[1:])]
    table = quote(meta.db_table)
    assignments = ", ".join(
        f"{quote(field.column)} = v.{name}"
        for field, name in zip(fields[1:], names[1:], strict=True)
    )
    where = f"WHERE {table}.{quote(meta.pk.column)} = v.v_pk"
    with connection.cursor() as cursor:
        for batch in _chunks(rows, BATCH):
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} SET {assignments} "
                    f"FROM {_unnest(fields)} AS v ({', '.join(names)}) {where}",
                    _arrays(batch, prepare),
                )
            else:
                cursor.execute(
                    f"WITH v ({', '.join(names)}) AS "
                    f"(VALUES {_placeholders(len(fields), len(batch))}) "
                    f"UPDATE {table} SET {assignments} FROM v {where}",
                    _parameters(batch, prepare),
                )


def _unnest(fields) -> str:
    arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in fields)
    return f"unnest({arrays})"


def _placeholders(width: int, count: int) -> str:
    return ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * count)


def _preparers(fields) -> list:
    """Per field, how its Python value becomes a query parameter: dates and times need
    the backend's form (SQLite stores text); other values go as they are."""
    return [
        partial(field.get_db_prep_save, connection=connection)
        if isinstance(field, DateField)
        else None
        for field in fields
    ]


def _prepared(row: tuple, preparers: list) -> Iterator:
    for value, prepare in zip(row, preparers, strict=True):
        yield value if prepare is None or value is None else prepare(value)


def _parameters(rows: list[tuple], preparers: list) -> list:
    """Row after row: the parameters of a VALUES list."""
    parameters = []
    for row in rows:
        parameters.extend(_prepared(row, preparers))
    return parameters


def _arrays(rows: list[tuple], preparers: list) -> list[list]:
    """Column after column: one array parameter per field."""
    return [
        list(column) for column in zip(*(_prepared(row, preparers) for row in rows), strict=True)
    ]
