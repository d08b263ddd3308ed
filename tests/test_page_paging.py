"""Paging the Port Tokens table: first/previous/next/last links and rows per page, both
keeping the rest of the view state."""

import re

from tests import factories
from tests.helpers import get, links, page_html, query_of, shown_serials


def test_pagination_links_first_previous_next_and_last(viewer_client, people):
    for n in range(60):
        factories.make_token(people.org, f"T-{n:03d}")

    response = get(viewer_client, per_page=25, page=2, sort="token_sn")

    assert shown_serials(response)[0] == "T-025"
    assert "Page 2 of 3" in page_html(response)
    state = [("sort", "token_sn"), ("per_page", "25")]
    expected = {
        "« First": state,
        "‹ Previous": state,
        "Next ›": [*state, ("page", "3")],
        "Last »": [*state, ("page", "3")],
    }
    for text, query in expected.items():
        (href,) = links(response, text)
        assert query_of(href) == query


def test_per_page_offers_25_50_100_250_and_keeps_the_state(viewer_client, people):
    factories.make_token(people.org)

    text = page_html(get(viewer_client, "status:is:New", per_page=100))

    form = re.search(r'<form class="per-page".*?</form>', text, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', form) == ["25", "50", "100", "250"]
    assert '<option value="100" selected>' in form
    assert '<input type="hidden" name="filter" value="status:is:New">' in form


def test_per_page_sets_the_number_of_rows(viewer_client, people):
    for _ in range(30):
        factories.make_token(people.org)

    assert len(shown_serials(get(viewer_client, per_page=25))) == 25
    assert len(shown_serials(get(viewer_client))) == 30
