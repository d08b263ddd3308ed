"""The export history page: the reader's exports (everyone's for a superuser), filtered by
`ExportHistoryFilter`, paginated, each with a link that reopens the exported view of the
table."""

from urllib.parse import parse_qsl, urlencode

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse

from inventory.filtersets import ExportHistoryFilter
from inventory.models import ExportLog
from inventory.viewstate import parse_view_state

PER_PAGE = 50
#: What an export's query string holds besides the view state.
EXPORT_ONLY_PARAMS = ("format", "scope", "token")
FORMAT_LABELS = {"csv": "CSV", "xlsx": "XLSX"}
SCOPE_LABELS = {"visible": "Visible columns", "all": "All columns"}


def export_history(request):
    history = ExportHistoryFilter(request.GET, user=request.user)
    page = Paginator(history.qs, PER_PAGE).get_page(request.GET.get("page"))
    form = history.form
    kept = [
        (name, form.data[name])
        for name in history.filters
        if form.data.get(name) and name not in form.errors
    ]
    return render(
        request,
        "inventory/export_history.html",
        {
            "filter_form": form,
            "filtered": bool(kept),
            "page": page,
            "rows": [_row(log) for log in page],
            "page_query": urlencode(kept),
            "sees_everyone": request.user.is_superuser,
        },
    )


def _row(log: ExportLog) -> dict:
    """One line of the history: the exported view reopened in the table, and how long the
    export took (only a finished export has an end)."""
    pairs = parse_qsl(log.query_string, keep_blank_values=True)
    view = [(name, value) for name, value in pairs if name not in EXPORT_ONLY_PARAMS]
    query = urlencode(view)
    selected = len({value for name, value in pairs if name == "token" and value.strip()})
    seconds = None
    if log.completed_at is not None:
        seconds = f"{(log.completed_at - log.created_at).total_seconds():,.1f}"
    state = parse_view_state(QueryDict(query))
    return {
        "log": log,
        "format": FORMAT_LABELS.get(log.file_format, log.file_format),
        "scope": SCOPE_LABELS.get(log.scope, log.scope),
        "rows": None if log.row_count is None else f"{log.row_count:,}",
        "seconds": seconds,
        "view_url": reverse("inventory:port_tokens") + (f"?{query}" if query else ""),
        "view_text": _describe(state),
        "selected": selected,
        "selected_display": f"{selected:,}",
    }


def _describe(state) -> str:
    """The exported view in words: 'Org Name contains acme; Status is New; search “x”'."""
    joiner = " or " if state.match == "any" else "; "
    parts = [joiner.join(f.describe() for f in state.filters)] if state.filters else []
    if state.q:
        parts.append(f"search “{state.q}”")
    return "; ".join(parts) or "All tokens"
