"""The table itself: choosing columns, sorting by a header, page size and paging."""

from urllib.parse import parse_qs, urlsplit

import pytest

from inventory.columns import COLUMNS_BY_KEY, DEFAULT_COLUMN_KEYS
from tests.e2e.conftest import (
    TOTAL_TOKENS,
    column_headers,
    make_inventory,
    result_count,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)

DEFAULT_LABELS = [COLUMNS_BY_KEY[key].label for key in DEFAULT_COLUMN_KEYS]


def column_texts(page, key: str) -> list[str]:
    return page.locator(f".token-table tbody td.col-{key}").all_inner_texts()


def test_hidden_and_shown_columns_stay_after_reload_and_on_the_next_visit(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    assert column_headers(page) == DEFAULT_LABELS

    page.locator("summary", has_text="Columns").click()
    chooser = page.locator(".column-chooser")
    chooser.get_by_label("Station Name", exact=True).uncheck()
    chooser.get_by_label("Customer Name", exact=True).check()
    chooser.get_by_role("button", name="Apply").click()
    page.wait_for_url("**columns=**")

    chosen = [label for label in DEFAULT_LABELS if label != "Station Name"] + ["Customer Name"]
    assert column_headers(page) == chosen
    assert column_texts(page, "customer_name")[0] == "Harbor Properties Holdings"
    assert page.locator("summary .menu-count").inner_text() == "10 of 25"

    page.reload()
    assert column_headers(page) == chosen

    # The choice is remembered for this user, not only kept in the URL.
    page.goto("/inventory/port-tokens/")
    assert column_headers(page) == chosen

    page.locator("summary", has_text="Columns").click()
    page.get_by_role("button", name="Reset to default").click()
    page.wait_for_url("**/inventory/port-tokens/?view=")
    assert column_headers(page) == DEFAULT_LABELS
    page.goto("/inventory/port-tokens/")
    assert column_headers(page) == DEFAULT_LABELS


def test_clicking_a_header_sorts_by_it_then_reverses(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    header = page.locator(".token-table th.col-org_name")
    assert header.get_attribute("aria-sort") is None

    header.get_by_role("link").click()
    page.wait_for_url("**sort=org_name**")
    assert header.get_attribute("aria-sort") == "ascending"
    assert "▲" in header.inner_text()
    names = column_texts(page, "org_name")
    assert names == sorted(names)
    assert names[0] == "Acme Charging" and names[-1] == "Bayside EV Network"

    header.get_by_role("link").click()
    page.wait_for_url("**sort=-org_name**")
    assert header.get_attribute("aria-sort") == "descending"
    assert "▼" in header.inner_text()
    names = column_texts(page, "org_name")
    assert names == sorted(names, reverse=True)
    assert names[0] == "Bayside EV Network"
    assert page.locator(".token-table th[aria-sort]").count() == 1


def test_page_size_and_paging_walk_through_every_token_once(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    assert page.locator(".page-position").inner_text() == "Page 1 of 1"

    # The select applies on change: no button to press with JavaScript on.
    assert page.get_by_role("button", name="Show").is_hidden()
    page.get_by_label("Rows per page").select_option("25")
    page.wait_for_url("**per_page=25**")
    assert result_count(page) == f"{TOTAL_TOKENS} tokens · showing 1–25"
    assert page.locator(".page-position").inner_text() == "Page 1 of 2"
    first_page = column_texts(page, "token_sn")
    assert len(first_page) == 25

    page.get_by_role("link", name="Next page").click()
    page.wait_for_url("**page=2**")
    assert result_count(page) == f"{TOTAL_TOKENS} tokens · showing 26–{TOTAL_TOKENS}"
    assert page.locator(".page-position").inner_text() == "Page 2 of 2"
    second_page = column_texts(page, "token_sn")
    assert len(set(first_page + second_page)) == TOTAL_TOKENS
    # On the last page "Next" and "Last" are shown but cannot be used.
    assert page.get_by_role("link", name="Next page").count() == 0
    assert page.locator(".pagination [aria-disabled='true']", has_text="Last").is_visible()

    page.get_by_role("link", name="First page").click()
    page.wait_for_url(lambda url: "page=" not in url.replace("per_page=", ""))
    assert column_texts(page, "token_sn") == first_page

    page.get_by_role("link", name="Last page").click()
    page.wait_for_url("**page=2**")
    assert column_texts(page, "token_sn") == second_page
    assert parse_qs(urlsplit(page.url).query)["per_page"] == ["25"]
