"""Saved views in the browser: save the table's view from the Views menu and share it, open
it from the menu as a colleague, make it the default so that a plain visit opens it, and
manage views on their page; each without serious accessibility problems."""

import re

import pytest

from inventory.models import Membership
from tests import factories
from tests.e2e.conftest import (
    ACME_NEW,
    make_inventory,
    new_context,
    result_count,
    screenshot,
    serious_accessibility_violations,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)

ACME_NEW_VIEW = "/inventory/port-tokens/?filter=org_name:is:Acme Charging&filter=status:is:New"


def views_menu(page):
    return page.locator("details[data-views-menu]")


def menu_button(page):
    return views_menu(page).locator(":scope > summary")


def menu_title(page) -> str:
    """What the Views button reads: 'Views', then the open view's name."""
    return " ".join(menu_button(page).inner_text().split())


def open_views_menu(page):
    menu_button(page).click()
    assert views_menu(page).get_attribute("open") is not None
    return views_menu(page)


def test_save_share_open_and_make_default_a_view(page, browser, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, ACME_NEW_VIEW)
    assert result_count(page).startswith(f"{ACME_NEW} tokens")

    menu = open_views_menu(page)
    assert menu.get_by_text("No saved views yet").is_visible()
    menu.get_by_label("Name").fill("Acme unused tokens")
    menu.get_by_label("Share with").select_option(label="Acme Charging (ORG-ACME)")
    assert serious_accessibility_violations(page) == []
    menu.get_by_role("button", name="Save view").click()

    page.wait_for_url(re.compile(r"/inventory/port-tokens/\?.*view=\d+$"))
    assert page.get_by_text("Saved the view “Acme unused tokens”.").is_visible()
    assert result_count(page).startswith(f"{ACME_NEW} tokens")
    menu = open_views_menu(page)
    assert menu_title(page) == "Views Acme unused tokens"
    current = menu.locator('a[aria-current="true"]')
    assert current.inner_text().startswith("Acme unused tokens")
    screenshot(page, "views-menu-1366")
    assert serious_accessibility_violations(page) == []

    menu.get_by_role("button", name="Make default").click()
    page.wait_for_url(re.compile(r"view=\d+$"))
    assert page.get_by_text("now opens with “Acme unused tokens”").is_visible()

    # A plain visit of the table now opens the default view.
    page.goto("/inventory/port-tokens/")
    assert re.search(r"view=\d+$", page.url)
    assert result_count(page).startswith(f"{ACME_NEW} tokens")

    # A viewer of Acme finds the shared view in the menu, with who shared it, and opens it.
    colleague = factories.make_user("ben")
    factories.grant(colleague, inventory.acme, Membership.Role.VIEWER)
    other = new_context(browser, live_server)
    try:
        reader = other.new_page()
        sign_in(reader, live_server, colleague)
        menu = open_views_menu(reader)
        shared = menu.get_by_role("link", name=re.compile("^Acme unused tokens"))
        assert "by Ada Park · Acme Charging" in shared.inner_text()
        assert menu.get_by_role("button", name="Update with current view").count() == 0
        shared.click()
        reader.wait_for_url(re.compile(r"view=\d+$"))
        assert result_count(reader).startswith(f"{ACME_NEW} tokens")
        assert menu.get_by_role("button", name="Update with current view").count() == 0
    finally:
        other.close()


def test_the_saved_views_page(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, ACME_NEW_VIEW)
    menu = open_views_menu(page)
    menu.get_by_label("Name").fill("Acme unused tokens")
    menu.get_by_role("button", name="Save view").click()
    page.wait_for_url(re.compile(r"view=\d+$"))

    page.goto("/inventory/views/")
    assert page.get_by_role("heading", name="Saved views").is_visible()
    row = page.locator("tr", has=page.get_by_role("link", name="Acme unused tokens"))
    assert row.get_by_role("cell", name="Only you").is_visible()
    screenshot(page, "saved-views-1366")
    assert serious_accessibility_violations(page) == []

    # A name that is too long comes back with the error and what was typed.
    row.locator("summary", has_text="Edit").click()
    row.get_by_label("Name").evaluate("(input) => input.removeAttribute('maxlength')")
    row.get_by_label("Name").fill("x" * 101)
    row.get_by_role("button", name="Save changes").click()
    assert page.get_by_text("this one has 101").is_visible()
    screenshot(page, "saved-views-error-1366")
    assert serious_accessibility_violations(page) == []

    page.goto("/inventory/views/")
    row = page.locator("tr", has=page.get_by_role("link", name="Acme unused tokens"))
    row.get_by_role("button", name="Delete").click()
    assert page.get_by_text("Deleted the view “Acme unused tokens”.").is_visible()
    assert page.get_by_role("heading", name="No saved views yet").is_visible()


def test_saving_a_view_works_without_javascript(browser, live_server):
    inventory = make_inventory()
    context = new_context(browser, live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, inventory.user, ACME_NEW_VIEW)
        menu = open_views_menu(page)
        menu.get_by_label("Name").fill("Without script")
        menu.get_by_role("button", name="Save view").click()
        page.wait_for_url(re.compile(r"view=\d+$"))
        assert result_count(page).startswith(f"{ACME_NEW} tokens")
        assert menu_title(page) == "Views Without script"
    finally:
        context.close()
