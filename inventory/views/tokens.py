"""The Port Tokens page and the Organizations page.

The views parse the request, call the filtering and table functions, and hand the
template plain values: every link on the page is built here from the one view state.
"""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse

from inventory.columns import Kind
from inventory.filter_form import canonical_redirect, form_redirect
from inventory.filtering import is_status_filter, with_status
from inventory.models import PortToken
from inventory.preferences import saved_column_keys
from inventory.renewals import narrowed_query
from inventory.selectors import (
    organization_in_view,
    organizations_with_token_counts,
    visible_tokens,
)
from inventory.summary import ViewSummary, view_summary
from inventory.tables import page_of_tokens, port_token_table
from inventory.views.column_chooser import apply_column_chooser, column_chooser
from inventory.views.filter_builder import (
    CHOICES_PARAM,
    builder_context,
    value_choices_response,
)
from inventory.views.saved_views import default_view_redirect, views_menu
from inventory.views.selection import SELECTION_FIELD, selection_context, selection_response
from inventory.viewstate import (
    CHIP_TITLE_ITEMS,
    NO_VIEW_QUERY,
    PER_PAGE_CHOICES,
    parse_view_state,
)

EXPORT_LINKS = (
    ("csv", "visible", "Export visible columns (CSV)"),
    ("xlsx", "visible", "Export visible columns (XLSX)"),
    ("csv", "all", "Export all columns (CSV)"),
    ("xlsx", "all", "Export all columns (XLSX)"),
)


def port_token_list(request):
    if request.method == "POST":
        if SELECTION_FIELD in request.POST:
            return selection_response(request)
        return apply_column_chooser(request)
    if CHOICES_PARAM in request.GET:
        return value_choices_response(request)
    default = default_view_redirect(request)
    if default is not None:
        return default
    submitted = form_redirect(request.GET)
    if submitted is not None:
        # A row removed from the builder without the script: the builder stays open.
        editing = "#filter-builder" if "f_remove" in request.GET else ""
        return canonical_redirect(request.path + f"?{submitted or NO_VIEW_QUERY}{editing}")

    state = parse_view_state(request.GET, saved_column_keys(request.user))
    # First: it drops from the state a saved view the user may not use, so that no link
    # of the page carries it.
    menu = views_menu(request, state)

    tokens = visible_tokens(request.user)
    summary = view_summary(request.user, state, count_movable=menu["manages_any"])
    page = page_of_tokens(
        summary.page_tokens(request.user, state),
        state,
        request.user,
        count=summary.total,
        sort_matches=summary.few_matches,
        every_token=request.user.is_superuser and not state.filters and not state.search_words,
    )
    export_query = state.query_string(columns=state.columns, page=None, per_page=None, view=None)
    context = {
        "state": state,
        "page": page,
        "piece_messages": _messages_by_piece(state),
        "total_display": f"{page.paginator.count:,}",
        "start_display": f"{page.start_index():,}",
        "end_display": f"{page.end_index():,}",
        "num_pages_display": f"{page.paginator.num_pages:,}",
        "selection": selection_context(
            request, state, page, manages_any=menu["manages_any"], movable=summary.movable
        ),
        "table": port_token_table(page, state) if page.object_list else None,
        "status_summary": _status_summary(state, summary),
        "renewals_url": _renewals_url(state),
        "status_all_url": (
            state.link(filters=with_status(state, None), page=None)
            if any(is_status_filter(f) for f in state.filters)
            else None
        ),
        "chips": _chips(state),
        "filters_open": _builder_needs_attention(state),
        **builder_context(state, tokens),
        "search_hidden": state.query_items(q=None, page=None),
        "clear_filters_url": state.link(filters=[], match=None, page=None),
        "clear_all_url": state.link(filters=[], match=None, q=None, page=None),
        "chooser": column_chooser(state, request.GET),
        "organization": organization_in_view(request.user, state),
        "sort_note": _hidden_sort_note(state),
        "views_menu": menu,
        "per_page_choices": PER_PAGE_CHOICES,
        "per_page_hidden": state.query_items(per_page=None, page=None),
        "pages": _page_links(state, page),
        # The export names the columns even when they came from the saved choice, so
        # that "visible" means what is on the screen.
        "export_links": _export_links(export_query),
        "export_base": reverse("inventory:port_tokens_export"),
        "export_query": export_query,
        # The selection's POST comes back to this very view (never the bare path, which
        # would open a default saved view).
        "selection_action": request.get_full_path()
        if request.META.get("QUERY_STRING")
        else f"{request.path}?{NO_VIEW_QUERY}",
    }
    return render(request, "inventory/port_tokens.html", context)


def _builder_needs_attention(state) -> bool:
    """Whether the filter builder opens by itself: a filter of the URL could not be used,
    and the user has it to fix. Otherwise the applied filters show as chips."""
    return any(row.error for row in state.filter_rows) or any(
        message.piece in ("filters", "match") for message in state.messages
    )


#: How a sort reads, by the kind of its column: (ascending, descending).
SORT_DIRECTION_WORDS = {
    Kind.TEXT: ("A to Z", "Z to A"),
    Kind.NUMBER: ("smallest first", "largest first"),
    Kind.DATE: ("oldest first", "newest first"),
    Kind.TIMESTAMP: ("oldest first", "newest first"),
}


def _hidden_sort_note(state) -> dict | None:
    """'Sorted by Plan End Date, newest first' and the link without `sort=`, when the URL
    sorts by a column the table does not show (no header then says how rows are ordered)."""
    column = state.sort_column
    if not state.sort_given or column in state.columns:
        return None
    return {
        "text": f"Sorted by {column.short_label}, "
        + SORT_DIRECTION_WORDS[column.kind][state.sort_descending],
        "clear_url": state.link(sort=None, page=None),
    }


def _messages_by_piece(state) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for message in state.messages:
        grouped.setdefault(message.piece, []).append(message.text)
    return grouped


def _status_summary(state, summary: ViewSummary) -> dict:
    """The tiles above the table: matching tokens per status, each setting the status
    filter, and how many end within 30, 60 and 90 days, each adding that range."""
    chosen = {f.value.lower() for f in state.filters if is_status_filter(f)}
    statuses = [
        {
            "status": status,
            "count": count,
            "count_display": f"{count:,}",
            "current": status.lower() in chosen,
            "url": state.link(filters=with_status(state, status), page=None),
        }
        for status, count in summary.statuses.items()
    ]
    windows = [
        {
            "days": window.days,
            "count_display": f"{window.count:,}",
            "url": "?" + narrowed_query(state, window.end_filter),
        }
        for window in summary.windows
    ]
    return {"statuses": statuses, "windows": windows}


def _renewals_url(state) -> str:
    """The renewals forecast of the table's current view."""
    query = state.query_string(page=None, view=None)
    return reverse("inventory:renewals") + (f"?{query}" if query else "")


def _chips(state) -> list[dict]:
    """The applied filters as chips, the quick search first, each with the link that
    removes it."""
    filters = state.filters
    search = [
        {
            "text": f"Search: {state.q}",
            "title": f"Search: {state.q}",
            "remove_url": state.link(q=None, page=None),
            "search": True,
        }
    ]
    return (search if state.q else []) + [
        {
            "text": f.describe(),
            # The whole value on hover, where the chip names only the first few items.
            "title": f.describe(named_items=CHIP_TITLE_ITEMS),
            "remove_url": state.link(filters=filters[:i] + filters[i + 1 :], page=None),
        }
        for i, f in enumerate(filters)
    ]


def _page_links(state, page) -> dict:
    def link(number):
        return state.link(page=number)

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
