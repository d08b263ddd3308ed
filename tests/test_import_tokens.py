"""`import_tokens FILE`: what an import writes: tokens and what they name, upserted by
Token S/N, Pacific times stored as UTC, an export re-imported unchanged.

The other import tests: test_import_files (reading files), test_import_rows (cell and
row rules, all or nothing), test_import_moves (tokens given another organization).
"""

from datetime import date

import pytest

from inventory import importing
from inventory.columns import COLUMNS
from inventory.models import CloudPlanPart, Customer, Evse, Order, Organization, PortToken, Station
from tests import factories
from tests.factories import utc
from tests.import_helpers import (
    LABELS,
    import_problems,
    run_import,
    shown,
    token_row,
    unapplied,
    write_csv,
)

pytestmark = pytest.mark.django_db


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


def test_every_row_is_written_when_the_rows_take_several_statements(tmp_path, monkeypatch):
    # A statement writes a batch of rows; a small batch shows every batch is written.
    monkeypatch.setattr(importing.bulk, "BATCH", 7)
    serials = [f"T{number:02d}" for number in range(20)]
    run_import(write_csv(tmp_path, [unapplied(token_sn=serial) for serial in serials]))
    changed = [
        unapplied(token_sn=serial, renewal_owner=f"{serial}@example.com") for serial in serials
    ]

    output = run_import(write_csv(tmp_path, changed, name="changed.csv"))

    assert "Imported 20 tokens (0 created, 20 updated)." in output
    assert dict(PortToken.objects.values_list("serial", "renewal_owner")) == {
        serial: f"{serial}@example.com" for serial in serials
    }


def test_counts_and_rows_are_right_when_the_tokens_take_several_chunks(tmp_path, monkeypatch):
    # The writing compares and holds a chunk of rows at a time: three rows a chunk here.
    monkeypatch.setattr(importing.plan, "LOOKUP_CHUNK", 3)
    serials = [f"T{number:02d}" for number in range(8)]
    stations = {serial: f"STN-{int(serial[1:]) % 3}" for serial in serials}

    def row(serial, **values):
        return unapplied(token_sn=serial, **values)

    run_import(write_csv(tmp_path, [row(serial) for serial in serials]))
    # Every third token changed, every other one new, the rest as stored.
    rows = []
    for number, serial in enumerate(serials):
        owner = f"{serial}@example.com" if number % 3 == 0 else "owner-0001@acme.example"
        rows.append(row(serial, renewal_owner=owner))
        if number % 2:
            new = f"N{number:02d}"
            rows.append(
                row(new, status="Active", evse_id=f"E{number}", station_sn=stations[serial])
            )

    output = run_import(write_csv(tmp_path, rows, name="changed.csv"))

    assert "Imported 12 tokens (4 created, 8 updated; 5 of them already up to date)." in output
    assert "Stations: 3 created, 0 updated, 0 unchanged." in output
    assert "EVSEs: 4 created, 0 updated, 0 unchanged." in output
    stored = dict(PortToken.objects.values_list("serial", "renewal_owner"))
    assert stored == {values["token_sn"]: values["renewal_owner"] for values in rows}
    active = dict(PortToken.objects.filter(status="Active").values_list("serial", "evse__evse_id"))
    assert active == {"N01": "E1", "N03": "E3", "N05": "E5", "N07": "E7"}


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
