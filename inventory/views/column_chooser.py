"""The Show/Hide Columns chooser of the Port Tokens page: what it lists, in which order,
and what its POST does.

The chooser is one form. It posts every column key as `order` (the chooser's order, the
unchecked columns' places included) and the checked ones as `col`; the display order is
the order of `order` kept to the checked keys. Its buttons say what to do with that:
`action=apply|show_all|reset` saves (or forgets) the choice, the only way it is saved
(`inventory.preferences`), and `move=up:<key>` or `move=down:<key>` moves one column.

With JavaScript the arrows and dragging reorder the list in place (static/column_chooser.js).
Without it a move is a round trip that saves nothing: the answer is the same view of the
table with the chooser open on the moved draft, carried in the URL as `chooser=` (every
key in the chooser's order, an unchecked one prefixed with "-") and `moved=` (the button
to focus again). Opening such a URL changes nothing saved.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseRedirect

from inventory.columns import COLUMNS, COLUMNS_BY_KEY
from inventory.preferences import clear_column_choice, save_column_choice
from inventory.viewstate import NO_VIEW_QUERY, query_items_except

#: Query parameters of the chooser's unsaved draft; never part of the table's view state.
DRAFT_PARAMETERS = ("chooser", "moved")
DIRECTIONS = ("up", "down")


def apply_column_chooser(request) -> HttpResponseRedirect:
    """Answer the chooser's POST with a redirect (303) to the same view of the table.

    Apply saves the checked columns in the posted order and shows them from page 1;
    Show all saves all 25 in that order; Reset to default forgets the choice; a move
    saves nothing and opens the chooser again on the reordered draft.
    """
    order = _posted_order(request.POST)
    checked = {key for key in request.POST.getlist("col") if key in COLUMNS_BY_KEY}
    if "move" in request.POST:
        return _move(request, order, checked, request.POST["move"])

    action = request.POST.get("action", "apply")
    keys = order if action == "show_all" else [key for key in order if key in checked]
    rest = query_items_except(request.GET, ("columns", "page", *DRAFT_PARAMETERS))
    if action == "reset":
        clear_column_choice(user=request.user)
    elif keys:
        save_column_choice(user=request.user, column_keys=keys)
        rest.append(("columns", ",".join(keys)))
    else:
        messages.error(request, "Choose at least one column; the columns were not changed.")
        rest = query_items_except(request.GET, ("page", *DRAFT_PARAMETERS))
    return _redirect(request, rest)


def column_chooser(state, query_dict) -> dict:
    """What the chooser shows: all 25 columns, each with whether it is checked.

    Without a draft in the URL the visible columns come first in display order (so
    applying keeps that order), then the hidden ones in registry order. With a draft
    (`chooser=`) the chooser is open and lists the draft; `moved=` names the button that
    gets the focus.
    """
    draft = _parse_draft(query_dict.get("chooser", ""))
    if draft:
        options = draft
    else:
        visible = [column.key for column in state.columns]
        hidden = [column.key for column in COLUMNS if column.key not in visible]
        options = [(key, True) for key in visible] + [(key, False) for key in hidden]
    direction, _, moved_key = query_dict.get("moved", "").partition(":")
    return {
        "options": [
            {
                "column": COLUMNS_BY_KEY[key],
                "checked": checked,
                "focus": direction if key == moved_key and direction in DIRECTIONS else "",
            }
            for key, checked in options
        ],
        # The chooser posts to the same view of the table, which it comes back to.
        "action": "?" + urlencode(query_items_except(query_dict, ("page", *DRAFT_PARAMETERS))),
        "visible_count": len(state.columns),
        "open": "chooser" in query_dict,
    }


def _posted_order(post) -> list[str]:
    """Every column key once, in the posted order: the `order` fields (the chooser sends
    all 25), else the checked `col` ones; keys it does not name follow in registry order."""
    posted = post.getlist("order") or post.getlist("col")
    keys = [key for key in dict.fromkeys(posted) if key in COLUMNS_BY_KEY]
    return keys + [column.key for column in COLUMNS if column.key not in keys]


def _move(request, order: list[str], checked: set[str], move: str) -> HttpResponseRedirect:
    direction, _, key = move.partition(":")
    if key not in COLUMNS_BY_KEY or direction not in DIRECTIONS:
        if key not in COLUMNS_BY_KEY:
            problem = f"Cannot move {key[:40]!r}: there is no such column."
        else:
            problem = f"Cannot move {COLUMNS_BY_KEY[key].label} {direction[:40]!r}: use up or down."
        messages.error(request, problem + " The order was not changed.")
        move = ""
    else:
        index = order.index(key)
        other = index - 1 if direction == "up" else index + 1
        # Up at the top and down at the bottom leave the order as it is.
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
    draft = ",".join(key if key in checked else f"-{key}" for key in order)
    rest = query_items_except(request.GET, DRAFT_PARAMETERS)
    rest.append(("chooser", draft))
    if not move:
        return _redirect(request, rest, fragment="columns")
    # No fragment then: a browser skips autofocus on a page opened at a fragment, and the
    # focused arrow brings the chooser into view anyway.
    rest.append(("moved", move))
    return _redirect(request, rest)


def _parse_draft(raw: str) -> list[tuple[str, bool]]:
    """The draft's (key, checked) pairs, every column once; empty when `raw` names none."""
    pairs: dict[str, bool] = {}
    for item in raw.split(","):
        item = item.strip()
        key = item.removeprefix("-")
        if key in COLUMNS_BY_KEY and key not in pairs:
            pairs[key] = not item.startswith("-")
    if not pairs:
        return []
    return list(pairs.items()) + [(c.key, False) for c in COLUMNS if c.key not in pairs]


def _redirect(request, items, *, fragment: str = "") -> HttpResponseRedirect:
    # Never the bare path: for a user with a default saved view it would open that view.
    query = urlencode(items) or NO_VIEW_QUERY
    url = f"{request.path}?{query}" + (f"#{fragment}" if fragment else "")
    return HttpResponseRedirect(url, status=303)
