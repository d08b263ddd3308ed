"""Filtering with the builder: rows added in place, Match any, chips, count and URL."""

import pytest

from tests.e2e.conftest import (
    chips,
    make_inventory,
    open_filters,
    page_query,
    result_count,
    shown_serials,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_builder_rows_matching_any_show_chips_count_and_url(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    assert result_count(page).startswith("42 tokens")

    builder = open_filters(page)
    # With JavaScript the builder starts with one empty row and grows on demand.
    assert builder.locator("[data-filter-row]").count() == 1
    builder.get_by_label("Field of filter 1").select_option(label="Cloud Plan")
    builder.get_by_label("Operator of filter 1").select_option(label="Contains")
    builder.get_by_label("Value of filter 1").fill("fleet")
    builder.get_by_role("button", name="+ Add Filter").click()
    assert builder.locator("[data-filter-row]").count() == 2
    builder.get_by_label("Field of filter 2").select_option(label="Status")
    builder.get_by_label("Operator of filter 2").select_option(label="Is")
    # For Status the value is a choice of the four statuses, not free text.
    builder.get_by_label("Value of filter 2").select_option("Active")
    builder.get_by_label("Match any").check()
    builder.get_by_role("button", name="Apply Filters").click()
    page.wait_for_url("**match=any**")

    assert page_query(page) == {
        "filter": ["cloud_plan:contains:fleet", "status:is:Active"],
        "match": ["any"],
    }
    assert page.locator("#chips-label").inner_text() == "Matching any of"
    assert chips(page) == ["Cloud Plan contains fleet", "Status is Active"]
    assert result_count(page).startswith("12 tokens")
    serials = shown_serials(page)
    assert len(serials) == 12
    assert all(s.startswith("BAY-") or s.startswith("ACME-ACTIVE-") for s in serials)
    # The builder shows the applied rows again, ready to edit.
    assert builder.get_by_label("Value of filter 1").input_value() == "fleet"
    assert builder.get_by_label("Match any").is_checked()


def test_removing_a_chip_drops_that_filter_only(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    page.goto(
        "/inventory/port-tokens/?filter=cloud_plan:contains:fleet&filter=status:is:Active&match=any"
    )

    page.get_by_role("link", name="Remove filter: Status is Active").click()
    page.wait_for_url(lambda url: "status" not in url)

    assert chips(page) == ["Cloud Plan contains fleet"]
    assert page.locator("#chips-label").inner_text() == "Filtered by"
    assert result_count(page).startswith("8 tokens")
    assert page_query(page)["filter"] == ["cloud_plan:contains:fleet"]
    assert all(serial.startswith("BAY-") for serial in shown_serials(page))


def test_removing_a_builder_row_before_applying_leaves_the_other(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    builder = open_filters(page)
    builder.get_by_label("Field of filter 1").select_option(label="Org Name")
    builder.get_by_label("Value of filter 1").fill("bayside")
    builder.get_by_role("button", name="+ Add Filter").click()
    builder.get_by_label("Field of filter 2").select_option(label="Token S/N")
    builder.get_by_label("Value of filter 2").fill("ACME")

    builder.get_by_role("button", name="Remove filter 2").click()
    assert builder.locator("[data-filter-row]").count() == 1
    builder.get_by_role("button", name="Apply Filters").click()
    page.wait_for_url("**filter=**")

    assert chips(page) == ["Org Name contains bayside"]
    assert result_count(page).startswith("8 tokens")


def test_a_date_filter_offers_before_and_after_only_on_date_columns(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    builder = open_filters(page)
    operator = builder.get_by_label("Operator of filter 1")

    builder.get_by_label("Field of filter 1").select_option(label="Org Name")
    assert operator.locator("option:not([hidden])").all_inner_texts() == [
        "Contains",
        "Does Not Contain",
        "Is",
        "Is Any Of",
        "Is Empty",
        "Is Not Empty",
    ]
    builder.get_by_label("Field of filter 1").select_option(label="Plan Start Date (Pacific Time)")
    operator.select_option(label="Before")
    value = builder.get_by_label("Value of filter 1")
    assert value.get_attribute("placeholder") == "YYYY-MM-DD"
    value.fill("2025-05-01")
    value.press("Enter")
    page.wait_for_url("**filter=**")

    assert chips(page) == ["Plan Start Date (Pacific Time) before 2025-05-01"]
    assert result_count(page).startswith("4 tokens")
