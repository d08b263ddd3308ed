"""`import_tokens FILE`: the cell and row rules, each bad row reported by its line, and
nothing written when any row is bad."""

import pytest

from inventory import importing
from inventory.models import PortToken
from tests import factories
from tests.import_helpers import (
    assert_nothing_written,
    import_problems,
    run_import,
    token_row,
    unapplied,
    write_csv,
)

pytestmark = pytest.mark.django_db


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


def test_an_evse_freed_further_on_in_the_file_can_be_taken(tmp_path, monkeypatch):
    # The tokens are compared and written a chunk at a time; one token a chunk shows that
    # T1 takes E2 only once T2, compared later, has left it.
    monkeypatch.setattr(importing.plan, "LOOKUP_CHUNK", 1)
    run_import(
        write_csv(tmp_path, [token_row(token_sn="T1"), token_row(token_sn="T2", evse_id="E2")])
    )
    rows = [token_row(token_sn="T1", evse_id="E2"), token_row(token_sn="T2", status="Expired")]

    output = run_import(write_csv(tmp_path, rows, name="swap.csv"))

    assert "Imported 2 tokens (0 created, 2 updated)." in output
    active = dict(PortToken.objects.filter(status="Active").values_list("evse__evse_id", "serial"))
    assert active == {"E2": "T1"}


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
