"""The renewals forecast and the export history in the browser: a bar followed by mouse and
by keyboard lands on the table narrowed to its month, an export shows in the history, both
pages pass axe and work without JavaScript, and their screenshots at the two common
administrator screens."""

import re
from datetime import date

import pytest

from inventory import renewals
from inventory.models import PortToken
from tests import factories
from tests.e2e.conftest import (
    make_inventory,
    new_context,
    screenshot,
    serious_accessibility_violations,
    sign_in,
)
from tests.e2e.test_export_journey import download

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS = [(1366, 768), (1920, 1080)]
APRIL = "April 2026: 4 tokens (Active 4)"
APRIL_FILTER = "filter=plan_end_date%3Abetween%3A2026-04-01..2026-04-30"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """Today is 2026-02-15 in Pacific Time: the forecast runs from February 2026 to January
    2027 (the live server runs in this process, so it sees the same day)."""
    monkeypatch.setattr(renewals, "today_pacific", lambda: date(2026, 2, 15))


def more_plan_ends(inventory) -> None:
    """Tokens ending over the coming year in every status, so the chart has a shape."""
    statuses = list(PortToken.Status.values)
    for month in range(12):
        year, index = divmod(1 + month, 12)
        for n in range((month * 7) % 5 + 1):
            factories.make_token(
                inventory.bayside if n % 2 else inventory.acme,
                plan_end_date=factories.utc(2026 + year, index + 1, 10 + n, 18),
                status=statuses[(month + n) % len(statuses)],
            )


def relative_luminance(rgb: str) -> float:
    """WCAG relative luminance of a computed CSS colour 'rgb(r, g, b)'."""
    channels = [int(part) / 255 for part in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_a_forecast_bar_opens_the_table_with_that_month(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?filter=status:is:Active")

    page.get_by_role("link", name="Renewals forecast").click()
    page.wait_for_url("**/inventory/renewals/?filter=status%3Ais%3AActive")
    page.get_by_role("link", name=APRIL).click()

    page.wait_for_url(re.compile(r"/inventory/port-tokens/\?"))
    assert page.url.endswith(f"?filter=status%3Ais%3AActive&{APRIL_FILTER}")


def test_a_forecast_bar_is_followed_from_the_keyboard(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/renewals/")

    bar = page.get_by_role("link", name=APRIL)
    bar.focus()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == APRIL
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/inventory/port-tokens/\?"))
    assert page.url.endswith(f"?{APRIL_FILTER}")


def test_chart_colours_stand_out_from_the_chart(page, live_server):
    inventory = make_inventory()
    more_plan_ends(inventory)

    for split in ("status", "org"):
        sign_in(page, live_server, inventory.user, f"/inventory/renewals/?split={split}")
        background = page.locator(".forecast-chart-card").evaluate(
            "card => getComputedStyle(card).backgroundColor"
        )
        swatches = page.locator(".chart-legend .swatch").evaluate_all(
            "items => items.map(item => getComputedStyle(item).backgroundColor)"
        )
        assert len(set(swatches)) == len(swatches), split
        for colour in swatches:
            assert contrast(colour, background) >= 3, (split, colour)


def test_an_export_shows_in_the_history_with_a_link_to_its_view(page, live_server, tmp_path):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?filter=org_id:is:ORG-BAY")
    download(page, "Export all columns (XLSX)", tmp_path)

    page.goto("/inventory/exports/")
    row = page.locator(".export-table tbody tr")
    assert row.count() == 1
    assert "Finished" in row.inner_text()
    assert "XLSX" in row.inner_text() and "All columns" in row.inner_text()
    row.get_by_role("link", name="Org ID is ORG-BAY").click()

    # The export names the visible columns, so the table reopens with those too.
    page.wait_for_url(re.compile(r"/inventory/port-tokens/\?"))
    assert "?filter=org_id%3Ais%3AORG-BAY&columns=token_sn%2C" in page.url
    assert page.locator("#result-count").inner_text().startswith("8 tokens")


def test_both_pages_pass_axe(page, live_server):
    inventory = make_inventory()
    more_plan_ends(inventory)
    factories.make_export_log(inventory.user, outcome="failed", failure="the disk is full")
    factories.make_export_log(inventory.user, query_string="format=csv&token=ACME-000001")

    for path in (
        "/inventory/renewals/?filter=org_name:contains:acme&filter=nonsense:is:x",
        "/inventory/renewals/?split=org",
        "/inventory/exports/?format=pdf",
    ):
        sign_in(page, live_server, inventory.user, path)
        assert serious_accessibility_violations(page) == [], path


def test_both_pages_work_without_javascript(browser, live_server):
    inventory = make_inventory()
    factories.make_export_log(inventory.user, file_format="xlsx")
    factories.make_export_log(inventory.user, file_format="csv")
    context = new_context(browser, live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, inventory.user, "/inventory/renewals/")
        page.get_by_role("link", name="Organization", exact=True).click()
        page.wait_for_url("**/inventory/renewals/?split=org")
        assert page.locator(".forecast-table thead th").nth(1).inner_text() == "Acme Charging"

        page.goto("/inventory/exports/")
        page.get_by_label("Format").select_option("xlsx")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**/inventory/exports/?**format=xlsx**")
        assert page.locator(".export-table tbody tr").count() == 1
    finally:
        context.close()


@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda size: f"{size[0]}x{size[1]}")
def test_screenshots(browser, live_server, size):
    width, height = size
    inventory = make_inventory()
    more_plan_ends(inventory)
    factories.make_export_log(
        inventory.user,
        file_format="xlsx",
        scope="all",
        row_count=8,
        seconds=0.4,
        query_string="format=xlsx&scope=all&filter=org_id%3Ais%3AORG-BAY",
    )
    factories.make_export_log(
        inventory.user,
        outcome="failed",
        failure="the download was interrupted before its end",
        query_string="format=csv&filter=status%3Ais%3AActive&filter=org_name%3Acontains%3Aacme",
    )
    factories.make_export_log(
        inventory.user, row_count=2, seconds=0.1, query_string="format=csv&token=A&token=B"
    )
    context = new_context(browser, live_server, width=width, height=height)
    page = context.new_page()
    try:
        sign_in(page, live_server, inventory.user, "/inventory/renewals/")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"renewals-{width}")
        page.goto("/inventory/renewals/?split=org&filter=status:not_contains:expired")
        screenshot(page, f"renewals-by-org-{width}")
        page.goto("/inventory/port-tokens/")
        screenshot(page, f"table-with-renewal-windows-{width}")
        page.goto("/inventory/exports/")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"export-history-{width}")
    finally:
        context.close()
