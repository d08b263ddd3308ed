"""The import plan: every row of the file checked and gathered, before anything is written.

`read_plan(sheets)` reads the header of each sheet (the 25 labels in any order), converts
each row's cells (`cells.convert`), applies the rules across a row's cells and across rows
(one row per Token S/N; rows naming the same Org ID, Customer ID, Sales Order, Part No.,
Station S/N or EVSE ID agree on its details; at most one Active token per EVSE) and
gathers the tokens and related objects to write into a `Plan`, with one `Problem` per
bad row and reason. `check_active_evses_against_database` and
`check_moves_against_database` then hold the plan against what is stored already.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from inventory.columns import COLUMNS, Column
from inventory.dbfunctions import timestamp_text
from inventory.filtering import among
from inventory.importing.cells import convert
from inventory.importing.read import Sheet, StoppedReading
from inventory.importing.result import ImportFailed
from inventory.models import PortToken

# Keys per lookup (`among`); also the rows the writing compares and holds at a time.
LOOKUP_CHUNK = 2000
LABEL = {column.key: column.label for column in COLUMNS}
ACTIVE = PortToken.Status.ACTIVE


@dataclass(frozen=True)
class Related:
    """A kind of object the token rows name: the column of its key, those of its details."""

    key: str
    details: tuple[str, ...]


RELATED: dict[str, Related] = {
    "organization": Related("org_id", ("org_name",)),
    "customer": Related("customer_id", ("customer_name",)),
    "order": Related(
        "sales_order",
        ("purchase_order", "customer_reference", "customer_id", "order_date", "ship_date"),
    ),
    "part": Related(
        "part_no", ("cloud_plan", "description", "term_years", "port_type", "token_type")
    ),
    "station": Related("station_sn", ("station_name", "org_id")),
    "evse": Related("evse_id", ("station_sn",)),
}
# The details without which the object cannot be written: missing, the row is bad already.
REQUIRED_DETAIL = {"organization": "org_name", "part": "cloud_plan", "customer": "customer_name"}

ORDER_DETAILS = (
    "purchase_order",
    "customer_reference",
    "customer_id",
    "customer_name",
    "order_date",
    "ship_date",
)


class _Invalid:
    """Marks a value that could not be read; its problem is already recorded."""

    def __repr__(self):
        return "<invalid>"


INVALID = _Invalid()

#: Where a row is in the file, for sorting problems: (sheet index, line number).
Position = tuple[int, int]


@dataclass(order=True)
class Problem:
    position: Position
    text: str = field(compare=False)


@dataclass(slots=True)
class TokenRow:
    """One token as its row gives it. A large import holds one per row until it is
    written, so it keeps only what writing needs: the messages' "line 7" comes from
    `position` (`Plan.where`), and repeated texts are shared (`Plan.shared`)."""

    position: Position
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


@dataclass(frozen=True, slots=True)
class Named:
    """The details a row gives for a related object (in the order of its `Related.details`:
    a tuple, as a file may name tens of thousands of EVSEs), and where the file first gave
    them."""

    details: tuple
    position: Position


@dataclass(frozen=True, slots=True)
class ActiveToken:
    """The file's Active token on an EVSE."""

    serial: str
    position: Position


@dataclass
class Plan:
    """Everything read from the file: the token rows, the related objects and problems."""

    tokens: dict[str, TokenRow] = field(default_factory=dict)
    # kind of object (a key of RELATED) -> its key -> what the file says of it
    related: dict[str, dict[str, Named]] = field(
        default_factory=lambda: {kind: {} for kind in RELATED}
    )
    active_evses: dict[str, ActiveToken] = field(default_factory=dict)  # by EVSE ID
    problems: list[Problem] = field(default_factory=list)
    sheets_with_header: int = 0
    # sheet index -> its name when the messages name it (a workbook of several sheets)
    sheet_names: dict[int, str | None] = field(default_factory=dict)
    # text -> the same text: one object for what many rows repeat (Part No., Org ID, ...)
    texts: dict[str, str] = field(default_factory=dict)

    def problem(self, position: Position, where: str, reason: str):
        self.problems.append(Problem(position, f"{where}: {reason}"))

    def where(self, position: Position) -> str:
        """A row's place, for the messages: "line 7" or "sheet 'Port Tokens (2)' line 7"."""
        sheet, line = position
        name = self.sheet_names.get(sheet)
        return f"sheet {name!r} line {line}" if name else f"line {line}"

    def shared(self, text: str | None) -> str | None:
        """`text`, as the object already held for an equal text: repeated on most rows,
        a Part No. or an Org ID is then held once, not once per row."""
        return None if text is None else self.texts.setdefault(text, text)

    def details(self, kind: str) -> Iterator[tuple[str, dict[str, object]]]:
        """(key, details by column key) of every object of this kind the file names."""
        names = RELATED[kind].details
        for key, named in self.related[kind].items():
            yield key, dict(zip(names, named.details, strict=True))


def read_plan(sheets: Iterable[Sheet]) -> Plan:
    """Read every row of the file; ImportFailed when the file has no header at all."""
    plan = Plan()
    try:
        for sheet in sheets:
            _read_sheet(sheet, plan)
    except StoppedReading as stop:
        plan.problem((stop.sheet, stop.line), f"line {stop.line}", stop.reason)
    if plan.sheets_with_header == 0 and not plan.problems:
        raise ImportFailed(
            ["line 1: the file is empty; the first row must hold the 25 column labels."]
        )
    return plan


def _read_sheet(sheet: Sheet, plan: Plan) -> None:
    plan.sheet_names[sheet.index] = sheet.name
    columns: list[Column] | None = None
    for line, cells in sheet.rows:
        position = (sheet.index, line)
        where = plan.where(position)
        if columns is None:
            if _all_blank(cells):
                # Fine for an empty file or worksheet; anything below it has no header.
                if any(not _all_blank(cells) for _, cells in sheet.rows):
                    plan.problem(position, where, "the header row is empty.")
                return
            columns = _header_columns(cells, plan, position, where)
            if columns is None:
                return
            plan.sheets_with_header += 1
            continue
        if not _all_blank(cells):
            _read_row(columns, cells, plan, position, where)


def _is_blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and cell.strip() == "")


def _all_blank(cells) -> bool:
    return all(_is_blank(cell) for cell in cells)


def _label_key(text) -> str:
    return " ".join(str(text).replace("\ufeff", "").split()).casefold()


COLUMNS_BY_LABEL_KEY = {_label_key(column.label): column for column in COLUMNS}


def _header_columns(cells, plan: Plan, position, where) -> list[Column] | None:
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
    for reason in reasons:
        plan.problem(position, where, reason + ".")
    return None if reasons else columns


def _read_row(columns: list[Column], cells, plan: Plan, position, where) -> None:
    cells = list(cells)
    if len(cells) > len(columns) and not _all_blank(cells[len(columns) :]):
        plan.problem(
            position, where, f"{len(cells)} values, but the header has {len(columns)} columns."
        )
        return
    # A spreadsheet leaves out the empty cells at the end of a row: they are empty.
    cells.extend([None] * (len(columns) - len(cells)))
    values: dict[str, object] = {}
    for column, raw in zip(columns, cells, strict=False):
        try:
            values[column.key] = convert(column, raw)
        except ValueError as error:
            plan.problem(position, where, f"{column.label}: {error}")
            values[column.key] = INVALID
    for reason in _row_rules(values):
        plan.problem(position, where, reason)

    serial = values["token_sn"]
    if serial is None or serial is INVALID:
        return
    first = plan.tokens.get(serial)
    if first is not None:
        plan.problem(
            position, where, f"Token S/N {serial} is also on {plan.where(first.position)}."
        )
        return
    for kind in RELATED:
        reason = _note_related(plan, kind, values, position)
        if reason:
            plan.problem(position, where, reason)
    evse_id = values["evse_id"]
    if values["status"] == ACTIVE and evse_id not in (None, INVALID):
        holder = plan.active_evses.get(evse_id)
        if holder is None:
            plan.active_evses[evse_id] = ActiveToken(serial, position)
        else:
            plan.problem(
                position,
                where,
                f"EVSE ID {evse_id} already has Active token {holder.serial} on "
                f"{plan.where(holder.position)}; an EVSE carries at most one Active token.",
            )
    # Kept even for a bad row (never written then), so a later repeat is still reported.
    plan.tokens[serial] = TokenRow(
        position=position,
        serial=serial,
        part_no=plan.shared(values["part_no"]),
        org_id=plan.shared(values["org_id"]),
        evse_id=evse_id,
        sales_order=plan.shared(values["sales_order"]),
        activation_date=values["activation_date"],
        applied_date=values["applied_date"],
        plan_start_date=values["plan_start_date"],
        plan_end_date=values["plan_end_date"],
        status=values["status"],
        renewal_owner=values["renewal_owner"],
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
    if values["status"] == ACTIVE and not given["evse_id"]:
        reasons.append("an Active token must be applied to an EVSE, but EVSE ID is empty.")
    start, end = values["plan_start_date"], values["plan_end_date"]
    if isinstance(start, datetime) and isinstance(end, datetime) and end < start:
        reasons.append(
            f"Plan End Date {timestamp_text(end)} is before Plan Start Date "
            f"{timestamp_text(start)} (Pacific Time); a plan cannot end before it starts."
        )
    return reasons


def _note_related(plan: Plan, kind: str, values: dict, position: Position) -> str | None:
    """Remember the details this row gives for a related object; a conflict is a problem."""
    related = RELATED[kind]
    key = values[related.key]
    if key is None or key is INVALID:
        return None
    details = tuple(values[column] for column in related.details)
    known = plan.related[kind].get(key)
    if known is not None and details == known.details:
        return None  # the usual case: one more row naming the same thing alike
    if INVALID in details:
        return None
    if kind in REQUIRED_DETAIL and values[REQUIRED_DETAIL[kind]] is None:
        return None  # already reported as missing
    if known is None:
        # Details repeat across objects (the Station S/N of a station's EVSEs): shared.
        plan.related[kind][key] = Named(
            tuple(plan.shared(v) if isinstance(v, str) else v for v in details), position
        )
        return None
    differing = [
        LABEL[column]
        for column, given, first in zip(related.details, details, known.details, strict=True)
        if given != first
    ]
    return (
        f"{LABEL[related.key]} {key} has a different {', '.join(differing)} than on "
        f"{plan.where(known.position)}; every row must give the same details for it."
    )


# Checks against the database -------------------------------------------------------------


def chunks(items: Iterable, size: int | None = None) -> Iterator[list]:
    """`items` in lists of `size` (LOOKUP_CHUNK by default; the last list shorter), for
    lookups (`among`) and batches."""
    size = size or LOOKUP_CHUNK
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield chunk


def check_active_evses_against_database(plan: Plan) -> None:
    """An EVSE the file makes Active must not keep an Active token the file leaves alone."""
    for chunk in chunks(list(plan.active_evses)):
        holders = PortToken.objects.filter(
            among("evse__evse_id", chunk), status=ACTIVE
        ).values_list("evse__evse_id", "serial")
        for evse_id, serial in holders:
            if serial in plan.tokens:
                continue  # the file says what becomes of that token
            newcomer = plan.active_evses[evse_id]
            plan.problem(
                newcomer.position,
                plan.where(newcomer.position),
                f"EVSE ID {evse_id} already has Active token {serial} in the database; "
                "an EVSE carries at most one Active token.",
            )


def check_moves_against_database(plan: Plan) -> None:
    """A row may not give an existing token another organization (unless the import
    records its moves as transfers: then this check is not made)."""
    for chunk in chunks(list(plan.tokens)):
        owners = PortToken.objects.filter(among("serial", chunk)).values_list(
            "serial", "organization__org_id"
        )
        for serial, org_id in owners:
            token = plan.tokens[serial]
            if token.org_id in (None, INVALID, org_id):
                continue
            plan.problem(
                token.position,
                plan.where(token.position),
                f"Token S/N {serial} belongs to {org_id}; importing it into {token.org_id} "
                "would move it. Move it with a transfer, or import with --transfer-as "
                "USERNAME to record the move in the transfer history.",
            )
