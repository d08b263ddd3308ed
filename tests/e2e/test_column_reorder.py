"""Reordering columns in the chooser: by keyboard alone (the arrows move the item in place
and keep the focus), by dragging, and without JavaScript (each arrow a round trip that
saves nothing until Apply)."""

import pytest

from tests.e2e.conftest import (
    column_headers,
    make_inventory,
    new_context,
    screenshot,
    serious_accessibility_violations,
    sign_in,
)
from tests.e2e.test_keyboard import assert_focus_ring, focused, tab_to

pytestmark = pytest.mark.django_db(transaction=True)

START = "/inventory/port-tokens/?columns=token_sn,status,org_name"


def chooser_order(page) -> list[str]:
    return page.locator("[data-column-options] > li").evaluate_all(
        "items => items.map(item => item.dataset.column)"
    )


def test_columns_are_reordered_by_keyboard_only_and_applied(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, START)

    tab_to(page, lambda e: e["tag"] == "summary" and e["text"].startswith("Columns"))
    page.keyboard.press("Enter")
    button = tab_to(page, lambda e: e["text"] == "Move up: Org Name")
    assert_focus_ring(button)
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")

    # Moved in place twice, the focus still on its arrow, and said to screen readers.
    assert chooser_order(page)[:3] == ["org_name", "token_sn", "status"]
    assert focused(page)["text"] == "Move up: Org Name"
    assert page.locator("[data-move-status]").inner_text() == "Org Name: position 1 of 25"
    assert serious_accessibility_violations(page) == []
    screenshot(page, "columns-reorder-1366")

    apply = tab_to(page, lambda e: e["tag"] == "button" and e["text"] == "Apply")
    assert_focus_ring(apply)
    page.keyboard.press("Enter")
    page.wait_for_url("**columns=org_name%2Ctoken_sn%2Cstatus**")
    assert column_headers(page) == ["Org Name", "Token S/N", "Status"]


def test_a_column_is_dragged_to_a_new_place(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, START)
    page.locator("summary", has_text="Columns").click()

    items = page.locator("[data-column-options] > li")
    items.nth(2).drag_to(items.nth(0), target_position={"x": 10, "y": 2})

    assert chooser_order(page)[:3] == ["org_name", "token_sn", "status"]
    page.get_by_role("button", name="Apply", exact=True).click()
    page.wait_for_url("**columns=org_name%2Ctoken_sn%2Cstatus**")
    assert column_headers(page) == ["Org Name", "Token S/N", "Status"]


def test_without_javascript_each_arrow_moves_and_apply_saves(browser, live_server):
    inventory = make_inventory()
    context = new_context(browser, live_server, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, inventory.user, START)

    page.locator("summary", has_text="Columns").click()
    page.get_by_role("button", name="Move down: Token S/N").click()
    page.wait_for_url("**chooser=**")

    # The chooser is open again on the draft, the moved arrow focused; the table unchanged.
    assert chooser_order(page)[:3] == ["status", "token_sn", "org_name"]
    assert focused(page)["text"] == "Move down: Token S/N"
    assert column_headers(page) == ["Token S/N", "Status", "Org Name"]
    # Enter on the focused arrow moves it again: the same URL, so wait for the load.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert chooser_order(page)[:3] == ["status", "org_name", "token_sn"]

    page.get_by_role("button", name="Apply", exact=True).click()
    page.wait_for_url("**columns=status%2Corg_name%2Ctoken_sn")
    assert column_headers(page) == ["Status", "Org Name", "Token S/N"]
    context.close()
