"""The table's selection on the Port Tokens page: the POST that changes it, and what the
toolbar and the Export menu say of it.

The rows' checkboxes sit in one POST form to the table's own URL (its view state in the
query string). `selection=` names what the POST does: `update` keeps the page's
checkboxes as the user left them (the page's script sends it on every change and reads
the JSON answer; without the script the "Keep selection" button sends it), `transfer`
does the same and opens the transfer form on the selection, `clear` empties it, and
`all_matching` adds every token of the view that the user may move. Each answers 303 to
the same view of the table (or to the transfer form), or JSON to the script. The rules
live in `inventory.selection` (where it is kept and why) and `inventory.eligibility`
(which tokens may move).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from inventory.eligibility import Obstacle, movable_counts, movable_tokens
from inventory.selection import (
    MAX_SELECTED,
    SelectionChange,
    add_serials,
    clear_selection,
    select_on_page,
    selected_serials,
)
from inventory.selectors import matching_tokens
from inventory.viewstate import parse_view_state

SELECTION_FIELD = "selection"
#: The most selected rows the Export menu names in its links (`token=` each).
EXPORT_SELECTED_LIMIT = 250
#: How the table and its toolbar name each obstacle, in a count: "12 Active or Expired".
OBSTACLE_WORDS = {
    Obstacle.STATUS: "Active or Expired",
    Obstacle.APPLIED: "applied to an EVSE",
    Obstacle.NOT_MANAGER: "in an organization you do not manage",
}
NOTHING_SELECTED = "Select at least one token to transfer: check its box in the table."


def selection_response(request):
    """Answer the selection form's POST (see the module's docstring)."""
    action = request.POST.get(SELECTION_FIELD, "")
    session = request.session
    if action == "clear":
        clear_selection(session)
    elif action == "all_matching":
        _select_all_matching(request)
    else:
        change = select_on_page(
            session, shown=request.POST.getlist("shown"), checked=request.POST.getlist("token")
        )
        if change.refused:
            messages.warning(request, _full(change))
    count = len(selected_serials(session))
    if action == "transfer":
        if count:
            url = reverse("inventory:transfer") + "?" + urlencode([("selected", "1")])
            return HttpResponseRedirect(url, status=303)
        messages.error(request, NOTHING_SELECTED)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(_summary(request, count))
    return HttpResponseRedirect(request.get_full_path() + "#selection", status=303)


def _select_all_matching(request) -> None:
    state = parse_view_state(request.GET)
    matching = matching_tokens(request.user, state)
    serials = list(
        movable_tokens(matching, request.user).values_list("serial", flat=True)[: MAX_SELECTED + 1]
    )
    change = add_serials(request.session, serials)
    if change.refused:
        messages.warning(request, _full(change))
    else:
        messages.success(request, f"Selected all {len(serials):,} matching tokens that can move.")


def _full(change: SelectionChange) -> str:
    return (
        f"A selection holds at most {change.limit:,} tokens, as many as one transfer "
        f"moves; {change.refused:,} were not added. Transfer these first, or narrow the "
        "filters."
    )


def _summary(request, count: int) -> dict:
    """What the script shows after a change: the count and the Export menu's links."""
    return {
        "count": count,
        "text": selected_text(count),
        "export_links": export_selected_links(request, selected_serials(request.session)),
    }


def selected_text(count: int) -> str:
    return f"{count:,} selected" if count else ""


def export_selected_links(request, serials: list[str]) -> list[dict]:
    """'Export selected rows (CSV/XLSX)': the export of the view's visible columns,
    narrowed to the selected rows by name; none for more than the links can name."""
    if not serials or len(serials) > EXPORT_SELECTED_LIMIT:
        return []
    state = parse_view_state(request.GET)
    base = reverse("inventory:port_tokens_export")
    view = state.query_items(columns=state.columns, page=None, per_page=None, view=None)
    return [
        {
            "label": f"Export selected rows ({label})",
            "url": base
            + "?"
            + urlencode(
                [
                    ("format", file_format),
                    ("scope", "visible"),
                    *view,
                    *(("token", serial) for serial in serials),
                ]
            ),
        }
        for file_format, label in (("csv", "CSV"), ("xlsx", "XLSX"))
    ]


def selection_context(
    request, state, page, *, manages_any: bool, movable: dict[Obstacle | None, int] | None
) -> dict:
    """The toolbar's selection: how many are selected (on this page and in all), "Select
    all N matching" with how many cannot move and why, why Transfer cannot start yet, and
    the Export menu's links for the selected rows. `movable` is what the view's summary
    counted of the tokens that can move and why (None: not counted)."""
    serials = selected_serials(request.session)
    chosen = set(serials)
    rows = page.object_list
    selectable = [row["selection_serial"] for row in rows if row["selection_block"] is None]
    for row in rows:
        row["selected"] = row["selection_serial"] in chosen
    context = {
        "count": len(serials),
        "text": selected_text(len(serials)),
        "shown": selectable,
        "export_links": export_selected_links(request, serials),
        "export_limit": EXPORT_SELECTED_LIMIT,
        "select_all": None,
        "hint": _transfer_hint(manages_any, selectable),
    }
    if manages_any and page.paginator.count > len(rows):
        context["select_all"] = _select_all(request.user, state, movable)
    return context


def _transfer_hint(manages_any: bool, selectable: list[str]) -> str:
    """Why "Transfer selected" cannot start while nothing is selected."""
    if not manages_any:
        return "Only a manager of an organization can transfer its tokens; you manage none."
    if not selectable:
        return "None of the tokens on this page can move: select tokens on another page."
    return (
        "Select tokens to transfer: New or Available tokens applied to no EVSE, in an "
        "organization you manage."
    )


def _select_all(user, state, counted: dict[Obstacle | None, int] | None) -> dict:
    """The offer to select every matching token that can move: its count, whether it fits
    in one selection, and how many matching tokens cannot move and why (from `counted`
    when the summary's pass counted them)."""
    if counted is None:
        tokens = matching_tokens(user, state)
        # One selection holds at most MAX_SELECTED tokens, so counting the movable ones
        # stops just past that: a page over a million matching tokens does not count
        # them all. Why the others cannot move is counted only when the offer can be
        # taken.
        movable = movable_tokens(tokens, user).order_by()[: MAX_SELECTED + 1].count()
        if 0 < movable <= MAX_SELECTED:
            counted = movable_counts(tokens, user)
    else:
        movable = counted[None]
    if not 0 < movable <= MAX_SELECTED:
        return {
            "movable": movable,
            "offered": False,
            "too_many": movable > MAX_SELECTED,
            "limit_display": f"{MAX_SELECTED:,}",
            "cannot": "",
        }
    counts = dict(counted)
    movable = counts.pop(None)
    blocked = [(count, OBSTACLE_WORDS[obstacle]) for obstacle, count in counts.items() if count]
    cannot = sum(count for count, _ in blocked)
    why = ", ".join(f"{count:,} {words}" for count, words in blocked)
    return {
        "movable": movable,
        "label": f"Select all {movable:,} matching tokens that can move",
        "offered": 0 < movable <= MAX_SELECTED,
        "too_many": movable > MAX_SELECTED,
        "limit_display": f"{MAX_SELECTED:,}",
        "cannot": f"{cannot:,} cannot move: {why}." if cannot else "",
    }
