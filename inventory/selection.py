"""The table's selection: the Token S/Ns a user has checked for a transfer or an export,
kept in their session so that it survives paging, sorting and filtering.

Why the session and not the URL: the URL holds what shapes the table (SPEC "View state
lives in the URL"), so that a view can be bookmarked and shared. A selection shapes
nothing; it is one person's work in progress, and it may hold up to `MAX_SELECTED`
serials, which in a query string (about 160 kB for 10,000) every link of the table would
have to carry. The session keeps it on the server, next to the user's sign-in.

Serials are kept exactly as given, as a list: a serial may hold `|`, `,` or spaces, so
nothing here splits or joins them.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from inventory.models import PortToken
from inventory.transfers import MAX_TOKENS

SESSION_KEY = "port_token_selection"
#: The most tokens one selection holds: what one transfer may move.
MAX_SELECTED = MAX_TOKENS
_SERIAL_LENGTH = PortToken._meta.get_field("serial").max_length


@dataclass(frozen=True)
class SelectionChange:
    """The selection after a change: how many it holds, and how many serials it could not
    take because it was full (it holds at most `limit`)."""

    count: int
    refused: int
    limit: int


def selected_serials(session) -> list[str]:
    """The selected Token S/Ns, in the order they were selected."""
    stored = session.get(SESSION_KEY)
    return list(stored) if isinstance(stored, list) else []


def select_on_page(session, *, shown: Iterable[str], checked: Iterable[str]) -> SelectionChange:
    """The checkboxes of one page as the user left them: of the serials `shown` there,
    those `checked` are selected and the others are not. The selection made on other pages
    stays as it is."""
    shown = set(_usable(shown))
    checked = [serial for serial in _usable(checked) if serial in shown]
    still = set(checked)
    # Those still checked keep their place; the newly checked come last.
    kept = [s for s in selected_serials(session) if s not in shown or s in still]
    return _store(session, kept, checked)


def add_serials(session, serials: Iterable[str]) -> SelectionChange:
    """Add `serials` to the selection (those already in it stay where they are)."""
    return _store(session, selected_serials(session), _usable(serials))


def remove_serials(session, serials: Iterable[str]) -> int:
    """Take `serials` out of the selection; answers how many it still holds."""
    gone = set(serials)
    remaining = [serial for serial in selected_serials(session) if serial not in gone]
    _save(session, remaining)
    return len(remaining)


def clear_selection(session) -> None:
    session.pop(SESSION_KEY, None)


def _usable(serials: Iterable[str]) -> list[str]:
    """Serials that could name a token: not empty, no NUL, not longer than a serial."""
    return [s for s in serials if s and "\x00" not in s and len(s) <= _SERIAL_LENGTH]


def _store(session, kept: list[str], added: list[str]) -> SelectionChange:
    serials = dict.fromkeys(kept)
    refused = 0
    for serial in added:
        if serial in serials:
            continue
        if len(serials) >= MAX_SELECTED:
            refused += 1
            continue
        serials[serial] = None
    _save(session, list(serials))
    return SelectionChange(len(serials), refused, MAX_SELECTED)


def _save(session, serials: list[str]) -> None:
    if serials:
        session[SESSION_KEY] = serials
    else:
        session.pop(SESSION_KEY, None)
