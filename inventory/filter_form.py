"""The page's filter builder, submitted as a plain HTML form, turned into the canonical URL.

The builder works without JavaScript: each row submits `f_row` (its number), `f_key`,
`f_op` and `f_value`, once per row and in the same order, so the four lists line up.
What a row needs beyond one value is named after its number: `f_pick_<row>` for each
checked value of an "is any of" checkbox list, `f_until_<row>` for the last day of a
"between". `f_remove=<row>` drops a row. `form_redirect` writes the rows as the `filter=`
pieces that `inventory.viewstate` reads; whether they are valid is its job, so a bad row
reaches the page and is shown there with its message.
"""

import re
from itertools import zip_longest
from urllib.parse import urlencode

from django.http import HttpResponse

from inventory.temporal import RANGE_SEPARATOR
from inventory.viewstate import LIST_SEPARATOR, query_items_except

#: Fields of the filter builder that never appear in a canonical URL.
FORM_FIELDS = ("f_row", "f_key", "f_op", "f_value", "f_remove")
PICK_FIELD = "f_pick_"
UNTIL_FIELD = "f_until_"
#: What separates the items of a pasted list: line breaks (a spreadsheet's column),
#: tabs (a row), commas, semicolons, and the URL's own `|`.
_PASTED_SEPARATORS = re.compile(r"[\r\n\t,;|]")


def form_redirect(query_dict) -> str | None:
    """Turn a submitted filter builder into the canonical query string.

    The answer keeps every other piece of the URL as given (bad pieces included, so the
    page can still say what is wrong with them) and starts again at page 1. None when the
    builder was not submitted.
    """
    if "f_key" not in query_dict:
        return None
    filters = [("filter", raw) for raw in _builder_filters(query_dict)]
    rest = [
        (key, value)
        for key, value in query_items_except(query_dict, (*FORM_FIELDS, "filter", "page"))
        if not (key == "match" and value == "all") and not key.startswith((PICK_FIELD, UNTIL_FIELD))
    ]
    return urlencode(filters + rest)


def canonical_redirect(url: str) -> HttpResponse:
    """A 302 to the page's own canonical URL, however long.

    Django's HttpResponseRedirect refuses targets over 16,384 characters (it guards
    against slow normalization of untrusted targets); this one is the page's own path
    with a query that `form_redirect` percent-encoded, and a pasted list of 10,000
    serials makes it about 160 kB.
    """
    response = HttpResponse(status=302)
    response["Location"] = url
    return response


def pasted_items(text: str) -> list[str]:
    """The items of a pasted list: one per line, or separated by commas, semicolons or
    tabs; blank ones dropped."""
    return [item.strip() for item in _PASTED_SEPARATORS.split(text) if item.strip()]


def _builder_filters(query_dict) -> list[str]:
    remove = query_dict.get("f_remove", "")
    rows = zip_longest(
        query_dict.getlist("f_row"),
        query_dict.getlist("f_key"),
        query_dict.getlist("f_op"),
        query_dict.getlist("f_value"),
        fillvalue="",
    )
    raws = []
    for position, (number, key, op, value) in enumerate(rows, start=1):
        number = number.strip() or str(position)
        if number == remove:
            continue
        picks = query_dict.getlist(PICK_FIELD + number)
        if key.strip() == "" and value.strip() == "" and not picks:
            continue  # an unused empty row
        op = op.strip() or "contains"
        until = query_dict.get(UNTIL_FIELD + number)
        raws.append(f"{key.strip()}:{op}:{_row_value(op, value, picks, until)}")
    return raws


def _row_value(op: str, value: str, picks: list[str], until: str | None) -> str:
    """One row's value as the URL writes it: an "is any of" row's checked values and
    pasted list as one `|`-separated list, a "between" row's two days as `first..last`."""
    if op == "in":
        return LIST_SEPARATOR.join([*picks, *pasted_items(value)])
    two_days = op == "between" and until is not None and RANGE_SEPARATOR not in value
    if two_days and (value.strip() or until.strip()):
        # Two date fields; with one of them empty the range is half, and the page says so.
        return f"{value.strip()}{RANGE_SEPARATOR}{until.strip()}"
    return value
