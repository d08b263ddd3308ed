"""The Port Tokens table: django-tables2 columns built from the column registry, and the
page of rows they show.

Sorting and paging happen in the database, never in the table: the table is given the
rows of one page, already in order, and only renders them. Its headers link to the URL
that sorts by that column (`sort=`), so django-tables2's own ordering stays off.

A page is fetched with a deferred join: first the ids of the page (filtered, ordered,
sliced: the database can do this from the token table and the sort column alone), then
the shown columns of just those ids through the full join. A deep page so never drags
the whole join through OFFSET.
"""

from dataclasses import dataclass, field

import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe

from inventory.columns import Column, Kind
from inventory.filtering import StateMessage, ViewState, ordering
from inventory.models import PortToken
from inventory.selectors import managed_organizations

EMPTY_CELL = mark_safe('<span class="empty-value">—</span>')

# Fetched for every row whatever columns are visible: the row checkbox needs them.
_SELECTION_PATHS = ("serial", "status", "evse_id", "organization_id", "organization__name")


@dataclass
class TokenPage:
    """One page of matching tokens: the rows to show and where they sit in the whole."""

    count: int
    number: int
    per_page: int
    rows: list[dict] = field(default_factory=list)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.count else 0

    @property
    def end_index(self) -> int:
        return min(self.number * self.per_page, self.count)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def transfer_block_reason(
    *, status: str, evse_id, organization_id: int, organization_name: str, managed_ids: set
) -> str | None:
    """Why the user may not pick this token for a transfer, or None when they may."""
    if status not in PortToken.TRANSFERABLE_STATUSES:
        return f"{status} tokens cannot be transferred"
    if evse_id is not None:
        return "Applied to an EVSE"
    if organization_id not in managed_ids:
        return f"You are not a manager of {organization_name}"
    return None


def page_of_tokens(
    matching: QuerySet[PortToken], state: ViewState, user, *, count: int | None = None
) -> TokenPage:
    """The state's page of `matching`, in `ordering(state)`, with a bounded query count
    (count unless given, page ids, rows, managed organizations) whatever the page size.

    A page past the end shows the last page and says so in the state's messages.
    """
    ids = matching.order_by(*ordering(state)).values_list("pk", flat=True)
    if count is None:
        count = ids.count()
    page = TokenPage(count=count, number=state.page, per_page=state.per_page)
    if page.number > page.num_pages:
        state.messages.append(
            StateMessage(
                "page",
                f"Page {state.page} does not exist; showing the last page ({page.num_pages}).",
            )
        )
        page.number = page.num_pages
    if page.count:
        offset = (page.number - 1) * page.per_page
        page_ids = list(ids[offset : offset + page.per_page])
        page.rows = _rows(page_ids, state, user)
    return page


def _rows(page_ids: list[int], state: ViewState, user) -> list[dict]:
    columns = state.columns
    paths = [column.path for column in columns] + list(_SELECTION_PATHS)
    # Ordered again in the database: `pk IN (...)` says nothing about order.
    values = list(
        PortToken.objects.filter(pk__in=page_ids).order_by(*ordering(state)).values_list(*paths)
    )
    page_org_ids = {row[len(columns) + 3] for row in values}
    managed_ids = set(
        managed_organizations(user).filter(pk__in=page_org_ids).values_list("pk", flat=True)
    )
    rows = []
    for row in values:
        shown, (serial, status, evse_id, organization_id, organization_name) = (
            row[: len(columns)],
            row[len(columns) :],
        )
        record = {column.key: value for column, value in zip(columns, shown, strict=True)}
        record["selection_serial"] = serial
        record["selection_block"] = transfer_block_reason(
            status=status,
            evse_id=evse_id,
            organization_id=organization_id,
            organization_name=organization_name,
            managed_ids=managed_ids,
        )
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
        return conditional_escape(self.render(value))


class StatusColumn(RegistryColumn):
    """Status as a coloured badge that still reads without colour: the text is in it."""

    def render(self, value):
        return format_html('<span class="badge badge-{}">{}</span>', value.lower(), value)


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
                'aria-label="Select {} for transfer">',
                serial,
                serial,
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
        row_attrs = {"data-token": lambda record: record["selection_serial"]}
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


def port_token_table(page: TokenPage, state: ViewState) -> PortTokenTable:
    """The table for one page: the selection column, then the visible columns in order."""
    extra = []
    for position, column in enumerate(state.columns):
        column_class = StatusColumn if column.key == "status" else RegistryColumn
        extra.append((column.key, column_class(column, state, sticky=position == 0)))
    return PortTokenTable(
        page.rows,
        extra_columns=extra,
        sequence=["select", *(column.key for column in state.columns)],
    )
