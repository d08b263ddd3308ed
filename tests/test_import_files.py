"""`import_tokens FILE`: reading the file: CSV and XLSX, the header, and files that are not
what they seem (not UTF-8, damaged, formulas without results, zip bombs)."""

import csv
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from inventory import importing
from inventory.columns import COLUMNS, COLUMNS_BY_KEY
from inventory.models import Order, Organization, PortToken
from tests.factories import utc
from tests.import_helpers import (
    LABELS,
    assert_nothing_written,
    import_problems,
    run_import,
    token_row,
    unapplied,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


# The file's format ---------------------------------------------------------------------------


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    run_import(write_csv(tmp_path, [token_row(org_name="Zürich Ladepark")], bom=True))

    assert Organization.objects.get().name == "Zürich Ladepark"


def test_the_quote_the_export_adds_before_formula_characters_is_removed(tmp_path):
    rows = [
        unapplied(token_sn="T1", customer_reference="'=SUM(A1:A2)"),
        unapplied(token_sn="T2", renewal_owner="'-owner", sales_order="SO-2"),
        unapplied(token_sn="T3", renewal_owner="'+1 555 0100", sales_order="SO-3"),
        unapplied(token_sn="T4", renewal_owner="'@team", sales_order="SO-4"),
        unapplied(token_sn="T5", renewal_owner="'O'Brien", sales_order="SO-5"),
    ]
    run_import(write_csv(tmp_path, rows))

    assert Order.objects.get(sales_order="SO-3000001").customer_reference == "=SUM(A1:A2)"
    owners = dict(PortToken.objects.values_list("serial", "renewal_owner"))
    assert owners["T2"] == "-owner"
    assert owners["T3"] == "+1 555 0100"
    assert owners["T4"] == "@team"
    # A quote before anything else is part of the value.
    assert owners["T5"] == "'O'Brien"


def test_xlsx_with_date_cells_is_read_as_pacific_wall_time(tmp_path):
    row = token_row(
        activation_date=datetime(2025, 1, 15, 10, 30),
        applied_date=datetime(2025, 7, 15, 10, 30),
        plan_start_date="2025-07-15 10:30",
        order_date=datetime(2024, 12, 20),
        ship_date=date(2024, 12, 27),
        term_years=3,
    )
    run_import(write_xlsx(tmp_path, [row]))

    token = PortToken.objects.get()
    assert token.activation_date == utc(2025, 1, 15, 18, 30)
    assert token.applied_date == utc(2025, 7, 15, 17, 30)
    assert token.plan_start_date == utc(2025, 7, 15, 17, 30)
    assert token.order.order_date == date(2024, 12, 20)
    assert token.order.ship_date == date(2024, 12, 27)
    assert token.part.term_years == 3


def test_xlsx_numbers_in_text_columns_become_text(tmp_path):
    run_import(write_xlsx(tmp_path, [token_row(org_id=10001, purchase_order=4500123.0)]))

    token = PortToken.objects.get()
    assert token.organization.org_id == "10001"
    assert token.order.purchase_order == "4500123"


def test_xlsx_rows_continue_on_further_sheets_each_with_its_header(tmp_path):
    key_of = {column.label: column.key for column in COLUMNS}
    workbook = Workbook()
    for number, rows in enumerate(
        [[unapplied(token_sn="T1")], [unapplied(token_sn="T2"), unapplied(token_sn="T1")]]
    ):
        sheet = workbook.active if number == 0 else workbook.create_sheet()
        sheet.title = f"Port Tokens {number + 1}"
        sheet.append(LABELS)
        for row in rows:
            sheet.append([row[key_of[label]] for label in LABELS])
    path = tmp_path / "sheets.xlsx"
    workbook.save(path)

    assert import_problems(path)[1:] == [
        "sheet 'Port Tokens 2' line 3: Token S/N T1 is also on sheet 'Port Tokens 1' line 2."
    ]


def test_xlsx_errors_are_reported_by_spreadsheet_row(tmp_path):
    rows = [unapplied(token_sn="T1"), unapplied(token_sn="T2", order_date="yesterday")]

    problems = import_problems(write_xlsx(tmp_path, rows))

    assert problems[1:] == ["line 3: Order Date: 'yesterday' is not a date: write YYYY-MM-DD."]


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(tmp_path):
    path = tmp_path / "tokens.txt"
    path.write_text("Token S/N\n")

    with pytest.raises(CommandError, match=r"tokens.txt: the file name must end in .csv or .xlsx"):
        run_import(path)


def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.csv"

    with pytest.raises(CommandError, match="^File not found: .*nowhere.csv$"):
        run_import(path)


def test_a_csv_that_is_not_utf8_is_refused_readably(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((",".join(LABELS) + "\nZ\xfcrich\n").encode("latin-1"))

    with pytest.raises(CommandError, match="not UTF-8 text"):
        run_import(path)


def test_a_damaged_xlsx_is_refused_readably(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a workbook")

    with pytest.raises(CommandError, match=r"Cannot read broken.xlsx as an Excel workbook"):
        run_import(path)


def test_an_empty_file_asks_for_the_header(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")

    with pytest.raises(CommandError, match="line 1: the file is empty"):
        run_import(path)


def test_rows_without_a_header_row_above_them_are_refused(tmp_path):
    path = write_csv(tmp_path, [unapplied()])
    path.write_text("\n" + path.read_text())

    assert import_problems(path)[1:] == ["line 1: the header row is empty."]


# The header --------------------------------------------------------------------------------


def test_unknown_columns_are_named(tmp_path):
    path = write_csv(tmp_path, [token_row()], labels=[*LABELS, "Colour", "Notes"])

    assert import_problems(path)[1:] == [
        "line 1: unknown columns in the header: 'Colour', 'Notes'."
    ]
    assert_nothing_written()


def test_missing_columns_are_named(tmp_path):
    labels = [label for label in LABELS if label not in ("Status", "Ship Date")]

    problems = import_problems(write_csv(tmp_path, [token_row()], labels=labels))

    assert problems[1:] == ["line 1: missing columns in the header: 'Ship Date', 'Status'."]
    assert_nothing_written()


def test_a_label_named_twice_is_refused(tmp_path):
    problems = import_problems(write_csv(tmp_path, [], labels=[*LABELS, "Status"]))

    assert problems[1:] == ["line 1: columns named twice in the header: 'Status'."]


def test_header_labels_ignore_case_and_extra_spaces(tmp_path):
    labels = [f" {label.upper()} " for label in LABELS]
    key_of = {f" {column.label.upper()} ": column.key for column in COLUMNS}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(labels)
    writer.writerow([token_row()[key_of[label]] for label in labels])
    path = tmp_path / "shouting.csv"
    path.write_text(buffer.getvalue())

    run_import(path)

    assert PortToken.objects.filter(serial="TKN-0001").exists()


# Files that are not what they seem ---------------------------------------------------------


def test_a_csv_cell_over_the_csv_field_limit_is_reported_at_its_line(tmp_path):
    limit = csv.field_size_limit()
    rows = [
        unapplied(token_sn="T1", status="Lost"),
        unapplied(token_sn="T2", customer_reference="x" * (limit + 1)),
        unapplied(token_sn="T3", status="Gone"),
    ]

    problems = import_problems(write_csv(tmp_path, rows))

    assert problems == [
        "Nothing was imported: 2 problems found.",
        "line 2: Status: unknown status 'Lost': use New, Available, Active or Expired.",
        f"line 3: a cell is longer than {limit:,} characters, far more than any column holds; "
        "the file was not read past this line.",
    ]
    assert_nothing_written()


def column_letter(key: str) -> str:
    return get_column_letter(LABELS.index(COLUMNS_BY_KEY[key].label) + 1)


def with_saved_results(path: Path, results: dict[str, tuple[str, str]]) -> Path:
    """The workbook with saved results for its formula cells, as a spreadsheet program
    writes them: cell reference -> (cell type, saved value)."""
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts[member].decode()
    for reference, (cell_type, value) in results.items():
        xml, count = re.subn(
            rf'<c r="{reference}"><f>(.*?)</f><v ?/>',
            rf'<c r="{reference}" t="{cell_type}"><f>\1</f><v>{value}</v>',
            xml,
        )
        assert count == 1, reference
    parts[member] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_an_xlsx_formula_without_a_saved_result_is_a_bad_row(tmp_path):
    # openpyxl writes formulas without results, as a file never opened in Excel is.
    rows = [unapplied(token_sn="T1"), unapplied(token_sn="T2", customer_reference='=UPPER("b")')]

    problems = import_problems(write_xlsx(tmp_path, rows))

    assert problems == [
        "Nothing was imported: 1 problem found.",
        'line 3: Customer Reference: the formula =UPPER("b") has no saved result (it was '
        "never calculated): open and save the file in Excel or LibreOffice, or paste the values.",
    ]
    assert_nothing_written()


def test_an_xlsx_formula_whose_saved_result_is_an_error_is_a_bad_row(tmp_path):
    path = write_xlsx(tmp_path, [unapplied(org_name="=#REF!")])
    with_saved_results(path, {f"{column_letter('org_name')}2": ("e", "#REF!")})

    assert import_problems(path)[1:] == [
        "line 2: Org Name: the formula =#REF! gives the error #REF!."
    ]


def test_an_xlsx_formula_with_a_saved_result_imports_the_result(tmp_path):
    rows = [unapplied(customer_reference='=UPPER("garage b")', renewal_owner='=IF(1,"","x")')]
    path = write_xlsx(tmp_path, rows)
    with_saved_results(
        path,
        {
            f"{column_letter('customer_reference')}2": ("str", "GARAGE B"),
            # A formula whose result is empty text is an empty cell, not a missing result.
            f"{column_letter('renewal_owner')}2": ("str", ""),
        },
    )

    run_import(path)

    token = PortToken.objects.get()
    assert token.order.customer_reference == "GARAGE B"
    assert token.renewal_owner is None


def padded_workbook(tmp_path: Path, padding: int) -> Path:
    """A valid workbook of one token whose sheet holds `padding` more bytes of spaces,
    which pack to almost nothing."""
    path = write_xlsx(tmp_path, [unapplied()], name="padded.xlsx")
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts[member] = parts[member].replace(b"</worksheet>", b" " * padding + b"</worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_an_xlsx_unpacking_to_over_100_times_its_size_is_refused_before_reading(tmp_path):
    path = padded_workbook(tmp_path, 5_000_000)
    packed = path.stat().st_size

    problems = import_problems(path)

    assert len(problems) == 1
    assert problems[0].startswith("Cannot import padded.xlsx: it would unpack to 5.0 MB from ")
    assert problems[0].endswith(
        "more than 100 times its size or 1.0 GB in all. A workbook of tokens packs far "
        "less; this file is damaged or made to exhaust the server. Nothing was read."
    )
    assert packed * 100 < 5_000_000
    assert_nothing_written()


def test_an_xlsx_unpacking_to_over_the_total_limit_is_refused(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path, [unapplied()])
    # A gigabyte of real data is too much for a test: the same rule with a smaller limit.
    monkeypatch.setattr(importing.read, "MAX_UNPACKED_BYTES", 2_000)

    problems = import_problems(path)

    assert "more than 100 times its size or 2.0 kB in all" in problems[0]
    assert_nothing_written()


def test_a_workbook_padded_in_proportion_still_imports(tmp_path):
    run_import(padded_workbook(tmp_path, 20_000))

    assert PortToken.objects.filter(serial="TKN-0001").exists()


# Workbooks as other programs write them (read as a stream of their XML) ---------------------


def hand_written_xlsx(
    tmp_path: Path,
    rows_xml: str,
    *,
    shared: list[str] = (),
    date1904: bool = False,
    prefix: str = "",
    doctype: str = "",
) -> Path:
    """A workbook whose one worksheet's `<sheetData>` is `rows_xml`, written out by hand:
    the header row of the 25 labels comes first (row 1), then `rows_xml`. Style 1 is a
    date and time format; `shared` is the shared-string table's items (`<si>` contents);
    `prefix` spells the main namespace with a prefix (`x:`), as some programs do."""
    p = prefix
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    declare = f'xmlns{":" + p[:-1] if p else ""}="{main}"'
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    header = "".join(
        f'<{p}c t="inlineStr"><{p}is><{p}t>{label}</{p}t></{p}is></{p}c>' for label in LABELS
    )
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
        f'Type="{relations}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}">'
        f'<Relationship Id="rId1" Type="{relations}/worksheet" Target="worksheets/s.xml"/>'
        f'<Relationship Id="rId2" Type="{relations}/sharedStrings" Target="/xl/strings.xml"/>'
        f'<Relationship Id="rId3" Type="{relations}/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<{p}workbook {declare} xmlns:r="{relations}">'
        f'<{p}workbookPr date1904="{int(date1904)}"/><{p}sheets>'
        f'<{p}sheet name="Tokens" sheetId="1" r:id="rId1"/></{p}sheets></{p}workbook>',
        "xl/strings.xml": f'<sst xmlns="{main}">'
        + "".join(f"<si>{item}</si>" for item in shared)
        + "</sst>",
        "xl/styles.xml": f'<styleSheet xmlns="{main}"><numFmts count="1">'
        '<numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>'
        '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>',
        "xl/worksheets/s.xml": f"{doctype}<{p}worksheet {declare}><{p}sheetData>"
        f'<{p}row r="1">{header}</{p}row>{rows_xml}</{p}sheetData></{p}worksheet>',
    }
    path = tmp_path / "hand.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def cells_xml(row: dict[str, object], *, prefix: str = "", **written: str) -> str:
    """The row's cells in column order (the labels' order), as inline strings without
    references, each cell following the one before; `written` gives the XML of some
    cells (by column key) as a program wrote them."""
    p, cells = prefix, []
    for key in (column.key for column in COLUMNS):
        if key in written:
            cells.append(written[key])
        elif row[key]:
            cells.append(f'<{p}c t="inlineStr"><{p}is><{p}t>{row[key]}</{p}t></{p}is></{p}c>')
        else:
            cells.append(f"<{p}c/>")
    return "".join(cells)


def test_an_xlsx_of_shared_strings_with_runs_and_phonetic_guides_reads_as_its_text(tmp_path):
    letter = column_letter("renewal_owner")
    cell = f'<c r="{letter}2" t="s"><v>1</v></c>'
    shared = [
        "<t>unused</t>",
        '<r><t>Ana </t></r><r><rPr><b/></rPr><t xml:space="preserve">Lot_x000D_ &amp; </t></r>'
        '<r><t>Co</t></r><rPh sb="0" eb="1"><t>ANA</t></rPh>',
    ]
    rows = f'<row r="2">{cells_xml(unapplied(), renewal_owner=cell)}</row>'

    run_import(hand_written_xlsx(tmp_path, rows, shared=shared))

    assert PortToken.objects.get().renewal_owner == "Ana Lot\r & Co"


def test_an_xlsx_inline_string_of_runs_reads_as_its_text(tmp_path):
    cell = (
        '<c t="inlineStr"><is><r><t>Garage_</t></r><r><t xml:space="preserve">x000D_ B</t>'
        '</r><rPh sb="0" eb="1"><t>GA</t></rPh></is></c>'
    )
    rows = f"<row>{cells_xml(unapplied(), customer_reference=cell)}</row>"

    run_import(hand_written_xlsx(tmp_path, rows))

    assert PortToken.objects.get().order.customer_reference == "Garage_x000D_ B"


@pytest.mark.parametrize(("date1904", "serial"), [(False, "45853.4375"), (True, "44391.4375")])
def test_an_xlsx_date_cell_reads_by_the_workbooks_calendar(tmp_path, date1904, serial):
    cell = f'<c s="1"><v>{serial}</v></c>'
    rows = f"<row>{cells_xml(unapplied(), activation_date=cell)}</row>"

    run_import(hand_written_xlsx(tmp_path, rows, date1904=date1904))

    assert PortToken.objects.get().activation_date == utc(2025, 7, 15, 17, 30)  # 10:30 PDT


def test_an_xlsx_number_boolean_and_error_cell_become_text(tmp_path):
    written = {
        "purchase_order": '<c t="n"><v>4500123</v></c>',
        "customer_reference": '<c t="b"><v>1</v></c>',
        "sales_order": '<c t="e"><v>#N/A</v></c>',
        "term_years": "<c><v>3.0</v></c>",
    }
    rows = f"<row>{cells_xml(unapplied(), **written)}</row>"

    run_import(hand_written_xlsx(tmp_path, rows))

    token = PortToken.objects.get()
    assert token.order.purchase_order == "4500123"
    assert token.order.customer_reference == "TRUE"
    assert token.order.sales_order == "#N/A"
    assert token.part.term_years == 3


def test_an_xlsx_with_a_prefixed_namespace_is_read(tmp_path):
    rows = f'<x:row r="2">{cells_xml(unapplied(token_sn="T-X"), prefix="x:")}</x:row>'

    run_import(hand_written_xlsx(tmp_path, rows, prefix="x:"))

    assert PortToken.objects.get().serial == "T-X"


def test_xlsx_rows_after_a_gap_and_cells_after_skipped_ones_keep_their_places(tmp_path):
    # Rows 2 and 3 are not written at all; row 4's cells name their places, some skipped.
    row = unapplied(token_sn="T4", order_date="someday")
    cells = "".join(
        f'<c r="{get_column_letter(number)}4" t="inlineStr"><is><t>{row[column.key]}</t></is></c>'
        for number, column in enumerate(COLUMNS, start=1)
        if row[column.key]
    )

    problems = import_problems(hand_written_xlsx(tmp_path, f'<row r="4">{cells}</row>'))

    assert problems[1:] == ["line 4: Order Date: 'someday' is not a date: write YYYY-MM-DD."]


def test_an_xlsx_naming_a_shared_string_it_lacks_is_refused_readably(tmp_path):
    cell = '<c t="s"><v>7</v></c>'
    rows = f"<row>{cells_xml(unapplied(), renewal_owner=cell)}</row>"

    problems = import_problems(hand_written_xlsx(tmp_path, rows, shared=["<t>only</t>"]))

    assert problems[0].startswith("Cannot read hand.xlsx as an Excel workbook (.xlsx): ")
    assert_nothing_written()


def test_an_xlsx_declaring_xml_entities_is_refused(tmp_path):
    # "Billion laughs": entities that expand to gigabytes; no workbook declares any.
    doctype = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    rows = f"<row>{cells_xml(unapplied(renewal_owner='&b;'))}</row>"

    problems = import_problems(hand_written_xlsx(tmp_path, rows, doctype=doctype))

    assert problems[0].startswith("Cannot read hand.xlsx as an Excel workbook (.xlsx): ")
    assert "entities" in problems[0]
    assert_nothing_written()


def test_an_xlsx_row_numbered_past_a_worksheets_last_is_refused_not_walked_to(tmp_path):
    rows = f'<row r="999999999">{cells_xml(unapplied())}</row>'

    problems = import_problems(hand_written_xlsx(tmp_path, rows))

    assert problems == [
        "Cannot read hand.xlsx as an Excel workbook (.xlsx): "
        "row 999,999,999 is past a worksheet's last, 1,048,576."
    ]
