"""One token's page (/inventory/port-tokens/<Token S/N>/): who may see it (404 alike for
an unknown serial and an invisible token), its 25 fields grouped and shown exactly as the
table shows them, its organization, every transfer that moved it with the organizations
named as the transfer pages name them, and the table's Token S/N cells linking to it."""

import re
from datetime import date

import pytest
from django.urls import reverse

from inventory.columns import COLUMNS
from inventory.models import Membership, PortToken
from inventory.transfers import transfer_tokens
from tests import factories
from tests.helpers import breadcrumb, get_all, links, page_html, query_of, read_table


def token_url(serial: str) -> str:
    return f"/inventory/port-tokens/{serial}/"


def fields(response) -> dict[str, tuple[str, str]]:
    """The page's fields by column key: (label, shown text)."""
    found = re.findall(
        r'<div class="token-field" data-field="(\w+)">\s*<dt>(.*?)</dt>\s*<dd>(.*?)</dd>',
        page_html(response),
        re.S,
    )
    return {key: (label, " ".join(re.sub(r"<[^>]+>", "", dd).split())) for key, label, dd in found}


def sections(response) -> list[tuple[str, list[str]]]:
    """(section title, field keys in order) as the page shows them."""
    text = page_html(response)
    return [
        (title, re.findall(r'data-field="(\w+)"', body))
        for title, body in re.findall(
            r'<h2 class="card-title" id="section-\d+">([^<]+)</h2>(.*?)</section>', text, re.S
        )
    ]


def transfer_rows(response) -> list[list[str]]:
    text = page_html(response)
    table = re.search(r'<table class="[^"]*token-transfers.*?</table>', text, re.S)
    if table is None:
        return []
    return [
        [
            " ".join(re.sub(r"<[^>]+>", "", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(0).split("<tbody>")[1], re.S)
    ]


@pytest.fixture
def full_token(people):
    """A token of Acme with every one of the 25 columns filled in."""
    part = factories.make_part(
        "CPCLD-FLT-DC-3YR",
        cloud_plan="Fleet Cloud Plan",
        description="Depot and fleet charging",
        term_years=3,
        port_type="DC Fast",
        token_type="Renewal",
    )
    station = factories.make_station(people.org, "STN-A1000042", "Civic Center Garage")
    order = factories.make_order(
        "SO-3000125",
        customer=factories.make_customer("CUST-200417", "Harbor Properties"),
        purchase_order="PO-884213",
        customer_reference="Phase 2, Garage B",
        order_date=date(2025, 3, 4),
        ship_date=date(2025, 3, 18),
    )
    return factories.make_token(
        people.org,
        "TKN-FULL-1",
        part=part,
        order=order,
        evse=factories.make_evse(station, "EVSE-A1000042-01"),
        status=PortToken.Status.ACTIVE,
        # 2025-11-02 08:30 UTC is 01:30 on the first pass of Pacific's repeated hour.
        activation_date=factories.utc(2025, 11, 2, 8, 30),
        applied_date=factories.utc(2025, 3, 9, 10, 0),
        plan_start_date=factories.utc(2025, 4, 2, 16, 30),
        plan_end_date=factories.utc(2026, 4, 2, 6, 59),
        renewal_owner="ops@acme.example",
    )


# --- who may see it ----------------------------------------------------------------------


def test_manager_and_viewer_of_its_organization_see_the_page(client, people, full_token):
    for user in (people.manager, people.viewer):
        client.force_login(user)
        response = client.get(token_url("TKN-FULL-1"))

        assert response.status_code == 200
        assert "Port Token TKN-FULL-1" in page_html(response)


def test_outsider_gets_exactly_the_404_of_an_unknown_serial(outsider_client, full_token):
    invisible = outsider_client.get(token_url("TKN-FULL-1"))
    unknown = outsider_client.get(token_url("TKN-NO-SUCH"))

    assert invisible.status_code == unknown.status_code == 404
    assert invisible.content == unknown.content
    assert "TKN-FULL-1" not in invisible.content.decode()


def test_a_serial_with_a_nul_character_is_an_unknown_serial(viewer_client, full_token):
    # PostgreSQL refuses NUL in a query; the page must not turn that into a server error.
    response = viewer_client.get(token_url("TKN-FULL-1\x00"))

    assert response.status_code == 404


def test_a_superuser_sees_a_token_of_any_organization(client, people):
    factories.make_token(people.other_org, "TKN-OTHER-1")
    client.force_login(factories.make_superuser())

    assert client.get(token_url("TKN-OTHER-1")).status_code == 200


def test_an_inactive_user_sees_no_token(client, people, full_token):
    people.viewer.is_active = False
    people.viewer.save()
    client.force_login(people.viewer)

    assert client.get(token_url("TKN-FULL-1")).status_code in (302, 404)


def test_a_signed_out_visitor_is_sent_to_login(client, full_token):
    response = client.get(token_url("TKN-FULL-1"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


# --- its fields ----------------------------------------------------------------------------


def test_each_field_is_shown_exactly_as_the_table_shows_it(viewer_client, full_token):
    all_keys = ",".join(column.key for column in COLUMNS)
    headers, rows = read_table(get_all(viewer_client, "token_sn:is:TKN-FULL-1", columns=all_keys))
    in_table = dict(zip([column.key for column in COLUMNS], rows[0], strict=True))

    shown = fields(viewer_client.get(token_url("TKN-FULL-1")))

    del in_table["token_sn"]  # the page's heading
    assert {key: text for key, (_, text) in shown.items()} == in_table
    assert {key: label for key, (label, _) in shown.items()} == {
        column.key: column.label for column in COLUMNS if column.key != "token_sn"
    }
    assert shown["activation_date"][1] == "2025-11-02 01:30"
    assert shown["order_date"][1] == "2025-03-04"


def test_empty_fields_read_as_in_the_table(viewer_client, people):
    factories.make_token(people.org, "TKN-BARE-1", part=factories.make_part("P-1"))
    headers, rows = read_table(
        get_all(viewer_client, "token_sn:is:TKN-BARE-1", columns="evse_id,ship_date,purchase_order")
    )

    shown = fields(viewer_client.get(token_url("TKN-BARE-1")))

    assert rows == [["—", "—", "—"]]
    assert [shown[key][1] for key in ("evse_id", "ship_date", "purchase_order")] == ["—"] * 3


def test_fields_are_grouped_plan_port_order_status_organization(viewer_client, full_token):
    assert sections(viewer_client.get(token_url("TKN-FULL-1"))) == [
        ("Plan", ["part_no", "cloud_plan", "description", "term_years", "token_type"]),
        (
            "Port and station",
            ["port_type", "evse_id", "station_sn", "station_name", "applied_date"],
        ),
        (
            "Order",
            [
                "purchase_order",
                "sales_order",
                "customer_reference",
                "customer_name",
                "customer_id",
                "order_date",
                "ship_date",
            ],
        ),
        (
            "Status",
            ["status", "activation_date", "plan_start_date", "plan_end_date", "renewal_owner"],
        ),
        ("Organization", ["org_id", "org_name"]),
    ]


def test_org_name_links_to_the_table_filtered_to_that_organization(viewer_client, full_token):
    (url,) = links(viewer_client.get(token_url("TKN-FULL-1")), "Acme Charging")

    assert url.startswith("/inventory/port-tokens/?")
    assert query_of(url) == [("filter", "org_id:is:ORG-ACME")]


def test_the_breadcrumb_places_the_token_under_port_tokens(viewer_client, full_token):
    assert breadcrumb(viewer_client.get(token_url("TKN-FULL-1"))) == [
        ("Organizations", "/organizations/"),
        ("Inventory", "/inventory/port-tokens/"),
        ("Port Tokens", "/inventory/port-tokens/"),
        ("TKN-FULL-1", None),
    ]


# --- its transfers ----------------------------------------------------------------------


@pytest.fixture
def admin(db):
    return factories.make_superuser("root")


def test_every_transfer_that_moved_it_is_listed_newest_first(viewer_client, people, admin):
    factories.make_token(people.org, "TKN-MOVED-1")
    factories.grant(people.viewer, people.other_org, Membership.Role.VIEWER)
    out = transfer_tokens(user=admin, serials=["TKN-MOVED-1"], to_org=people.other_org, note="lent")
    back = transfer_tokens(user=admin, serials=["TKN-MOVED-1"], to_org=people.org, note="returned")

    response = viewer_client.get(token_url("TKN-MOVED-1"))
    rows = transfer_rows(response)

    assert [row[0] for row in rows] == [f"#{back.pk}", f"#{out.pk}"]
    assert rows[0][2:] == [
        "root",
        "Other Networks (ORG-OTHER)",
        "Acme Charging (ORG-ACME)",
        "returned",
    ]
    assert rows[1][2:] == ["root", "Acme Charging (ORG-ACME)", "Other Networks (ORG-OTHER)", "lent"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[0][1])
    assert links(response, f"#{back.pk}") == [f"/inventory/transfers/{back.pk}/"]


def test_an_organization_the_reader_is_not_in_reads_another_organization(
    viewer_client, people, admin
):
    factories.make_token(people.other_org, "TKN-ARRIVED-1")
    transfer_tokens(user=admin, serials=["TKN-ARRIVED-1"], to_org=people.org)

    response = viewer_client.get(token_url("TKN-ARRIVED-1"))

    assert transfer_rows(response)[0][3:5] == ["another organization", "Acme Charging (ORG-ACME)"]
    assert "Other Networks" not in page_html(response)
    assert "ORG-OTHER" not in page_html(response)


def test_transfers_between_organizations_the_reader_is_not_in_are_counted_not_shown(
    viewer_client, people, admin
):
    third = factories.make_organization("ORG-THIRD", "Third Party Charging")
    factories.make_token(third, "TKN-TRAVELLED-1")
    transfer_tokens(
        user=admin, serials=["TKN-TRAVELLED-1"], to_org=people.other_org, note="Between strangers"
    )
    arrived = transfer_tokens(user=admin, serials=["TKN-TRAVELLED-1"], to_org=people.org)

    response = viewer_client.get(token_url("TKN-TRAVELLED-1"))

    assert [row[0] for row in transfer_rows(response)] == [f"#{arrived.pk}"]
    assert "One earlier transfer between organizations you do not belong to is not listed" in (
        page_html(response)
    )
    # A distinctive note: a short one can turn up in the page's random CSP nonce.
    assert "Between strangers" not in page_html(response)


def test_a_token_never_transferred_says_so(viewer_client, full_token):
    response = viewer_client.get(token_url("TKN-FULL-1"))

    assert transfer_rows(response) == []
    assert "No transfer has moved this token." in page_html(response)


# --- its URL and the table's links --------------------------------------------------------


def test_token_sn_cells_in_the_table_link_to_the_token_page(viewer_client, people):
    factories.make_token(people.org, "TKN-LINK-1")

    response = get_all(viewer_client, columns="token_sn,status")

    assert links(response, "TKN-LINK-1") == ["/inventory/port-tokens/TKN-LINK-1/"]
    cell = re.search(r'<td class="col-token_sn[^"]*">(.*?)</td>', response.content.decode())
    assert 'class="token-link"' in cell.group(1)


@pytest.mark.parametrize("serial", ["A/B 1", "50% off?#1", "ÜNÏ-ß"])
def test_a_serial_with_slashes_spaces_or_symbols_has_a_page_the_table_links_to(
    viewer_client, people, serial
):
    factories.make_token(people.org, serial)

    (url,) = links(get_all(viewer_client, columns="token_sn"), serial)
    response = viewer_client.get(url)

    assert response.status_code == 200
    assert f"Port Token {serial}" in page_html(response)


@pytest.mark.parametrize(
    "serial", ["A/B 1", "50% off?#1", "ÜNÏ-ß", "a:b@c~d", "x&y=z+1", "1<2 'q' \"3\"", "exports"]
)
def test_the_table_links_a_serial_to_the_url_reverse_gives(viewer_client, people, serial):
    factories.make_token(people.org, serial)

    shown = links(get_all(viewer_client, columns="token_sn"), serial)

    assert shown == [reverse("inventory:token_detail", args=[serial])]


@pytest.mark.parametrize("serial", ["export", "transfer"])
def test_the_fixed_routes_win_over_a_token_with_their_name(viewer_client, people, serial):
    factories.make_token(people.org, serial)

    response = viewer_client.get(token_url(serial))

    assert f"Port Token {serial}" not in response.content.decode()
    assert links(get_all(viewer_client, columns="token_sn"), serial) == []
