"""axe-core on every page in the states a user meets: no serious or critical violations."""

import re

import pytest

from tests.e2e.conftest import make_inventory, serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def open_menu(page, name: str) -> None:
    page.locator("summary", has_text=name).click()
    assert page.locator("details.menu[open]", has=page.locator("summary", has_text=name)).count()


def test_table_page_with_filters_and_each_menu_open(page, live_server):
    inventory = make_inventory()
    sign_in(
        page,
        live_server,
        inventory.user,
        # A bad filter too, so that its message next to the row is checked as well.
        "/inventory/port-tokens/?filter=cloud_plan:contains:fleet&filter=status:is:Active"
        "&filter=plan_start_date:before:someday&match=any",
    )
    assert page.locator(".chips .chip").count() == 2
    assert page.locator(".filter-row .form-error").is_visible()
    assert serious_accessibility_violations(page) == []

    open_menu(page, "Columns")
    assert serious_accessibility_violations(page) == []
    page.keyboard.press("Escape")

    page.get_by_label("Select BAY-000001 for transfer").check()
    open_menu(page, "Export")
    assert page.get_by_role("link", name="Export selected rows (CSV)").is_visible()
    assert serious_accessibility_violations(page) == []


def test_table_page_without_tokens_and_the_organizations_page(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?filter=org_name:is:nobody")
    assert page.get_by_role("heading", name="No tokens match these filters").is_visible()
    assert serious_accessibility_violations(page) == []

    page.goto("/organizations/")
    assert page.get_by_role("link", name="Bayside EV Network", exact=True).is_visible()
    assert serious_accessibility_violations(page) == []


def test_transfer_form_review_detail_and_history(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/transfer/?token=BAY-000001")
    assert serious_accessibility_violations(page) == []

    # A review with a problem, then one that is ready.
    page.get_by_label("Token S/Ns").fill("BAY-000001 ACME-ACTIVE-2")
    page.get_by_label("Destination organization").select_option("ORG-ACME")
    page.get_by_role("button", name="Review").click()
    assert page.locator(".review-problems").is_visible()
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Token S/Ns").fill("BAY-000001")
    page.get_by_role("button", name="Review again", exact=True).click()
    assert page.get_by_role("button", name="Transfer 1 token").is_visible()
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name="Transfer 1 token").click()
    page.wait_for_url(re.compile(r"/inventory/transfers/\d+/$"))
    assert serious_accessibility_violations(page) == []

    page.goto("/inventory/transfers/")
    assert page.locator(".transfer-table tbody tr").count() == 1
    assert serious_accessibility_violations(page) == []
