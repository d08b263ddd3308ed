"""The quick search `q=` (SPEC "View state lives in the URL"): words in any text column,
combined with the filters by AND, honoured by the page, its counts and links, the export
and the transfer form's "all matching" selection."""

import html
import re
from datetime import date

import pytest

from inventory.models import PortToken
from tests import factories
from tests.factories import utc
from tests.helpers import PAGE, get_all, links, page_html, query_of, shown_serials

EXPORT = "/inventory/port-tokens/export/"
TRANSFER = "/inventory/port-tokens/transfer/"


def found(client, q: str, *filters: str, **params) -> list[str]:
    return shown_serials(get_all(client, *filters, q=q, **params))


@pytest.fixture
def stations(people):
    """T-PHRASE at "Garage B Level 1"; T-SPLIT at "Garage North", bought by Bob's Fleet;
    T-OTHER elsewhere. Parts and orders named without the searched words."""
    plain = factories.make_part("CPCLD-PLAIN", cloud_plan="Commercial Cloud Plan", term_years=3)
    factories.make_token(
        people.org,
        "T-PHRASE",
        part=plain,
        evse=factories.make_evse(factories.make_station(people.org, "STN-A", "Garage B Level 1")),
    )
    factories.make_token(
        people.org,
        "T-SPLIT",
        part=plain,
        evse=factories.make_evse(factories.make_station(people.org, "STN-N", "Garage North")),
        order=factories.make_order(
            "SO-SPLIT", customer=factories.make_customer("CUST-SPLIT", "Bob's Fleet")
        ),
    )
    factories.make_token(people.org, "T-OTHER", part=plain)


def test_every_word_must_be_found_in_some_text_column(viewer_client, stations):
    # "garage" in the station name, "b" in it or in the customer's name.
    assert found(viewer_client, "garage b") == ["T-PHRASE", "T-SPLIT"]
    assert found(viewer_client, "GARAGE north") == ["T-SPLIT"]
    assert found(viewer_client, "garage nowhere") == []


def test_a_quoted_phrase_is_one_word(viewer_client, stations):
    assert found(viewer_client, '"garage b"') == ["T-PHRASE"]
    assert found(viewer_client, '"garage  b" level') == ["T-PHRASE"]
    # An unclosed quote runs to the end.
    assert found(viewer_client, '"garage n') == ["T-SPLIT"]


def test_words_may_match_in_different_columns(viewer_client, stations):
    # "acme" is in the organization's name, "fleet" only in T-SPLIT's customer.
    assert found(viewer_client, "acme fleet") == ["T-SPLIT"]
    assert found(viewer_client, "org-acme commercial t-other") == ["T-OTHER"]


def test_search_is_case_insensitive_for_non_ascii_text(viewer_client, people):
    zurich = factories.make_organization("ORG-ZH", "ZÜRICH LADEPARK")
    factories.grant(people.viewer, zurich)
    factories.make_token(zurich, "T-ZURICH")
    factories.make_token(people.org, "T-ACME")

    assert found(viewer_client, "zürich") == ["T-ZURICH"]
    assert found(viewer_client, "Ladepark ÜRICH") == ["T-ZURICH"]


def test_words_found_only_in_dates_timestamps_or_term_do_not_match(viewer_client, people):
    factories.make_token(
        people.org,
        "T-DATED",
        part=factories.make_part("CPCLD-PLAIN", term_years=7),
        order=factories.make_order(
            "SO-PLAIN",
            customer=factories.make_customer("CUST-PLAIN", "Plain"),
            order_date=date(2025, 3, 4),
        ),
        plan_start_date=utc(2025, 3, 4, 18, 0),
    )

    assert found(viewer_client, "2025-03") == []
    assert found(viewer_client, "10:00") == []
    assert found(viewer_client, "7") == []
    assert found(viewer_client, "plain") == ["T-DATED"]


def test_search_narrows_the_filters_whatever_match_says(viewer_client, stations):
    filters = ("token_sn:is:T-OTHER", "station_name:contains:north")

    assert found(viewer_client, "", *filters, match="any") == ["T-OTHER", "T-SPLIT"]
    assert found(viewer_client, "garage", *filters, match="any") == ["T-SPLIT"]
    assert found(viewer_client, "garage", *filters) == []


def test_search_shows_as_a_chip_that_removes_only_the_search(viewer_client, stations):
    response = get_all(viewer_client, "status:is:New", q='garage "level 1"')

    text = page_html(response)
    assert '<span class="chip-text">Search: garage "level 1"</span>' in text
    remove = re.search(r'href="([^"]+)" aria-label="Remove search: ', response.content.decode())
    assert query_of(html.unescape(remove.group(1))) == [
        ("filter", "status:is:New"),
        ("per_page", "250"),
    ]


def test_search_box_keeps_the_rest_of_the_view_and_shows_the_search(viewer_client, stations):
    response = get_all(viewer_client, "status:is:New", q="garage", sort="-token_sn")

    text = page_html(response)
    form = re.search(r'<form class="quick-search".*?</form>', text, re.S).group(0)
    hidden = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)
    assert hidden == [("filter", "status:is:New"), ("sort", "-token_sn"), ("per_page", "250")]
    assert 'name="q" value="garage"' in form
    assert '<label class="visually-hidden" for="quick-search">Search tokens</label>' in form


def test_links_of_the_page_keep_the_search(viewer_client, people):
    factories.make_tokens(people.org, 30, prefix="GARAGE")
    factories.make_token(people.org, "T-OTHER")

    response = viewer_client.get(PAGE, {"q": "garage", "per_page": "25"})

    assert "<strong>30</strong> tokens" in response.content.decode()
    assert ("q", "garage") in query_of(links(response, "Next ›")[0])
    export = re.search(r'data-export-query="([^"]*)"', response.content.decode()).group(1)
    assert ("q", "garage") in query_of("?" + html.unescape(export))


def test_status_counts_honour_the_search(viewer_client, people):
    factories.make_token(people.org, "GARAGE-NEW")
    factories.make_token(people.org, "GARAGE-AVAILABLE", status=PortToken.Status.AVAILABLE)
    factories.make_token(people.org, "OTHER-AVAILABLE", status=PortToken.Status.AVAILABLE)

    text = page_html(viewer_client.get(PAGE, {"q": "garage"}))

    counts = dict(
        re.findall(r'title="Show only (\w+) tokens">.*?class="status-count">([\d,]+)<', text, re.S)
    )
    assert counts == {"New": "1", "Available": "1", "Active": "0", "Expired": "0"}


def test_the_export_honours_the_search(viewer_client, stations):
    response = viewer_client.get(
        EXPORT, {"format": "csv", "scope": "visible", "columns": "token_sn", "q": "north"}
    )

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines == ["Token S/N", "T-SPLIT"]


def test_all_matching_preselection_honours_the_search(manager_client, people):
    factories.make_token(people.org, "GARAGE-1")
    factories.make_token(people.org, "GARAGE-2", status=PortToken.Status.AVAILABLE)
    factories.make_token(people.org, "OTHER-1")

    response = manager_client.get(TRANSFER, {"all_matching": "1", "q": "garage"})

    assert response.context["form"]["token_sns"].value() == "GARAGE-1\nGARAGE-2"


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("gar\x00age", "Search ignored: it contains a NUL character."),
        ("x" * 201, "Search ignored: it is longer than 200 characters."),
    ],
)
def test_an_unusable_search_is_reported_and_ignored(viewer_client, stations, q, message):
    response = get_all(viewer_client, q=q)

    assert message in page_html(response)
    assert shown_serials(response) == ["T-OTHER", "T-PHRASE", "T-SPLIT"]


def test_only_the_first_ten_words_are_used(viewer_client, stations):
    ten = "garage north bob fleet acme t-split so-split cust-split stn-n commercial"

    response = get_all(viewer_client, q=f"{ten} nowhere")

    assert "Only the first 10 words of the search are used; nowhere ignored." in page_html(response)
    assert f'name="q" value="{ten}"' in page_html(response)
    assert shown_serials(response) == ["T-SPLIT"]
