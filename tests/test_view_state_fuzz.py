"""No view state gives a server error: arbitrary text and extreme dates thrown at every
operator of every column, with arbitrary match, quick search, sort, page, per_page and
columns, on the page, the export and the transfer form's "all matching" selection.

The operators come from the code's own table (`viewstate.OPERATORS`), so an operator added
there is thrown at too.
"""

from datetime import date, datetime
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.columns import COLUMNS
from inventory.dbfunctions import PACIFIC
from inventory.models import ExportLog
from inventory.viewstate import MAX_FILTERS, OPERATORS
from tests import factories
from tests.factories import utc

PAGE = reverse("inventory:port_tokens")
EXPORT = reverse("inventory:port_tokens_export")
TRANSFER = reverse("inventory:transfer")
KEYS = [column.key for column in COLUMNS]

EDGE_YEARS = (1, 2, 999, 1000, 1883, 1884, 2006, 2007, 9998, 9999)
EDGE_DAYS = ((1, 1), (1, 2), (2, 28), (2, 29), (3, 1), (3, 9), (11, 2), (12, 30), (12, 31))
EDGE_DATES = [f"{year:04d}-{m:02d}-{d:02d}" for year in EDGE_YEARS for m, d in EDGE_DAYS]
NOT_QUITE_DATES = [
    "0000-01-01",
    "10000-01-01",
    "9999-12-32",
    "9999-13-01",
    "2025-02-29",
    "-0001-01-01",
    "٢٠٢٥-٠١-٠١",  # digits, but not ASCII ones
    "9999",
    "9999-12",
    "0001",
    "0001-01",
    "9999-12-31 23:59",
    "9999-12-31 15:59",
    "0001-01-01 00:00",
    "2025-03-09 02:30",
    "2025-11-02 01",
    "24:00",
    ":60",
    "",
    " ",
]

#: Thrown at every operator of every column.
EXTREMES = [
    "0001-01-01",
    "0001-01-02",
    "9999-12-30",
    "9999-12-31",
    "0000-12-31",
    "10000-01-01",
    "9999",
    "9999-12",
    "0001",
    "9999-12-31 15:59",
    "9999-12-31 16",
    "0001-01-01 00:00",
    "2025-03-09 02:30",
    "x",
    "9" * 300,
    # `between` ranges and `in` lists reaching the calendar's edges.
    "0001-01-01..9999-12-31",
    "9999-12-31..9999-12-31",
    "0001-01-01|9999-12-31|9999-12-30",
]
EXPORTS = [("csv", "visible"), ("xlsx", "all")]

#: Any text a URL can carry (no lone surrogates: they cannot be encoded as UTF-8 at all).
any_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60)
date_like = st.one_of(
    st.sampled_from(EDGE_DATES + NOT_QUITE_DATES),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.builds(
        lambda day, hour, minute: f"{day.isoformat()} {hour:02d}:{minute:02d}",
        st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
        st.integers(0, 24),
        st.integers(0, 60),
    ),
    st.text(alphabet="0123456789-: ", max_size=17),
)
#: `in` lists and `between` ranges of anything, dates or not.
lists = st.lists(st.one_of(any_text, date_like), max_size=6).map("|".join)
ranges = st.builds(lambda first, last: f"{first}..{last}", date_like, date_like)
values = st.one_of(any_text, date_like, lists, ranges, st.just("9" * 5000), st.just("a:b:c\x00d"))
pieces = st.one_of(
    st.builds(
        lambda key, op, value: f"{key}:{op}:{value}",
        st.one_of(st.sampled_from(KEYS), any_text),
        st.one_of(st.sampled_from(list(OPERATORS)), any_text),
        values,
    ),
    any_text,
)
view_states = st.fixed_dictionaries(
    {
        "filter": st.lists(pieces, max_size=MAX_FILTERS + 2),
        "match": st.one_of(st.sampled_from(["all", "any", "ANY", ""]), any_text),
        "sort": st.one_of(st.sampled_from(KEYS + [f"-{key}" for key in KEYS]), any_text),
        "page": st.one_of(st.integers(-2, 10**20).map(str), any_text),
        "per_page": st.one_of(st.sampled_from(["25", "50", "100", "250", "0"]), any_text),
        "columns": st.one_of(st.lists(st.sampled_from(KEYS), max_size=30).map(",".join), any_text),
        "q": st.one_of(any_text, st.lists(any_text, max_size=12).map(" ".join), st.just("x" * 300)),
    }
)

FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def edge_tokens(people):
    """A few tokens with dates near the calendar's edges and around clock changes."""
    order = factories.make_order("SO-EDGE", order_date=date(1, 1, 1), ship_date=date(9999, 12, 31))
    factories.make_token(
        people.org,
        "T-EDGES",
        order=order,
        activation_date=datetime(1, 1, 1, tzinfo=PACIFIC),
        applied_date=utc(9999, 12, 31, 23, 59),
        plan_start_date=utc(2025, 3, 9, 10, 0),  # 03:00 PDT, as the clocks spring forward
        plan_end_date=utc(2025, 11, 2, 9, 30),  # 01:30 PST, the repeated hour
    )
    factories.make_token(
        people.org,
        "T-EARLY",
        order=factories.make_order("SO-EARLY", order_date=date(999, 12, 31)),
        activation_date=datetime(5, 3, 1, 12, 0, tzinfo=PACIFIC),
        plan_end_date=datetime(1883, 11, 18, 12, 30, tzinfo=PACIFIC),
    )
    factories.make_token(people.org, "T-EMPTY")


def assert_no_server_error(client, query: list[tuple[str, str]], exports=EXPORTS) -> None:
    """The page, the export and the transfer selection answer without a 5xx, and the
    export runs to its end (logged as finished)."""
    encoded = urlencode(query)
    response = client.get(f"{PAGE}?{encoded}")
    assert response.status_code < 500, encoded
    for file_format, scope in exports:
        response = client.get(f"{EXPORT}?format={file_format}&scope={scope}&{encoded}")
        assert response.status_code == 200, encoded
        b"".join(response.streaming_content)
        assert ExportLog.objects.latest("id").outcome == "finished", encoded
    response = client.get(f"{TRANSFER}?all_matching=1&{encoded}")
    assert response.status_code < 500, encoded


@FUZZ
@given(state=view_states)
def test_arbitrary_view_state_never_gives_a_server_error(manager_client, edge_tokens, state):
    query = [("filter", piece) for piece in state.pop("filter")] + list(state.items())
    assert_no_server_error(manager_client, query)


def test_every_operator_of_every_column_takes_every_extreme_date(manager_client, edge_tokens):
    everything = [f"{key}:{op}:{value}" for key in KEYS for op in OPERATORS for value in EXTREMES]
    # A piece fails or not on its own, so they go twenty (the most a state uses) at a time.
    for number, start in enumerate(range(0, len(everything), MAX_FILTERS)):
        batch = [("filter", piece) for piece in everything[start : start + MAX_FILTERS]]
        assert_no_server_error(
            manager_client,
            [*batch, ("match", ("all", "any")[number % 2]), ("sort", KEYS[number % len(KEYS)])],
            exports=[EXPORTS[number % 2]],
        )
