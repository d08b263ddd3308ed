"""Sorting the Port Tokens table by its headers: links, reversing, empty values last in
both directions, ties broken by Token S/N so pages never overlap or skip rows."""

from inventory.columns import COLUMNS
from inventory.models import PortToken
from tests import factories
from tests.factories import utc
from tests.helpers import get, links, page_html, query_of, shown_serials


def test_every_header_links_to_sorting_by_its_column(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, columns=",".join(c.key for c in COLUMNS))

    for column in COLUMNS:
        expected = f"-{column.key}" if column.key == "token_sn" else column.key
        (href,) = links(response, column.label + ("▲" if column.key == "token_sn" else ""))
        assert ("sort", expected) in query_of(href)


def test_clicking_the_sorted_header_again_reverses_it(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, sort="station_name")

    (href,) = links(response, "Station Name▲")
    assert ("sort", "-station_name") in query_of(href)
    (href,) = links(get(viewer_client, sort="-station_name"), "Station Name▼")
    assert ("sort", "station_name") in query_of(href)
    assert 'aria-sort="descending"' in page_html(get(viewer_client, sort="-station_name"))


def test_sort_puts_empty_values_last_in_both_directions_and_breaks_ties_by_serial(
    viewer_client, people
):
    factories.make_token(people.org, "T-5", renewal_owner="beta")
    factories.make_token(people.org, "T-4", renewal_owner=None)
    factories.make_token(people.org, "T-3", renewal_owner="alpha")
    factories.make_token(people.org, "T-2", renewal_owner="")
    factories.make_token(people.org, "T-1", renewal_owner="beta")

    ascending = shown_serials(get(viewer_client, sort="renewal_owner"))
    descending = shown_serials(get(viewer_client, sort="-renewal_owner"))

    assert ascending == ["T-3", "T-1", "T-5", "T-2", "T-4"]
    assert descending == ["T-1", "T-5", "T-3", "T-2", "T-4"]


def test_sort_by_timestamp_keeps_empty_values_last(viewer_client, people):
    factories.make_token(people.org, "T-EMPTY", plan_end_date=None)
    factories.make_token(people.org, "T-LATE", plan_end_date=utc(2027, 1, 1))
    factories.make_token(people.org, "T-EARLY", plan_end_date=utc(2026, 1, 1))

    assert shown_serials(get(viewer_client, sort="plan_end_date")) == [
        "T-EARLY",
        "T-LATE",
        "T-EMPTY",
    ]
    assert shown_serials(get(viewer_client, sort="-plan_end_date")) == [
        "T-LATE",
        "T-EARLY",
        "T-EMPTY",
    ]


def test_pages_never_overlap_or_skip_rows_when_sorting_by_a_column_with_ties(viewer_client, people):
    statuses = list(PortToken.Status.values)
    serials = {
        factories.make_token(people.org, f"T-{n:03d}", status=statuses[n % 2]).serial
        for n in range(60)
    }

    seen = []
    for page in (1, 2, 3):
        seen += shown_serials(get(viewer_client, sort="-status", per_page=25, page=page))

    assert len(seen) == 60
    assert set(seen) == serials
