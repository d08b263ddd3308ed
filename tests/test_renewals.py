"""The renewals forecast (`/inventory/renewals/?<view state>`): the tokens of a view by the
Pacific month of their Plan End Date, each number linking to the table narrowed to it; and
the status summary's "ends within 30 / 60 / 90 days" counts and links.

Today is frozen at 2026-02-15 (Pacific): the forecast runs from February 2026 to January
2027. Pacific midnight is 08:00 UTC in winter (PST) and 07:00 UTC in summer (PDT); daylight
saving time starts on 2026-03-08 and ends on 2026-11-01.
"""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import renewals
from tests import factories
from tests.factories import utc
from tests.helpers import get, links, page_html, query_of, read_data_table

URL = "/inventory/renewals/"
TODAY = date(2026, 2, 15)
MONTH_TITLES = [
    "February 2026",
    "March 2026",
    "April 2026",
    "May 2026",
    "June 2026",
    "July 2026",
    "August 2026",
    "September 2026",
    "October 2026",
    "November 2026",
    "December 2026",
    "January 2027",
]
PERIOD_TITLES = ["Ended before February 2026", *MONTH_TITLES, "After January 2027", "No end date"]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(renewals, "today_pacific", lambda: TODAY)


def forecast_table(response):
    return read_data_table(response, "forecast-table")


def totals(response) -> dict[str, int]:
    """Period title -> its total, for the periods of the forecast table (footer left out)."""
    table = forecast_table(response)
    return {row[0]: int(row[-1].replace(",", "")) for row in table.rows if row[0] != "Total"}


def nonzero(response) -> dict[str, int]:
    return {title: n for title, n in totals(response).items() if n}


def bar_links(response) -> dict[str, str]:
    """The chart's bars: their description (what a screen reader says) -> link."""
    found = re.findall(
        r'<a class="forecast-bar" href="([^"]*)" aria-label="([^"]*)"', page_html(response)
    )
    return {label: href for href, label in found}


def forecast(client, *filters, **params):
    """The forecast page of the view with these `filter=` values and other parameters."""
    return client.get(URL, [*(("filter", f) for f in filters), *params.items()])


def plan_end(people, moment, **fields):
    return factories.make_token(people.org, plan_end_date=moment, **fields)


# --- counts ---------------------------------------------------------------------------


def test_forecast_counts_tokens_by_the_pacific_month_of_their_plan_end(viewer_client, people):
    plan_end(people, utc(2026, 2, 1, 7, 59))  # Jan 31 23:59 PST: ended before
    plan_end(people, utc(2026, 2, 1, 8, 0))  # Feb 1 00:00 PST
    plan_end(people, utc(2026, 3, 1, 7, 59))  # Feb 28 23:59 PST
    plan_end(people, utc(2026, 3, 1, 8, 0))  # Mar 1 00:00 PST
    plan_end(people, utc(2026, 4, 1, 6, 59))  # Mar 31 23:59 PDT
    plan_end(people, utc(2026, 4, 1, 7, 0))  # Apr 1 00:00 PDT
    plan_end(people, utc(2026, 11, 1, 6, 59))  # Oct 31 23:59 PDT
    plan_end(people, utc(2026, 11, 1, 7, 0))  # Nov 1 00:00 PDT, the day PST returns
    plan_end(people, utc(2026, 12, 1, 7, 59))  # Nov 30 23:59 PST
    plan_end(people, utc(2027, 2, 1, 7, 59))  # Jan 31 2027 23:59 PST: the 12th month
    plan_end(people, utc(2027, 2, 1, 8, 0))  # Feb 1 2027: later
    plan_end(people, utc(2019, 5, 5))  # long ago: ended before
    plan_end(people, None)

    response = forecast(viewer_client)

    assert totals(response) == {
        "Ended before February 2026": 2,
        "February 2026": 2,
        "March 2026": 2,
        "April 2026": 1,
        "May 2026": 0,
        "June 2026": 0,
        "July 2026": 0,
        "August 2026": 0,
        "September 2026": 0,
        "October 2026": 1,
        "November 2026": 2,
        "December 2026": 0,
        "January 2027": 1,
        "After January 2027": 1,
        "No end date": 1,
    }
    assert "13 tokens by month of plan end" in page_html(response)


def test_forecast_splits_each_month_by_status(viewer_client, people):
    plan_end(people, utc(2026, 3, 10), status="New")
    plan_end(people, utc(2026, 3, 11), status="Active")
    plan_end(people, utc(2026, 3, 12), status="Active")
    plan_end(people, None, status="Expired")

    table = forecast_table(forecast(viewer_client))

    assert table.headers == ["Plan ends", "New", "Available", "Active", "Expired", "Total"]
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["March 2026"] == ["1", "0", "2", "0", "3"]
    assert rows["No end date"] == ["0", "0", "0", "1", "1"]
    assert rows["Total"] == ["1", "0", "2", "1", "4"]
    assert bar_links(forecast(viewer_client)).keys() == {
        "March 2026: 3 tokens (New 1, Active 2)",
        "No end date: 1 token (Expired 1)",
    }


def test_large_counts_are_written_with_thousands_separators(viewer_client, people):
    factories.make_tokens(people.org, 1200, plan_end_date=utc(2026, 3, 10))

    response = forecast(viewer_client)

    rows = {row[0]: row[1:] for row in forecast_table(response).rows}
    assert rows["March 2026"] == ["1,200", "0", "0", "0", "1,200"]
    assert "March 2026: 1,200 tokens (New 1,200)" in bar_links(response)
    assert "1,200 tokens by month of plan end" in page_html(response)


def test_the_view_state_narrows_the_forecast(viewer_client, people):
    plan_end(people, utc(2026, 3, 10), renewal_owner="alice")
    plan_end(people, utc(2026, 3, 10), renewal_owner="bob")
    plan_end(people, utc(2026, 6, 10), renewal_owner="alice")

    response = forecast(viewer_client, "renewal_owner:is:alice")

    assert nonzero(response) == {"March 2026": 1, "June 2026": 1}
    assert "Renewal Owner is alice" in page_html(response)


def test_quick_search_narrows_the_forecast_and_stays_in_its_links(viewer_client, people):
    plan_end(people, utc(2026, 3, 10), renewal_owner="alice@acme.example")
    plan_end(people, utc(2026, 3, 10), renewal_owner="bob@acme.example")

    response = forecast(viewer_client, q="alice")

    assert nonzero(response) == {"March 2026": 1}
    (bar,) = bar_links(response).values()
    assert query_of(bar) == [
        ("filter", "plan_end_date:between:2026-03-01..2026-03-31"),
        ("q", "alice"),
    ]


def test_match_any_counts_tokens_matching_any_filter(viewer_client, people):
    plan_end(people, utc(2026, 3, 10), renewal_owner="alice")
    plan_end(people, utc(2026, 3, 10), renewal_owner="bob")
    plan_end(people, utc(2026, 3, 10), renewal_owner="carol")

    response = forecast(
        viewer_client, "renewal_owner:is:alice", "renewal_owner:is:bob", match="any"
    )

    assert nonzero(response) == {"March 2026": 2}
    # The table cannot say "(alice or bob) and March": the page says what its links do.
    assert "links open more tokens than counted here" in page_html(response)


def test_outsider_sees_only_the_tokens_of_their_organizations(outsider_client, people):
    plan_end(people, utc(2026, 3, 10))
    factories.make_token(people.other_org, plan_end_date=utc(2026, 5, 10))

    assert nonzero(forecast(outsider_client)) == {"May 2026": 1}


def test_a_superuser_sees_every_token(client, people):
    plan_end(people, utc(2026, 3, 10))
    factories.make_token(people.other_org, plan_end_date=utc(2026, 5, 10))
    client.force_login(factories.make_superuser())

    assert nonzero(forecast(client)) == {"March 2026": 1, "May 2026": 1}


def test_the_forecast_is_one_query_of_the_tokens(viewer_client, people):
    for day in range(2, 30):
        plan_end(people, utc(2026, 3, day))  # midnight UTC: the day before, Pacific

    with CaptureQueriesContext(connection) as queries:
        response = forecast(viewer_client, "org_name:contains:acme")

    assert nonzero(response) == {"March 2026": 28}
    token_queries = [q for q in queries.captured_queries if "inventory_porttoken" in q["sql"]]
    assert len(token_queries) == 1


def test_split_by_organization_shows_the_five_largest_and_the_rest(client, people):
    client.force_login(factories.make_superuser())
    sizes = {"Alpha": 6, "Bravo": 5, "Charlie": 4, "Delta": 3, "Echo": 2, "Foxtrot": 1, "Golf": 1}
    for name, size in sizes.items():
        organization = factories.make_organization(f"ORG-{name.upper()}", name)
        for _ in range(size):
            factories.make_token(organization, plan_end_date=utc(2026, 7, 10))

    response = client.get(URL, {"split": "org"})

    table = forecast_table(response)
    assert table.headers == [
        "Plan ends",
        "Alpha",
        "Bravo",
        "Charlie",
        "Delta",
        "Echo",
        "Other organizations",
        "Total",
    ]
    rows = {row[0]: row for row in table.rows}
    assert rows["July 2026"][1:] == ["6", "5", "4", "3", "2", "2", "22"]
    hrefs = table.hrefs[PERIOD_TITLES.index("July 2026")]
    assert query_of(hrefs[1]) == [
        ("filter", "plan_end_date:between:2026-07-01..2026-07-31"),
        ("filter", "org_id:is:ORG-ALPHA"),
    ]
    assert hrefs[5] is not None  # Echo's
    assert hrefs[6] is None  # no one filter names "Other organizations"


# --- links ----------------------------------------------------------------------------


def test_each_bar_and_total_links_to_the_table_narrowed_to_its_period(viewer_client, people):
    plan_end(people, utc(2025, 12, 10))
    plan_end(people, utc(2026, 2, 20))
    plan_end(people, utc(2026, 7, 4))
    plan_end(people, utc(2028, 1, 1))
    plan_end(people, None)

    response = forecast(viewer_client, "org_name:contains:acme", sort="-status")

    view = [("filter", "org_name:contains:acme")]
    expected = {
        "Ended before February 2026": "plan_end_date:before:2026-02-01",
        "February 2026": "plan_end_date:between:2026-02-01..2026-02-28",
        "July 2026": "plan_end_date:between:2026-07-01..2026-07-31",
        "After January 2027": "plan_end_date:after:2027-01-31",
        "No end date": "plan_end_date:is:",
    }
    bars = bar_links(response)
    table = forecast_table(response)
    for title, period_filter in expected.items():
        query = [*view, ("filter", period_filter), ("sort", "-status")]
        (bar,) = [href for label, href in bars.items() if label.startswith(f"{title}: ")]
        assert bar.startswith("/inventory/port-tokens/?")
        assert query_of(bar) == query
        (row,) = [i for i, row in enumerate(table.rows) if row[0] == title]
        assert query_of(table.hrefs[row][-1]) == query
    assert len(bars) == len(expected)  # a period without tokens has no bar to follow


def test_status_numbers_link_to_the_period_and_that_status(viewer_client, people):
    plan_end(people, utc(2026, 4, 10), status="Active")

    table = forecast_table(forecast(viewer_client))

    (row,) = [i for i, cells in enumerate(table.rows) if cells[0] == "April 2026"]
    assert query_of(table.hrefs[row][3]) == [
        ("filter", "plan_end_date:between:2026-04-01..2026-04-30"),
        ("filter", "status:is:Active"),
    ]


def test_every_month_link_spans_the_whole_month(viewer_client, people):
    for month in range(2, 13):
        plan_end(people, utc(2026, month, 15))
    plan_end(people, utc(2027, 1, 15))

    bars = bar_links(forecast(viewer_client))

    ranges = [query_of(href)[0][1] for href in bars.values()]
    assert ranges == [
        "plan_end_date:between:2026-02-01..2026-02-28",
        "plan_end_date:between:2026-03-01..2026-03-31",
        "plan_end_date:between:2026-04-01..2026-04-30",
        "plan_end_date:between:2026-05-01..2026-05-31",
        "plan_end_date:between:2026-06-01..2026-06-30",
        "plan_end_date:between:2026-07-01..2026-07-31",
        "plan_end_date:between:2026-08-01..2026-08-31",
        "plan_end_date:between:2026-09-01..2026-09-30",
        "plan_end_date:between:2026-10-01..2026-10-31",
        "plan_end_date:between:2026-11-01..2026-11-30",
        "plan_end_date:between:2026-12-01..2026-12-31",
        "plan_end_date:between:2027-01-01..2027-01-31",
    ]


def test_with_one_filter_match_any_is_dropped_so_the_month_narrows(viewer_client, people):
    plan_end(people, utc(2026, 3, 10), renewal_owner="alice")

    response = forecast(viewer_client, "renewal_owner:is:alice", match="any")

    (bar,) = bar_links(response).values()
    assert query_of(bar) == [
        ("filter", "renewal_owner:is:alice"),
        ("filter", "plan_end_date:between:2026-03-01..2026-03-31"),
    ]
    assert "links open more tokens" not in page_html(response)


def test_the_split_links_keep_the_view(viewer_client, people):
    response = forecast(viewer_client, "org_name:contains:acme")

    (by_org,) = links(response, "Organization")
    assert query_of(by_org) == [("filter", "org_name:contains:acme"), ("split", "org")]
    (table,) = links(response, "Open this view in the table")
    assert table == "/inventory/port-tokens/?filter=org_name%3Acontains%3Aacme"


def test_the_table_links_to_the_forecast_of_its_view(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, "org_name:contains:acme", sort="-status", page=1)

    (href,) = links(response, "Renewals forecast")
    assert href.startswith(URL + "?")
    assert query_of(href) == [("filter", "org_name:contains:acme"), ("sort", "-status")]


# --- bad state ------------------------------------------------------------------------


def test_bad_state_is_reported_piece_by_piece_and_the_rest_still_counts(viewer_client, people):
    plan_end(people, utc(2026, 3, 10), renewal_owner="alice")
    plan_end(people, utc(2026, 3, 10), renewal_owner="bob")

    response = viewer_client.get(
        URL,
        [
            ("filter", "renewal_owner:is:alice"),
            ("filter", "nonsense:is:x"),
            ("filter", "plan_end_date:before:someday"),
            ("match", "maybe"),
            ("sort", "nope"),
            ("split", "colour"),
            ("page", "zero"),
        ],
    )

    assert nonzero(response) == {"March 2026": 1}
    text = page_html(response)
    assert "Filter 2 ignored: unknown column 'nonsense'." in text
    assert "Filter 3 ignored: 'someday' is not a date" in text
    assert "Match 'maybe' ignored" in text
    assert "Sort 'nope' ignored" in text
    assert "Split 'colour' ignored: use status or org." in text


@pytest.mark.parametrize(
    "query",
    [
        "filter=plan_end_date:is:%00",
        "split=%00",
        "filter=plan_end_date:between:9999-12-31..0001-01-01",
        "filter=" + "x" * 5000,
        "columns=%ff%fe&sort=-",
    ],
)
def test_odd_state_never_fails(viewer_client, people, query):
    plan_end(people, utc(2026, 3, 10))

    response = viewer_client.get(f"{URL}?{query}")

    assert response.status_code == 200


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


# --- ends within 30 / 60 / 90 days ----------------------------------------------------


def _window_links(response, prefix: str) -> list[tuple[str, str]]:
    """The status summary's "ends within" tiles whose text starts with `prefix`, as
    (count, link) pairs."""
    return [
        (text.rsplit(" ", 1)[1], href)
        for href, text in re.findall(
            r'<a class="status-tile window-tile" href="([^"]*)"[^>]*>(.*?)</a>',
            page_html(response),
            re.S,
        )
        for text in [" ".join(re.sub(r"<[^>]+>", "", text).split())]
        if text.startswith(prefix + " ")
    ]


def test_ends_within_counts_pacific_days_from_today_both_ends_included(viewer_client, people):
    plan_end(people, utc(2026, 2, 15, 7, 59))  # Feb 14 23:59 PST: yesterday, not counted
    plan_end(people, utc(2026, 2, 15, 8, 0))  # today 00:00 PST
    plan_end(people, utc(2026, 3, 18, 6, 59))  # Mar 17 (today + 30) 23:59 PDT
    plan_end(people, utc(2026, 3, 18, 7, 0))  # Mar 18 00:00 PDT: within 60
    plan_end(people, utc(2026, 5, 17, 6, 59))  # May 16 (today + 90) 23:59 PDT
    plan_end(people, utc(2026, 5, 17, 7, 0))  # May 17: after 90 days
    plan_end(people, None)

    response = get(viewer_client)

    assert dict(_window_links(response, "Ends within 30 days")) == {
        "2": "?filter=plan_end_date%3Abetween%3A2026-02-15..2026-03-17"
    }
    assert [count for count, _ in _window_links(response, "Ends within 60 days")] == ["3"]
    assert [count for count, _ in _window_links(response, "Ends within 90 days")] == ["4"]
    ((_, ninety),) = _window_links(response, "Ends within 90 days")
    assert query_of(ninety) == [("filter", "plan_end_date:between:2026-02-15..2026-05-16")]


def test_ends_within_counts_the_matching_tokens_and_links_keep_the_view(viewer_client, people):
    plan_end(people, utc(2026, 3, 1), status="Active", renewal_owner="alice")
    plan_end(people, utc(2026, 3, 1), status="New", renewal_owner="alice")
    plan_end(people, utc(2026, 3, 1), status="Active", renewal_owner="bob")
    factories.make_token(people.other_org, plan_end_date=utc(2026, 3, 1))

    response = get(viewer_client, "renewal_owner:is:alice", "status:is:Active", sort="org_name")

    ((count, href),) = _window_links(response, "Ends within 30 days")
    assert count == "1"
    assert query_of(href) == [
        ("filter", "renewal_owner:is:alice"),
        ("filter", "status:is:Active"),
        ("filter", "plan_end_date:between:2026-02-15..2026-03-17"),
        ("sort", "org_name"),
    ]
