"""The table's view state: the URL's query string parsed once into a typed `ViewState`.

`parse_view_state(query_dict)` validates every piece of the query string (filters, match,
the quick search `q`, columns, sort, page, per_page). What it cannot use it ignores,
keeping the rest, and records a `StateMessage` saying what was wrong and where, so the
page can show it next to that piece and the export applies exactly the same rules to
exactly the same state.

This module also owns the filter operators (what value each takes and how a chip reads
it) and the limits (page sizes, filters, value lengths, list items); the quick search's
words are `inventory.quick_search`'s. What the state asks of the database is
`inventory.filtering`'s job; the filter builder's plain form becomes a canonical URL in
`inventory.filter_form`.
"""

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from inventory import temporal
from inventory.columns import COLUMNS_BY_KEY, DEFAULT_COLUMN_KEYS, Column
from inventory.dbfunctions import fold_text
from inventory.quick_search import read_search, search_text


@dataclass(frozen=True)
class Operator:
    """One filter operator: the words a chip reads it with, whether it needs a date
    column, and what value it takes (none, one, or a `|`-separated list)."""

    phrase: str
    dates_only: bool = False
    takes_value: bool = True
    takes_list: bool = False

    @property
    def label(self) -> str:
        """What the filter builder's operator select shows: 'Does Not Contain'."""
        return self.phrase.title()


#: The filter operators, by the key a URL names them with (`filter=key:op:value`), in the
#: order the filter builder offers them.
OPERATORS: dict[str, Operator] = {
    "contains": Operator("contains"),
    "not_contains": Operator("does not contain"),
    "is": Operator("is"),
    "in": Operator("is any of", takes_list=True),
    "empty": Operator("is empty", takes_value=False),
    "not_empty": Operator("is not empty", takes_value=False),
    "before": Operator("before", dates_only=True),
    "after": Operator("after", dates_only=True),
    "between": Operator("between", dates_only=True),
}
TEMPORAL_OPERATORS = tuple(key for key, operator in OPERATORS.items() if operator.dates_only)
PER_PAGE_CHOICES = (25, 50, 100, 250)
DEFAULT_PER_PAGE = 50
#: The longest value of a filter, and of each item of an `in` list.
MAX_VALUE_LENGTH = 200
MAX_FILTERS = 20
#: The most items of an `in` list: a column of serials pasted from a spreadsheet.
MAX_LIST_ITEMS = 10_000
LIST_SEPARATOR = "|"
#: The parameter that names the open saved view (`inventory.saved_views` owns the views).
VIEW_PARAMETER = "view"
#: The query of the plain table with no saved view open: what a link writes for a state
#: with nothing in it, since a visit without any query opens the user's default view.
NO_VIEW_QUERY = f"{VIEW_PARAMETER}="
#: Items of an `in` list that a chip names before saying how many more there are, and
#: that its tooltip names.
CHIP_ITEMS = 5
CHIP_TITLE_ITEMS = 100


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

    @property
    def items(self) -> list[str]:
        """The items of an `in` filter's list (stripped, none blank, no repeats)."""
        return self.value.split(LIST_SEPARATOR)

    @property
    def days(self) -> tuple[date, date]:
        """The first and last day of a `between` filter."""
        first, last = self.value.split(temporal.RANGE_SEPARATOR)
        return temporal.parse_day(first), temporal.parse_day(last)

    def describe(self, named_items: int = CHIP_ITEMS) -> str:
        """Readable text for a chip: 'Org Name contains acme', 'Status is any of New,
        Available', 'Ship Date is empty', 'Order Date between 2026-01-01 and 2026-03-31'.
        An `in` list names its first `named_items` items and counts the rest."""
        label = self.column.label
        if self.op == "is" and self.value == "":
            return f"{label} is empty"
        if self.op == "in":
            items = self.items
            named = ", ".join(items[:named_items])
            more = len(items) - named_items
            return f"{label} is any of {named}" + (f" and {more:,} more" if more > 0 else "")
        if self.op == "between":
            first, last = self.value.split(temporal.RANGE_SEPARATOR)
            return f"{label} between {first} and {last}"
        if not OPERATORS[self.op].takes_value:
            return f"{label} {OPERATORS[self.op].phrase}"
        return f"{label} {OPERATORS[self.op].phrase} {self.value}"


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
    #: The quick search as used (its words, quoted where they hold spaces), and its words.
    q: str = ""
    search_words: list[str] = field(default_factory=list)
    #: The saved view open on the table (`view=<id>`): which one the Views menu marks.
    #: It shapes nothing; the links of the table keep it so the view stays marked.
    view: int | None = None
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

        Overrides replace one piece: filters=[...Filter], match=, q=, columns=[...Column],
        sort='-key', page=, per_page=, view=. A value of None drops that piece.
        """
        filters = overrides.get("filters", self.filters)
        match = overrides.get("match", self.match)
        q = overrides.get("q", self.q)
        columns = overrides.get("columns", self.columns if self.columns_given else None)
        sort = overrides.get("sort", self.sort_param if self.sort_given else None)
        page = overrides.get("page", self.page if self.page != 1 else None)
        per_page = overrides.get(
            "per_page", self.per_page if self.per_page != DEFAULT_PER_PAGE else None
        )
        view = overrides.get("view", self.view)
        items: list[tuple[str, str]] = [("filter", f.raw) for f in filters or []]
        if match and match != "all":
            items.append(("match", match))
        if q:
            items.append(("q", q))
        if columns:
            items.append(("columns", ",".join(column.key for column in columns)))
        if sort:
            items.append(("sort", sort))
        if per_page:
            items.append(("per_page", str(per_page)))
        if page and page != 1:
            items.append(("page", str(page)))
        if view:
            items.append((VIEW_PARAMETER, str(view)))
        return items

    def query_string(self, **overrides) -> str:
        return urlencode(self.query_items(**overrides))

    def link(self, **overrides) -> str:
        """A link of the table to this state with `overrides` (as `query_items`).

        A state with nothing in it is written `?view=` (no saved view open), never as a
        bare `?`: a visit without any query string opens the user's default view (SPEC
        "Saved views"), and a link that clears the last filter must show the plain table.
        """
        return "?" + (self.query_string(**overrides) or NO_VIEW_QUERY)


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
    operator = OPERATORS.get(op)
    if operator is None:
        return row(f"unknown operator {op!r}")
    if operator.dates_only and not column.is_temporal:
        return row(f"{column.label} is not a date column; {op!r} needs a date column")
    checked, problem = _checked_value(column, op, value)
    return row(problem) if problem else row(None, Filter(column, op, checked))


def _checked_value(column: Column, op: str, value: str) -> tuple[str, str | None]:
    """The filter's value as a URL writes it (stripped; `in` items and `between` days in
    their canonical form), or the problem with it."""
    operator = OPERATORS[op]
    if not operator.takes_value:
        return "", None
    if operator.takes_list:
        return _list_items(column, value)
    value = value.strip()
    if len(value) > MAX_VALUE_LENGTH:
        return value, f"value is longer than {MAX_VALUE_LENGTH} characters"
    if op == "between":
        return temporal.day_range(value)
    if value == "" and op != "is":
        return value, _needs_value(op)
    if operator.dates_only:
        day = temporal.parse_day(value)
        if day is None:
            return value, temporal.not_a_day(value)
        return value, temporal.edge_problem(op, day)
    return value, None


#: What a blank value should have been, where another operator is what was meant.
_BLANK_VALUE_HINTS = {
    "contains": "; to find empty fields use Is Empty",
    "not_contains": "; to find fields that are not empty use Is Not Empty",
}


def _needs_value(op: str) -> str:
    what = "a day (YYYY-MM-DD)" if OPERATORS[op].dates_only else "a value"
    return f"{OPERATORS[op].label} needs {what}{_BLANK_VALUE_HINTS.get(op, '')}"


def _list_items(column: Column, value: str) -> tuple[str, str | None]:
    """An `in` list with its items stripped, blank ones and repeats (ignoring case)
    dropped; or the problem with the list."""
    label = OPERATORS["in"].label
    if len(value) > MAX_LIST_ITEMS * (MAX_VALUE_LENGTH + 1):
        return value, f"{label} takes at most {MAX_LIST_ITEMS:,} values"
    items: dict[str, str] = {}
    for item in value.split(LIST_SEPARATOR):
        item = item.strip()
        if item:
            items.setdefault(fold_text(item), item)
    listed = list(items.values())
    if not listed:
        return value, (
            f"{label} needs at least one value (separated by {LIST_SEPARATOR})"
            + _BLANK_VALUE_HINTS["contains"]
        )
    if len(listed) > MAX_LIST_ITEMS:
        return value, f"{label} takes at most {MAX_LIST_ITEMS:,} values; {len(listed):,} given"
    too_long = next((item for item in listed if len(item) > MAX_VALUE_LENGTH), None)
    if too_long is not None:
        return value, f"the value {too_long[:40]!r}… is longer than {MAX_VALUE_LENGTH} characters"
    if column.is_temporal:
        not_a_day = next((item for item in listed if temporal.parse_day(item) is None), None)
        if not_a_day is not None:
            return value, temporal.not_a_day(not_a_day)
    return LIST_SEPARATOR.join(listed), None


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

    words, problem = read_search(query_dict.get("q", "") or "")
    if problem:
        state.messages.append(StateMessage("q", problem))
    state.search_words, state.q = words, search_text(words)
    state.columns = _parse_columns(query_dict, saved_column_keys, state)
    _parse_sort(query_dict, state)
    state.per_page = _parse_choice_int(
        query_dict, "per_page", state, default=DEFAULT_PER_PAGE, choices=PER_PAGE_CHOICES
    )
    state.page = _parse_choice_int(query_dict, "page", state, default=1)
    state.view = _parse_view(query_dict)
    return state


def _parse_view(query_dict) -> int | None:
    """The open saved view's id; anything else (empty, not a number) opens none. Whether
    the user may use that view is `inventory.saved_views`' question."""
    raw = (query_dict.get(VIEW_PARAMETER) or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31 else None


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


def query_items_except(query_dict, names) -> list[tuple[str, str]]:
    """Every (name, value) pair of the query as given, bad pieces included, except `names`."""
    return [
        (key, value) for key, values in query_dict.lists() if key not in names for value in values
    ]
