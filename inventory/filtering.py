"""The view state turned into a query: what `inventory.viewstate` parsed, asked of the
database.

`filter_tokens` applies the state's filters (compared with the shown text, case-folded;
`inventory.temporal` answers date questions without it) and its quick search
(`search_condition`), `ordering` is the table's ORDER BY, and
`status_counts`/`matching_count` give the status summary and the total in one grouped
query (adding up the kept `TokenCount` rows where the filters allow, counting the
matching tokens otherwise). `with_status`/`is_status_filter` say how a status summary
link changes the filters; `value_counts` gives the values of a column with few of them,
for the filter builder's "is any of" checkboxes.
"""

import json
from dataclasses import dataclass, replace

from django.db.models import BooleanField, Count, F, Func, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Lower, NullIf, Substr
from django.db.models.lookups import Exact

from inventory import temporal
from inventory.columns import COLUMNS, COLUMNS_BY_KEY, Column, Kind
from inventory.dbfunctions import Fold, fold_text
from inventory.models import PortToken
from inventory.viewstate import Filter, ViewState

#: What the quick search looks in: every column but the dates, the timestamps and Term.
SEARCH_COLUMNS = tuple(column for column in COLUMNS if column.kind is Kind.TEXT)
#: Columns whose values are unique keys: an "is any of" list of values without letters
#: (numeric serials) compares them as stored, which their unique index answers.
KEY_COLUMN_KEYS = frozenset(
    ("token_sn", "part_no", "org_id", "evse_id", "station_sn", "sales_order", "customer_id")
)


def _is_empty(column: Column) -> Q:
    if column.kind is Kind.TEXT:
        return Q(**{f"{column.path}__isnull": True}) | Q(**{column.path: ""})
    return Q(**{f"{column.path}__isnull": True})


def _folded(column: Column, value: str):
    """The column's shown text, case-folded for comparing with `value`.

    `Fold` folds non-ASCII letters too, which SQLite's LOWER does not, but on SQLite it
    is a Python function called once per row. A value that is all ASCII can only match
    ASCII letters (bar oddities like the Kelvin sign), so the native LOWER is enough
    there and several times faster. PostgreSQL runs LOWER either way. A date's or a
    timestamp's shown text has no letters to fold.
    """
    expression = column.display_expression()
    if column.is_temporal:
        return expression
    return Lower(expression) if value.isascii() else Fold(expression)


def _contains(column: Column, value: str) -> Q:
    if column.is_temporal:
        answered = temporal.condition(column, "contains", value)
        if answered is not None:
            return answered
    if column.kind is Kind.TEXT:
        return _text_contains(PortToken, [column.path], value)
    return Q(ContainsText(_folded(column, value), fold_text(value)))


def _text_contains(model, paths: list[str], value: str, *, arrays: bool = False) -> Q:
    """Rows of `model` where at least one of the text fields at `paths` contains `value`,
    case-folded (SQL NULL, so no match, where a field is empty).

    A field of a related table is asked of that table first, one subquery per related
    table for all its fields, which its trigram indexes answer: the quick search so finds
    the few EVSEs, orders or parts that match once, instead of joining six tables and
    folding fifteen texts of every token. A token with no related row (no EVSE, no
    order) matches none of that table's fields, as through the join.

    How a row is tested against the related rows found: with `arrays`, `fk = ANY(ARRAY(
    subquery))` at every level, an index condition, so that PostgreSQL combines the index
    scans of every field (a BitmapOr) and reads only the matching rows: right for
    counting the matches among most tokens (a superuser's quick search). But PostgreSQL
    cannot know an array's length before it runs, guesses a few rows, and plans the
    query around it for those (walking an index where they are thousands, or testing
    each of a reader's tokens against the array from its start). Otherwise
    `fk IN (subquery)`: the related rows hashed once, each row probed, with an estimate
    of their number that keeps the plans right.
    """
    local: list[str] = []
    related: dict[str, list[str]] = {}
    for path in paths:
        hop, _, rest = path.partition("__")
        if rest:
            related.setdefault(hop, []).append(rest)
        else:
            local.append(path)
    folded = fold_text(value)
    condition = Q()
    for field in local:
        if model is PortToken and field == "status":
            # A closed set: the statuses that contain the value, compared exactly.
            condition |= _statuses([s for s in PortToken.Status.values if folded in fold_text(s)])
            continue
        text = Lower(F(field)) if value.isascii() else Fold(F(field))
        condition |= Q(ContainsText(text, folded))
    for hop, rest in related.items():
        relation = model._meta.get_field(hop)
        target = relation.related_model
        if arrays:
            rows = target.objects.filter(_text_contains(target, rest, value, arrays=True))
            condition |= Q(AnyOfArray(F(relation.attname), rows.values("pk")))
        else:
            condition |= Q(AnyOfRows(F(relation.attname), _matching_rows(target, rest, value)))
    return condition


def _matching_rows(model, paths: list[str], value: str) -> QuerySet:
    """The primary keys of the rows of `model` whose text at one of `paths` contains
    `value`: its own fields in one query, each related table's in another, as a UNION.
    (An OR of a text test and a subquery would make PostgreSQL guess half the table, too
    many rows to hash, and test each token against the rows one by one; the UNION's
    estimate is the sum of its parts', which keeps the plans of the query around it
    right.)"""
    own = [path for path in paths if "__" not in path]
    queries = [model.objects.filter(_text_contains(model, own, value))] if own else []
    by_hop: dict[str, list[str]] = {}
    for path in paths:
        if "__" in path:
            hop = path.split("__", 1)[0]
            by_hop.setdefault(hop, []).append(path)
    for hop_paths in by_hop.values():
        queries.append(model.objects.filter(_text_contains(model, hop_paths, value)))
    first, *others = [query.order_by().values("pk") for query in queries]
    return first.union(*others) if others else first


class AnyOfRows(Func):
    """True when `expression` is one of the values the query `rows` gives: `IN (subquery)`,
    which PostgreSQL hashes once and probes per row (or turns into a semi-join)."""

    output_field = BooleanField()

    def __init__(self, expression, rows: QuerySet):
        super().__init__(expression, Subquery(rows.order_by()))

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        rows_sql, rows_params = compiler.compile(self.source_expressions[1])
        return f"({sql} IN {rows_sql})", (*params, *rows_params)


class AnyOfArray(AnyOfRows):
    """`IN (subquery)` written as `= ANY(ARRAY(subquery))` on PostgreSQL: the subquery runs
    once, before the scan, and the condition is one an index on `expression` answers, so
    an OR of such conditions is a BitmapOr of index scans (see `_text_contains`)."""

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        rows_sql, rows_params = compiler.compile(self.source_expressions[1])
        return f"({sql} = ANY(ARRAY{rows_sql}))", (*params, *rows_params)


class ContainsText(Func):
    """True when the text `expression` contains `value` (SQL NULL for an empty field).

    PostgreSQL compares with `LIKE '%value%'` (the value's own `%`, `_` and `\\` escaped),
    which a trigram index on exactly `expression` answers (migration 0006 indexes
    `lower(column)` of the searched columns); SQLite with `instr`."""

    output_field = BooleanField()

    def __init__(self, expression, value: str):
        super().__init__(expression)
        self.value = value

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(INSTR({sql}, %s) > 0)", (*params, self.value)

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        pattern = "%" + connection.ops.prep_for_like_query(self.value) + "%"
        return f"({sql} LIKE %s)", (*params, pattern)


class InList(Func):
    """True when `expression` equals one of `items`, given as ONE query parameter (an
    array on PostgreSQL, a JSON list on SQLite), so a list of 10,000 serials never meets
    the databases' limits on the number of parameters. `db_type` is the items' SQL type."""

    output_field = BooleanField()

    def __init__(self, expression, items: list[str], db_type: str = "text"):
        super().__init__(expression)
        self.items = list(items)
        self.db_type = db_type

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} = ANY(%s::{self.db_type}[]))", (*params, self.items)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} IN (SELECT value FROM json_each(%s)))", (*params, json.dumps(self.items))


def among(field: str, keys: list, db_type: str = "text") -> Q:
    """Rows whose `field` is one of `keys` (serials, primary keys, ...): the keys sent as
    ONE parameter (`InList`), which the field's index answers as it does `__in`. `__in`
    sends a parameter per key, and the driver parses a statement of thousands of
    placeholders anew each time (too long for its cache): about 10 ms of CPU per 2,000
    keys, a second or two of a 100,000-row import."""
    return Q(InList(F(field), keys, db_type))


def _statuses(values: list[str]) -> Q:
    """Tokens whose status is one of `values` (compared case-folded). Statuses are a
    closed set: compared exactly, so the status index is used."""
    wanted = {fold_text(value) for value in values}
    chosen = [status for status in PortToken.Status.values if fold_text(status) in wanted]
    return Q(status__in=chosen) if chosen else temporal.NOTHING


def _any_of(column: Column, items: list[str]) -> Q:
    """`in`: the field equals one of `items` under the rules of `is` (viewstate has made
    each item a day on date and timestamp columns: a whole Pacific day)."""
    if column.key == "status":
        return _statuses(items)
    if column.kind is Kind.DATE:
        return Q(InList(F(column.path), items, "date"))
    if column.kind is Kind.TIMESTAMP:
        days = [temporal.parse_day(item) for item in items]
        answered = temporal.any_day(column, days)
        if answered is not None:
            return answered
        day_text = Substr(column.display_expression(), 1, 10)
        return Q(InList(day_text, sorted(day.isoformat() for day in days)))
    if column.key in KEY_COLUMN_KEYS and all(_caseless(item) for item in items):
        return Q(InList(F(column.path), items))
    # Case-folded text has no index: one pass over the user's tokens, each compared with
    # the list by a hash lookup (PostgreSQL hashes `= ANY` of a constant array; SQLite
    # builds an index for `IN (SELECT ...)`), however long the list.
    folded = _folded(column, "".join(items))
    return Q(InList(folded, [fold_text(item) for item in items]))


def _caseless(text: str) -> bool:
    """True when folding cannot change `text` nor make another text equal to it."""
    return text == text.lower() == text.upper()


def filter_condition(f: Filter) -> Q:
    """The Q for one valid filter. Comparisons are with the shown text, case-folded;
    on date and timestamp columns `inventory.temporal` answers what it can without it."""
    column, op, value = f.column, f.op, f.value
    if op == "contains":
        return _contains(column, value)
    if op == "not_contains":
        return _is_empty(column) | ~_contains(column, value)
    if op == "empty" or (op == "is" and value == ""):
        return _is_empty(column)
    if op == "not_empty":
        return ~_is_empty(column)
    if op == "in":
        return _any_of(column, f.items)
    if op == "between":
        first, last = f.days
        return temporal.days(column, first, temporal.next_day(last))
    if column.is_temporal:
        answered = temporal.condition(column, op, value)
        if answered is not None:
            return answered
    if op == "is":
        if column.key == "status":
            return _statuses([value])
        return Q(Exact(_folded(column, value), Value(fold_text(value))))
    # before and after have a day (viewstate.parse_filter), so temporal.condition answered them
    raise ValueError(f"no query for {f.raw!r}")


def search_condition(words: list[str], *, broad: bool = False) -> Q:
    """The quick search: every word contained, case-insensitively (as `contains`
    compares), in at least one of the SEARCH_COLUMNS. `broad` when the search reads many
    tokens, as a reader of most of them does: each token field then becomes an index
    condition (see `_text_contains`)."""
    paths = [column.path for column in SEARCH_COLUMNS]
    condition = Q()
    for word in words:
        condition &= _text_contains(PortToken, paths, word, arrays=broad)
    return condition


def filter_tokens(
    queryset: QuerySet[PortToken], state: ViewState, *, broad_search: bool = False
) -> QuerySet[PortToken]:
    """Apply the state's valid filters, combined by its match mode, and its quick search,
    which narrows them whatever the match mode (`broad_search`: see `search_condition`)."""
    conditions = [filter_condition(f) for f in state.filters]
    combined = Q()
    if conditions:
        combined = conditions[0]
        for condition in conditions[1:]:
            combined = (combined | condition) if state.match == "any" else (combined & condition)
    if state.search_words:
        combined &= search_condition(state.search_words, broad=broad_search)
    return queryset.filter(combined) if combined else queryset


def ordering(state: ViewState) -> list:
    """ORDER BY for the state: the sort column with empty values last in both directions,
    then Token S/N so that equal values have a stable order and pages never overlap."""
    return [key.order_by() for key in sort_keys(state)]


@dataclass(frozen=True)
class SortKey:
    """One key of the table's order: an expression, its direction, and whether empty
    values go last (Token S/N is never empty: a plain ASC or DESC, which its unique index
    serves read either way)."""

    expression: object
    descending: bool
    nulls_last: bool

    def order_by(self):
        if not self.nulls_last:
            return self.expression.desc() if self.descending else self.expression.asc()
        if self.descending:
            return self.expression.desc(nulls_last=True)
        return self.expression.asc(nulls_last=True)


def sort_keys(state: ViewState) -> list[SortKey]:
    """The keys of `ordering(state)`."""
    column = state.sort_column
    if column.key == "token_sn":
        return [SortKey(F("serial"), state.sort_descending, nulls_last=False)]
    expression = NullIf(F(column.path), Value("")) if column.kind is Kind.TEXT else F(column.path)
    return [
        SortKey(expression, state.sort_descending, nulls_last=True),
        SortKey(F("serial"), False, nulls_last=False),
    ]


def is_status_filter(f: Filter) -> bool:
    return f.column.key == "status" and f.op == "is"


def with_status(state: ViewState, status: str | None) -> list[Filter]:
    """The state's filters with every `status:is:` filter replaced by one for `status`
    (or just removed when `status` is None): what a status summary link asks for."""
    kept = [f for f in state.filters if not is_status_filter(f)]
    if status is None:
        return kept
    return [*kept, Filter(COLUMNS_BY_KEY["status"], "is", status)]


def status_counts(queryset: QuerySet[PortToken], state: ViewState) -> dict[str, int]:
    """Matching tokens per status, in ONE grouped query, for the status summary: those
    of `facet_state(state)`, from the kept counts where they hold the answer."""
    state = facet_state(state)
    kept = getattr(queryset, "counts", None)
    if kept is not None and answered_by_kept_counts(state):
        grouped = (
            filter_tokens(kept, state).order_by().values_list("status").annotate(n=Sum("tokens"))
        )
    else:
        queryset = filter_tokens(queryset, state)
        grouped = queryset.order_by().values_list("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(PortToken.Status.values, 0)
    counts.update(dict(grouped))
    return counts


def facet_state(state: ViewState) -> ViewState:
    """The state whose matching tokens the status summary counts per status.

    With match=all the state's own `status:is:` filters are left out, so each number is
    what clicking that status shows (the usual facet count) and the other statuses do
    not drop to zero once one is chosen. With match=any a status filter widens rather
    than narrows, so there the counts are simply those of the matching tokens.
    """
    if state.match != "all":
        return state
    rows = [row for row in state.filter_rows if row.filter and not is_status_filter(row.filter)]
    return replace(state, filter_rows=rows)


#: The token fields that `TokenCount` rows hold too, by the same names: a filter on
#: the organization's, the part's or the status's columns means the same on either.
_KEPT_COUNT_PATHS = ("organization__", "part__")


def answered_by_kept_counts(state: ViewState) -> bool:
    """Whether the kept counts (`TokenCount`, per organization, part and status) hold the
    answer: no quick search, and every filter on a column of the organization, of the
    part, or the status. Then adding up a few thousand kept counts gives exactly what
    counting the matching tokens would, without reading them."""
    return not state.search_words and all(
        f.column.key == "status" or f.column.path.startswith(_KEPT_COUNT_PATHS)
        for f in state.filters
    )


def matching_count(counts: dict[str, int], state: ViewState) -> int:
    """The number of matching tokens, from `status_counts(queryset, state)`.

    Every token has exactly one status, so the total is a sum of those counts: with
    match=any they are the matching tokens' own; with match=all they leave out the
    `status:is:` filters, so only the statuses that every such filter names count. This
    spares the page a second scan of the filtered join.
    """
    return sum(count for status, count in counts.items() if status_in_view(state, status))


def status_in_view(state: ViewState, status: str) -> bool:
    """Whether the tokens of `status` among those of `facet_state(state)` match `state`:
    all of them, or none (a status filter tests only the status)."""
    chosen = [f.value.lower() for f in state.filters if is_status_filter(f)]
    return state.match == "any" or all(value == status.lower() for value in chosen)


def value_counts(queryset: QuerySet[PortToken], column: Column, *, limit: int) -> list:
    """(shown value, tokens) for the distinct non-empty values of `column` among
    `queryset`, ordered by value, at most `limit` of them: ONE grouped query."""
    grouped = (
        queryset.exclude(_is_empty(column))
        .order_by()
        .values_list(column.path)
        .annotate(n=Count("pk"))
        .order_by(column.path)[:limit]
    )
    return [(column.format(value), count) for value, count in grouped]
