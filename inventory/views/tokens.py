"""The Port Tokens page and the Organizations page.

The views parse the request, call the filtering and table functions, and hand the
template plain values: every link on the page is built here from the one view state.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from inventory.columns import COLUMNS, COLUMNS_BY_KEY
from inventory.filtering import is_status_filter, matching_count, status_counts, with_status
from inventory.models import PortToken
from inventory.preferences import clear_column_choice, save_column_choice, saved_column_keys
from inventory.selectors import matching_tokens, organizations_with_token_counts, visible_tokens
from inventory.tables import page_of_tokens, port_token_table
from inventory.transfers import MAX_TOKENS
from inventory.viewstate import (
    MAX_FILTERS,
    OPERATORS,
    PER_PAGE_CHOICES,
    TEMPORAL_OPERATORS,
    form_redirect,
    parse_view_state,
    query_items_except,
)

#: Rows the filter builder shows in total without JavaScript (filled ones included).
BUILDER_ROWS_WITHOUT_JS = 3
EXPORT_LINKS = (
    ("csv", "visible", "Export visible columns (CSV)"),
    ("xlsx", "visible", "Export visible columns (XLSX)"),
    ("csv", "all", "Export all columns (CSV)"),
    ("xlsx", "all", "Export all columns (XLSX)"),
)


def port_token_list(request):
    if request.method == "POST":
        return _apply_column_chooser(request)
    submitted = form_redirect(request.GET)
    if submitted is not None:
        return HttpResponseRedirect(request.path + (f"?{submitted}" if submitted else ""))

    state = parse_view_state(request.GET, saved_column_keys(request.user))

    tokens = visible_tokens(request.user)
    counts = status_counts(tokens, state)
    page = page_of_tokens(
        matching_tokens(request.user, state),
        state,
        request.user,
        count=matching_count(counts, state),
    )
    export_query = state.query_string(columns=state.columns, page=None, per_page=None)
    context = {
        "state": state,
        "page": page,
        "piece_messages": _messages_by_piece(state),
        "total_display": f"{page.paginator.count:,}",
        "start_display": f"{page.start_index():,}",
        "end_display": f"{page.end_index():,}",
        "num_pages_display": f"{page.paginator.num_pages:,}",
        "table": port_token_table(page, state) if page.object_list else None,
        "status_summary": _status_summary(state, counts),
        "status_all_url": (
            "?" + state.query_string(filters=with_status(state, None), page=None)
            if any(is_status_filter(f) for f in state.filters)
            else None
        ),
        "chips": _chips(state),
        "builder_rows": _builder_rows(state),
        "builder_fields": COLUMNS,
        "temporal_keys": [c.key for c in COLUMNS if c.is_temporal],
        "temporal_operators": TEMPORAL_OPERATORS,
        "status_values": PortToken.Status.values,
        "builder_hidden": state.query_items(filters=[], match=None, page=None),
        "clear_filters_url": "?" + state.query_string(filters=[], match=None, page=None),
        "chooser": _column_chooser(state, request.GET),
        "per_page_choices": PER_PAGE_CHOICES,
        "per_page_hidden": state.query_items(per_page=None, page=None),
        "pages": _page_links(state, page),
        # The export names the columns even when they came from the saved choice, so
        # that "visible" means what is on the screen.
        "export_links": _export_links(export_query),
        "export_base": reverse("inventory:port_tokens_export"),
        "export_query": export_query,
        "transfer_url": reverse("inventory:transfer"),
        "all_matching_url": (
            reverse("inventory:transfer")
            + "?"
            + urlencode([("all_matching", "1"), *state.query_items(page=None, per_page=None)])
        ),
        # "Select all N matching" is offered up to the most tokens one transfer may move.
        "select_all_limit": MAX_TOKENS,
    }
    return render(request, "inventory/port_tokens.html", context)


def _apply_column_chooser(request):
    """Save the column chooser's choice (the only way columns are saved) and go back to
    the same view of the table, showing the chosen columns from page 1.

    The chooser posts the checked `col` keys in display order and `action`: `apply`
    (the checked ones), `show_all` or `reset` (forget the choice: the default columns).
    """
    action = request.POST.get("action", "apply")
    keys = [key for key in dict.fromkeys(request.POST.getlist("col")) if key in COLUMNS_BY_KEY]
    if action == "show_all":
        keys = [column.key for column in COLUMNS]
    rest = query_items_except(request.GET, ("columns", "page"))
    if action == "reset":
        clear_column_choice(user=request.user)
    elif keys:
        save_column_choice(user=request.user, column_keys=keys)
        rest.append(("columns", ",".join(keys)))
    else:
        messages.error(request, "Choose at least one column; the columns were not changed.")
        rest = query_items_except(request.GET, ("page",))
    query = urlencode(rest)
    return HttpResponseRedirect(request.path + (f"?{query}" if query else ""), status=303)


def _messages_by_piece(state) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for message in state.messages:
        grouped.setdefault(message.piece, []).append(message.text)
    return grouped


def _status_summary(state, counts: dict[str, int]) -> list[dict]:
    chosen = {f.value.lower() for f in state.filters if is_status_filter(f)}
    return [
        {
            "status": status,
            "count": count,
            "count_display": f"{count:,}",
            "current": status.lower() in chosen,
            "url": "?" + state.query_string(filters=with_status(state, status), page=None),
        }
        for status, count in counts.items()
    ]


def _chips(state) -> list[dict]:
    filters = state.filters
    return [
        {
            "text": f.describe(),
            "remove_url": "?"
            + state.query_string(filters=filters[:i] + filters[i + 1 :], page=None),
        }
        for i, f in enumerate(filters)
    ]


def _builder_rows(state) -> list[dict]:
    """The builder's rows: every filter of the URL (bad ones too, with their message),
    then empty rows so that a few can be filled in without JavaScript."""
    rows = [
        _builder_row(row.index, row.key, row.op, row.value)
        | {"errors": state.messages_for(f"filter-{row.index}")}
        for row in state.filter_rows
    ]
    empty_rows = max(1, BUILDER_ROWS_WITHOUT_JS - len(rows))
    for _ in range(min(empty_rows, MAX_FILTERS - len(rows))):
        rows.append(_builder_row(len(rows) + 1, "", "contains", ""))
    return rows


def _builder_row(position: int, key: str, op: str, value: str) -> dict:
    column = COLUMNS_BY_KEY.get(key)
    # Before/After only where they mean something. They stay in the list, hidden, so
    # that the script can offer them again when the field changes to a date column.
    temporal = column is None or column.is_temporal
    ops = [
        (key, operator.label, not temporal and operator.dates_only)
        for key, operator in OPERATORS.items()
    ]
    return {
        "position": position,
        "key": key,
        "op": op,
        "value": value,
        "errors": [],
        "key_known": column is not None,
        "op_known": op in OPERATORS,
        "temporal": column is not None and column.is_temporal,
        "ops": ops,
    }


def _column_chooser(state, query_dict) -> dict:
    """All 25 columns, the visible ones first in display order (so submitting the chooser
    keeps that order), with the links for "show all" and "reset to default"."""
    visible = list(state.columns)
    hidden = [column for column in COLUMNS if column not in visible]
    return {
        "options": [(column, True) for column in visible] + [(column, False) for column in hidden],
        # The chooser posts to the same view of the table, which it comes back to.
        "action": "?" + urlencode(query_items_except(query_dict, ("page",))),
        "visible_count": len(visible),
    }


def _page_links(state, page) -> dict:
    def link(number):
        return "?" + state.query_string(page=number)

    return {
        "first": link(1) if page.has_previous() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "last": link(page.paginator.num_pages) if page.has_next() else None,
    }


def _export_links(query: str) -> list[dict]:
    base = reverse("inventory:port_tokens_export")
    return [
        {
            "label": label,
            "url": f"{base}?{urlencode([('format', file_format), ('scope', scope)])}"
            + (f"&{query}" if query else ""),
        }
        for file_format, scope, label in EXPORT_LINKS
    ]


# --- Organizations -------------------------------------------------------------------------


def organization_list(request):
    table_url = reverse("inventory:port_tokens")
    organizations = []
    for organization in organizations_with_token_counts(request.user):
        org_filter = ("filter", f"org_id:is:{organization.org_id}")
        organizations.append(
            {
                "org": organization,
                "role": organization.role_label,
                "url": f"{table_url}?{urlencode([org_filter])}",
                "total_display": f"{organization.total:,}",
                "statuses": [
                    {
                        "status": status,
                        "count": getattr(organization, status.lower()),
                        "count_display": f"{getattr(organization, status.lower()):,}",
                        "url": f"{table_url}?"
                        + urlencode([org_filter, ("filter", f"status:is:{status}")]),
                    }
                    for status in PortToken.Status.values
                ],
            }
        )
    return render(
        request,
        "inventory/organizations.html",
        {"organizations": organizations, "statuses": PortToken.Status.values},
    )
