"""Selecting tokens across pages: the selection survives paging, "Select all N matching"
takes only the tokens that can move, and the review takes out what cannot move."""

import re

import pytest
from playwright.sync_api import expect

from inventory.models import Transfer
from tests.e2e.conftest import (
    ACME_ACTIVE,
    ACME_NEW,
    make_inventory,
    new_context,
    serious_accessibility_violations,
    shown_serials,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)

PAGED = "/inventory/port-tokens/?per_page=25"


def selection_count(page):
    return page.locator("[data-selection-count]")


def test_checked_rows_survive_paging_and_reach_the_transfer_form(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, PAGED)
    page.get_by_label("Select ACME-000001 for transfer").check()
    page.get_by_label("Select ACME-000002 for transfer").check()
    expect(selection_count(page)).to_have_text("2 selected")

    page.get_by_role("link", name="Next page").click()
    page.wait_for_url("**page=2**")
    # The count is of the whole selection, whatever page shows.
    expect(selection_count(page)).to_have_text("2 selected")
    page.get_by_label("Select BAY-000003 for transfer").check()
    expect(selection_count(page)).to_have_text("3 selected")

    page.get_by_role("link", name="Previous page").click()
    page.wait_for_url(lambda url: not re.search(r"[?&]page=2", url))
    assert page.get_by_label("Select ACME-000001 for transfer").is_checked()
    assert page.get_by_label("Select ACME-000002 for transfer").is_checked()
    assert not page.get_by_label("Select ACME-000003 for transfer").is_checked()
    # The page's own box says "some of this page".
    assert page.locator(".select-page").evaluate("box => box.indeterminate")
    # The Export menu offers the selected rows of every page.
    page.locator("summary", has_text="Export").click()
    export = page.get_by_role("link", name="Export selected rows (CSV)")
    assert re.findall(r"token=([^&]+)", export.get_attribute("href")) == [
        "ACME-000001",
        "ACME-000002",
        "BAY-000003",
    ]
    page.keyboard.press("Escape")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name="Transfer selected").click()
    page.wait_for_url("**/inventory/port-tokens/transfer/?selected=1")
    assert page.get_by_label("Token S/Ns").input_value().split() == [
        "ACME-000001",
        "ACME-000002",
        "BAY-000003",
    ]

    page.go_back()
    page.wait_for_url("**per_page=25**")
    page.get_by_role("button", name="Clear selection").click()
    page.wait_for_url("**per_page=25**")
    expect(selection_count(page)).to_have_text("")
    assert page.get_by_role("button", name="Transfer selected").get_attribute("aria-disabled")


def test_select_all_matching_takes_only_what_can_move_and_the_review_drops_the_rest(
    page, live_server
):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, PAGED + "&filter=org_id:is:ORG-ACME")
    offer = page.locator(".select-all-matching")
    expect(offer).to_have_text(
        re.compile(
            rf"Select all {ACME_NEW} matching tokens that can move\s+"
            rf"{ACME_ACTIVE} cannot move: {ACME_ACTIVE} Active or Expired\."
        )
    )
    offer.get_by_role("button").click()
    page.wait_for_url("**org_id**")
    expect(selection_count(page)).to_have_text(f"{ACME_NEW} selected")
    assert page.get_by_role("status").inner_text() == (
        f"Selected all {ACME_NEW} matching tokens that can move."
    )
    # Focus stays with the selection, not the top of the page.
    assert page.evaluate("document.activeElement.closest('#selection') !== null")

    # One more, from elsewhere, that is in the destination already.
    page.goto("/inventory/port-tokens/?filter=org_id:is:ORG-BAY")
    page.get_by_label("Select BAY-000000 for transfer").check()
    expect(selection_count(page)).to_have_text(f"{ACME_NEW + 1} selected")
    page.get_by_role("button", name="Transfer selected").click()
    page.wait_for_url("**selected=1")
    page.get_by_label("Destination organization").select_option("ORG-BAY")
    page.get_by_role("button", name="Review").click()

    already = page.locator(".review-already")
    assert already.get_by_role("heading").inner_text() == (
        "1 token is already in Bayside EV Network (ORG-BAY)"
    )
    assert already.locator("td.serial").all_inner_texts() == ["BAY-000000"]
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Remove the 1 token that cannot move and review again").click()

    assert page.get_by_text("Removed 1 Token S/N that cannot move: BAY-000000.").is_visible()
    review = page.locator("#review")
    assert review.get_by_role("heading").inner_text() == (
        f"Ready to move {ACME_NEW} tokens to Bayside EV Network (ORG-BAY)"
    )
    page.get_by_role("button", name=f"Transfer {ACME_NEW} tokens").click()
    page.wait_for_url(re.compile(r"/inventory/transfers/\d+/$"))
    assert Transfer.objects.get().token_count == ACME_NEW

    # The moved tokens left the selection; the one that stayed is still selected.
    page.goto("/inventory/port-tokens/?filter=org_id:is:ORG-BAY")
    expect(selection_count(page)).to_have_text("1 selected")
    assert page.get_by_label("Select BAY-000000 for transfer").is_checked()


def test_without_javascript_keep_selection_carries_checks_across_pages(browser, live_server):
    context = new_context(browser, live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        inventory = make_inventory()
        sign_in(page, live_server, inventory.user, PAGED)
        page.get_by_label("Select ACME-000004 for transfer").check()
        page.get_by_role("button", name="Keep selection").click()
        page.wait_for_url("**per_page=25**")
        assert selection_count(page).inner_text() == "1 selected"

        page.get_by_role("link", name="Next page").click()
        page.wait_for_url("**page=2**")
        page.get_by_label("Select BAY-000005 for transfer").check()
        page.get_by_role("button", name="Transfer selected").click()
        page.wait_for_url("**selected=1")

        assert page.get_by_label("Token S/Ns").input_value().split() == [
            "ACME-000004",
            "BAY-000005",
        ]
    finally:
        context.close()


def test_rows_above_the_fold_and_sort_focus_at_both_screens(browser, live_server):
    inventory = make_inventory()
    for width, height, rows in ((1366, 768, 12), (1920, 1080, 20)):
        context = new_context(browser, live_server, width=width, height=height)
        page = context.new_page()
        sign_in(page, live_server, inventory.user)
        whole = page.evaluate(
            "[...document.querySelectorAll('.token-table tbody tr')]"
            ".filter(row => row.getBoundingClientRect().bottom <= window.innerHeight).length"
        )
        assert whole >= rows, (width, whole)
        # Sorted by a click on a header further down: the page comes back where it was.
        page.evaluate("window.scrollTo(0, 200)")
        page.locator("th.col-org_name .sort-link").click()
        page.wait_for_url("**sort=org_name**")
        assert page.evaluate(
            "document.activeElement.closest('th').classList.contains('col-org_name')"
        )
        assert page.evaluate("window.scrollY") == 200
        assert shown_serials(page)[0].startswith("ACME")
        context.close()
