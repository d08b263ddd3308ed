"""Select rows in the table, transfer them, review, confirm, and find it in the history."""

import re

import pytest
from playwright.sync_api import expect

from inventory.models import PortToken, Transfer
from tests.e2e.conftest import make_inventory, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_selected_rows_are_reviewed_transferred_and_recorded(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?filter=org_id:is:ORG-ACME")
    transfer = page.get_by_role("button", name="Transfer selected")
    # Nothing selected yet, so nothing to transfer, and the button says why; Active tokens
    # cannot be picked at all.
    assert transfer.get_attribute("aria-disabled") == "true"
    expect(transfer).to_have_accessible_description(
        "Select tokens to transfer: New or Available tokens applied to no EVSE, in an "
        "organization you manage."
    )
    # Pressed anyway, it stays and points at its reason.
    transfer.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#transfer-hint")).to_have_class(re.compile("is-flagged"))
    assert page.url.endswith("/inventory/port-tokens/?filter=org_id:is:ORG-ACME")
    assert page.get_by_label(
        "ACME-ACTIVE-1 cannot be selected: Active tokens cannot be transferred"
    ).is_disabled()

    page.get_by_label("Select ACME-000001 for transfer").check()
    page.get_by_label("Select ACME-000002 for transfer").check()
    expect(page.locator("[data-selection-count]")).to_have_text("2 selected")
    transfer.click()

    page.wait_for_url("**/inventory/port-tokens/transfer/?selected=1")
    assert page.get_by_role("heading", name="Transfer tokens").is_visible()
    assert page.get_by_label("Token S/Ns").input_value().split() == ["ACME-000001", "ACME-000002"]
    page.get_by_label("Destination organization").select_option(
        label="Bayside EV Network (ORG-BAY)"
    )
    page.get_by_label("Note").fill("Garage B moves to Bayside")
    page.get_by_role("button", name="Review").click()

    review = page.locator("#review")
    assert review.get_by_role("heading").inner_text() == (
        "Ready to move 2 tokens to Bayside EV Network (ORG-BAY)"
    )
    assert review.locator("td.serial").all_inner_texts() == ["ACME-000001", "ACME-000002"]
    # A review changes nothing.
    assert not Transfer.objects.exists()

    page.get_by_role("button", name="Transfer 2 tokens").click()

    page.wait_for_url(re.compile(r"/inventory/transfers/\d+/$"))
    assert page.get_by_role("status").inner_text() == (
        "Moved 2 tokens from Acme Charging to Bayside EV Network"
    )
    assert page.get_by_role("heading", level=1).inner_text().startswith("Transfer #")
    assert page.locator("td.serial").all_inner_texts() == ["ACME-000001", "ACME-000002"]
    assert page.get_by_text("Garage B moves to Bayside").is_visible()
    detail_url = page.url
    assert set(
        PortToken.objects.filter(serial__in=["ACME-000001", "ACME-000002"]).values_list(
            "organization__org_id", flat=True
        )
    ) == {"ORG-BAY"}

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transfers").click()
    page.wait_for_url("**/inventory/transfers/")
    rows = page.locator(".transfer-table tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[2:] == [
        "ada",
        "Acme Charging",
        "Bayside EV Network",
        "2",
        "Garage B moves to Bayside",
    ]
    rows.first.get_by_role("link").click()
    assert page.url == detail_url


def test_a_token_that_cannot_move_is_named_and_nothing_moves(page, live_server):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/transfer/")
    page.get_by_label("Token S/Ns").fill("ACME-000001, ACME-ACTIVE-1")
    page.get_by_label("Destination organization").select_option(
        label="Bayside EV Network (ORG-BAY)"
    )
    page.get_by_role("button", name="Review").click()

    problems = page.locator(".review-problems")
    assert problems.get_by_role("heading").inner_text() == "1 token cannot move"
    assert problems.locator("td.serial").all_inner_texts() == ["ACME-ACTIVE-1"]
    assert page.get_by_role("button", name=re.compile(r"^Transfer \d")).count() == 0
    assert not Transfer.objects.exists()
