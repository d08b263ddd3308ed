"""The Export menu: each of the four downloads, and the selected rows, as the browser
receives them (file name from Content-Disposition, header row of labels)."""

import csv
import io
import re

import openpyxl
import pytest

from inventory.columns import COLUMNS, COLUMNS_BY_KEY, DEFAULT_COLUMN_KEYS
from tests.e2e.conftest import BAYSIDE_AVAILABLE, make_inventory, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

DEFAULT_LABELS = [COLUMNS_BY_KEY[key].label for key in DEFAULT_COLUMN_KEYS]
ALL_LABELS = [column.label for column in COLUMNS]
BAYSIDE_SERIALS = [f"BAY-{n:06d}" for n in range(BAYSIDE_AVAILABLE)]


def read_rows(path, file_format: str) -> list[list[str]]:
    """Every row of a downloaded export, cells as text."""
    if file_format == "csv":
        data = path.read_bytes()
        # The byte-order mark makes Excel read the file as UTF-8.
        assert data.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return [
            ["" if cell is None else str(cell) for cell in row]
            for row in workbook.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        workbook.close()


def download(page, link_name: str, tmp_path):
    menu = page.locator("details.menu", has=page.locator("summary", has_text="Export"))
    if not menu.evaluate("menu => menu.open"):
        menu.locator("summary").click()
    with page.expect_download() as info:
        menu.get_by_role("link", name=link_name).click()
    received = info.value
    path = tmp_path / received.suggested_filename
    received.save_as(path)
    return received.suggested_filename, path


EXPORTS = [
    # (menu item, scope, format, header row)
    ("Export visible columns (CSV)", "visible", "csv", DEFAULT_LABELS),
    ("Export visible columns (XLSX)", "visible", "xlsx", DEFAULT_LABELS),
    ("Export all columns (CSV)", "all", "csv", ALL_LABELS),
    ("Export all columns (XLSX)", "all", "xlsx", ALL_LABELS),
]


def test_each_export_downloads_the_filtered_rows_under_their_labels(page, live_server, tmp_path):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?filter=org_id:is:ORG-BAY")

    for link_name, scope, file_format, labels in EXPORTS:
        filename, path = download(page, link_name, tmp_path)

        assert re.fullmatch(rf"port-tokens-{scope}-\d{{8}}-\d{{6}}\.{file_format}", filename)
        header, *rows = read_rows(path, file_format)
        assert header == labels, link_name
        serial, status = labels.index("Token S/N"), labels.index("Status")
        assert [row[serial] for row in rows] == BAYSIDE_SERIALS, link_name
        assert {row[status] for row in rows} == {"Available"}, link_name


def test_selected_rows_export_only_those_in_the_visible_columns(page, live_server, tmp_path):
    inventory = make_inventory()
    sign_in(page, live_server, inventory.user, "/inventory/port-tokens/?columns=token_sn,status")
    page.get_by_label("Select ACME-000003 for transfer").check()
    page.get_by_label("Select BAY-000001 for transfer").check()

    filename, path = download(page, "Export selected rows (CSV)", tmp_path)

    assert re.fullmatch(r"port-tokens-visible-\d{8}-\d{6}\.csv", filename)
    assert read_rows(path, "csv") == [
        ["Token S/N", "Status"],
        ["ACME-000003", "New"],
        ["BAY-000001", "Available"],
    ]
