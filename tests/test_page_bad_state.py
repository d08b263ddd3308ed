"""A bad view state on the Port Tokens page: each bad piece of the URL is reported next to
where it belongs and the rest is kept; pages past the end, NUL bytes and too many
filters never break the page."""

import re

import pytest

from tests import factories
from tests.helpers import PAGE, get, page_html, shown_serials


def message_near(text: str, piece: str) -> list[str]:
    return re.findall(rf'<p class="form-error"[^>]*data-piece="{piece}">([^<]+)</p>', text)


def filter_row_error(text: str, position: int) -> str:
    match = re.search(rf'<p class="form-error" id="f-error-{position}">([^<]+)</p>', text)
    return match.group(1) if match else ""


@pytest.mark.parametrize(
    ("bad_filter", "message"),
    [
        ("nonsense:contains:x", "unknown column 'nonsense'"),
        ("org_name:like:x", "unknown operator 'like'"),
        ("plan_start_date:before:2025-02-30", "is not a date"),
        ("order_date:after:yesterday", "is not a date"),
        ("org_name:before:2025-01-01", "is not a date column"),
        ("org_name:contains:", "Contains needs a value; to find empty fields use Is Empty"),
        ("org_name:contains:" + "x" * 500, "longer than 200 characters"),
        ("org_name:contains:ac\x00me", "NUL"),
        ("org_name", "field:operator:value"),
    ],
)
def test_a_bad_filter_is_reported_next_to_its_row_and_the_rest_is_kept(
    viewer_client, people, bad_filter, message
):
    factories.make_token(people.org, "T-ALICE", renewal_owner="alice")
    factories.make_token(people.org, "T-BOB", renewal_owner="bob")

    response = get(viewer_client, "renewal_owner:is:alice", bad_filter, sort="-token_sn")

    assert response.status_code == 200
    text = page_html(response)
    assert message in filter_row_error(text, 2)
    assert "Filter 2 ignored" in filter_row_error(text, 2)
    assert shown_serials(response) == ["T-ALICE"]
    assert 'aria-sort="descending"' in text


def test_unknown_column_keeps_the_value_in_the_builder_row(viewer_client):
    text = page_html(get(viewer_client, "nonsense:contains:x"))

    assert '<option value="nonsense" selected>nonsense (unknown column)</option>' in text


@pytest.mark.parametrize(
    ("params", "piece", "message"),
    [
        ({"per_page": "0"}, "per_page", "Per page '0' ignored (use 25, 50, 100, 250)."),
        ({"per_page": "1000000"}, "per_page", "Per page '1000000' ignored"),
        ({"page": "abc"}, "page", "Page 'abc' ignored."),
        ({"page": "-1"}, "page", "Page '-1' ignored."),
        ({"sort": "nonsense"}, "sort", "Sort 'nonsense' ignored"),
        ({"sort": "-"}, "sort", "Sort '-' ignored"),
        ({"sort": "status\x00"}, None, None),
        ({"match": "some"}, "match", "Match 'some' ignored"),
        ({"columns": "nonsense,status"}, "columns", "Unknown columns ignored: nonsense."),
    ],
)
def test_bad_paging_sorting_and_columns_are_reported_and_the_filter_kept(
    viewer_client, people, params, piece, message
):
    factories.make_token(people.org, "T-ALICE", renewal_owner="alice")
    factories.make_token(people.org, "T-BOB", renewal_owner="bob")

    response = get(viewer_client, "renewal_owner:is:alice", **params)

    assert response.status_code == 200
    assert shown_serials(response) == ["T-ALICE"]
    if piece:
        assert any(message in text for text in message_near(page_html(response), piece))


def test_a_page_past_the_end_shows_the_last_page_and_says_so(viewer_client, people):
    for n in range(30):
        factories.make_token(people.org, f"T-{n:03d}")

    response = get(viewer_client, per_page=25, page=999999)

    assert response.status_code == 200
    assert shown_serials(response)[0] == "T-025"
    assert message_near(page_html(response), "page") == [
        "Page 999999 does not exist; showing the last page (2)."
    ]


def test_a_page_past_the_end_of_nothing_shows_the_empty_state(viewer_client, people):
    response = get(viewer_client, "renewal_owner:is:nobody", page=5)

    assert response.status_code == 200
    assert "No tokens match these filters" in page_html(response)


def test_nul_bytes_anywhere_never_break_the_page(viewer_client, people):
    factories.make_token(people.org)

    response = viewer_client.get(
        PAGE,
        {
            "filter": "\x00",
            "columns": "status\x00",
            "sort": "\x00",
            "page": "\x00",
            "match": "\x00",
        },
    )

    assert response.status_code == 200


def test_many_filters_beyond_the_limit_are_reported(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, *["renewal_owner:not_contains:x"] * 25)

    assert response.status_code == 200
    assert "Only the first 20 filters are used" in page_html(response)
