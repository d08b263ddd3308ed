"""With JavaScript off the table page is plain forms and links, and still filters, chooses
columns, pages and exports."""

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest

from inventory.columns import COLUMNS_BY_KEY, DEFAULT_COLUMN_KEYS
from tests.e2e.conftest import (
    BAYSIDE_AVAILABLE,
    column_headers,
    make_inventory,
    new_context,
    open_filters,
    result_count,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def plain_page(browser, live_server):
    context = new_context(browser, live_server, java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_plain_forms_filter_choose_columns_and_export(plain_page, live_server, tmp_path):
    page = plain_page
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user)

    # No script to add rows: the builder offers three plain rows and no "Add Filter".
    builder = open_filters(page)
    assert builder.locator("[data-filter-row]").count() == 3
    assert builder.get_by_role("button", name="+ Add Filter").is_hidden()
    builder.get_by_label("Field of filter 1").select_option(label="Org Name")
    builder.get_by_label("Operator of filter 1").select_option(label="Is")
    builder.get_by_label("Value of filter 1").fill("Bayside EV Network")
    builder.get_by_label("Field of filter 2").select_option(label="Status")
    builder.get_by_label("Value of filter 2").fill("avail")
    builder.get_by_role("button", name="Apply Filters").click()
    page.wait_for_url("**filter=**")

    assert parse_qs(urlsplit(page.url).query)["filter"] == [
        "org_name:is:Bayside EV Network",
        "status:contains:avail",
    ]
    assert result_count(page).startswith(f"{BAYSIDE_AVAILABLE} tokens")
    assert page.locator(".chips .chip-text").all_inner_texts() == [
        "Org Name is Bayside EV Network",
        "Status contains avail",
    ]

    # <details> opens without script.
    page.locator("summary", has_text="Columns").click()
    chooser = page.locator(".column-chooser")
    chooser.get_by_label("Station Name", exact=True).uncheck()
    chooser.get_by_label("EVSE ID", exact=True).uncheck()
    chooser.get_by_role("button", name="Apply").click()
    page.wait_for_url("**columns=**")
    chosen = [
        COLUMNS_BY_KEY[key].label
        for key in DEFAULT_COLUMN_KEYS
        if key not in ("station_name", "evse_id")
    ]
    assert column_headers(page) == chosen
    assert result_count(page).startswith(f"{BAYSIDE_AVAILABLE} tokens")

    # The per-page form has a button when nothing submits it on change.
    page.get_by_label("Rows per page").select_option("25")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**per_page=25**")
    assert column_headers(page) == chosen

    page.locator("summary", has_text="Export").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Export visible columns (CSV)").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    header, *rows = csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")))
    assert header == chosen
    assert [row[0] for row in rows] == [f"BAY-{n:06d}" for n in range(BAYSIDE_AVAILABLE)]


def test_a_transfer_works_without_javascript(plain_page, live_server):
    page = plain_page
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?filter=org_id:is:ORG-BAY")

    page.get_by_label("Select BAY-000004 for transfer").check()
    page.get_by_role("button", name="Transfer selected").click()
    page.get_by_label("Destination organization").select_option(label="Acme Charging (ORG-ACME)")
    page.get_by_role("button", name="Review").click()
    page.get_by_role("button", name="Transfer 1 token").click()

    assert page.get_by_role("status").inner_text() == (
        "Moved 1 token from Bayside EV Network to Acme Charging"
    )
