"""The table's view state as the API reads it: the same parser as the page
(`parse_view_state`), but where the page ignores a bad piece and says so beside it, the
API refuses the request with a 400 listing every bad piece, so a script never gets rows
for a question it did not ask.

Only the pieces the API uses count: `filter`, `match`, `q` and `sort` (and `columns` for
an export of the visible columns). `page` and `per_page` are the table's; the API pages
with `cursor` and `page_size`.
"""

from inventory.api.errors import BadRequest, error
from inventory.viewstate import ViewState, parse_view_state

#: The view state's pieces the token list uses; a message about any other is not its.
LIST_PIECES = ("filter", "match", "q", "sort")


def state_errors(state: ViewState, query_dict, pieces=LIST_PIECES) -> list[dict]:
    """Every message of the parsed state about one of `pieces`, as a JSON error."""
    errors = []
    for message in state.messages:
        param, _, number = message.piece.partition("-")
        if param == "filters":
            errors.append(error("filter", None, message.text))
        elif param == "filter" and number.isdigit():
            errors.append(error("filter", state.filter_rows[int(number) - 1].raw, message.text))
        elif param in pieces:
            errors.append(error(param, query_dict.get(param), message.text))
    return errors


def view_state(query_dict, pieces=LIST_PIECES, saved_column_keys=None) -> ViewState:
    """The query string's view state; raises BadRequest listing every bad piece."""
    state = parse_view_state(query_dict, saved_column_keys)
    errors = state_errors(state, query_dict, pieces)
    if errors:
        raise BadRequest(errors)
    return state
