"""Dates at the edges of the calendar (years 0001 to 9999) in filters, on the page, in the
export and in the transfer form's "all matching" selection; years below 1000 shown with
four digits everywhere, so that an export of them re-imports."""

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from inventory.dbfunctions import PACIFIC
from inventory.models import ExportLog, PortToken
from tests import factories
from tests.factories import utc
from tests.helpers import matching_serials

PAGE = reverse("inventory:port_tokens")
EXPORT = reverse("inventory:port_tokens_export")
TRANSFER = reverse("inventory:transfer")


def pacific(*args) -> datetime:
    return datetime(*args, tzinfo=PACIFIC)


def exported_serials(client, *filters: str) -> list[str]:
    response = client.get(
        EXPORT, {"format": "csv", "scope": "all", "filter": list(filters), "sort": "token_sn"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return [row[0] for row in rows[1:]]


@pytest.fixture
def edge_tokens(people):
    """Tokens on the first and the last days a date can name, and one in between."""
    first = factories.make_order("SO-FIRST", order_date=date(1, 1, 1), ship_date=date(1, 1, 2))
    last = factories.make_order(
        "SO-LAST", order_date=date(9999, 12, 31), ship_date=date(9999, 12, 30)
    )
    factories.make_token(
        people.org,
        "T-FIRST",
        order=first,
        plan_start_date=pacific(1, 1, 1, 0, 0),  # 07:52:58 UTC (local mean time then)
        plan_end_date=pacific(1, 1, 2, 12, 0),
    )
    factories.make_token(
        people.org,
        "T-LAST",
        order=last,
        plan_start_date=pacific(9999, 12, 30, 23, 59),
        plan_end_date=utc(9999, 12, 31, 23, 59),  # 15:59 Pacific: the last minute there is
    )
    factories.make_token(people.org, "T-MID", plan_end_date=utc(2025, 6, 1, 12))
    return ["T-FIRST", "T-LAST", "T-MID"]


# --- refused at the edges, with a message next to the filter ----------------------------


@pytest.mark.parametrize(
    ("piece", "message"),
    [
        ("plan_end_date:after:9999-12-31", "no day comes after 9999-12-31"),
        ("order_date:after:9999-12-31", "no day comes after 9999-12-31"),
        ("plan_end_date:before:0001-01-01", "no day comes before 0001-01-01"),
        ("ship_date:before:0001-01-01", "no day comes before 0001-01-01"),
        ("plan_end_date:after:10000-01-01", "is not a date (use YYYY-MM-DD, years 0001 to 9999)"),
        ("order_date:before:0000-12-31", "is not a date (use YYYY-MM-DD, years 0001 to 9999)"),
    ],
)
def test_a_day_past_the_calendars_edge_is_refused_with_a_message_and_ignored(
    manager_client, edge_tokens, piece, message
):
    response = manager_client.get(PAGE, {"filter": [piece, "status:is:New"]})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="f-error-1">Filter 1 ignored: ' in html
    assert message in html
    # The bad piece is ignored, the good one applied: its chip alone is shown.
    assert [chip["text"] for chip in response.context["chips"]] == ["Status is New"]
    assert sorted(matching_serials(manager_client, piece)) == edge_tokens


@pytest.mark.parametrize(
    "piece", ["plan_end_date:after:9999-12-31", "order_date:before:0001-01-01"]
)
def test_the_export_ignores_the_same_piece_and_finishes(manager_client, edge_tokens, piece):
    assert exported_serials(manager_client, piece) == edge_tokens
    log = ExportLog.objects.get()
    assert (log.outcome, log.row_count) == ("finished", 3)


def test_the_transfer_form_names_the_refused_piece_and_selects_the_rest(
    manager_client, edge_tokens
):
    response = manager_client.get(
        TRANSFER, {"all_matching": "1", "filter": "plan_start_date:after:9999-12-31"}
    )

    assert response.status_code == 200
    assert "no day comes after 9999-12-31" in response.content.decode()
    assert sorted(response.context["form"].initial["token_sns"].split()) == edge_tokens


# --- answered exactly at the edges ------------------------------------------------------


@pytest.mark.parametrize(
    ("piece", "expected"),
    [
        ("plan_end_date:is:9999-12-31", ["T-LAST"]),
        ("plan_end_date:contains:9999-12-31", ["T-LAST"]),
        ("plan_end_date:contains:9999-12", ["T-LAST"]),
        ("plan_end_date:contains:9999", ["T-LAST"]),
        ("plan_end_date:after:9999-12-30", ["T-LAST"]),
        ("plan_end_date:is:9999-12-31 15:59", ["T-LAST"]),
        ("plan_start_date:is:9999-12-30", ["T-LAST"]),
        ("order_date:is:9999-12-31", ["T-LAST"]),
        ("order_date:contains:9999", ["T-LAST"]),
        ("order_date:after:9999-12-30", ["T-LAST"]),
        ("plan_start_date:is:0001-01-01", ["T-FIRST"]),
        ("plan_start_date:contains:0001-01-01 00:00", ["T-FIRST"]),
        ("plan_start_date:before:0001-01-02", ["T-FIRST"]),
        ("plan_end_date:contains:0001", ["T-FIRST"]),
        ("order_date:is:0001-01-01", ["T-FIRST"]),
        ("ship_date:before:0001-01-03", ["T-FIRST"]),
        ("order_date:contains:0001-01", ["T-FIRST"]),
    ],
)
def test_days_at_the_calendars_edges_are_answered_exactly(
    manager_client, edge_tokens, piece, expected
):
    assert matching_serials(manager_client, piece) == expected
    assert exported_serials(manager_client, piece) == expected


def test_the_last_and_first_days_show_as_stored(manager_client, edge_tokens):
    response = manager_client.get(
        PAGE, {"columns": "token_sn,plan_start_date,plan_end_date,order_date"}
    )

    html = response.content.decode()
    for shown in ["0001-01-01 00:00", "0001-01-01", "9999-12-31 15:59", "9999-12-31"]:
        assert shown in html


# --- text that no date holds -----------------------------------------------------------


@pytest.mark.parametrize("value", ["march", "2025-13", "25:00", "2025-02-30", "12:60", "x9999"])
def test_contains_what_no_shown_date_can_hold_matches_nothing(manager_client, edge_tokens, value):
    assert matching_serials(manager_client, f"plan_end_date:contains:{value}") == []
    assert matching_serials(manager_client, f"order_date:contains:{value}") == []
    # ...and "does not contain" keeps every token, empty fields included.
    assert (
        sorted(matching_serials(manager_client, f"ship_date:not_contains:{value}")) == edge_tokens
    )


def test_is_a_minute_of_the_repeated_hour_finds_both_moments(manager_client, people):
    factories.make_token(people.org, "T-PDT", plan_end_date=utc(2025, 11, 2, 8, 30))  # 01:30 PDT
    factories.make_token(people.org, "T-PST", plan_end_date=utc(2025, 11, 2, 9, 30))  # 01:30 PST
    factories.make_token(people.org, "T-GAP", plan_end_date=utc(2025, 3, 9, 10, 30))  # 03:30 PDT

    assert matching_serials(manager_client, "plan_end_date:is:2025-11-02 01:30") == [
        "T-PDT",
        "T-PST",
    ]
    assert matching_serials(manager_client, "plan_end_date:contains:2025-11-02 01") == [
        "T-PDT",
        "T-PST",
    ]
    # 02:30 never happened that March night: no token shows it.
    assert matching_serials(manager_client, "plan_end_date:is:2025-03-09 02:30") == []
    assert matching_serials(manager_client, "plan_end_date:is:2025-03-09 03:30") == ["T-GAP"]


# --- four-digit years ------------------------------------------------------------------


@pytest.fixture
def year_five_token(people):
    order = factories.make_order("SO-5", order_date=date(5, 1, 2), ship_date=date(999, 12, 31))
    return factories.make_token(
        people.org,
        "T-YEAR-5",
        order=order,
        part=factories.make_part("CPCLD-5"),
        plan_start_date=pacific(5, 3, 1, 12, 30),
        plan_end_date=pacific(999, 12, 31, 16, 0),
    )


def test_years_below_1000_show_with_four_digits_on_the_page(manager_client, year_five_token):
    response = manager_client.get(
        PAGE, {"columns": "token_sn,plan_start_date,plan_end_date,order_date,ship_date"}
    )

    html = response.content.decode()
    for shown in ["0005-03-01 12:30", "0999-12-31 16:00", "0005-01-02", "0999-12-31"]:
        assert shown in html


@pytest.mark.parametrize(
    "piece",
    [
        "plan_start_date:contains:0005-03-01 12:30",
        "plan_end_date:is:0999-12-31 16:00",
        "plan_end_date:contains:0999-12-31 16",
        "plan_end_date:contains:99-12-31 16:0",
        "order_date:contains:0005-01",
        "order_date:is:0005-01-02",
        "ship_date:contains:0999-12-31",
    ],
)
def test_filters_compare_with_the_four_digit_text(manager_client, year_five_token, piece):
    assert matching_serials(manager_client, piece) == ["T-YEAR-5"]


def test_years_below_1000_export_with_four_digits_and_reimport_unchanged(
    manager_client, year_five_token, tmp_path
):
    def export(file_format: str) -> bytes:
        response = manager_client.get(EXPORT, {"format": file_format, "scope": "all"})
        assert response.status_code == 200
        return b"".join(response.streaming_content)

    csv_body = export("csv")
    rows = list(csv.DictReader(io.StringIO(csv_body.decode("utf-8-sig"))))
    assert rows[0]["Plan Start Date (Pacific Time)"] == "0005-03-01 12:30"
    assert rows[0]["Plan End Date / Auto Renew On (Pacific Time)"] == "0999-12-31 16:00"
    assert rows[0]["Order Date"] == "0005-01-02"
    assert rows[0]["Ship Date"] == "0999-12-31"

    sheet = openpyxl.load_workbook(io.BytesIO(export("xlsx"))).worksheets[0]
    header, values = (list(row) for row in sheet.iter_rows(values_only=True))
    cells = dict(zip(header, values, strict=True))
    # Excel's date cells start in 1900: earlier dates are text, as the table shows them.
    assert cells["Plan Start Date (Pacific Time)"] == "0005-03-01 12:30"
    assert cells["Plan End Date / Auto Renew On (Pacific Time)"] == "0999-12-31 16:00"
    assert cells["Order Date"] == "0005-01-02"

    path = tmp_path / "early.csv"
    path.write_bytes(csv_body)
    before = list(PortToken.objects.values())
    out = io.StringIO()
    call_command("import_tokens", str(path), stdout=out)

    assert "1 of them already up to date" in out.getvalue()
    assert list(PortToken.objects.values()) == before
    assert export("csv") == csv_body
