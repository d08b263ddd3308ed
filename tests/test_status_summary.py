"""The status summary above the table: matching tokens per status, and its links that set
or replace the status filter."""

import re

import pytest

from tests import factories
from tests.helpers import get, links, page_html, query_of, shown_serials


def test_status_summary_counts_matching_tokens_per_status(viewer_client, people):
    for status, count in (("New", 2), ("Available", 1), ("Active", 3)):
        for _ in range(count):
            factories.make_token(people.org, status=status, renewal_owner="alice")
    factories.make_token(people.org, status="Expired", renewal_owner="bob")

    response = get(viewer_client, "renewal_owner:is:alice")

    summary = re.search(r'<nav class="status-summary".*?</nav>', page_html(response), re.S).group(0)
    counts = re.findall(r'badge-\w+">(\w+)</span>\s*<span class="status-count">([\d,]+)', summary)
    assert counts == [("New", "2"), ("Available", "1"), ("Active", "3"), ("Expired", "0")]


def test_status_link_adds_a_status_filter_keeping_the_others(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, "renewal_owner:is:alice", sort="org_name")

    (href,) = [h for h in links(response, "Active 0")]
    assert query_of(href) == [
        ("filter", "renewal_owner:is:alice"),
        ("filter", "status:is:Active"),
        ("sort", "org_name"),
    ]


def test_status_link_replaces_an_existing_status_filter(viewer_client, people):
    factories.make_token(people.org, status="New")
    factories.make_token(people.org, status="Active")

    response = get(viewer_client, "status:is:New")

    (href,) = links(response, "Active 1")
    assert query_of(href) == [("filter", "status:is:Active")]
    # With one status chosen the others keep their counts, so each number is what
    # clicking it shows.
    assert links(response, "New 1")


@pytest.mark.parametrize(
    ("filters", "match", "total"),
    [
        (["status:is:new"], "all", 2),
        (["status:is:New", "renewal_owner:is:alice"], "all", 1),
        (["status:is:New", "status:is:Active"], "all", 0),
        (["status:is:Bogus"], "all", 0),
        (["status:is:New", "renewal_owner:is:alice"], "any", 3),
        (["status:not_contains:new"], "all", 2),
    ],
)
def test_total_count_agrees_with_the_rows_for_status_filters(
    viewer_client, people, filters, match, total
):
    factories.make_token(people.org, status="New", renewal_owner="alice")
    factories.make_token(people.org, status="New", renewal_owner="bob")
    factories.make_token(people.org, status="Active", renewal_owner="alice")
    factories.make_token(people.org, status="Expired", renewal_owner="bob")

    response = get(viewer_client, *filters, match=match)

    assert len(shown_serials(response)) == total
    assert f"<strong>{total}</strong> token" in page_html(response)
