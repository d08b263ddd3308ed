"""CSV and XLSX exports at /inventory/port-tokens/export/: what the table shows, streamed,
safe to open, logged."""

import csv
import io
import re
from datetime import date, datetime
from urllib.parse import urlencode

import openpyxl
import pytest
from django.db import connection
from django.http import QueryDict, StreamingHttpResponse
from django.urls import reverse

from inventory import exports
from inventory.columns import COLUMNS, COLUMNS_BY_KEY, DEFAULT_COLUMN_KEYS
from inventory.exports import csv_stream, postgres, xlsx, xlsx_cells
from inventory.filtering import filter_tokens
from inventory.models import ColumnPreference, ExportLog, PortToken
from inventory.selectors import visible_tokens
from inventory.spreadsheet import restore_neutralized
from inventory.viewstate import parse_view_state
from tests import factories
from tests.factories import utc

URL = reverse("inventory:port_tokens_export")
DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]


def download(client, **params):
    """GET the export and read the whole streamed body."""
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response, b"".join(response.streaming_content)


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def workbook(body: bytes):
    return openpyxl.load_workbook(io.BytesIO(body))


def sheet_rows(body: bytes) -> list[tuple]:
    return list(workbook(body).worksheets[0].iter_rows(values_only=True))


def labels(*keys) -> list[str]:
    return [COLUMNS_BY_KEY[key].label for key in keys]


def column_of(rows, key) -> list:
    index = list(rows[0]).index(COLUMNS_BY_KEY[key].label)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def station_token(people):
    """An active token of the people's organization on a named station, fully dated."""
    station = factories.make_station(people.org, serial="STN-0001", name="Main St Garage")
    evse = factories.make_evse(station, "EVSE-0001-01")
    order = factories.make_order(
        "SO-1", purchase_order="PO-1", order_date=date(2025, 3, 2), ship_date=date(2025, 3, 9)
    )
    return factories.make_token(
        people.org,
        "TKN-A",
        part=factories.make_part("CPCLD-1", term_years=3),
        evse=evse,
        order=order,
        status=PortToken.Status.ACTIVE,
        activation_date=utc(2025, 7, 1, 19, 30),  # PDT: 12:30
        plan_start_date=utc(2025, 1, 15, 20, 45),  # PST: 12:45
    )


# --- columns ------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_visible_scope_gives_the_visible_columns_in_display_order(
    manager_client, station_token, file_format
):
    _, body = download(
        manager_client, format=file_format, scope="visible", columns="status,token_sn,org_name"
    )
    rows = csv_rows(body) if file_format == "csv" else sheet_rows(body)
    assert list(rows[0]) == labels("status", "token_sn", "org_name")
    assert list(rows[1]) == ["Active", "TKN-A", "Acme Charging"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_all_scope_gives_all_25_columns_in_spec_order(manager_client, station_token, file_format):
    _, body = download(manager_client, format=file_format, scope="all", columns="status")
    rows = csv_rows(body) if file_format == "csv" else sheet_rows(body)
    assert list(rows[0]) == [column.label for column in COLUMNS]


def test_visible_scope_without_columns_in_the_url_uses_the_saved_choice(
    manager_client, people, station_token
):
    ColumnPreference.objects.create(user=people.manager, column_keys="org_id,token_sn")
    _, body = download(manager_client, format="csv", scope="visible")
    assert csv_rows(body) == [labels("org_id", "token_sn"), ["ORG-ACME", "TKN-A"]]


def test_visible_scope_without_columns_or_saved_choice_uses_the_default_columns(
    manager_client, station_token
):
    _, body = download(manager_client, format="csv", scope="visible")
    assert csv_rows(body)[0] == labels(*DEFAULT_COLUMN_KEYS)


# --- rows ---------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_filters_and_sort_are_respected(manager_client, people, file_format):
    for serial, owner in [("T1", "zed"), ("T2", "amy"), ("T3", None), ("T4", "bob")]:
        factories.make_token(people.org, serial, renewal_owner=owner)
    factories.make_token(people.org, "T5", renewal_owner="carl", status=PortToken.Status.EXPIRED)
    _, body = download(
        manager_client,
        format=file_format,
        scope="visible",
        columns="token_sn,renewal_owner",
        filter="status:is:new",
        sort="-renewal_owner",
    )
    rows = csv_rows(body) if file_format == "csv" else sheet_rows(body)
    # Descending by owner, the empty owner last, the Expired token filtered out.
    assert column_of(rows, "token_sn") == ["T1", "T4", "T2", "T3"]


def test_match_any_combines_filters_like_the_table(manager_client, people):
    factories.make_token(people.org, "T1", renewal_owner="amy")
    factories.make_token(people.org, "T2", renewal_owner="bob")
    factories.make_token(people.org, "T3", renewal_owner="cy")
    response = manager_client.get(
        URL,
        {
            "format": "csv",
            "columns": "token_sn",
            "filter": ["renewal_owner:is:amy", "renewal_owner:is:bob"],
            "match": "any",
        },
    )
    assert csv_rows(b"".join(response.streaming_content))[1:] == [["T1"], ["T2"]]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_row_count_equals_the_tables_total_over_all_pages(manager_client, people, file_format):
    for number in range(60):
        factories.make_token(people.org, f"T{number:03d}", renewal_owner=f"o{number % 3}")
    params = {"filter": "renewal_owner:not_contains:o2", "per_page": "25", "page": "2"}
    total = filter_tokens(visible_tokens(people.manager), parse_view_state_for(params)).count()

    _, body = download(manager_client, format=file_format, columns="token_sn", **params)

    rows = csv_rows(body) if file_format == "csv" else sheet_rows(body)
    assert total == 40
    assert len(rows) - 1 == total
    assert ExportLog.objects.get().row_count == total


def parse_view_state_for(params):
    return parse_view_state(QueryDict(urlencode(params)))


def test_bad_view_state_pieces_are_ignored_like_the_table_does(manager_client, people):
    factories.make_token(people.org, "T2")
    factories.make_token(people.org, "T1")
    _, body = download(
        manager_client,
        format="csv",
        columns="token_sn,nonsense",
        sort="nonsense",
        filter="nope:contains:x",
        page="999",
    )
    assert csv_rows(body) == [["Token S/N"], ["T1"], ["T2"]]


def test_only_the_users_tokens_are_exported(viewer_client, people):
    factories.make_token(people.org, "MINE")
    factories.make_token(people.other_org, "THEIRS")
    _, body = download(viewer_client, format="csv", scope="all")
    assert column_of(csv_rows(body), "token_sn") == ["MINE"]


def test_token_parameter_narrows_the_export_to_the_selected_rows(manager_client, people):
    for serial in ["T1", "T2", "T3"]:
        factories.make_token(people.org, serial)
    response = manager_client.get(
        URL, {"format": "csv", "columns": "token_sn", "token": ["T3", "T1"]}
    )
    assert csv_rows(b"".join(response.streaming_content))[1:] == [["T1"], ["T3"]]


def test_token_of_another_organization_yields_nothing_of_it(outsider_client, people):
    factories.make_token(people.org, "ACME-1")
    factories.make_token(people.other_org, "OTHER-1")
    response = outsider_client.get(
        URL, {"format": "csv", "columns": "token_sn", "token": ["ACME-1", "OTHER-1"]}
    )
    assert csv_rows(b"".join(response.streaming_content))[1:] == [["OTHER-1"]]


def test_a_token_value_with_a_nul_character_is_no_server_error(manager_client, people):
    factories.make_token(people.org, "T1")
    response = manager_client.get(URL, {"format": "csv", "columns": "token_sn", "token": "T\x001"})
    assert csv_rows(b"".join(response.streaming_content))[1:] == [["T1"]]


def test_a_superuser_exports_every_organization(client, people):
    factories.make_token(people.org, "T1")
    factories.make_token(people.other_org, "T2")
    client.force_login(factories.make_superuser())
    _, body = download(client, format="csv", columns="token_sn")
    assert csv_rows(body)[1:] == [["T1"], ["T2"]]


# --- values -------------------------------------------------------------------------


def test_csv_shows_pacific_time_on_both_sides_of_daylight_saving(manager_client, station_token):
    _, body = download(
        manager_client,
        format="csv",
        columns="activation_date,plan_start_date,order_date,ship_date,term_years",
    )
    assert csv_rows(body)[1] == [
        "2025-07-01 12:30",
        "2025-01-15 12:45",
        "2025-03-02",
        "2025-03-09",
        "3",
    ]


def test_xlsx_holds_pacific_wall_times_and_dates_as_real_date_cells(manager_client, station_token):
    _, body = download(
        manager_client,
        format="xlsx",
        columns="activation_date,plan_start_date,order_date,term_years,plan_end_date",
    )
    sheet = workbook(body).worksheets[0]
    july, january, ordered, term, end = sheet[2]
    assert july.value == datetime(2025, 7, 1, 12, 30)  # UTC-7 in summer
    assert january.value == datetime(2025, 1, 15, 12, 45)  # UTC-8 in winter
    assert july.number_format == january.number_format == "yyyy-mm-dd hh:mm"
    assert july.is_date and ordered.is_date
    assert ordered.value == datetime(2025, 3, 2)
    assert ordered.number_format == "yyyy-mm-dd"
    assert term.value == 3 and term.data_type == "n"
    assert end.value is None


def test_empty_values_are_empty_cells_not_dashes(manager_client, people):
    factories.make_token(people.org, "T1", renewal_owner="")
    _, csv_body = download(manager_client, format="csv", columns="token_sn,renewal_owner,evse_id")
    _, xlsx_body = download(manager_client, format="xlsx", columns="token_sn,renewal_owner,evse_id")
    assert csv_body.endswith(b"\r\nT1,,\r\n")
    assert sheet_rows(xlsx_body)[1] == ("T1", None, None)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_non_ascii_names_survive(manager_client, people, file_format):
    org = factories.make_organization("ORG-Z", "Zürich Ladepark Åsgård 東京")
    factories.grant(people.manager, org)
    station = factories.make_station(org, name="Café Mobilité – Gare Süd")
    factories.make_token(org, "T1", evse=factories.make_evse(station))
    _, body = download(manager_client, format=file_format, columns="org_name,station_name")
    rows = csv_rows(body) if file_format == "csv" else sheet_rows(body)
    assert list(rows[1]) == ["Zürich Ladepark Åsgård 東京", "Café Mobilité – Gare Süd"]


def test_csv_is_rfc_4180_with_crlf_line_ends_and_quoted_special_fields(manager_client, people):
    station = factories.make_station(people.org, name='Lot "B", level 2\nnorth side')
    factories.make_token(people.org, "T1", evse=factories.make_evse(station))
    _, body = download(manager_client, format="csv", columns="token_sn,station_name")
    assert body == (
        b'\xef\xbb\xbfToken S/N,Station Name\r\nT1,"Lot ""B"", level 2\nnorth side"\r\n'
    )


# --- safety -------------------------------------------------------------------------


@pytest.mark.parametrize("lead", DANGEROUS)
def test_csv_neutralizes_text_that_would_run_as_a_formula(manager_client, people, lead):
    factories.make_token(people.org, "T1", renewal_owner=f"{lead}1+2")
    _, body = download(manager_client, format="csv", columns="renewal_owner")
    assert csv_rows(body)[1] == [f"'{lead}1+2"]


@pytest.mark.parametrize("lead", DANGEROUS)
def test_xlsx_writes_dangerous_text_as_a_string_never_a_formula(manager_client, people, lead):
    station = factories.make_station(people.org, name=f'{lead}HYPERLINK("http://x")')
    factories.make_token(
        people.org, "T1", renewal_owner=f"{lead}cmd", evse=factories.make_evse(station)
    )
    _, body = download(manager_client, format="xlsx", scope="all")
    cells = [cell for row in workbook(body).worksheets[0].iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    rows = sheet_rows(body)
    assert column_of(rows, "renewal_owner") == [f"'{lead}cmd"]
    assert column_of(rows, "station_name") == [f'\'{lead}HYPERLINK("http://x")']


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_neutralized_text_is_restored_exactly_on_the_way_back(manager_client, people, file_format):
    originals = ["=SUM(A1)", "-5", "'=already quoted", "''+two", "'plain quote", "a=b", "'"]
    for number, text in enumerate(originals):
        factories.make_token(people.org, f"T{number}", renewal_owner=text)
    _, body = download(manager_client, format=file_format, columns="renewal_owner")
    rows = csv_rows(body) if file_format == "csv" else sheet_rows(body)
    exported = [row[0] for row in rows[1:]]
    assert exported[:4] == ["'=SUM(A1)", "'-5", "''=already quoted", "'''+two"]
    assert [restore_neutralized(text) for text in exported] == originals


def test_control_characters_are_removed_from_xlsx_and_kept_in_csv(manager_client, people):
    station = factories.make_station(people.org, name="Bell\x07 Tower\x1b Lot\tA\r\nB")
    factories.make_token(people.org, "T1", evse=factories.make_evse(station))
    _, xlsx_body = download(manager_client, format="xlsx", columns="station_name")
    _, csv_body = download(manager_client, format="csv", columns="station_name")
    assert sheet_rows(xlsx_body)[1] == ("Bell Tower Lot\tA\r\nB",)
    assert csv_rows(csv_body)[1] == ["Bell\x07 Tower\x1b Lot\tA\r\nB"]


def test_xlsx_header_is_bold_frozen_and_filtered_with_sensible_widths(
    manager_client, station_token
):
    _, body = download(manager_client, format="xlsx", scope="all")
    sheet = workbook(body).worksheets[0]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:Y2"
    widths = [sheet.column_dimensions[letter].width for letter in ("A", "D", "M", "V")]
    assert widths == [16, 48, 18, 12]


def test_xlsx_continues_on_a_further_sheet_past_the_sheet_row_limit(
    manager_client, people, monkeypatch
):
    monkeypatch.setattr(xlsx, "SHEET_MAX_ROWS", 3)  # a header and two data rows
    for number in range(1, 6):
        factories.make_token(people.org, f"T{number}")
    _, body = download(manager_client, format="xlsx", columns="token_sn")
    book = workbook(body)
    assert book.sheetnames == ["Port Tokens", "Port Tokens 2", "Port Tokens 3"]
    assert [list(sheet.values) for sheet in book.worksheets] == [
        [("Token S/N",), ("T1",), ("T2",)],
        [("Token S/N",), ("T3",), ("T4",)],
        [("Token S/N",), ("T5",)],
    ]
    assert book.worksheets[2].auto_filter.ref == "A1:A2"
    assert ExportLog.objects.get().row_count == 5


def test_an_empty_export_is_a_valid_file_with_the_header(manager_client):
    _, xlsx_body = download(manager_client, format="xlsx", columns="token_sn")
    _, csv_body = download(manager_client, format="csv", columns="token_sn")
    assert sheet_rows(xlsx_body) == [("Token S/N",)]
    assert csv_rows(csv_body) == [["Token S/N"]]


# --- response and log -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_format", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_response_is_a_streamed_attachment_named_for_scope_time_and_format(
    manager_client, station_token, file_format, content_type
):
    response = manager_client.get(URL, {"format": file_format, "scope": "all"})
    assert isinstance(response, StreamingHttpResponse)
    assert response.streaming
    assert response["Content-Type"] == content_type
    assert re.fullmatch(
        rf'attachment; filename="port-tokens-all-\d{{8}}-\d{{6}}\.{file_format}"',
        response["Content-Disposition"],
    )
    log = ExportLog.objects.get()
    assert response["Content-Disposition"].endswith(
        f'"{exports.export_filename("all", file_format, log.created_at)}"'
    )
    b"".join(response.streaming_content)


def test_file_name_is_stamped_in_pacific_time():
    assert (
        exports.export_filename("visible", "csv", utc(2025, 1, 15, 3, 4, 5))
        == "port-tokens-visible-20250114-190405.csv"
    )


def test_export_is_logged_with_who_filters_scope_format_and_row_count(manager_client, people):
    factories.make_token(people.org, "T1", renewal_owner="amy")
    factories.make_token(people.org, "T2", renewal_owner="bob")
    response = manager_client.get(
        URL + "?format=xlsx&scope=all&filter=renewal_owner%3Acontains%3Aam"
    )
    log = ExportLog.objects.get()
    assert (log.user, log.file_format, log.scope) == (people.manager, "xlsx", "all")
    assert log.query_string == "format=xlsx&scope=all&filter=renewal_owner%3Acontains%3Aam"
    assert log.row_count is None and log.completed_at is None  # nothing streamed yet

    b"".join(response.streaming_content)

    log.refresh_from_db()
    assert log.row_count == 1
    assert log.completed_at >= log.created_at


# --- access and bad input -------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get(URL, {"format": "csv"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"format": "pdf"}, "Unknown export format 'pdf': use format=csv or format=xlsx."),
        ({}, "Unknown export format: use format=csv or format=xlsx."),
        (
            {"format": "csv", "scope": "everything"},
            "Unknown export scope 'everything': use scope=visible or scope=all.",
        ),
    ],
)
def test_bad_format_or_scope_is_a_clear_400(manager_client, params, message):
    response = manager_client.get(URL, params)
    assert response.status_code == 400
    assert response.content.decode() == message
    assert not ExportLog.objects.exists()


def test_export_accepts_only_get(manager_client):
    assert manager_client.post(URL + "?format=csv").status_code == 405


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_markup_backslashes_and_spaces_survive(manager_client, people, file_format):
    name = '  <b>Lot & "C:\\Garage\\new"</b>  '
    station = factories.make_station(people.org, name=name)
    factories.make_token(people.org, "T1", evse=factories.make_evse(station))
    _, body = download(manager_client, format=file_format, columns="station_name")
    rows = csv_rows(body) if file_format == "csv" else sheet_rows(body)
    assert list(rows[1]) == [name]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL writes the cells in SQL there"
)
def test_database_written_cells_equal_python_written_cells(people):
    """On PostgreSQL the query writes each CSV field and XLSX cell; on SQLite Python does.
    Both must follow the same rules, byte for byte."""
    station = factories.make_station(people.org, name="\x01=cmd & <x>\t\r\n\\ Süd ")
    order = factories.make_order(order_date=date(2024, 2, 29), customer_reference="'-1")
    factories.make_token(
        people.org,
        "T1",
        evse=factories.make_evse(station),
        order=order,
        renewal_owner="'",
        activation_date=utc(2024, 11, 3, 8, 59, 59),  # 01:59 PDT, just before the repeat
        plan_end_date=utc(2024, 3, 10, 10, 0),  # 03:00 PDT, just after the gap
    )
    factories.make_token(
        people.org, "T2", renewal_owner=" spaced", part=factories.make_part(term_years=None)
    )
    factories.make_token(people.org, "T3", renewal_owner="Line_x000D_ & <_x005F_x0041_>")
    queryset = visible_tokens(people.manager).order_by("serial")
    columns = list(COLUMNS)
    assert list(xlsx.copy_xlsx_rows(queryset, columns)) == list(
        xlsx.python_xlsx_rows(queryset, columns)
    )
    assert b"".join(csv_stream.copy_csv_rows(queryset, columns)) == b"".join(
        csv_stream.python_csv_rows(queryset, columns)
    )


# Texts where the rules of an XLSX text cell meet: cut to fit (counting as Excel does),
# neutralized, cleaned, escaped and split into runs around XML-escape look-alikes.
EDGE_TEXTS = {
    "long": "x" * 40_000,
    "emoji cut in half": "🚗" * 20_000,
    "emoji cut whole": "x" + "🚗" * 20_000,
    "neutralized and cut": "=" + "🚗" * 20_000,
    "quotes then formula, cut": "'''=" + "y" * 40_000,
    "at the fast-path edge": "x" * 16_383,
    "emoji just fitting": "🚗" * 16_383,
    "emoji one unit over": "🚗" * 16_384,
    "exactly the limit": "x" * 32_767,
    "one over the limit": "x" * 32_768,
    "look-alikes cut mid-way": "_x000D_" * 6_000,
    "look-alikes": "a_x005F_x000D_b lower_x000d_ upper_X0041_ _x0041__x0042_",
    "look-alike made by cleaning": "a_x00\x010D_b",
    "everything at once": "  _x0041_ <&> \t\n\r ",
}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL writes the cells in SQL there"
)
@pytest.mark.parametrize("text", EDGE_TEXTS.values(), ids=EDGE_TEXTS.keys())
def test_database_writes_edge_texts_exactly_as_python_does(db, text):
    """No column can hold such long texts, so the cell's SQL runs on a literal."""
    ref = xlsx_cells.cell_ref(2)
    cell_sql = postgres.text_cell_sql(ref, "source.value")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {cell_sql} FROM (SELECT %s::text AS value) AS source", [text])
        (written,) = cursor.fetchone()
    assert written == xlsx_cells.text_cell(ref, text)
