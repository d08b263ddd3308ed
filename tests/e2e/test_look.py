"""How the pages look at the two common administrator screens: screenshots saved as
artefacts (tests/e2e/screenshots/), and the layout rules a screenshot would show broken:
nothing wider than the window but a table of many columns, room for a dozen rows and
more above the fold, a table that scrolls with the page with a sticky header and a
sticky Token S/N column, long values cut with the full text on hover, status badges that
say their status in words."""

import re

import pytest

from inventory.columns import COLUMNS
from tests.e2e.conftest import (
    LONG_DESCRIPTION,
    make_inventory,
    new_context,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS = [(1366, 768), (1920, 1080)]
ALL_COLUMNS = ",".join(column.key for column in COLUMNS)


@pytest.fixture(params=VIEWPORTS, ids=lambda size: f"{size[0]}x{size[1]}")
def sized_page(request, browser, live_server):
    width, height = request.param
    context = new_context(browser, live_server, width=width, height=height)
    yield context.new_page()
    context.close()


def assert_fits_the_window(page) -> None:
    """The page itself never scrolls sideways: wide content scrolls inside its own frame."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


#: The table's ancestors that clip what overflows them: a box that would scroll by itself.
CLIPPING_ANCESTORS = """(() => {
  const clipping = [];
  for (let e = document.querySelector('.token-table').parentElement; e; e = e.parentElement) {
    const style = getComputedStyle(e);
    if (style.overflowX !== 'visible' || style.overflowY !== 'visible') clipping.push(e.tagName);
  }
  return clipping;
})()"""
#: Table rows a screen of that width shows whole before any scrolling (1366x768, 1920x1080).
ROWS_ABOVE_THE_FOLD = {1366: 12, 1920: 20}


def rows_above_the_fold(page) -> int:
    return page.evaluate(
        "[...document.querySelectorAll('.token-table tbody tr')]"
        ".filter(row => row.getBoundingClientRect().bottom <= window.innerHeight).length"
    )


def assert_inside_the_window(page, locator) -> None:
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


def test_table_pages(sized_page, live_server):
    page, size = sized_page, sized_page.viewport_size["width"]
    inventory = make_inventory()

    page.goto("/accounts/login/")
    assert_fits_the_window(page)
    screenshot(page, f"login-{size}")

    sign_in(page, live_server, inventory.user)
    assert_fits_the_window(page)
    # Room for rows: with no filter open, the first rows show without scrolling.
    assert rows_above_the_fold(page) >= ROWS_ABOVE_THE_FOLD[size]
    screenshot(page, f"table-default-{size}")

    page.locator("summary", has_text="Columns").click()
    assert_inside_the_window(page, page.locator(".column-chooser"))
    screenshot(page, f"columns-menu-{size}")
    page.keyboard.press("Escape")
    page.get_by_label("Select BAY-000002 for transfer").check()
    page.locator("summary", has_text="Export").click()
    assert_inside_the_window(page, page.locator("[data-export-menu]"))
    screenshot(page, f"export-menu-{size}")
    page.keyboard.press("Escape")

    page.goto(
        "/inventory/port-tokens/?filter=cloud_plan:contains:fleet&filter=status:is:Active"
        "&match=any&sort=-org_name"
    )
    assert_fits_the_window(page)
    screenshot(page, f"filters-{size}")

    # Each badge says its status in words; the colour only helps (the grayscale
    # screenshot shows the page as someone who cannot tell the colours apart sees it).
    page.goto("/inventory/port-tokens/?columns=token_sn,status,cloud_plan,org_name&sort=status")
    badges = page.locator(".token-table .badge")
    assert set(badges.all_inner_texts()) == {"New", "Available", "Active"}
    for badge in (badges.first, badges.last):
        assert badge.get_attribute("class") == f"badge badge-{badge.inner_text().lower()}"
    # Through the CSSOM: the Content-Security-Policy rightly refuses an inline <style>.
    page.evaluate("document.documentElement.style.filter = 'grayscale(1)'")
    screenshot(page, f"statuses-grayscale-{size}")


def test_all_columns_scroll_with_the_page_keeping_the_header_and_serials_in_view(
    sized_page, live_server
):
    page, size = sized_page, sized_page.viewport_size["width"]
    inventory = make_inventory()
    sign_in(
        page,
        live_server,
        inventory.user,
        f"/inventory/port-tokens/?columns={ALL_COLUMNS}&sort=-status",
    )
    header = page.locator(".token-table thead th.col-token_sn")
    first_serial = page.locator(".token-table tbody td.col-token_sn").first
    # The page itself scrolls, both ways: the table has no box with scroll bars of its own
    # (whose sideways bar would sit below the fold).
    assert page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert page.evaluate(CLIPPING_ANCESTORS) == []
    select_width = page.locator(".token-table thead th.select-col").bounding_box()["width"]

    # Down past the header's place, and sideways to the far end.
    down = round(header.bounding_box()["y"]) + 120
    page.evaluate(f"window.scrollTo(document.documentElement.scrollWidth, {down})")
    assert page.evaluate("[window.scrollX > 0, window.scrollY]") == [True, down]
    after = {"header": header.bounding_box(), "serial": first_serial.bounding_box()}
    # Scrolled sideways, Token S/N stays by the checkboxes; scrolled down, the header
    # stays at the top of the window.
    assert after["header"]["y"] == pytest.approx(0, abs=1)
    assert after["header"]["x"] == pytest.approx(select_width, abs=1)
    assert after["serial"]["x"] == pytest.approx(select_width, abs=1)
    # What scrolls beneath the sticky parts goes under them, never over them.
    on_top = "([x, y]) => document.elementFromPoint(x, y).closest('th, td')"
    corner = [after["header"]["x"] + 5, after["header"]["y"] + 5]
    assert page.evaluate(f"p => ({on_top})(p).matches('thead .sticky-col')", corner)
    header_row = [corner[0] + 200, corner[1]]
    assert page.evaluate(f"p => ({on_top})(p).matches('thead th')", header_row)
    serial = page.locator(".token-table tbody td.col-token_sn").nth(8).bounding_box()
    serial_point = [serial["x"] + 5, serial["y"] + 5]
    assert page.evaluate(f"p => ({on_top})(p).matches('tbody .sticky-col')", serial_point)
    screenshot(page, f"table-all-columns-{size}")
    page.evaluate("window.scrollTo(0, 0)")

    # Long values end in an ellipsis and show the whole text on hover; short ones do not.
    description = page.locator(".token-table tr[data-token='BAY-000000'] td.col-description")
    assert description.get_attribute("title") == LONG_DESCRIPTION
    assert description.inner_text() == LONG_DESCRIPTION  # cut on screen only
    assert description.evaluate("cell => cell.getBoundingClientRect().width") < 300
    assert page.locator(".token-table tbody td.col-cloud_plan").first.get_attribute("title") is None


def test_transfer_pages(sized_page, live_server):
    page, size = sized_page, sized_page.viewport_size["width"]
    inventory = make_inventory()
    sign_in(
        page,
        live_server,
        inventory.user,
        "/inventory/port-tokens/transfer/?token=ACME-000001&token=ACME-000002&token=ACME-000003",
    )
    page.get_by_label("Destination organization").select_option("ORG-BAY")
    page.get_by_label("Note").fill("Garage B levels 1-3 move to the Bayside network on 1 May")
    page.get_by_role("button", name="Review").click()
    assert_fits_the_window(page)
    screenshot(page, f"transfer-review-{size}")

    page.get_by_role("button", name="Transfer 3 tokens").click()
    page.wait_for_url(re.compile(r"/inventory/transfers/\d+/$"))
    assert_fits_the_window(page)
    screenshot(page, f"transfer-detail-{size}")

    page.goto("/inventory/transfers/")
    assert_fits_the_window(page)
    screenshot(page, f"history-{size}")
