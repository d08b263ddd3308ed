"""Filters on the Port Tokens page: the chips that show the applied filters, and the filter
builder (fields, operators, plain-form submission to canonical `filter=` parameters,
removing rows, clearing)."""

import html
import re

from inventory.columns import COLUMNS
from tests import factories
from tests.helpers import PAGE, get, links, page_html, query_of


def test_applied_filters_show_as_readable_chips_with_remove_links(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, "org_name:contains:acme", "renewal_owner:is:", match="any")

    text = page_html(response)
    assert '<span class="chip-text">Org Name contains acme</span>' in text
    assert '<span class="chip-text">Renewal Owner is empty</span>' in text
    remove = re.findall(r'class="chip-remove" href="([^"]+)"', response.content.decode())
    assert query_of(html.unescape(remove[0])) == [("filter", "renewal_owner:is:"), ("match", "any")]
    assert query_of(html.unescape(remove[1])) == [
        ("filter", "org_name:contains:acme"),
        ("match", "any"),
    ]


def test_filter_builder_offers_25_fields_operators_and_status_values(viewer_client):
    text = page_html(viewer_client.get(PAGE))

    builder = re.search(r"<form[^>]*data-filter-builder.*?</form>", text, re.S).group(0)
    first_field = re.search(r'<select id="f-key-1".*?</select>', builder, re.S).group(0)
    assert re.findall(r'<option value="(\w+)"', first_field) == [c.key for c in COLUMNS]
    first_op = re.search(r'<select id="f-op-1".*?</select>', builder, re.S).group(0)
    assert re.findall(r'<option value="\w+"[^>]*>([^<]+)</option>', first_op) == [
        "Contains",
        "Does Not Contain",
        "Is",
        "Before",
        "After",
    ]
    datalist = re.search(r'<datalist id="status-values">.*?</datalist>', builder).group(0)
    assert re.findall(r'value="(\w+)"', datalist) == ["New", "Available", "Active", "Expired"]
    assert 'name="match" value="all" checked' in builder
    assert 'name="match" value="any"' in builder
    assert "Apply Filters</button>" in builder
    assert "Add Filter</button>" in builder


def test_filter_builder_shows_before_and_after_only_for_date_columns(viewer_client):
    text = page_html(get(viewer_client, "org_name:contains:a", "order_date:before:2025-01-01"))

    text_row = re.search(r'<select id="f-op-1".*?</select>', text, re.S).group(0)
    date_row = re.search(r'<select id="f-op-2".*?</select>', text, re.S).group(0)
    assert '<option value="before" hidden disabled>Before</option>' in text_row
    assert '<option value="before" selected>Before</option>' in date_row


def test_filter_builder_without_javascript_has_empty_rows_to_fill(viewer_client):
    text = page_html(viewer_client.get(PAGE))

    assert len(re.findall(r'<input id="f-value-\d+" name="f_value"', text)) >= 3


def test_filter_builder_submission_redirects_to_canonical_filter_params(viewer_client):
    response = viewer_client.get(
        PAGE,
        {
            "f_key": ["org_name", "", "renewal_owner", "plan_start_date"],
            "f_op": ["contains", "contains", "is", "before"],
            "f_value": ["acme: north", "", "", "2025-01-01"],
            "match": "any",
            "sort": "-org_name",
            "page": "4",
        },
    )

    assert response.status_code == 302
    assert query_of(response["Location"]) == [
        ("filter", "org_name:contains:acme: north"),
        ("filter", "renewal_owner:is:"),
        ("filter", "plan_start_date:before:2025-01-01"),
        ("match", "any"),
        ("sort", "-org_name"),
    ]


def test_filter_builder_remove_button_drops_that_row(viewer_client):
    response = viewer_client.get(
        PAGE,
        {
            "f_key": ["org_name", "status"],
            "f_op": ["contains", "is"],
            "f_value": ["acme", "New"],
            "f_remove": "1",
        },
    )

    assert query_of(response["Location"]) == [("filter", "status:is:New")]


def test_filter_builder_with_no_rows_filled_clears_the_filters(viewer_client):
    response = viewer_client.get(
        PAGE, {"f_key": ["", ""], "f_op": ["contains", "contains"], "f_value": ["", ""]}
    )

    assert response.status_code == 302
    assert response["Location"] == PAGE


def test_filter_builder_shows_the_current_filters_in_its_rows(viewer_client):
    text = page_html(get(viewer_client, "org_name:contains:acme"))

    row = re.search(r'<li class="filter-row".*?</li>', text, re.S).group(0)
    assert '<option value="org_name" selected>Org Name</option>' in row
    assert '<option value="contains" selected>Contains</option>' in row
    assert 'value="acme"' in row


def test_clear_link_removes_all_filters_and_keeps_the_rest(viewer_client):
    response = get(viewer_client, "org_name:contains:acme", match="any", sort="status")

    (clear,) = links(response, "Clear")
    assert query_of(clear) == [("sort", "status")]
