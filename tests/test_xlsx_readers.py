"""The XLSX export as other programs read it (SPEC "Exports"): openpyxl, calamine and
Gnumeric see exactly the cells the table shows, whatever the text looks like."""

import csv
import io
import os
import re
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse
from python_calamine import CalamineWorkbook

from inventory import exports
from inventory.columns import COLUMNS_BY_KEY
from inventory.exports import xlsx, xlsx_cells
from tests import factories

URL = reverse("inventory:port_tokens_export")
COLUMN_KEYS = ["token_sn", "renewal_owner", "term_years", "activation_date", "order_date"]
LABELS = tuple(COLUMNS_BY_KEY[key].label for key in COLUMN_KEYS)

#: Texts some reader would change if the file spelled them naively.
TRICKY_TEXTS = [
    "Line_x000D_break",  # an XML-escape look-alike: a carriage return to calamine and Excel
    "_x005F_x000D_",  # the escape of the escape
    "a_x005F_b",
    "_x0041__x0042_ back to back",
    "lower_x000d_hex and upper_X000D_",
    "x005F_ alone",  # openpyxl's shared-string reader deletes this
    "Zürich Åsgård 東京 🚗⚡",
    "  spaced at both ends  ",
    "tab\there, line\nfeed, carriage\r\nreturn",
    '<b>Lot & "C"</b>',
]


@pytest.fixture
def tokens(people):
    """One fully dated token with a term, then one token per tricky text (no term, no
    dates: empty cells)."""
    order = factories.make_order("SO-1", order_date=date(2025, 3, 2))
    factories.make_token(
        people.org,
        "TKN-000",
        part=factories.make_part(term_years=3),
        order=order,
        activation_date=datetime(2025, 7, 1, 19, 30, tzinfo=UTC),  # 12:30 PDT
        renewal_owner="Plain Owner",
    )
    no_term = factories.make_part(term_years=None)
    for number, text in enumerate(TRICKY_TEXTS, start=1):
        factories.make_token(people.org, f"TKN-{number:03d}", renewal_owner=text, part=no_term)


def download(client, file_format) -> bytes:
    response = client.get(URL, {"format": file_format, "columns": ",".join(COLUMN_KEYS)})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def openpyxl_rows(body: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(body)).worksheets[0].values)


def calamine_rows(body: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()


def test_openpyxl_reads_every_cell_as_the_table_shows_it(manager_client, tokens):
    rows = openpyxl_rows(download(manager_client, "xlsx"))

    assert rows == [
        LABELS,
        ("TKN-000", "Plain Owner", 3, datetime(2025, 7, 1, 12, 30), datetime(2025, 3, 2)),
        *[
            (f"TKN-{number:03d}", text, None, None, None)
            for number, text in enumerate(TRICKY_TEXTS, start=1)
        ],
    ]


def test_calamine_reads_every_cell_as_the_table_shows_it(manager_client, tokens):
    rows = calamine_rows(download(manager_client, "xlsx"))

    assert rows == [
        list(LABELS),
        ["TKN-000", "Plain Owner", 3.0, datetime(2025, 7, 1, 12, 30), date(2025, 3, 2)],
        *[
            [f"TKN-{number:03d}", text, "", "", ""]
            for number, text in enumerate(TRICKY_TEXTS, start=1)
        ],
    ]


def test_every_row_and_cell_names_its_reference(manager_client, tokens):
    """Gnumeric places nothing without it."""
    with zipfile.ZipFile(io.BytesIO(download(manager_client, "xlsx"))) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()

    rows = re.findall(r"<row([^>]*)>(.*?)</row>", sheet)
    assert len(rows) == 1 + 1 + len(TRICKY_TEXTS)
    for number, (attributes, cells) in enumerate(rows, start=1):
        assert attributes == f' r="{number}"'
        references = re.findall(r"<c( r=\"[A-Z]+\d+\")?[ />]", cells)
        assert references == [f' r="{letter}{number}"' for letter in "ABCDE"]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def ssconvert():
    path = shutil.which("ssconvert")
    if path is None:
        message = "Gnumeric's ssconvert not found (install Debian's `gnumeric`)"
        if _in_ci():
            pytest.fail(f"{message}: the Gnumeric check cannot be skipped in CI")
        pytest.skip(message)
    return path


def test_gnumeric_reads_the_same_cells_as_the_csv_export(
    manager_client, tokens, ssconvert, tmp_path
):
    (tmp_path / "export.xlsx").write_bytes(download(manager_client, "xlsx"))
    csv_export = download(manager_client, "csv").decode("utf-8-sig")

    # `format=preserve` writes each cell as Gnumeric displays it, dates in the cell's format.
    # Without a display Gnumeric may warn on stderr; only the exit status counts.
    converted = subprocess.run(
        [
            ssconvert,
            "--export-type=Gnumeric_stf:stf_assistant",
            "-O",
            "format=preserve separator=, quoting-mode=always charset=UTF-8",
            str(tmp_path / "export.xlsx"),
            str(tmp_path / "gnumeric.csv"),
        ],
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )

    assert converted.returncode == 0, converted.stderr.decode(errors="replace")
    seen = (tmp_path / "gnumeric.csv").read_text(encoding="utf-8")
    gnumeric_rows = list(csv.reader(io.StringIO(seen, newline="")))
    # Gnumeric keeps a line break in a cell as a line feed alone, whatever the file says.
    csv_export = csv_export.replace("\r\nreturn", "\nreturn")
    expected = list(csv.reader(io.StringIO(csv_export, newline="")))
    assert gnumeric_rows == expected
    assert gnumeric_rows[1] == ["TKN-000", "Plain Owner", "3", "2025-07-01 12:30", "2025-03-02"]
    assert gnumeric_rows[2][1] == "Line_x000D_break"


# --- a text longer than a cell may hold ----------------------------------------------


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_text_of_exactly_the_cell_limit_is_kept_whole():
    text = "x" * (exports.CELL_MAX_CHARACTERS - 2) + "🚗"  # counts 32,767 as Excel counts

    assert exports.fit_cell_text(text) == text


def test_text_one_over_the_limit_is_cut_with_the_mark_to_the_limit():
    text = "x" * exports.CELL_MAX_CHARACTERS + "y"

    cut = exports.fit_cell_text(text)

    assert cut == "x" * (exports.CELL_MAX_CHARACTERS - 12) + " [truncated]"
    assert utf16_length(cut) == exports.CELL_MAX_CHARACTERS


def test_a_character_that_counts_two_is_never_cut_in_half():
    text = "🚗" * 20_000  # 32,755 code units fit before the mark: half an emoji

    cut = exports.fit_cell_text(text)

    assert cut == "🚗" * 16_377 + " [truncated]"
    assert utf16_length(cut) == exports.CELL_MAX_CHARACTERS - 1


def xlsx_of(rows: list[list], keys: list[str]) -> bytes:
    """The XLSX file the export writes for these rows of stored values."""
    columns = [COLUMNS_BY_KEY[key] for key in keys]
    writers = xlsx_cells.cell_writers(columns)
    cells = (
        "".join(write(value) for write, value in zip(writers, row, strict=True)).encode()
        for row in rows
    )
    return b"".join(xlsx.xlsx_pieces(cells, columns))


def test_over_long_texts_are_cut_with_a_mark_and_the_file_opens_in_every_reader():
    long_text = "Long description " + "x" * 40_000
    long_emoji = "=" + "🚗" * 20_000  # neutralized too
    body = xlsx_of([["T1", long_text], ["T2", long_emoji]], ["token_sn", "description"])

    for rows in (openpyxl_rows(body), calamine_rows(body)):
        first, second = rows[1][1], rows[2][1]
        assert first.startswith("Long description xxx") and first.endswith("x [truncated]")
        assert second.startswith("'=🚗🚗") and second.endswith("🚗 [truncated]")
        assert utf16_length(first) == exports.CELL_MAX_CHARACTERS
        assert utf16_length(second) == exports.CELL_MAX_CHARACTERS - 1


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="no column holds 40,000 characters there"
)
def test_export_cuts_an_over_long_text_in_xlsx_and_keeps_it_whole_in_csv(manager_client, people):
    description = "Fleet plan " + "y" * 40_000
    factories.make_token(people.org, "T1", part=factories.make_part(description=description))
    params = {"columns": "token_sn,description"}

    xlsx = manager_client.get(URL, {"format": "xlsx", **params})
    csv_body = manager_client.get(URL, {"format": "csv", **params})

    cell = openpyxl_rows(b"".join(xlsx.streaming_content))[1][1]
    assert cell == description[: exports.CELL_MAX_CHARACTERS - 12] + " [truncated]"
    rows = list(csv.reader(io.StringIO(b"".join(csv_body.streaming_content).decode("utf-8-sig"))))
    assert rows[1] == ["T1", description]
