"""Keyboard only: every control of the table page can be reached with Tab, shows where the
focus is, and works with Enter, Space and Escape."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import column_headers, make_inventory, result_count, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    tag: element.tagName.toLowerCase(),
    text: (element.getAttribute("aria-label") || element.innerText || element.value || "")
      .trim().split("\\n")[0],
    focusVisible: element.matches(":focus-visible"),
    outline: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
  };
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, matches, *, backwards: bool = False, limit: int = 120) -> dict:
    """Press Tab (or Shift+Tab) until the focused element satisfies `matches`."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        element = focused(page)
        if matches(element):
            return element
    raise AssertionError("never reached by the keyboard")


def assert_focus_ring(element: dict) -> None:
    assert element["focusVisible"], element
    assert element["outline"] != "none" and element["outlineWidth"] >= 2, element


def menu_is_open(page, name: str) -> bool:
    menu = page.locator("details.menu", has=page.locator("summary", has_text=name))
    return menu.evaluate("menu => menu.open")


def test_columns_menu_works_with_tab_enter_space_and_escape(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)

    summary = tab_to(page, lambda e: e["tag"] == "summary" and e["text"].startswith("Columns"))
    assert_focus_ring(summary)
    page.keyboard.press("Enter")
    assert menu_is_open(page, "Columns")

    checkbox = tab_to(page, lambda e: e["tag"] == "input" and e["text"] == "station_name")
    assert_focus_ring(checkbox)
    page.keyboard.press("Space")
    assert not page.locator(".column-chooser").get_by_label("Station Name", exact=True).is_checked()

    page.keyboard.press("Escape")
    assert not menu_is_open(page, "Columns")
    # Focus goes back to the menu's button, so the user is not lost.
    assert focused(page)["text"].startswith("Columns")

    page.keyboard.press("Enter")
    assert menu_is_open(page, "Columns")
    apply = tab_to(page, lambda e: e["tag"] == "button" and e["text"] == "Apply")
    assert_focus_ring(apply)
    page.keyboard.press("Enter")
    page.wait_for_url("**columns=**")
    assert "Station Name" not in column_headers(page)


def test_export_menu_opens_with_enter_and_closes_with_escape(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)

    tab_to(page, lambda e: e["tag"] == "summary" and e["text"].startswith("Export"))
    page.keyboard.press("Enter")
    assert menu_is_open(page, "Export")
    link = tab_to(page, lambda e: e["tag"] == "a")
    assert link["text"] == "Export visible columns (CSV)"
    assert_focus_ring(link)

    page.keyboard.press("Escape")
    assert not menu_is_open(page, "Export")
    assert focused(page)["text"].startswith("Export")

    # A click anywhere else closes an open menu too.
    page.keyboard.press("Enter")
    assert menu_is_open(page, "Export")
    page.get_by_role("heading", name="Port Tokens", level=1).click()
    assert not menu_is_open(page, "Export")


def test_filter_builder_and_chips_work_from_the_keyboard(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)

    # The builder opens from its button, like the menus.
    toggle = tab_to(page, lambda e: e["tag"] == "summary" and e["text"].startswith("Filters"))
    assert_focus_ring(toggle)
    page.keyboard.press("Enter")
    field = tab_to(page, lambda e: e["tag"] == "select")
    assert_focus_ring(field)
    # Typing on a focused select picks the option that starts with the typed text.
    page.keyboard.type("Org Name")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("bayside")
    page.keyboard.press("Enter")
    page.wait_for_url("**filter=org_name%3Acontains%3Abayside**")
    assert page.locator(".chips .chip-text").all_inner_texts() == ["Org Name contains bayside"]
    assert result_count(page).startswith("8 tokens")
    # Applied, the builder closes to its chips, and the focus is on the chip row.
    assert page.evaluate("document.activeElement.id") == "chips"

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page)["text"].startswith("Filters")
    page.keyboard.press("Enter")
    add = tab_to(page, lambda e: e["text"] == "+ Add Filter")
    assert_focus_ring(add)
    page.keyboard.press("Enter")
    # The new row's field takes the focus, ready to choose.
    assert focused(page)["tag"] == "select"
    assert page.locator("[data-filter-row]").count() == 2

    remove = tab_to(page, lambda e: e["text"] == "Remove filter: Org Name contains bayside")
    assert_focus_ring(remove)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "filter=" not in url)
    assert result_count(page).startswith("42 tokens")
    # The last chip gone, the focus is where the chip row was: the search box.
    assert page.evaluate("document.activeElement.id") == "quick-search"


def test_rows_are_selected_and_sorted_from_the_keyboard(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?filter=org_id:is:ORG-BAY")

    sort = tab_to(page, lambda e: e["tag"] == "a" and e["text"] == "Token S/N")
    assert_focus_ring(sort)
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=-token_sn**")
    # After the reload the focus is back on the header the user sorted.
    assert page.evaluate("document.activeElement.matches('th.col-token_sn .sort-link')"), focused(
        page
    )
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "sort=token_sn" in url)
    assert page.evaluate("document.activeElement.matches('th.col-token_sn .sort-link')")

    box = tab_to(page, lambda e: e["text"] == "Select BAY-000007 for transfer")
    assert_focus_ring(box)
    page.keyboard.press("Space")
    expect(page.locator("[data-selection-count]")).to_have_text("1 selected")
    tab_to(page, lambda e: e["text"] == "Transfer selected", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/transfer/?selected=1")
    assert page.get_by_label("Token S/Ns").input_value() == "BAY-000007"


def test_every_focus_stop_on_the_table_page_shows_a_focus_ring(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?filter=org_id:is:ORG-BAY")

    # The first stop is the skip link, which shows itself only when focused.
    skip_link = page.get_by_role("link", name="Skip to content")
    assert skip_link.bounding_box()["y"] < 0
    page.keyboard.press("Tab")
    assert skip_link.bounding_box()["y"] >= 0
    stops = [focused(page)]
    for _ in range(150):
        page.keyboard.press("Tab")
        element = focused(page)
        if element["tag"] == "body" or (stops and element == stops[0]):
            break  # wrapped around
        stops.append(element)
    assert stops[0]["text"] == "Skip to content"
    kinds = {element["tag"] for element in stops}
    assert {"a", "summary", "select", "input", "button"} <= kinds
    without_ring = [e for e in stops if not (e["focusVisible"] and e["outline"] != "none")]
    assert without_ring == []
