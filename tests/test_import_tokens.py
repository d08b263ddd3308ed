"""`import_tokens FILE`: CSV or XLSX with the 25 labels in, upsert by Token S/N, all or nothing."""

import csv
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from inventory import importing
from inventory.columns import COLUMNS, COLUMNS_BY_KEY
from inventory.models import (
    CloudPlanPart,
    Customer,
    Evse,
    Order,
    Organization,
    PortToken,
    Station,
    Transfer,
)
from inventory.transfers import transfer_tokens
from tests import factories
from tests.factories import utc

pytestmark = pytest.mark.django_db

LABELS = [column.label for column in COLUMNS]


def token_row(**values) -> dict[str, object]:
    """One complete row by column key: an Active token with its order, plan and EVSE."""
    row = {
        "token_sn": "TKN-0001",
        "part_no": "CPCLD-01L2-1YN",
        "cloud_plan": "Commercial Cloud Plan",
        "description": "Networked charging, 1-year term",
        "term_years": "1",
        "port_type": "AC Level 2",
        "token_type": "New",
        "org_id": "ORG-ACME",
        "org_name": "Acme Charging",
        "evse_id": "EVSE-100-01",
        "station_sn": "STN-100",
        "station_name": "Acme Main St",
        "activation_date": "2025-07-01 09:15",
        "applied_date": "2025-07-01 09:20",
        "plan_start_date": "2025-07-01 09:20",
        "plan_end_date": "2026-07-01 09:20",
        "purchase_order": "PO-555",
        "sales_order": "SO-3000001",
        "customer_reference": "Garage B",
        "customer_name": "Harbor Realty",
        "customer_id": "CUST-200001",
        "order_date": "2025-06-01",
        "ship_date": "2025-06-05",
        "status": "Active",
        "renewal_owner": "owner-0001@acme.example",
    }
    unknown = set(values) - set(row)
    assert not unknown, f"not column keys: {unknown}"
    row.update(values)
    return row


def unapplied(**values) -> dict[str, object]:
    """A New token applied to no EVSE."""
    values = {
        "evse_id": "",
        "station_sn": "",
        "station_name": "",
        "applied_date": "",
        "plan_start_date": "",
        "plan_end_date": "",
        "status": "New",
        **values,
    }
    return token_row(**values)


def write_csv(tmp_path: Path, rows, *, labels=None, name="tokens.csv", bom=False) -> Path:
    labels = labels or LABELS
    key_of = {column.label: column.key for column in COLUMNS}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(labels)
    for row in rows:
        writer.writerow([row.get(key_of.get(label), "") for label in labels])
    path = tmp_path / name
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


def write_xlsx(tmp_path: Path, rows, *, labels=None, name="tokens.xlsx") -> Path:
    labels = labels or LABELS
    key_of = {column.label: column.key for column in COLUMNS}
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Port Tokens"
    sheet.append(labels)
    for row in rows:
        sheet.append([row.get(key_of[label]) for label in labels])
    path = tmp_path / name
    workbook.save(path)
    return path


def run_import(path, *options: str) -> str:
    out = io.StringIO()
    call_command("import_tokens", str(path), *options, stdout=out)
    return out.getvalue()


def import_problems(path, *options: str) -> list[str]:
    """The lines of the failure message, which must name every problem."""
    with pytest.raises(CommandError) as failure:
        run_import(path, *options)
    return str(failure.value).splitlines()


def assert_nothing_written():
    for model in (PortToken, Organization, Customer, Order, CloudPlanPart, Station, Evse):
        assert not model.objects.exists(), f"{model.__name__} rows were written"


def shown(token: PortToken, key: str) -> str:
    """The text the table shows for this token's column."""
    column = COLUMNS_BY_KEY[key]
    value = PortToken.objects.filter(pk=token.pk).values_list(column.path, flat=True).get()
    return column.format(value)


# Success -----------------------------------------------------------------------------------


def test_import_creates_the_token_and_every_related_object(tmp_path):
    output = run_import(write_csv(tmp_path, [token_row()]))

    assert "Imported 1 tokens (1 created, 0 updated)" in output
    token = PortToken.objects.get(serial="TKN-0001")
    assert token.status == "Active"
    assert token.renewal_owner == "owner-0001@acme.example"
    assert token.organization.org_id == "ORG-ACME"
    assert token.organization.name == "Acme Charging"
    assert token.evse.evse_id == "EVSE-100-01"
    assert token.evse.station.serial == "STN-100"
    assert token.evse.station.name == "Acme Main St"
    assert token.evse.station.organization == token.organization
    part = token.part
    assert (part.part_no, part.cloud_plan, part.description) == (
        "CPCLD-01L2-1YN",
        "Commercial Cloud Plan",
        "Networked charging, 1-year term",
    )
    assert (part.term_years, part.port_type, part.token_type) == (1, "AC Level 2", "New")
    order = token.order
    assert (order.sales_order, order.purchase_order, order.customer_reference) == (
        "SO-3000001",
        "PO-555",
        "Garage B",
    )
    assert (order.order_date, order.ship_date) == (date(2025, 6, 1), date(2025, 6, 5))
    assert (order.customer.customer_id, order.customer.name) == ("CUST-200001", "Harbor Realty")
    assert shown(token, "plan_end_date") == "2026-07-01 09:20"


def test_every_column_reads_back_as_the_file_gave_it(tmp_path):
    row = token_row()
    run_import(write_csv(tmp_path, [row]))

    token = PortToken.objects.get(serial="TKN-0001")
    assert {column.key: shown(token, column.key) for column in COLUMNS} == row


def test_empty_cells_are_stored_as_empty(tmp_path):
    row = unapplied(
        sales_order="",
        purchase_order="",
        customer_reference="",
        customer_name="",
        customer_id="",
        order_date="",
        ship_date="",
        description="",
        term_years="",
        renewal_owner="",
        activation_date="",
    )
    run_import(write_csv(tmp_path, [row]))

    token = PortToken.objects.get(serial="TKN-0001")
    assert token.order is None and token.evse is None
    assert token.renewal_owner is None and token.activation_date is None
    assert token.part.description is None and token.part.term_years is None
    assert not Order.objects.exists() and not Customer.objects.exists()


def test_tokens_sharing_an_order_plan_and_station_share_one_row_each(tmp_path):
    rows = [
        token_row(token_sn="TKN-0001", evse_id="EVSE-100-01"),
        token_row(token_sn="TKN-0002", evse_id="EVSE-100-02"),
        unapplied(token_sn="TKN-0003"),
    ]
    output = run_import(write_csv(tmp_path, rows))

    assert "Imported 3 tokens (3 created, 0 updated)" in output
    assert Order.objects.count() == 1
    assert CloudPlanPart.objects.count() == 1
    assert Station.objects.count() == 1
    assert Evse.objects.count() == 2
    assert Organization.objects.count() == 1


def test_second_import_updates_instead_of_duplicating(tmp_path):
    run_import(write_csv(tmp_path, [token_row(), unapplied(token_sn="TKN-0002")]))
    renamed = {"cloud_plan": "Fleet Cloud Plan", "org_name": "Acme EV Network"}
    changed = [token_row(status="Expired", **renamed), unapplied(token_sn="TKN-0002", **renamed)]
    output = run_import(write_csv(tmp_path, changed, name="again.csv"))

    assert "Imported 2 tokens (0 created, 2 updated" in output
    assert PortToken.objects.count() == 2
    assert Organization.objects.count() == 1
    assert CloudPlanPart.objects.count() == 1
    token = PortToken.objects.get(serial="TKN-0001")
    assert token.status == "Expired"
    assert token.part.cloud_plan == "Fleet Cloud Plan"
    assert token.organization.name == "Acme EV Network"


def test_second_import_updates_the_details_of_related_objects(tmp_path):
    run_import(write_csv(tmp_path, [token_row(), token_row(token_sn="T2", evse_id="E2")]))
    details = {
        "term_years": "3",
        "description": "",
        "purchase_order": "PO-777",
        "order_date": "2025-06-02",
        "ship_date": "",
        "customer_name": "Harbor Realty West",
        "station_name": "Acme Depot",
        "org_id": "ORG-NEW",
        "org_name": "New Org",
    }
    rows = [
        token_row(**details),
        # E2 moves to another station of the new organization.
        token_row(token_sn="T2", evse_id="E2", station_sn="STN-200", **details),
    ]

    operator = factories.make_user("operator").username
    output = run_import(write_csv(tmp_path, rows, name="again.csv"), "--transfer-as", operator)

    assert "Stations: 1 created, 1 updated, 0 unchanged." in output
    assert "EVSEs: 0 created, 1 updated, 1 unchanged." in output
    token = PortToken.objects.get(serial="TKN-0001")
    assert (token.part.term_years, token.part.description) == (3, None)
    assert (token.order.purchase_order, token.order.order_date) == ("PO-777", date(2025, 6, 2))
    assert token.order.ship_date is None
    assert token.order.customer.name == "Harbor Realty West"
    assert token.evse.station.name == "Acme Depot"
    assert token.evse.station.organization.org_id == "ORG-NEW"
    assert Evse.objects.get(evse_id="E2").station.serial == "STN-200"
    assert Organization.objects.count() == 2


def test_import_updates_tokens_that_exist_already(tmp_path):
    organization = factories.make_organization("ORG-ACME", "Old Name")
    factories.make_token(organization, serial="TKN-0001", status="Available")

    run_import(write_csv(tmp_path, [unapplied(status="New")]))

    token = PortToken.objects.get(serial="TKN-0001")
    assert token.status == "New"
    assert (token.organization.org_id, token.organization.name) == ("ORG-ACME", "Acme Charging")


def test_columns_may_come_in_any_order(tmp_path):
    labels = list(reversed(LABELS))
    run_import(write_csv(tmp_path, [token_row()], labels=labels))

    token = PortToken.objects.get(serial="TKN-0001")
    assert shown(token, "customer_name") == "Harbor Realty"
    assert shown(token, "activation_date") == "2025-07-01 09:15"


def test_status_is_accepted_in_any_case_and_stored_normalized(tmp_path):
    run_import(
        write_csv(tmp_path, [token_row(status="aCTIVE"), unapplied(token_sn="T2", status="new")])
    )

    assert set(PortToken.objects.values_list("status", flat=True)) == {"Active", "New"}


def test_whitespace_around_values_is_trimmed(tmp_path):
    run_import(
        write_csv(tmp_path, [token_row(token_sn="  TKN-0001 ", org_name=" Acme Charging\t")])
    )

    token = PortToken.objects.get(serial="TKN-0001")
    assert token.organization.name == "Acme Charging"


def test_timestamps_with_seconds_are_accepted(tmp_path):
    run_import(write_csv(tmp_path, [token_row(activation_date="2025-07-01 09:15:42")]))

    token = PortToken.objects.get()
    assert token.activation_date == utc(2025, 7, 1, 16, 15, 42)


def test_blank_lines_are_skipped_but_still_counted(tmp_path):
    path = write_csv(tmp_path, [unapplied(token_sn="T1"), {}, unapplied(token_sn="T2", status="x")])

    assert import_problems(path)[1:] == [
        "line 4: Status: unknown status 'x': use New, Available, Active or Expired."
    ]


def test_a_file_with_only_the_header_imports_nothing(tmp_path):
    output = run_import(write_csv(tmp_path, []))

    assert "Imported 0 tokens" in output


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


# Bad rows: each reason, with its line number ------------------------------------------------


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"token_sn": ""}, "missing Token S/N."),
        ({"part_no": ""}, "missing Part No."),
        ({"org_id": ""}, "missing Org ID."),
        ({"org_name": ""}, "missing Org Name for Org ID ORG-ACME."),
        ({"cloud_plan": ""}, "missing Cloud Plan for Part No. CPCLD-01L2-1YN."),
        (
            {"status": "Retired"},
            "Status: unknown status 'Retired': use New, Available, Active or Expired.",
        ),
        ({"status": ""}, "missing Status: use New, Available, Active or Expired."),
        (
            {"order_date": "2025-02-30"},
            "Order Date: '2025-02-30' is not a date: write YYYY-MM-DD.",
        ),
        ({"ship_date": "06/05/2025"}, "Ship Date: '06/05/2025' is not a date: write YYYY-MM-DD."),
        (
            {"activation_date": "2025-07-01"},
            "Activation Date (Pacific Time): '2025-07-01' is not a time: "
            "write YYYY-MM-DD HH:MM (Pacific Time).",
        ),
        (
            {"plan_end_date": "2025-13-01 10:00"},
            "Plan End Date / Auto Renew On (Pacific Time): '2025-13-01 10:00' "
            "is not a valid date and time.",
        ),
        (
            {"applied_date": "2025-03-09 02:30"},
            "Applied Date (Pacific Time): 2025-03-09 02:30 does not exist in Pacific Time "
            "(clocks jump from 02:00 to 03:00 that night).",
        ),
        ({"term_years": "1.5"}, "Term (Years): '1.5' is not a whole number."),
        ({"term_years": "one"}, "Term (Years): 'one' is not a whole number."),
        ({"term_years": "-1"}, "Term (Years): '-1' is not a whole number."),
        ({"term_years": "0"}, "Term (Years): 0 is out of range (1 to 32767)."),
        (
            {"plan_end_date": "2025-07-01 09:19"},
            "Plan End Date 2025-07-01 09:19 is before Plan Start Date 2025-07-01 09:20 "
            "(Pacific Time); a plan cannot end before it starts.",
        ),
        # Keys that are only white space are missing, as the database would refuse them.
        ({"token_sn": " \t "}, "missing Token S/N."),
        ({"org_id": "\u00a0"}, "missing Org ID."),
        ({"customer_id": "  "}, "Customer Name given without Customer ID."),
        ({"station_sn": "\t"}, "EVSE ID given without Station S/N."),
        (
            {"evse_id": "", "station_sn": "", "station_name": ""},
            "an Active token must be applied to an EVSE, but EVSE ID is empty.",
        ),
        ({"station_sn": ""}, "EVSE ID given without Station S/N."),
        (
            {"status": "New", "evse_id": ""},
            "Station S/N, Station Name given without EVSE ID.",
        ),
        (
            {"sales_order": ""},
            "Purchase Order, Customer Reference, Customer ID, Customer Name, "
            "Order Date, Ship Date given without Sales Order.",
        ),
        ({"customer_name": ""}, "missing Customer Name for Customer ID CUST-200001."),
        ({"customer_id": ""}, "Customer Name given without Customer ID."),
        ({"token_sn": "T" * 65}, "Token S/N: longer than 64 characters."),
        ({"renewal_owner": "a\x00b"}, "Renewal Owner: contains a NUL character."),
        ({"evse_id": "E\x00"}, "EVSE ID: contains a NUL character."),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_written(tmp_path, values, problem):
    rows = [unapplied(token_sn="GOOD-1", sales_order="SO-GOOD"), token_row(**values)]

    problems = import_problems(write_csv(tmp_path, rows))

    assert problems == ["Nothing was imported: 1 problem found.", f"line 3: {problem}"]
    assert_nothing_written()


def test_a_serial_twice_in_the_file_names_the_first_line(tmp_path):
    rows = [unapplied(token_sn="T1"), unapplied(token_sn="T2"), unapplied(token_sn="T1")]

    assert import_problems(write_csv(tmp_path, rows))[1:] == [
        "line 4: Token S/N T1 is also on line 2."
    ]


def test_two_active_tokens_on_one_evse_in_the_file_are_refused(tmp_path):
    rows = [token_row(token_sn="T1"), token_row(token_sn="T2")]

    assert import_problems(write_csv(tmp_path, rows))[1:] == [
        "line 3: EVSE ID EVSE-100-01 already has Active token T1 on line 2; "
        "an EVSE carries at most one Active token."
    ]


def test_an_active_token_on_an_evse_whose_active_token_stays_is_refused(tmp_path):
    organization = factories.make_organization("ORG-ACME", "Acme Charging")
    station = factories.make_station(organization, serial="STN-100", name="Acme Main St")
    evse = factories.make_evse(station, "EVSE-100-01")
    factories.make_token(organization, serial="OLD-1", status="Active", evse=evse)

    problems = import_problems(write_csv(tmp_path, [token_row(token_sn="NEW-1")]))

    assert problems[1:] == [
        "line 2: EVSE ID EVSE-100-01 already has Active token OLD-1 in the database; "
        "an EVSE carries at most one Active token."
    ]
    assert not PortToken.objects.filter(serial="NEW-1").exists()


def test_two_expired_tokens_may_share_an_evse(tmp_path):
    rows = [token_row(token_sn="T1", status="Expired"), token_row(token_sn="T2", status="Expired")]

    run_import(write_csv(tmp_path, rows))

    assert PortToken.objects.filter(evse__evse_id="EVSE-100-01").count() == 2


def test_an_evse_can_pass_from_one_active_token_to_another_in_one_import(tmp_path):
    run_import(
        write_csv(tmp_path, [token_row(token_sn="T1"), token_row(token_sn="T2", evse_id="E2")])
    )
    # T1 expires and T2 moves onto T1's EVSE; T3 arrives on T2's old one.
    rows = [
        token_row(token_sn="T2", evse_id="EVSE-100-01"),
        token_row(token_sn="T1", status="Expired"),
        token_row(token_sn="T3", evse_id="E2"),
    ]
    run_import(write_csv(tmp_path, rows, name="swap.csv"))

    active = dict(PortToken.objects.filter(status="Active").values_list("evse__evse_id", "serial"))
    assert active == {"EVSE-100-01": "T2", "E2": "T3"}


def test_two_active_tokens_may_swap_evses(tmp_path):
    run_import(
        write_csv(tmp_path, [token_row(token_sn="T1"), token_row(token_sn="T2", evse_id="E2")])
    )
    rows = [token_row(token_sn="T1", evse_id="E2"), token_row(token_sn="T2")]

    run_import(write_csv(tmp_path, rows, name="swap.csv"))

    active = dict(PortToken.objects.values_list("serial", "evse__evse_id"))
    assert active == {"T1": "E2", "T2": "EVSE-100-01"}


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (
            {"cloud_plan": "Fleet Cloud Plan", "term_years": "2"},
            "Part No. CPCLD-01L2-1YN has a different Cloud Plan, Term (Years) than on line 2",
        ),
        (
            {"ship_date": "2025-06-06"},
            "Sales Order SO-3000001 has a different Ship Date than on line 2",
        ),
        (
            {"station_name": "Elsewhere"},
            "Station S/N STN-100 has a different Station Name than on line 2",
        ),
        ({"org_name": "Acme Two"}, "Org ID ORG-ACME has a different Org Name than on line 2"),
        (
            {"customer_name": "Someone Else"},
            "Customer ID CUST-200001 has a different Customer Name than on line 2",
        ),
    ],
)
def test_rows_must_agree_on_the_details_of_what_they_share(tmp_path, values, problem):
    rows = [token_row(token_sn="T1"), token_row(token_sn="T2", evse_id="E2", **values)]

    problems = import_problems(write_csv(tmp_path, rows))

    assert problems[1:] == [f"line 3: {problem}; every row must give the same details for it."]


def test_one_station_cannot_belong_to_two_organizations_in_one_file(tmp_path):
    rows = [
        token_row(token_sn="T1"),
        token_row(token_sn="T2", evse_id="E2", org_id="ORG-OTHER", org_name="Other"),
    ]

    assert import_problems(write_csv(tmp_path, rows))[1:] == [
        "line 3: Station S/N STN-100 has a different Org ID than on line 2; "
        "every row must give the same details for it."
    ]


def test_every_bad_row_is_reported_and_nothing_is_written(tmp_path):
    rows = [
        token_row(token_sn="T1"),
        token_row(token_sn="T2", status="Lost", evse_id="E2"),
        unapplied(token_sn="T3"),
        unapplied(token_sn="T4", order_date="soon", term_years="x"),
        unapplied(token_sn="T3"),
        unapplied(token_sn=""),
    ]

    problems = import_problems(write_csv(tmp_path, rows))

    assert problems == [
        "Nothing was imported: 5 problems found.",
        "line 3: Status: unknown status 'Lost': use New, Available, Active or Expired.",
        "line 5: Term (Years): 'x' is not a whole number.",
        "line 5: Order Date: 'soon' is not a date: write YYYY-MM-DD.",
        "line 6: Token S/N T3 is also on line 4.",
        "line 7: missing Token S/N.",
    ]
    assert_nothing_written()


def test_a_failed_import_leaves_existing_data_untouched(tmp_path):
    run_import(write_csv(tmp_path, [token_row()]))
    rows = [token_row(status="Expired", org_name="Renamed"), unapplied(token_sn="T2", status="?")]

    import_problems(write_csv(tmp_path, rows, name="bad.csv"))

    token = PortToken.objects.get()
    assert token.status == "Active"
    assert token.organization.name == "Acme Charging"


def test_a_row_with_more_values_than_columns_is_refused(tmp_path):
    path = write_csv(tmp_path, [unapplied()])
    path.write_text(path.read_text() + ",".join(["x"] * 26) + "\n")

    assert import_problems(path)[1:] == ["line 3: 26 values, but the header has 25 columns."]


# Pacific Time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "stored"),
    [
        # July: daylight time, UTC-7.
        ("2025-07-15 10:30", utc(2025, 7, 15, 17, 30)),
        # January: standard time, UTC-8.
        ("2025-01-15 10:30", utc(2025, 1, 15, 18, 30)),
        # The last minute before and the first after spring-forward.
        ("2025-03-09 01:59", utc(2025, 3, 9, 9, 59)),
        ("2025-03-09 03:00", utc(2025, 3, 9, 10, 0)),
        # The repeated hour in November is its first occurrence, still daylight time.
        ("2025-11-02 01:30", utc(2025, 11, 2, 8, 30)),
        ("2025-11-02 02:00", utc(2025, 11, 2, 10, 0)),
    ],
)
def test_pacific_timestamps_are_stored_as_utc(tmp_path, wall, stored):
    run_import(write_csv(tmp_path, [unapplied(activation_date=wall)]))

    token = PortToken.objects.get()
    assert token.activation_date == stored
    assert shown(token, "activation_date") == wall


def test_a_time_in_the_spring_forward_gap_is_an_error(tmp_path):
    rows = [unapplied(token_sn="T1", activation_date="2025-03-09 02:00"), unapplied(token_sn="T2")]

    problems = import_problems(write_csv(tmp_path, rows))

    assert problems[1:] == [
        "line 2: Activation Date (Pacific Time): 2025-03-09 02:00 does not exist in Pacific Time "
        "(clocks jump from 02:00 to 03:00 that night)."
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_of_the_app_reimports_unchanged(client, tmp_path, file_format):
    organization = factories.make_organization("ORG-9", "=Formula Org")
    part = factories.make_part("CPCLD-9", cloud_plan="-Minus Plan", term_years=2)
    order = factories.make_order("SO-9", order_date=date(2025, 1, 2), ship_date=None)
    station = factories.make_station(organization, serial="STN-9", name="@Home")
    factories.make_token(
        organization,
        serial="TKN-9",
        part=part,
        order=order,
        evse=factories.make_evse(station, "EVSE-9"),
        status="Active",
        activation_date=utc(2025, 11, 2, 8, 30),
        plan_start_date=utc(2025, 1, 15, 18, 30),
        plan_end_date=utc(2026, 7, 15, 17, 30),
        renewal_owner="'=already quoted",
    )
    factories.make_token(organization, serial="TKN-10", part=part, status="Available")
    client.force_login(factories.make_superuser())

    def export() -> bytes:
        response = client.get(
            "/inventory/port-tokens/export/", {"format": file_format, "scope": "all"}
        )
        assert response.status_code == 200
        return b"".join(response.streaming_content)

    before = export()
    path = tmp_path / f"export.{file_format}"
    path.write_bytes(before)

    output = run_import(path)

    assert "Imported 2 tokens (0 created, 2 updated; 2 of them already up to date)." in output
    assert PortToken.objects.get(serial="TKN-9").renewal_owner == "'=already quoted"
    if file_format == "csv":
        assert export() == before


# Through manage.py ---------------------------------------------------------------------------


def test_manage_py_exits_non_zero_with_one_readable_message(run_manage_py, tmp_path):
    result = run_manage_py("import_tokens", str(tmp_path / "missing.csv"))

    assert result.returncode == 1
    assert f"File not found: {tmp_path / 'missing.csv'}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_plan_may_end_as_it_starts(tmp_path):
    run_import(write_csv(tmp_path, [token_row(plan_end_date="2025-07-01 09:20")]))

    token = PortToken.objects.get()
    assert token.plan_end_date == token.plan_start_date


# Moving tokens between organizations ------------------------------------------------------


@pytest.fixture
def moved_scene():
    """T1 and T2 in ORG-WEST, T3 in ORG-NORTH, T5 in ORG-ACME; an operator and a file
    moving T1 and T3 into ORG-ACME and T2 into ORG-OTHER, creating T4, keeping T5."""
    west = factories.make_organization("ORG-WEST", "Acme West")
    north = factories.make_organization("ORG-NORTH", "Acme North")
    acme = factories.make_organization("ORG-ACME", "Acme Charging")
    for serial, organization in (("T1", west), ("T2", west), ("T3", north), ("T5", acme)):
        factories.make_token(organization, serial, status="Available")
    factories.make_user("operator")
    other = {"org_id": "ORG-OTHER", "org_name": "Other Networks"}
    return [
        unapplied(token_sn="T1"),
        unapplied(token_sn="T2", **other),
        unapplied(token_sn="T3"),
        unapplied(token_sn="T4"),
        unapplied(token_sn="T5"),
    ]


def owners() -> dict[str, str]:
    return dict(PortToken.objects.values_list("serial", "organization__org_id"))


def test_a_row_that_would_move_a_token_is_a_bad_row_naming_its_line(tmp_path, moved_scene):
    problems = import_problems(write_csv(tmp_path, moved_scene))

    advice = (
        "Move it with a transfer, or import with --transfer-as USERNAME to record the move "
        "in the transfer history."
    )
    assert problems == [
        "Nothing was imported: 3 problems found.",
        f"line 2: Token S/N T1 belongs to ORG-WEST; importing it into ORG-ACME would move it. "
        f"{advice}",
        f"line 3: Token S/N T2 belongs to ORG-WEST; importing it into ORG-OTHER would move it. "
        f"{advice}",
        f"line 4: Token S/N T3 belongs to ORG-NORTH; importing it into ORG-ACME would move it. "
        f"{advice}",
    ]
    assert owners() == {"T1": "ORG-WEST", "T2": "ORG-WEST", "T3": "ORG-NORTH", "T5": "ORG-ACME"}
    assert not Transfer.objects.exists()


def test_with_transfer_as_each_move_is_recorded_as_a_transfer_by_that_user(tmp_path, moved_scene):
    output = run_import(
        write_csv(tmp_path, moved_scene, name="moves.csv"), "--transfer-as", "operator"
    )

    assert owners() == {
        "T1": "ORG-ACME",
        "T2": "ORG-OTHER",
        "T3": "ORG-ACME",
        "T4": "ORG-ACME",
        "T5": "ORG-ACME",
    }
    recorded = [
        (
            record.created_by.username,
            record.to_organization.org_id,
            record.note,
            record.token_count,
            sorted(record.items.values_list("token__serial", "from_organization__org_id")),
        )
        for record in Transfer.objects.order_by("pk")
    ]
    assert recorded == [
        (
            "operator",
            "ORG-ACME",
            "Imported from moves.csv",
            2,
            [("T1", "ORG-WEST"), ("T3", "ORG-NORTH")],
        ),
        ("operator", "ORG-OTHER", "Imported from moves.csv", 1, [("T2", "ORG-WEST")]),
    ]
    first, second = Transfer.objects.order_by("pk")
    assert f"Transfer #{first.pk} by operator: 2 tokens moved into ORG-ACME." in output
    assert f"Transfer #{second.pk} by operator: 1 token moved into ORG-OTHER." in output


def test_the_recorded_moves_show_in_the_transfer_history(client, tmp_path, moved_scene):
    run_import(write_csv(tmp_path, moved_scene, name="moves.csv"), "--transfer-as", "operator")
    client.force_login(factories.make_superuser())

    page = client.get("/inventory/transfers/")

    assert page.status_code == 200
    assert page.content.decode().count("Imported from moves.csv") == 2


def test_moves_are_all_or_nothing_with_the_rest_of_the_file(tmp_path, moved_scene):
    rows = [*moved_scene, unapplied(token_sn="T6", status="Lost")]

    problems = import_problems(write_csv(tmp_path, rows), "--transfer-as", "operator")

    assert problems[1:] == [
        "line 7: Status: unknown status 'Lost': use New, Available, Active or Expired."
    ]
    assert owners() == {"T1": "ORG-WEST", "T2": "ORG-WEST", "T3": "ORG-NORTH", "T5": "ORG-ACME"}
    assert not Transfer.objects.exists()


def test_without_moves_transfer_as_records_nothing(tmp_path, moved_scene):
    run_import(write_csv(tmp_path, moved_scene[3:]), "--transfer-as", "operator")

    assert owners()["T4"] == "ORG-ACME"
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("nobody", "--transfer-as: no user is named 'nobody'; nothing was imported."),
        ("retired", "--transfer-as: user 'retired' is inactive; nothing was imported."),
    ],
)
def test_transfer_as_names_an_active_user(tmp_path, moved_scene, username, message):
    factories.make_user("retired", is_active=False)

    problems = import_problems(write_csv(tmp_path, moved_scene), "--transfer-as", username)

    assert problems == [message]
    assert not Transfer.objects.exists()
    assert "T4" not in owners()


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
    monkeypatch.setattr(importing, "MAX_UNPACKED_BYTES", 2_000)

    problems = import_problems(path)

    assert "more than 100 times its size or 2.0 kB in all" in problems[0]
    assert_nothing_written()


def test_a_workbook_padded_in_proportion_still_imports(tmp_path):
    run_import(padded_workbook(tmp_path, 20_000))

    assert PortToken.objects.filter(serial="TKN-0001").exists()


def test_manage_py_refuses_an_unknown_transfer_as_user_in_one_line(run_manage_py, tmp_path):
    assert run_manage_py("migrate", "--verbosity", "0").returncode == 0
    path = write_csv(tmp_path, [unapplied()])

    result = run_manage_py("import_tokens", str(path), "--transfer-as", "nobody")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "CommandError: --transfer-as: no user is named 'nobody'; nothing was imported."
    ]


def test_a_token_transferred_while_the_file_is_checked_is_not_moved_back(tmp_path, monkeypatch):
    west = factories.make_organization("ORG-ACME", "Acme Charging")
    factories.make_organization("ORG-EAST", "Acme East")
    factories.make_token(west, "T1", status="Available")
    check = importing._check_moves_against_database

    def check_then_transfer_meanwhile(plan):
        check(plan)
        transfer_tokens(user=factories.make_superuser(), serials=["T1"], to_org="ORG-EAST")

    monkeypatch.setattr(importing, "_check_moves_against_database", check_then_transfer_meanwhile)

    problems = import_problems(write_csv(tmp_path, [unapplied(token_sn="T1", status="New")]))

    assert problems[1:] == [
        "line 2: Token S/N T1 was moved to another organization while the file was being "
        "checked; import it again."
    ]
    assert owners() == {"T1": "ORG-EAST"}
    assert PortToken.objects.get().status == "Available"
