"""Cursor pages over the Port Tokens table's order: never a skipped or repeated row, and
as fast on the thousandth page as on the first.

A page is the rows after (or, going back, before) a position in the table's order
(`filtering.ordering`: the sort column with empty values last in both directions, then
Token S/N). The position is the last (or first) row's sort value and Token S/N, carried
in an opaque `cursor` parameter; the next page asks the database for the rows past it
(a keyset condition), not for an OFFSET, so rows added or removed meanwhile never shift
a page onto rows already seen.
"""

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Q, QuerySet, Value
from django.db.models.lookups import Exact, GreaterThan, IsNull, LessThan
from rest_framework.utils.urls import remove_query_param, replace_query_param

from inventory.api.errors import BadRequest, error
from inventory.columns import Kind
from inventory.filtering import ordering
from inventory.viewstate import ViewState

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
CURSOR_PARAM = "cursor"
PAGE_SIZE_PARAM = "page_size"
#: The annotation holding each row's sort value, read to make the next cursor.
SORT_VALUE = "cursor_sort_value"


@dataclass(frozen=True)
class Position:
    """A place in the order: just after (`forward`) or just before a row with this sort
    value (None: empty) and Token S/N."""

    sort: str
    value: object
    serial: str
    forward: bool = True


@dataclass
class TokenPage:
    rows: list[dict]
    next_url: str | None
    previous_url: str | None


def page_size(query_dict, *, default=DEFAULT_PAGE_SIZE, most=MAX_PAGE_SIZE) -> int:
    """`page_size` from the query (`default` without one); raises BadRequest for anything
    but a whole number from 1 to `most`."""
    raw = (query_dict.get(PAGE_SIZE_PARAM) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= most:
        raise BadRequest([error(PAGE_SIZE_PARAM, raw, f"Use a whole number from 1 to {most:,}.")])
    return int(raw)


def _sort_expression(state: ViewState):
    """The expression the table sorts by before Token S/N, or None when it sorts by Token
    S/N itself: the same ORDER BY as the page (`filtering.ordering`)."""
    first = ordering(state)[0]
    return None if isinstance(first, str) else first.expression


def _encode_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode_value(kind: Kind, raw):
    if raw is None:
        return None
    if kind is Kind.TIMESTAMP:
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("a timestamp without its offset")
        return value
    if kind is Kind.DATE:
        return date.fromisoformat(raw)
    if kind is Kind.NUMBER:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ValueError("not a number")
        return raw
    if not isinstance(raw, str):
        raise ValueError("not a text")
    return raw


def encode_cursor(position: Position) -> str:
    data = [position.sort, _encode_value(position.value), position.serial, position.forward]
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def decode_cursor(raw: str, state: ViewState) -> Position:
    """The position a cursor names; raises BadRequest for a cursor this API did not give,
    or one given for another sort."""
    try:
        padded = raw + "=" * (-len(raw) % 4)
        sort, value, serial, forward = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(serial, str) or not isinstance(forward, bool) or "\x00" in serial:
            raise ValueError("malformed")
        if sort != state.sort_param:
            raise BadRequest(
                [
                    error(
                        CURSOR_PARAM,
                        raw,
                        f"This cursor pages a list sorted by {sort!r}, not {state.sort_param!r}; "
                        "start again without a cursor.",
                    )
                ]
            )
        value = _decode_value(state.sort_column.kind, value)
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("malformed")
    except BadRequest:
        raise
    except (ValueError, TypeError, UnicodeError):
        raise BadRequest(
            [
                error(
                    CURSOR_PARAM,
                    raw,
                    "Not a cursor from this API; use a `next` or `previous` link.",
                )
            ]
        ) from None
    return Position(sort, value, serial, forward)


def _past(state: ViewState, position: Position) -> Q:
    """Rows after `position` in the table's order (before it, for a backward position)."""
    expression = _sort_expression(state)
    later = GreaterThan if position.forward else LessThan
    if expression is None:
        serial_after = state.sort_descending != position.forward
        return Q(serial__gt=position.serial) if serial_after else Q(serial__lt=position.serial)
    # Going forward, empty values come after every value; going back, before none.
    beyond_value = LessThan if position.forward == state.sort_descending else GreaterThan
    same_value_later = later(F("serial"), position.serial)
    if position.value is None:
        same = Q(IsNull(expression, True)) & Q(same_value_later)
        return same if position.forward else same | Q(IsNull(expression, False))
    value = Value(position.value)
    beyond = Q(beyond_value(expression, value)) | (
        Q(Exact(expression, value)) & Q(same_value_later)
    )
    return beyond | Q(IsNull(expression, True)) if position.forward else beyond


def token_page(matching: QuerySet, state: ViewState, request, paths: list[str]) -> TokenPage:
    """One page of `matching` (the table's tokens, in the table's order) as row dicts of
    `paths`, and the links to the pages around it."""
    size = page_size(request.query_params)
    raw = request.query_params.get(CURSOR_PARAM) or ""
    position = decode_cursor(raw, state) if raw else None
    expression = _sort_expression(state)
    annotations = {SORT_VALUE: expression} if expression is not None else {}
    rows = matching.values(*paths, **annotations)
    if position is not None:
        rows = rows.filter(_past(state, position))
    if position is not None and not position.forward:
        rows = rows.reverse()
    rows = list(rows[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if position is not None and not position.forward:
        rows.reverse()

    url = request.build_absolute_uri()

    def link(row, forward: bool) -> str:
        value = row[SORT_VALUE] if expression is not None else None
        cursor = encode_cursor(Position(state.sort_param, value, row["serial"], forward))
        return replace_query_param(url, CURSOR_PARAM, cursor)

    if not rows:
        # Past either end (rows removed meanwhile): back to the first page.
        return TokenPage(rows, None, remove_query_param(url, CURSOR_PARAM) if position else None)
    if position is not None and not position.forward:
        return TokenPage(rows, link(rows[-1], True), link(rows[0], False) if more else None)
    return TokenPage(
        rows,
        link(rows[-1], True) if more else None,
        link(rows[0], False) if position is not None else None,
    )
