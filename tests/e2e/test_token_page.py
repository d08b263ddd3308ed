"""A token's page in the browser: opened from the table's Token S/N link, its fields and
transfers readable at both common screen sizes, and no serious accessibility problem; the
header navigation and a view of one organization pass the same check."""

import pytest

from inventory.transfers import transfer_tokens
from tests.e2e.conftest import (
    make_inventory,
    new_context,
    screenshot,
    serious_accessibility_violations,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_a_token_page_opens_from_the_table_and_passes_axe(browser, live_server, width, height):
    inventory = make_inventory()
    transfer_tokens(
        user=inventory.user,
        serials=["BAY-000003"],
        to_org=inventory.acme,
        note="Moved for the Garage B rollout",
    )
    context = new_context(browser, live_server, width=width, height=height)
    page = context.new_page()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?filter=org_id:is:ORG-ACME")

    page.locator(".token-table td.col-token_sn").get_by_role("link", name="BAY-000003").click()
    page.wait_for_url("**/inventory/port-tokens/BAY-000003/")

    assert page.get_by_role("heading", name="Port Token BAY-000003", level=1).is_visible()
    fleet = page.locator(".token-field[data-field='cloud_plan'] dd")
    assert fleet.inner_text() == "Fleet Cloud Plan"
    transfers = page.locator(".token-transfers tbody tr")
    assert transfers.count() == 1
    assert "Moved for the Garage B rollout" in transfers.first.inner_text()
    assert page.locator(".site-nav [aria-current='page']").inner_text() == "Port Tokens"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert serious_accessibility_violations(page) == []
    screenshot(page, f"token-page-{width}")

    page.get_by_role("link", name=f"#{transfers.first.locator('a').inner_text()[1:]}").click()
    page.wait_for_url("**/inventory/transfers/*/")
    context.close()


def test_the_view_of_one_organization_and_the_header_navigation_pass_axe(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/organizations/")

    page.get_by_role("link", name="Bayside EV Network", exact=True).click()
    page.wait_for_url("**filter=org_id**")

    assert page.get_by_role("heading", name="Port Tokens: Bayside EV Network").is_visible()
    assert page.locator(".breadcrumb [aria-current='page']").inner_text() == "Bayside EV Network"
    navigation = page.get_by_role("navigation", name="Main")
    assert navigation.get_by_role("link", name="Port Tokens").get_attribute("aria-current") == (
        "page"
    )
    assert serious_accessibility_violations(page) == []
    screenshot(page, "organization-view-1366")

    # The navigation is plain links: Tab reaches them with a visible focus ring.
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.textContent, getComputedStyle(document.activeElement)"
        ".outlineStyle]"
    )
    assert focused == ["Organizations", "solid"]
    page.keyboard.press("Enter")
    page.wait_for_url("**/organizations/")
    assert page.locator(".site-nav [aria-current='page']").inner_text() == "Organizations"
