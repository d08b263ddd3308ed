"""The filter builder's rows, as the template and the page's script need them.

Every row is a plain form row (see `inventory.filter_form` for what it submits): a field,
an operator and a value control that suits them. That is a text field; a date field for
Is, Before and After on a date or timestamp column; two date fields for Between; for Is
Any Of a list of checkboxes (the values present in the user's tokens, with how many
tokens have each) on a column with few values, else a text area that takes a pasted list.
The script builds the same controls when a row changes, asking `value_choices_response`
for a column's checkboxes only when a row needs them.
"""

from django.http import JsonResponse

from inventory.columns import COLUMNS, COLUMNS_BY_KEY, Column
from inventory.dbfunctions import fold_text
from inventory.filter_form import PICK_FIELD, UNTIL_FIELD
from inventory.filtering import value_counts
from inventory.models import PortToken
from inventory.selectors import visible_tokens
from inventory.temporal import RANGE_SEPARATOR, parse_day
from inventory.viewstate import (
    LIST_SEPARATOR,
    MAX_FILTERS,
    OPERATORS,
    TEMPORAL_OPERATORS,
    ViewState,
)

#: Rows the filter builder shows in total without JavaScript (filled ones included).
BUILDER_ROWS_WITHOUT_JS = 3
#: Columns with few distinct values: "is any of" offers them as checkboxes.
CHOICE_COLUMN_KEYS = (
    "status",
    "cloud_plan",
    "port_type",
    "token_type",
    "term_years",
    "org_name",
    "org_id",
)
#: More values than this (a superuser's thousand organizations) and the column gets the
#: text area instead: a checkbox list that long helps nobody.
MAX_CHOICES = 100
#: The query parameter that asks the page for one column's checkboxes (as JSON).
CHOICES_PARAM = "choices_for"
#: Operators that take a day on date and timestamp columns.
_DAY_OPERATORS = ("is", "before", "after")


def builder_context(state: ViewState, tokens) -> dict:
    """What the builder's template reads: its rows, the field list, and what the script
    needs to know to change a row (date columns and operators, choice columns)."""
    return {
        "builder_rows": _builder_rows(state, tokens),
        "builder_fields": COLUMNS,
        "temporal_keys": [column.key for column in COLUMNS if column.is_temporal],
        "temporal_operators": TEMPORAL_OPERATORS,
        "choice_keys": CHOICE_COLUMN_KEYS,
        "choices_param": CHOICES_PARAM,
        "status_values": PortToken.Status.values,
        "builder_hidden": state.query_items(filters=[], match=None, page=None),
    }


def value_choices(tokens, column: Column) -> list[tuple[str, int]] | None:
    """The values of a choice column among `tokens` with their counts (statuses in the
    order of their lifecycle), or None when there are too many for checkboxes."""
    counted = value_counts(tokens, column, limit=MAX_CHOICES + 1)
    if len(counted) > MAX_CHOICES:
        return None
    if column.key == "status":
        order = {status: n for n, status in enumerate(PortToken.Status.values)}
        counted.sort(key=lambda pair: order.get(pair[0], len(order)))
    return counted


def value_choices_response(request) -> JsonResponse:
    """One choice column's checkboxes for the script: {"choices": [{"value", "count"}]},
    or "choices": null when the column has too many values for them."""
    key = request.GET.get(CHOICES_PARAM, "")
    if key not in CHOICE_COLUMN_KEYS:
        return JsonResponse({"error": f"{key[:40]!r} is not a column with choices"}, status=400)
    choices = value_choices(visible_tokens(request.user), COLUMNS_BY_KEY[key])
    return JsonResponse(
        {
            "key": key,
            "choices": None
            if choices is None
            else [{"value": value, "count": count} for value, count in choices],
        }
    )


def _builder_rows(state: ViewState, tokens) -> list[dict]:
    """The builder's rows: every filter of the URL (bad ones too, with their message),
    then empty rows so that a few can be filled in without JavaScript. A column's
    checkboxes cost one grouped query, made once per column and only for rows that
    show them."""
    choices_of: dict[str, list | None] = {}

    def choices(column: Column):
        if column.key not in choices_of:
            choices_of[column.key] = value_choices(tokens, column)
        return choices_of[column.key]

    rows = [
        _builder_row(
            row.index,
            row.key,
            row.op,
            row.value if row.filter is None else row.filter.value,
            errors=state.messages_for(f"filter-{row.index}"),
            choices=choices,
        )
        for row in state.filter_rows
    ]
    empty_rows = max(1, BUILDER_ROWS_WITHOUT_JS - len(rows))
    for _ in range(min(empty_rows, MAX_FILTERS - len(rows))):
        rows.append(_builder_row(len(rows) + 1, "", "contains", "", errors=[], choices=choices))
    return rows


def _builder_row(position: int, key: str, op: str, value: str, *, errors, choices) -> dict:
    column = COLUMNS_BY_KEY.get(key)
    # Date-only operators only where they mean something. They stay in the list, hidden,
    # so that the script can offer them again when the field changes to a date column.
    temporal = column is None or column.is_temporal
    row = {
        "position": position,
        "key": key,
        "op": op,
        "value": value,
        "errors": errors,
        "key_known": column is not None,
        "op_known": op in OPERATORS,
        "temporal": column is not None and column.is_temporal,
        "ops": [
            (op_key, operator.label, not temporal and operator.dates_only)
            for op_key, operator in OPERATORS.items()
        ],
        "control": "text",
        "pick_name": f"{PICK_FIELD}{position}",
        "until_name": f"{UNTIL_FIELD}{position}",
    }
    if column is None:
        return row
    if op == "in":
        return row | _list_control(column, value, choices)
    if op == "between" and column.is_temporal:
        first, _, last = value.partition(RANGE_SEPARATOR)
        if _is_day_or_blank(first) and _is_day_or_blank(last):
            return row | {"control": "between", "value": first.strip(), "until": last.strip()}
    if op in _DAY_OPERATORS and column.is_temporal and _is_day_or_blank(value):
        return row | {"control": "date"}
    if op in OPERATORS and not OPERATORS[op].takes_value:
        return row | {"control": "none"}
    return row


def _list_control(column: Column, value: str, choices) -> dict:
    """Checkboxes (the column's values, the listed ones checked; any other listed value
    left in the text field beside them) or a text area with one item a line."""
    items = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
    offered = choices(column) if column.key in CHOICE_COLUMN_KEYS else None
    if offered is None:
        return {"control": "list", "value": "\n".join(items)}
    listed = {fold_text(item) for item in items}
    present = {fold_text(shown) for shown, _ in offered}
    return {
        "control": "choices",
        "choices": [
            {"value": shown, "count_display": f"{count:,}", "checked": fold_text(shown) in listed}
            for shown, count in offered
        ],
        "value": f" {LIST_SEPARATOR} ".join(
            item for item in items if fold_text(item) not in present
        ),
    }


def _is_day_or_blank(text: str) -> bool:
    return text.strip() == "" or parse_day(text.strip()) is not None
