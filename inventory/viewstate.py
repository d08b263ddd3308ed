"""The table's view state: the URL's query string parsed once into a typed `ViewState`.

`parse_view_state(query_dict)` validates every piece of the query string (filters, match,
columns, sort, page, per_page). What it cannot use it ignores, keeping the rest, and
records a `StateMessage` saying what was wrong and where, so the page can show it next to
that piece and the export applies exactly the same rules to exactly the same state.

This module also owns the filter operators, the page sizes, the filter limit, and the
turning of the page's plain filter-builder form into the canonical URL. What the state
asks of the database is `inventory.filtering`'s job.
"""

from dataclasses import dataclass, field
from itertools import zip_longest
from urllib.parse import urlencode

from inventory import temporal
from inventory.columns import COLUMNS_BY_KEY, DEFAULT_COLUMN_KEYS, Column


@dataclass(frozen=True)
class Operator:
    """One filter operator: the words a chip reads it with, and whether it needs a date
    column."""

    phrase: str
    dates_only: bool = False

    @property
    def label(self) -> str:
        """What the filter builder's operator select shows: 'Does Not Contain'."""
        return self.phrase.title()


#: The filter operators, by the key a URL names them with (`filter=key:op:value`).
OPERATORS: dict[str, Operator] = {
    "contains": Operator("contains"),
    "not_contains": Operator("does not contain"),
    "is": Operator("is"),
    "before": Operator("before", dates_only=True),
    "after": Operator("after", dates_only=True),
}
TEMPORAL_OPERATORS = tuple(key for key, operator in OPERATORS.items() if operator.dates_only)
PER_PAGE_CHOICES = (25, 50, 100, 250)
DEFAULT_PER_PAGE = 50
MAX_VALUE_LENGTH = 200
MAX_FILTERS = 20


@dataclass(frozen=True)
class StateMessage:
    """Something in the URL that was ignored. `piece` says where: 'filter-2', 'sort'..."""

    piece: str
    text: str


@dataclass(frozen=True)
class Filter:
    column: Column
    op: str
    value: str

    @property
    def raw(self) -> str:
        return f"{self.column.key}:{self.op}:{self.value}"

    def describe(self) -> str:
        """Readable text for a chip: 'Org Name contains acme'."""
        if self.op == "is" and self.value == "":
            return f"{self.column.label} is empty"
        return f"{self.column.label} {OPERATORS[self.op].phrase} {self.value}"


@dataclass(frozen=True)
class FilterRow:
    """One `filter=` parameter as given, with the parsed filter or the problem with it."""

    index: int  # 1-based position among the filter parameters
    raw: str
    key: str
    op: str
    value: str
    filter: Filter | None
    error: str | None


@dataclass
class ViewState:
    filter_rows: list[FilterRow] = field(default_factory=list)
    match: str = "all"
    columns: list[Column] = field(default_factory=list)
    columns_given: bool = False
    sort_column: Column = field(default_factory=lambda: COLUMNS_BY_KEY["token_sn"])
    sort_descending: bool = False
    sort_given: bool = False
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    messages: list[StateMessage] = field(default_factory=list)

    @property
    def filters(self) -> list[Filter]:
        return [row.filter for row in self.filter_rows if row.filter is not None]

    @property
    def sort_param(self) -> str:
        return ("-" if self.sort_descending else "") + self.sort_column.key

    def messages_for(self, piece: str) -> list[str]:
        return [message.text for message in self.messages if message.piece == piece]

    def query_items(self, **overrides) -> list[tuple[str, str]]:
        """The state as query-string pairs in the SPEC format (valid pieces only).

        Overrides replace one piece: filters=[...Filter], match=, columns=[...Column],
        sort='-key', page=, per_page=. A value of None drops that piece.
        """
        filters = overrides.get("filters", self.filters)
        match = overrides.get("match", self.match)
        columns = overrides.get("columns", self.columns if self.columns_given else None)
        sort = overrides.get("sort", self.sort_param if self.sort_given else None)
        page = overrides.get("page", self.page if self.page != 1 else None)
        per_page = overrides.get(
            "per_page", self.per_page if self.per_page != DEFAULT_PER_PAGE else None
        )
        items: list[tuple[str, str]] = [("filter", f.raw) for f in filters or []]
        if match and match != "all":
            items.append(("match", match))
        if columns:
            items.append(("columns", ",".join(column.key for column in columns)))
        if sort:
            items.append(("sort", sort))
        if per_page:
            items.append(("per_page", str(per_page)))
        if page and page != 1:
            items.append(("page", str(page)))
        return items

    def query_string(self, **overrides) -> str:
        return urlencode(self.query_items(**overrides))


def _clean(text: str) -> str:
    return text.replace("\x00", "")


def parse_filter(index: int, raw: str) -> FilterRow:
    """One `key:op:value`; split on the first two colons only."""
    parts = raw.split(":", 2)
    key = parts[0].strip() if parts else ""
    op = parts[1].strip() if len(parts) > 1 else ""
    value = parts[2] if len(parts) > 2 else ""

    def row(error: str | None, parsed: Filter | None = None) -> FilterRow:
        return FilterRow(index, raw, key, op, value, parsed, error)

    if "\x00" in raw:
        return row("contains a NUL character")
    if len(parts) < 3:
        return row("is not in the form field:operator:value")
    column = COLUMNS_BY_KEY.get(key)
    if column is None:
        return row(f"unknown column {key!r}")
    if op not in OPERATORS:
        return row(f"unknown operator {op!r}")
    if op in TEMPORAL_OPERATORS and not column.is_temporal:
        return row(f"{column.label} is not a date column; {op!r} needs a date column")
    value = value.strip()
    if len(value) > MAX_VALUE_LENGTH:
        return row(f"value is longer than {MAX_VALUE_LENGTH} characters")
    if value == "" and op != "is":
        return row(f"{OPERATORS[op].phrase} needs a value")
    if op in TEMPORAL_OPERATORS:
        day = temporal.parse_day(value)
        if day is None:
            return row(f"{value!r} is not a date (use YYYY-MM-DD, years 0001 to 9999)")
        problem = temporal.edge_problem(op, day)
        if problem:
            return row(problem)
    return row(None, Filter(column, op, value))


def parse_view_state(query_dict, saved_column_keys: list[str] | None = None) -> ViewState:
    """Validate the URL's view state. Never raises; bad pieces become messages.

    `saved_column_keys` is the user's remembered column choice, used when the URL has no
    `columns=`.
    """
    state = ViewState()

    raw_filters = [f for f in query_dict.getlist("filter") if f.strip() != ""]
    for index, raw in enumerate(raw_filters[:MAX_FILTERS], start=1):
        row = parse_filter(index, raw)
        state.filter_rows.append(row)
        if row.error:
            state.messages.append(
                StateMessage(f"filter-{index}", f"Filter {index} ignored: {row.error}.")
            )
    if len(raw_filters) > MAX_FILTERS:
        state.messages.append(
            StateMessage(
                "filters", f"Only the first {MAX_FILTERS} filters are used; the rest ignored."
            )
        )

    match = _clean(query_dict.get("match", "all") or "all").strip().lower()
    if match in ("all", "any"):
        state.match = match
    else:
        state.messages.append(
            StateMessage("match", f"Match {match[:40]!r} ignored: use all or any.")
        )

    state.columns = _parse_columns(query_dict, saved_column_keys, state)
    _parse_sort(query_dict, state)
    state.per_page = _parse_choice_int(
        query_dict, "per_page", state, default=DEFAULT_PER_PAGE, choices=PER_PAGE_CHOICES
    )
    state.page = _parse_choice_int(query_dict, "page", state, default=1)
    return state


def _parse_columns(query_dict, saved_column_keys, state: ViewState) -> list[Column]:
    raw = query_dict.get("columns")
    if raw is None or raw.strip() == "":
        keys = saved_column_keys or list(DEFAULT_COLUMN_KEYS)
        return [COLUMNS_BY_KEY[k] for k in keys if k in COLUMNS_BY_KEY] or [
            COLUMNS_BY_KEY[k] for k in DEFAULT_COLUMN_KEYS
        ]
    columns: list[Column] = []
    unknown: list[str] = []
    for key in _clean(raw).split(","):
        key = key.strip()
        if not key:
            continue
        column = COLUMNS_BY_KEY.get(key)
        if column is None:
            unknown.append(key[:40])
        elif column not in columns:
            columns.append(column)
    if unknown:
        state.messages.append(
            StateMessage("columns", f"Unknown columns ignored: {', '.join(unknown)}.")
        )
    if not columns:
        state.messages.append(StateMessage("columns", "No known column given; showing defaults."))
        return [COLUMNS_BY_KEY[k] for k in DEFAULT_COLUMN_KEYS]
    state.columns_given = True
    return columns


def _parse_sort(query_dict, state: ViewState) -> None:
    raw = _clean(query_dict.get("sort", "") or "").strip()
    if not raw:
        return
    descending = raw.startswith("-")
    column = COLUMNS_BY_KEY.get(raw.lstrip("-"))
    if column is None:
        state.messages.append(
            StateMessage("sort", f"Sort {raw[:40]!r} ignored: unknown column; sorted by Token S/N.")
        )
        return
    state.sort_column = column
    state.sort_descending = descending
    state.sort_given = True


def _parse_choice_int(query_dict, name, state, *, default, choices=None) -> int:
    raw = _clean(query_dict.get(name, "") or "").strip()
    if not raw:
        return default
    try:
        number = int(raw)
    except ValueError:
        number = None
    if number is None or number < 1 or (choices and number not in choices):
        allowed = f" (use {', '.join(map(str, choices))})" if choices else ""
        state.messages.append(
            StateMessage(
                name, f"{name.replace('_', ' ').capitalize()} {raw[:40]!r} ignored{allowed}."
            )
        )
        return default
    return number


# --- plain HTML forms -> the canonical URL ----------------------------------------------

#: Fields of the page's own forms; they never appear in a canonical URL.
FORM_FIELDS = ("f_key", "f_op", "f_value", "f_remove")


def form_redirect(query_dict) -> str | None:
    """Turn a submitted filter builder into the canonical query string.

    The builder submits its rows as repeated `f_key`/`f_op`/`f_value` fields (so it works
    as a plain form without JavaScript) and `f_remove=<row>` to drop a row. The answer
    keeps every other piece of the URL as given (bad pieces included, so the page can
    still say what is wrong with them) and starts again at page 1. None when the builder
    was not submitted.
    """
    if "f_key" not in query_dict:
        return None
    filters = [("filter", raw) for raw in _builder_filters(query_dict)]
    rest = [
        (key, value)
        for key, value in query_items_except(query_dict, (*FORM_FIELDS, "filter", "page"))
        if not (key == "match" and value == "all")
    ]
    return urlencode(filters + rest)


def query_items_except(query_dict, names) -> list[tuple[str, str]]:
    """Every (name, value) pair of the query as given, bad pieces included, except `names`."""
    return [
        (key, value) for key, values in query_dict.lists() if key not in names for value in values
    ]


def _builder_filters(query_dict) -> list[str]:
    remove = query_dict.get("f_remove", "")
    rows = zip_longest(
        query_dict.getlist("f_key"),
        query_dict.getlist("f_op"),
        query_dict.getlist("f_value"),
        fillvalue="",
    )
    raws = []
    for position, (key, op, value) in enumerate(rows, start=1):
        if str(position) == remove:
            continue
        if key.strip() == "" and value.strip() == "":
            continue  # an unused empty row
        raws.append(f"{key.strip()}:{op.strip() or 'contains'}:{value}")
    return raws
