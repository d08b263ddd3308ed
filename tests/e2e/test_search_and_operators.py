"""Finding tokens in a browser: the quick search (focused by "/"), an "is any of" checkbox
filter on Status, a pasted list of serials, Between with two date fields, and the same
controls as plain form fields without JavaScript; axe stays clean."""

import pytest

from tests.e2e.conftest import (
    ACME_ACTIVE,
    ACME_NEW,
    BAYSIDE_AVAILABLE,
    chips,
    make_inventory,
    new_context,
    open_filters,
    page_query,
    result_count,
    screenshot,
    serious_accessibility_violations,
    shown_serials,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_slash_focuses_the_search_and_the_search_narrows_the_table(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?filter=status:is:Available")
    search = page.get_by_role("searchbox", name="Search tokens")

    # "/" typed into a field stays in the field.
    builder = open_filters(page)
    builder.get_by_role("button", name="+ Add Filter").click()
    builder.get_by_label("Field of filter 2").select_option(label="Org Name")
    builder.get_by_label("Value of filter 2").fill("a/b")
    assert builder.get_by_label("Value of filter 2").input_value() == "a/b"
    assert not search.evaluate("node => node === document.activeElement")

    page.locator("h1").click()
    page.keyboard.press("/")
    assert search.evaluate("node => node === document.activeElement")
    page.keyboard.type('"fleet cloud" bayside')
    page.keyboard.press("Enter")
    page.wait_for_url("**q=**")

    assert page_query(page)["q"] == ['"fleet cloud" bayside']
    assert page_query(page)["filter"] == ["status:is:Available"]
    assert chips(page) == ['Search: "fleet cloud" bayside', "Status is Available"]
    assert result_count(page).startswith("8 tokens")
    assert search.input_value() == '"fleet cloud" bayside'
    assert serious_accessibility_violations(page) == []
    screenshot(page, "quick-search")

    page.get_by_role("link", name='Remove search: "fleet cloud" bayside').click()
    page.wait_for_url(lambda url: "q=" not in url)
    assert chips(page) == ["Status is Available"]


def test_is_any_of_on_status_offers_checkboxes_with_counts(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    builder = open_filters(page)

    builder.get_by_label("Field of filter 1").select_option(label="Status")
    builder.get_by_label("Operator of filter 1").select_option(label="Is Any Of")
    choices = builder.locator("[data-choices] .filter-choice")
    choices.first.wait_for()
    assert [" ".join(text.split()) for text in choices.all_inner_texts()] == [
        "New 30",
        "Available 8",
        "Active 4",
    ]
    builder.get_by_role("checkbox", name="New").check()
    builder.get_by_role("checkbox", name="Active").check()
    builder.get_by_role("button", name="Apply Filters").click()
    page.wait_for_url("**filter=**")

    assert page_query(page)["filter"] == ["status:in:New|Active"]
    assert chips(page) == ["Status is any of New, Active"]
    assert result_count(page).startswith(f"{ACME_NEW + ACME_ACTIVE} tokens")
    # Opened again, the builder shows the same checkboxes, as applied, ready to change.
    open_filters(page)
    assert builder.get_by_role("checkbox", name="New").is_checked()
    assert not builder.get_by_role("checkbox", name="Available").is_checked()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "is-any-of-checkboxes")


def test_a_pasted_list_of_serials_narrows_the_table_to_exactly_those(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    builder = open_filters(page)

    builder.get_by_label("Field of filter 1").select_option(label="Token S/N")
    builder.get_by_label("Operator of filter 1").select_option(label="Is Any Of")
    pasted = "ACME-000001\nBAY-000003\nacme-active-2\nNOT-A-TOKEN\n"
    builder.get_by_label("Values of filter 1, one a line").fill(pasted)
    builder.get_by_role("button", name="Apply Filters").click()
    page.wait_for_url("**filter=**")

    assert page_query(page)["filter"] == [
        "token_sn:in:ACME-000001|BAY-000003|acme-active-2|NOT-A-TOKEN"
    ]
    assert sorted(shown_serials(page)) == ["ACME-000001", "ACME-ACTIVE-2", "BAY-000003"]
    assert builder.get_by_label("Values of filter 1, one a line").input_value() == pasted.strip()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "is-any-of-pasted-list")


def test_between_takes_two_date_fields_and_is_empty_no_value(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    builder = open_filters(page)

    builder.get_by_label("Field of filter 1").select_option(
        label="Plan End Date / Auto Renew On (Pacific Time)"
    )
    builder.get_by_label("Operator of filter 1").select_option(label="Between")
    builder.get_by_label("First day of filter 1").fill("2026-04-01")
    builder.get_by_label("Last day of filter 1").fill("2026-04-30")
    builder.get_by_role("button", name="+ Add Filter").click()
    builder.get_by_label("Field of filter 2").select_option(label="Ship Date")
    builder.get_by_label("Operator of filter 2").select_option(label="Is Not Empty")
    assert builder.get_by_label("Value of filter 2").count() == 0
    builder.get_by_role("button", name="Apply Filters").click()
    page.wait_for_url("**filter=**")

    assert page_query(page)["filter"] == [
        "plan_end_date:between:2026-04-01..2026-04-30",
        "ship_date:not_empty:",
    ]
    assert chips(page) == [
        "Plan End Date / Auto Renew On (Pacific Time) between 2026-04-01 and 2026-04-30",
        "Ship Date is not empty",
    ]
    assert result_count(page).startswith(f"{ACME_ACTIVE} tokens")
    assert builder.get_by_label("First day of filter 1").get_attribute("type") == "date"
    assert serious_accessibility_violations(page) == []
    screenshot(page, "between-and-not-empty")


@pytest.fixture
def plain_page(browser, live_server):
    context = new_context(browser, live_server, java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_without_javascript_the_new_controls_are_plain_form_fields(plain_page, live_server):
    page = plain_page
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)
    builder = open_filters(page)

    # A first Apply with the values typed; the page then offers the checkboxes.
    builder.get_by_label("Field of filter 1").select_option(label="Status")
    builder.get_by_label("Operator of filter 1").select_option(label="Is Any Of")
    builder.get_by_label("Value of filter 1").fill("New")
    builder.get_by_label("Field of filter 2").select_option(label="Org Name")
    builder.get_by_label("Operator of filter 2").select_option(label="Is Not Empty")
    builder.get_by_role("button", name="Apply Filters").click()
    page.wait_for_url("**filter=**")
    assert page_query(page)["filter"] == ["status:in:New", "org_name:not_empty:"]
    # Applied: the panel shows the chips; opened again, the builder offers checkboxes.
    open_filters(page)
    assert builder.get_by_role("checkbox", name="New").is_checked()
    builder.get_by_role("checkbox", name="Available").check()
    builder.get_by_role("button", name="Apply Filters").click()
    page.wait_for_url("**Available**")

    assert page_query(page)["filter"] == ["status:in:New|Available", "org_name:not_empty:"]
    assert result_count(page).startswith(f"{ACME_NEW + BAYSIDE_AVAILABLE} tokens")
    page.get_by_label("Search tokens").fill("bay")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**q=bay**")
    assert result_count(page).startswith(f"{BAYSIDE_AVAILABLE} tokens")
