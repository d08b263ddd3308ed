"""The Port Tokens table: django-tables2 columns built from the column registry, and the
page of rows they show.

Sorting and paging happen in the database, never in the table: the table is given the
rows of one page, already in order, and only renders them. Its headers link to the URL
that sorts by that column (`sort=`), so django-tables2's own ordering stays off.

A page is fetched with a deferred join: first the ids of the page (filtered, ordered,
sliced: the database can do this from the token table and the sort column alone), then
the shown columns of just those ids through the full join. A deep page so never drags
the whole join through OFFSET; a page past the middle is counted from the end.
"""

import html
from functools import cache
from urllib.parse import quote

import django_tables2 as tables
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import CharField, Q, QuerySet, TextField, Value
from django.urls import NoReverseMatch, get_script_prefix, resolve, reverse
from django.urls.resolvers import RFC3986_SUBDELIMS
from django.utils.html import escape, format_html
from django.utils.safestring import SafeData, mark_safe

from inventory.columns import Column, Kind
from inventory.eligibility import Obstacle, obstacles, with_obstacles
from inventory.filtering import SortKey, ordering, sort_keys
from inventory.models import PortToken
from inventory.viewstate import StateMessage, ViewState

EMPTY_CELL = mark_safe('<span class="empty-value">—</span>')

# Fetched for every row whatever columns are visible: the row checkbox's words need them
# (whether it is enabled comes with the row from `with_obstacles`).
_SELECTION_PATHS = ("serial", "status", "organization__name")


def transfer_block_reason(token: dict) -> str | None:
    """Why the user may not pick this row's token for a transfer, or None when they may:
    the first obstacle of the eligibility rule (`with_obstacles` row), in a few words."""
    found = obstacles(token)
    if not found:
        return None
    if found[0] is Obstacle.STATUS:
        return f"{token['status']} tokens cannot be transferred"
    if found[0] is Obstacle.APPLIED:
        return "Applied to an EVSE"
    return f"You are not a manager of {token['organization__name']}"


class TokenPaginator(Paginator):
    """Django's Paginator over the ids of the matching tokens, in the table's order.

    Its pages hold the shown rows of just their ids (the deferred join above). Its count
    may be given: the page knows it already from the status counts, and need not scan
    the filtered join again to learn it.

    With `sort_matches` (few tokens match), the page's ids are found by reading the
    matches and sorting them, not by PostgreSQL's usual plan for a page: walking the
    sort's index until a page of matches turns up, which it prices on its guess of how
    many rows match. For a filter through related tables it guesses about half, and for
    a rare word then walks most of the table (0.5 s for two words at a million tokens).

    With `every_token` (the page lists every token: a superuser's, unfiltered), a sort
    on a column of a row a token may lack is read as two ordered parts (`_merged_ids`)
    instead of sorting every token. Only then: PostgreSQL walks the other table's index
    and takes each row's tokens, which yields a page at once when every token it meets
    is listed, but with a filter or a reader's few organizations it may walk most of the
    table before it meets a page of them (2 s for New tokens by Station Name, most New
    tokens being on no EVSE), where a full sort takes 0.5 s.
    """

    def __init__(
        self,
        matching: QuerySet[PortToken],
        state: ViewState,
        user,
        *,
        count=None,
        sort_matches=False,
        every_token=False,
    ):
        super().__init__(
            matching.order_by(*ordering(state)).values_list("pk", flat=True), state.per_page
        )
        self.state = state
        self.user = user
        self.matching = matching
        self.sort_matches = sort_matches
        self.every_token = every_token
        if count is not None:
            # `count` is a cached_property: a value set on the instance is what it returns.
            self.count = count

    def page(self, number) -> Page:
        """The page's rows. A page nearer the end than the start is read from the end, in
        the reverse order (which the same indexes serve, read backwards), so the last page
        of a million tokens skips a few rows instead of a million."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        reverse = bottom > self.count - top
        if reverse:
            bottom, top = self.count - top, self.count - bottom
        postgresql = connections[self.matching.db].vendor == "postgresql"
        if top <= bottom:
            page_ids = []  # nothing matches: nothing to read
        elif postgresql and self.sort_matches:
            page_ids = _sorted_match_ids(self.matching, self.state, bottom, top, reverse=reverse)
        elif postgresql and self.every_token and _through_optional_row(self.state.sort_column):
            page_ids = _merged_ids(self.matching, self.state, bottom, top, reverse=reverse)
        elif reverse:
            page_ids = list(self.object_list.reverse()[bottom:top])
        else:
            page_ids = list(self.object_list[bottom:top])
        if reverse:
            page_ids.reverse()
        return Page(_rows(page_ids, self.state, self.user), number, self)


def _sorted_match_ids(
    matching: QuerySet[PortToken], state: ViewState, bottom: int, top: int, *, reverse: bool
) -> list[int]:
    """The ids of `matching` from `bottom` to `top` in the table's order (reversed with
    `reverse`), found by reading every match and sorting them: a query of the matches'
    ids and sort keys, MATERIALIZED so that PostgreSQL plans it for all its rows (never
    walking the sort's index in the hope of finding a page soon), then the sort."""
    keys = sort_keys(state)
    names = _key_names(keys)
    found = matching.order_by().annotate(**dict(zip(names, _expressions(keys), strict=True)))
    sql, params = found.values_list("pk", *names).query.sql_with_params()
    return _ids_in_order(
        matching.db,
        f"WITH found (id, {', '.join(names)}) AS MATERIALIZED ({sql}) ",
        "found",
        list(params),
        keys,
        bottom,
        top,
        reverse=reverse,
    )


def _key_names(keys: list[SortKey]) -> list[str]:
    """The names of the sort keys as columns of a query's output."""
    return [f"sort_{i}" for i in range(len(keys))]


def _expressions(keys: list[SortKey]) -> list:
    return [key.expression for key in keys]


def _ids_in_order(
    alias: str,
    prefix: str,
    source: str,
    params: list,
    keys: list[SortKey],
    bottom: int,
    top: int,
    *,
    reverse: bool,
) -> list[int]:
    """The ids from `bottom` to `top` of the rows of `source` (SQL: a FROM item whose
    columns are id and the sort keys by `_key_names`, after the WITH clause `prefix`), in
    the keys' order, reversed with `reverse`."""
    order = []
    for name, key in zip(_key_names(keys), keys, strict=True):
        direction = "DESC" if key.descending != reverse else "ASC"
        # Reversed, empty values that were last come first.
        nulls = (" NULLS FIRST" if reverse else " NULLS LAST") if key.nulls_last else ""
        order.append(f"{name} {direction}{nulls}")
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"{prefix}SELECT id FROM {source} ORDER BY {', '.join(order)} LIMIT %s OFFSET %s",
            (*params, top - bottom, bottom),
        )
        return [row[0] for row in cursor.fetchall()]


def _through_optional_row(column: Column) -> bool:
    """Whether a token may lack the row that holds `column` (an EVSE, an order, the
    order's customer): then some tokens have no value there whatever the table says."""
    model = PortToken
    *hops, _ = column.path.split("__")
    for hop in hops:
        field = model._meta.get_field(hop)
        if field.null:
            return True
        model = field.related_model
    return False


def _merged_ids(
    matching: QuerySet[PortToken], state: ViewState, bottom: int, top: int, *, reverse: bool
) -> list[int]:
    """The ids of `matching` from `bottom` to `top` in the table's order (reversed with
    `reverse`) when the sort column is behind a row a token may lack (`_through_optional_
    row`): the tokens with a value there, in the order of the migration 0008 index of
    that row's table (PostgreSQL walks it and takes each row's tokens), merged with the
    tokens without one, which come last in either direction, by Token S/N. Asked as one
    query of the two, each cut to `top` rows, PostgreSQL reads a few rows of each instead
    of joining and sorting every token for a page."""
    column = state.sort_column
    keys = sort_keys(state)
    names = _key_names(keys)
    expressions = _expressions(keys)
    with_value = matching.filter(_has_value(column.path)).annotate(
        **dict(zip(names, expressions, strict=True))
    )
    no_key = Value(None, output_field=_field_at(PortToken, column.path))
    without_value = matching.filter(_no_value(PortToken, column.path)).annotate(
        **dict(zip(names, [no_key, *expressions[1:]], strict=True))
    )
    statements, params = [], []
    for part, ordering_ in ((with_value, ordering(state)), (without_value, ["serial"])):
        part = part.values_list("pk", *names).order_by(*ordering_)
        sql, part_params = (part.reverse() if reverse else part)[:top].query.sql_with_params()
        statements.append(f"({sql})")
        params.extend(part_params)
    source = f"({' UNION ALL '.join(statements)}) AS merged (id, {', '.join(names)})"
    return _ids_in_order(matching.db, "", source, params, keys, bottom, top, reverse=reverse)


def _has_value(path: str) -> Q:
    """Tokens with a value at `path` (not '' for text), written on the joined path so
    that the tables on the way are joined by INNER JOINs."""
    found = Q(**{f"{path}__isnull": False})
    return found & ~Q(**{path: ""}) if _is_text(_field_at(PortToken, path)) else found


def _no_value(model, path: str) -> Q:
    """Rows of `model` with no value at `path`: empty (NULL, or '' for text), or no row
    on the way. Each related table is asked in a subquery (`fk IN (...)`), so the tokens
    are tested by their own columns as their Token S/N index is walked."""
    hop, _, rest = path.partition("__")
    field = model._meta.get_field(hop)
    if not rest:
        empty = Q(**{f"{hop}__isnull": True})
        return empty | Q(**{hop: ""}) if _is_text(field) else empty
    related = field.related_model
    rows = related.objects.filter(_no_value(related, rest)).values("pk")
    found = Q(**{f"{field.attname}__in": rows})
    return found | Q(**{f"{field.attname}__isnull": True}) if field.null else found


def _field_at(model, path: str):
    *hops, name = path.split("__")
    for hop in hops:
        model = model._meta.get_field(hop).related_model
    return model._meta.get_field(name)


def _is_text(field) -> bool:
    return isinstance(field, CharField | TextField)


def page_of_tokens(
    matching: QuerySet[PortToken],
    state: ViewState,
    user,
    *,
    count: int | None = None,
    sort_matches: bool = False,
    every_token: bool = False,
) -> Page:
    """The state's page of `matching`, in `ordering(state)`, its rows as `object_list`,
    with a bounded query count (count unless given, page ids, rows) whatever the page
    size. `sort_matches` when few tokens match, `every_token` when the page lists every
    token: see `TokenPaginator`.

    A page past the end shows the last page and says so in the state's messages.
    """
    paginator = TokenPaginator(
        matching, state, user, count=count, sort_matches=sort_matches, every_token=every_token
    )
    if state.page > paginator.num_pages:
        state.messages.append(
            StateMessage(
                "page",
                f"Page {state.page} does not exist; showing the last page ({paginator.num_pages}).",
            )
        )
    return paginator.page(min(state.page, paginator.num_pages))


def _rows(page_ids: list[int], state: ViewState, user) -> list[dict]:
    """The records the table shows for these ids: each visible column's value by its key,
    and what the row's checkbox needs (`selection_serial`, `selection_block`)."""
    if not page_ids:
        return []
    paths = dict.fromkeys([*(column.path for column in state.columns), *_SELECTION_PATHS])
    # Ordered again in the database: `pk IN (...)` says nothing about order.
    tokens = list(
        with_obstacles(
            PortToken.objects.filter(pk__in=page_ids).order_by(*ordering(state)).values(*paths),
            user,
        )
    )
    rows = []
    for token in tokens:
        record = {column.key: token[column.path] for column in state.columns}
        record["selection_serial"] = token["serial"]
        record["selection_block"] = transfer_block_reason(token)
        rows.append(record)
    return rows


# --- the django-tables2 table ------------------------------------------------------------


def sort_query(state: ViewState, column: Column) -> str:
    """Query string that sorts by `column`; on the current sort column it reverses."""
    current = state.sort_column == column
    descending = current and not state.sort_descending
    return state.query_string(sort=("-" if descending else "") + column.key, page=None)


class RegistryColumn(tables.Column):
    """One of the 25 columns: SPEC label, shown text from `Column.format`, em dash when
    empty, and a header that links to sorting by it."""

    def __init__(self, spec: Column, state: ViewState, *, sticky: bool = False):
        self.spec = spec
        self.sort_href = "?" + sort_query(state, spec)
        self.sorted = state.sort_column == spec
        self.sort_descending = self.sorted and state.sort_descending
        th_classes = ["col-" + spec.key, "kind-" + spec.kind]
        td_classes = ["col-" + spec.key]
        if spec.kind is Kind.NUMBER:
            th_classes.append("num")
            td_classes.append("num")
        if sticky:
            th_classes.append("sticky-col")
            td_classes.append("sticky-col")
        th_attrs = {"class": " ".join(th_classes), "scope": "col"}
        if self.sorted:
            th_attrs["aria-sort"] = "descending" if self.sort_descending else "ascending"
        super().__init__(
            verbose_name=spec.label,
            accessor=spec.key,
            orderable=False,
            default=EMPTY_CELL,
            attrs={"th": th_attrs, "td": {"class": " ".join(td_classes)}},
        )

    @property
    def header(self):
        if self.sorted:
            arrow = "▼" if self.sort_descending else "▲"
            then = "ascending" if self.sort_descending else "descending"
            hint = f"Sorted {'descending' if self.sort_descending else 'ascending'}; "
            hint += f"click to sort {then}"
        else:
            arrow, hint = "", f"Sort by {self.spec.label}"
        return format_html(
            '<a class="sort-link" href="{}" title="{}">{}<span class="sort-indicator" '
            'aria-hidden="true">{}</span></a>',
            self.sort_href,
            hint,
            self.spec.label,
            arrow,
        )

    def render(self, value):
        return self.spec.format(value)

    def cell_html(self, record) -> str:
        value = record.get(self.spec.key)
        if value in self.empty_values:
            return EMPTY_CELL
        text = self.render(value)
        # The registry's text is a plain str; the standard library's escape (which
        # Django's wraps) spares 250 x 25 cells the lazy-string checks of
        # conditional_escape. Markup a subclass built (SafeString) stays as it is.
        return text if isinstance(text, SafeData) else html.escape(text)


class StatusColumn(RegistryColumn):
    """Status as a coloured badge that still reads without colour: the text is in it."""

    def render(self, value):
        return format_html('<span class="badge badge-{}">{}</span>', value.lower(), value)


def token_url(serial: str) -> str | None:
    """The URL of the token's page, or None for a serial whose URL is taken by a fixed
    route (a token named "export" or "transfer")."""
    taken = serial in _serials_taken_by_fixed_routes()
    if not taken and serial.isprintable():
        # What reverse() gives, without its 0.1 ms a row of pattern matching: the route
        # takes any printable text (`path:`), quoted character by character as here.
        before, after = _token_url_around(get_script_prefix())
        return before + quote(serial, safe=RFC3986_SUBDELIMS + "/~:@") + after
    url = reverse("inventory:token_detail", args=[serial])
    if not taken:
        return url
    # resolve() takes the path below the script prefix that reverse() puts in front.
    path = url[len(get_script_prefix()) - 1 :]
    return url if resolve(path).url_name == "token_detail" else None


@cache
def _token_url_around(script_prefix: str) -> tuple[str, str]:
    """The token page's URL before and after the serial, under this script prefix."""
    before, _, after = reverse("inventory:token_detail", args=[_SERIAL_MARK]).rpartition(
        _SERIAL_MARK
    )
    return before, after


_SERIAL_MARK = "~serial~"


@cache
def _serials_taken_by_fixed_routes() -> frozenset[str]:
    """The serials whose page URL is a fixed route's (`inventory/port-tokens/export/`
    gives "export"), read from the URLconf once: resolving every row's URL cost 0.16 ms,
    8 ms a page of 50 rows. Only these few need resolving."""
    from inventory.urls import urlpatterns  # the views import this module

    token_list = reverse("inventory:port_tokens")
    taken = set()
    for pattern in urlpatterns:
        try:
            path = reverse(f"inventory:{pattern.name}")
        except NoReverseMatch:  # a route with arguments
            continue
        if path.startswith(token_list) and path != token_list:
            taken.add(path[len(token_list) :].rstrip("/"))
    return frozenset(taken)


class TokenSerialColumn(RegistryColumn):
    """Token S/N as a link to the token's page; the cell keeps its look (monospace, from
    the column's class) and the link is one keyboard stop per row."""

    def render(self, value):
        url = token_url(value)
        if url is None:
            return value
        return format_html('<a class="token-link" href="{}">{}</a>', url, value)


class SelectColumn(tables.Column):
    """A checkbox per row for the transfer form; disabled, with the reason, when the user
    may not transfer that token."""

    empty_values = ()

    def __init__(self):
        super().__init__(
            verbose_name="Select",
            accessor="selection_serial",
            orderable=False,
            attrs={"th": {"class": "select-col", "scope": "col"}, "td": {"class": "select-col"}},
        )

    @property
    def header(self):
        # The select-all box needs JavaScript, so it starts hidden; the text stays for
        # screen readers either way.
        return mark_safe(
            '<span class="visually-hidden">Select</span>'
            '<input type="checkbox" class="select-page" hidden '
            'aria-label="Select every transferable token on this page">'
        )

    def render(self, record):
        serial = record["selection_serial"]
        reason = record["selection_block"]
        if reason is None:
            return format_html(
                '<input type="checkbox" class="row-select" name="token" value="{}" '
                'aria-label="Select {} for transfer"{}>',
                serial,
                serial,
                # Set by the page from the user's selection (inventory.selection).
                mark_safe(" checked") if record.get("selected") else "",
            )
        return format_html(
            '<span class="select-blocked" title="{}"><input type="checkbox" disabled '
            'aria-label="{} cannot be selected: {}"></span>',
            reason,
            serial,
            reason,
        )

    def cell_html(self, record) -> str:
        return self.render(record)


class PortTokenTable(tables.Table):
    select = SelectColumn()

    class Meta:
        template_name = "inventory/_token_table.html"
        attrs = {"class": "data-table token-table"}
        orderable = False

    def body_html(self) -> str:
        """All body rows as HTML in one pass.

        django-tables2 renders each cell through `inspect.signature` and a template
        loop, which costs most of a second for 250 rows of 25 columns; the cells here
        come from the same column objects (`render`, `default`, `attrs`) without that.
        """
        columns = [(bound.column, bound.attrs["td"].as_html()) for bound in self.columns]
        rows = []
        for record in self.data:
            cells = "".join(
                f"<td {attrs}>{column.cell_html(record)}</td>" for column, attrs in columns
            )
            rows.append(f'<tr data-token="{escape(record["selection_serial"])}">{cells}</tr>')
        return mark_safe("".join(rows))


#: Columns whose cells are more than their text: the status badge, the link to the token.
SPECIAL_COLUMNS = {"status": StatusColumn, "token_sn": TokenSerialColumn}


def port_token_table(page: Page, state: ViewState) -> PortTokenTable:
    """The table for one page: the selection column, then the visible columns in order."""
    extra = []
    for position, column in enumerate(state.columns):
        column_class = SPECIAL_COLUMNS.get(column.key, RegistryColumn)
        extra.append((column.key, column_class(column, state, sticky=position == 0)))
    return PortTokenTable(
        page.object_list,
        extra_columns=extra,
        sequence=["select", *(column.key for column in state.columns)],
    )
