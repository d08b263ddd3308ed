"""GET /api/v1/port-tokens/: the table's tokens as JSON. The same view state as the page
(filters, match, q, sort), 25 keys a token typed as SPEC says, a 400 listing every bad
piece, cursor pages that never skip or repeat a row, and only the tokens the user may see.
One token at /api/v1/port-tokens/<Token S/N>/ with its transfers; the streamed export at
/api/v1/port-tokens/export/."""

from datetime import date

import pytest
from django.http import QueryDict

from inventory.columns import COLUMNS
from inventory.models import ExportLog, Membership, PortToken
from inventory.selectors import matching_tokens
from inventory.transfers import transfer_tokens
from inventory.viewstate import parse_view_state
from tests import factories
from tests.api_client import (  # noqa: F401
    all_pages,
    auth,
    get,
    key_for,
    throttle_counts_cleared,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_key(people):
    return key_for(people.viewer)


def serials(rows) -> list[str]:
    return [row["token_sn"] for row in rows]


def full_token(organization):
    station = factories.make_station(organization, "STN-1", "Civic Center Garage")
    order = factories.make_order(
        "SO-1",
        customer=factories.make_customer("CUST-1", "Harbor Properties"),
        purchase_order="PO-1",
        customer_reference="",
        order_date=date(2025, 3, 4),
        ship_date=date(2025, 3, 18),
    )
    return factories.make_token(
        organization,
        "TKN-FULL",
        part=factories.make_part(
            "CPCLD-1", cloud_plan="Commercial Cloud Plan", description="", term_years=3
        ),
        order=order,
        evse=factories.make_evse(station, "EVSE-1"),
        status=PortToken.Status.ACTIVE,
        # The morning daylight saving time began, and a winter moment.
        activation_date=factories.utc(2025, 3, 9, 10, 30),
        applied_date=factories.utc(2025, 1, 15, 20, 0, 45),
        plan_start_date=factories.utc(2025, 1, 15, 20, 0),
        plan_end_date=None,
        renewal_owner="ops@example.com",
    )


# one token's JSON ---------------------------------------------------------------------------


def test_each_token_has_the_25_keys_typed_as_the_spec_says(client, people, viewer_key):
    full_token(people.org)

    (row,) = get(client, viewer_key, "/port-tokens/").json()["results"]

    assert list(row) == [column.key for column in COLUMNS]
    assert row == {
        "token_sn": "TKN-FULL",
        "part_no": "CPCLD-1",
        "cloud_plan": "Commercial Cloud Plan",
        "description": None,
        "term_years": 3,
        "port_type": "AC Level 2",
        "token_type": "New",
        "org_id": "ORG-ACME",
        "org_name": "Acme Charging",
        "evse_id": "EVSE-1",
        "station_sn": "STN-1",
        "station_name": "Civic Center Garage",
        "activation_date": "2025-03-09T03:30:00-07:00",
        "applied_date": "2025-01-15T12:00:45-08:00",
        "plan_start_date": "2025-01-15T12:00:00-08:00",
        "plan_end_date": None,
        "purchase_order": "PO-1",
        "sales_order": "SO-1",
        "customer_reference": None,
        "customer_name": "Harbor Properties",
        "customer_id": "CUST-1",
        "order_date": "2025-03-04",
        "ship_date": "2025-03-18",
        "status": "Active",
        "renewal_owner": "ops@example.com",
    }


def test_a_token_without_evse_or_order_has_those_keys_null(client, people, viewer_key):
    factories.make_token(people.org, "TKN-BARE")

    (row,) = get(client, viewer_key, "/port-tokens/").json()["results"]

    for key in ("evse_id", "station_sn", "station_name", "sales_order", "customer_id"):
        assert row[key] is None
    assert row["status"] == "New"


# the view state ---------------------------------------------------------------------------


@pytest.fixture
def three_tokens(people):
    acme = factories.make_part(cloud_plan="Fleet Cloud Plan")
    factories.make_token(people.org, "TKN-A", status=PortToken.Status.AVAILABLE, part=acme)
    factories.make_token(people.org, "TKN-B", renewal_owner="fleet@example.com")
    factories.make_token(people.org, "TKN-C", status=PortToken.Status.EXPIRED)


def test_filters_match_q_and_sort_are_the_tables(client, viewer_key, three_tokens):
    def listed(*filters, **params):
        response = get(client, viewer_key, "/port-tokens/", *filters, **params)
        assert response.status_code == 200
        return serials(response.json()["results"])

    assert listed("status:is:available") == ["TKN-A"]
    assert listed("status:is:Available", "status:is:Expired", match="any") == ["TKN-A", "TKN-C"]
    assert listed("status:in:New|Expired", sort="-token_sn") == ["TKN-C", "TKN-B"]
    assert listed(q="fleet") == ["TKN-A", "TKN-B"]
    assert listed("status:is:New", q="fleet", match="any") == ["TKN-B"]
    assert listed(sort="-renewal_owner") == ["TKN-B", "TKN-A", "TKN-C"]


def test_count_is_every_matching_token_on_all_pages(client, viewer_key, three_tokens):
    body = get(client, viewer_key, "/port-tokens/", "status:not_empty:", page_size=1).json()

    assert body["count"] == 3
    assert len(body["results"]) == 1
    assert body["previous"] is None


def test_every_bad_piece_is_a_400_naming_it(client, viewer_key, three_tokens):
    response = get(
        client,
        viewer_key,
        "/port-tokens/",
        "status:is:New",
        "status:equals:New",
        "ship_date:before:2025-02-30",
        match="some",
        sort="colour",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["param"], e["value"]) for e in errors] == [
        ("filter", "status:equals:New"),
        ("filter", "ship_date:before:2025-02-30"),
        ("match", "some"),
        ("sort", "colour"),
    ]
    assert "unknown operator 'equals'" in errors[0]["message"]
    assert all(e["message"] for e in errors)


@pytest.mark.parametrize("q", ['"\x00"', "x" * 201])
def test_a_search_that_cannot_be_used_is_a_400(client, viewer_key, q):
    response = get(client, viewer_key, "/port-tokens/", q=q)

    assert response.status_code == 400
    assert response.json()["errors"][0]["param"] == "q"


def test_the_tables_own_paging_pieces_are_not_the_apis(client, viewer_key, three_tokens):
    response = get(client, viewer_key, "/port-tokens/", page="x", per_page="7", columns="nope")

    assert response.status_code == 200
    assert response.json()["count"] == 3


@pytest.mark.parametrize("size", ["0", "1001", "ten", "-5"])
def test_page_size_is_1_to_1000(client, viewer_key, size):
    response = get(client, viewer_key, "/port-tokens/", page_size=size)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"param": "page_size", "value": size, "message": "Use a whole number from 1 to 1,000."}
    ]


def test_a_page_holds_up_to_1000_rows(client, people, viewer_key):
    factories.make_tokens(people.org, 1005)

    first = get(client, viewer_key, "/port-tokens/", page_size=1000).json()
    default = get(client, viewer_key, "/port-tokens/").json()

    assert len(first["results"]) == 1000
    assert len(default["results"]) == 100
    assert len(client.get(first["next"], **auth(viewer_key)).json()["results"]) == 5


# cursor pages -----------------------------------------------------------------------------


@pytest.fixture
def tied_tokens(people):
    """Tokens with many ties and empty values in the columns sorted by below."""
    parts = [
        factories.make_part(cloud_plan=plan, term_years=term)
        for plan, term in [("Fleet", 1), ("Commercial", 3), ("Fleet", None)]
    ]
    ends = [factories.utc(2026, 1, 1, 8), None, factories.utc(2025, 6, 30, 7)]
    owners = ["a@example.com", "", None, "b@example.com"]
    for n in range(23):
        factories.make_token(
            people.org,
            f"TKN-{(n * 7) % 23:03d}",
            part=parts[n % 3],
            plan_end_date=ends[n % 3],
            renewal_owner=owners[n % 4],
            status=PortToken.Status.values[n % 4],
        )


SORTS = [
    "token_sn",
    "-token_sn",
    "cloud_plan",
    "-cloud_plan",
    "term_years",
    "-term_years",
    "plan_end_date",
    "-plan_end_date",
    "renewal_owner",
    "-renewal_owner",
    "status",
]


@pytest.mark.parametrize("sort", SORTS)
def test_walking_every_page_gives_each_row_once_in_the_tables_order(
    client, people, viewer_key, tied_tokens, sort
):
    expected = list(
        matching_tokens(people.viewer, parse_view_state(QueryDict(f"sort={sort}"))).values_list(
            "serial", flat=True
        )
    )

    walked = serials(all_pages(client, viewer_key, sort=sort, page_size=4))

    assert walked == expected
    assert len(set(walked)) == 23


@pytest.mark.parametrize("sort", ["-plan_end_date", "renewal_owner", "term_years", "-token_sn"])
def test_previous_links_walk_back_through_the_same_pages(client, viewer_key, tied_tokens, sort):
    pages = []
    response = get(client, viewer_key, "/port-tokens/", sort=sort, page_size=5)
    while True:
        pages.append(serials(response.json()["results"]))
        if response.json()["next"] is None:
            break
        response = client.get(response.json()["next"], **auth(viewer_key))

    back = []
    while response.json()["previous"] is not None:
        response = client.get(response.json()["previous"], **auth(viewer_key))
        back.append(serials(response.json()["results"]))

    assert back == pages[-2::-1]
    assert len(pages) == 5


def test_a_row_added_meanwhile_never_repeats_one_already_read(client, people, viewer_key):
    for serial in ("TKN-B", "TKN-D", "TKN-F", "TKN-H"):
        factories.make_token(people.org, serial)
    first = get(client, viewer_key, "/port-tokens/", page_size=2).json()

    factories.make_token(people.org, "TKN-A")
    factories.make_token(people.org, "TKN-E")
    second = client.get(first["next"], **auth(viewer_key)).json()

    assert serials(first["results"]) == ["TKN-B", "TKN-D"]
    assert serials(second["results"]) == ["TKN-E", "TKN-F"]


def test_the_cursor_keeps_the_filters_of_the_link(client, people, viewer_key, tied_tokens):
    rows = all_pages(client, viewer_key, "status:is:New", sort="-plan_end_date", page_size=2)

    assert {row["status"] for row in rows} == {"New"}
    assert len(rows) == PortToken.objects.filter(status="New").count()


@pytest.mark.parametrize("cursor", ["nonsense", "W10=", "WyJ0b2tlbl9zbiIsbnVsbCwxLHRydWVd"])
def test_a_cursor_not_from_the_api_is_a_400(client, viewer_key, cursor):
    response = get(client, viewer_key, "/port-tokens/", cursor=cursor)

    assert response.status_code == 400
    assert response.json()["errors"][0]["param"] == "cursor"


def test_a_cursor_of_another_sort_is_a_400(client, people, viewer_key, tied_tokens):
    next_url = get(client, viewer_key, "/port-tokens/", sort="status", page_size=2).json()["next"]

    response = client.get(next_url.replace("sort=status", "sort=-status"), **auth(viewer_key))

    assert response.status_code == 400
    assert "start again without a cursor" in response.json()["errors"][0]["message"]


# who sees what ------------------------------------------------------------------------------


def test_only_tokens_of_the_users_organizations_are_listed(client, people):
    factories.make_token(people.org, "TKN-ACME")
    factories.make_token(people.other_org, "TKN-OTHER")

    def listed(user):
        return serials(get(client, key_for(user), "/port-tokens/").json()["results"])

    assert listed(people.viewer) == ["TKN-ACME"]
    assert listed(people.outsider) == ["TKN-OTHER"]
    assert listed(factories.make_superuser()) == ["TKN-ACME", "TKN-OTHER"]
    assert listed(factories.make_user()) == []


def test_one_token_with_the_transfers_that_moved_it(client, people):
    token = factories.make_token(people.org, "TKN-MOVED")
    third = factories.make_organization("ORG-THIRD", "Third Party")
    factories.grant(people.manager, third, Membership.Role.MANAGER)
    transfer_tokens(user=people.manager, serials=[token.serial], to_org=third, note="to third")
    transfer_tokens(user=people.manager, serials=[token.serial], to_org=people.org, note="back")

    response = get(client, key_for(people.viewer), "/port-tokens/TKN-MOVED/")

    body = response.json()
    assert response.status_code == 200
    assert body["token_sn"] == "TKN-MOVED"
    assert [column.key for column in COLUMNS] == list(body)[:25]
    assert [(t["note"], t["from_org"], t["to_org"]) for t in body["transfers"]] == [
        (
            "back",
            {"org_id": None, "name": "another organization"},
            {"org_id": "ORG-ACME", "name": "Acme Charging"},
        ),
        (
            "to third",
            {"org_id": "ORG-ACME", "name": "Acme Charging"},
            {"org_id": None, "name": "another organization"},
        ),
    ]
    assert body["transfers"][0]["created_by"] == "manager"
    assert body["transfers"][0]["created_at"].endswith(("-07:00", "-08:00"))
    assert body["other_transfers"] == 0


def test_a_token_the_user_may_not_see_is_404_as_one_that_does_not_exist(client, people, viewer_key):
    factories.make_token(people.other_org, "TKN-OTHER")

    answers = [
        get(client, viewer_key, f"/port-tokens/{serial}/")
        for serial in ("TKN-OTHER", "TKN-NOWHERE", "TKN-%00")
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert answers[0].json() == answers[1].json() == answers[2].json()


def test_a_serial_with_a_slash_has_its_token(client, people, viewer_key):
    factories.make_token(people.org, "TKN/2025/1")

    response = get(client, viewer_key, "/port-tokens/TKN/2025/1/")

    assert response.json()["token_sn"] == "TKN/2025/1"


# the export ---------------------------------------------------------------------------------


def test_the_export_is_the_pages_export(client, people, viewer_key, three_tokens):
    query = "format=csv&scope=all&filter=status:in:New|Expired&sort=-token_sn"

    api = client.get(f"/api/v1/port-tokens/export/?{query}", **auth(viewer_key))
    body = b"".join(api.streaming_content)
    client.force_login(people.viewer)
    page = b"".join(client.get(f"/inventory/port-tokens/export/?{query}").streaming_content)

    assert api.status_code == 200
    assert api["Content-Type"] == "text/csv; charset=utf-8"
    assert api["Content-Disposition"].startswith('attachment; filename="port-tokens-all-')
    assert body == page
    lines = body.decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines] == ["Token S/N", "TKN-C", "TKN-B"]
    assert ExportLog.objects.filter(user=people.viewer).count() == 2


def test_the_export_of_visible_columns_follows_columns(client, viewer_key, three_tokens):
    response = get(
        client,
        viewer_key,
        "/port-tokens/export/",
        "status:is:Available",
        format="csv",
        columns="status,token_sn",
    )

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines == ["Status,Token S/N", "Available,TKN-A"]


def test_the_export_shows_only_the_users_tokens(client, people, three_tokens):
    factories.make_token(people.other_org, "TKN-OTHER")

    response = get(client, key_for(people.outsider), "/port-tokens/export/", format="csv")

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("TKN-OTHER")


@pytest.mark.parametrize(
    "params, param",
    [
        ({"format": "pdf"}, "format"),
        ({}, "format"),
        ({"format": "csv", "scope": "some"}, "scope"),
        ({"format": "csv", "filter": "status:is"}, "filter"),
        ({"format": "csv", "columns": "nope"}, "columns"),
    ],
)
def test_an_export_that_cannot_be_made_is_a_json_400(client, viewer_key, params, param):
    response = get(client, viewer_key, "/port-tokens/export/", **params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["param"] == param
    assert not ExportLog.objects.exists()


def test_the_export_needs_a_key_or_a_session(client):
    assert client.get("/api/v1/port-tokens/export/?format=csv").status_code == 401


def test_a_page_costs_the_same_few_queries_whatever_its_size(
    client, people, viewer_key, django_assert_max_num_queries
):
    factories.make_tokens(people.org, 60)
    get(client, viewer_key, "/port-tokens/")  # the key's last use is written once a minute

    # The key, the reader's organizations, the count, the rows.
    for size in (5, 50):
        with django_assert_max_num_queries(4):
            assert (
                len(get(client, viewer_key, "/port-tokens/", page_size=size).json()["results"])
                == size
            )
