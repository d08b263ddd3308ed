"""The transfer pages through HTTP: the form, review, transfer, history list and detail."""

import csv
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from inventory.models import Membership, PortToken, Transfer
from inventory.transfers import UNKNOWN_TOKEN, transfer_tokens
from tests import factories
from tests.helpers import breadcrumb, org_of

FORM_URL = "/inventory/port-tokens/transfer/"
HISTORY_URL = "/inventory/transfers/"
MANAGER = Membership.Role.MANAGER


@pytest.fixture
def east(people):
    """A second organization the manager of Acme Charging also manages."""
    east = factories.make_organization("ORG-EAST", "Acme East")
    factories.grant(people.manager, east, MANAGER)
    return east


def post(client, action="review", **fields):
    data = {"token_sns": "", "to_org": "", "note": "", **fields}
    if action is not None:
        data["action"] = action
    return client.post(FORM_URL, data)


def text(response) -> str:
    return response.content.decode()


# --- access ---------------------------------------------------------------------------


def test_each_transfer_page_sits_under_inventory_in_the_breadcrumb(manager_client, people, east):
    factories.make_token(people.org, "TKN-1")
    record = transfer_tokens(user=people.manager, serials=["TKN-1"], to_org="ORG-EAST")
    inventory = [("Organizations", "/organizations/"), ("Inventory", "/inventory/port-tokens/")]

    assert breadcrumb(manager_client.get(FORM_URL)) == [
        *inventory,
        ("Port Tokens", "/inventory/port-tokens/"),
        ("Transfer tokens", None),
    ]
    assert breadcrumb(manager_client.get(HISTORY_URL)) == [*inventory, ("Transfers", None)]
    assert breadcrumb(manager_client.get(f"/inventory/transfers/{record.pk}/")) == [
        *inventory,
        ("Transfers", "/inventory/transfers/"),
        (f"Transfer #{record.pk}", None),
    ]


@pytest.mark.parametrize("url", [FORM_URL, HISTORY_URL, "/inventory/transfers/1/"])
def test_anonymous_visitor_is_sent_to_login(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_form_offers_only_organizations_the_user_manages(manager_client, people, east):
    response = manager_client.get(FORM_URL)

    options = re.findall(r'<option value="([^"]*)"', text(response))
    assert response.status_code == 200
    assert options == ["", "ORG-ACME", "ORG-EAST"]


def test_the_destination_list_escapes_names_and_keeps_the_chosen_one(manager_client, people, east):
    tricky = factories.make_organization("ORG-<&>", 'Fish & "Chips" <Charging>')
    factories.grant(people.manager, tricky, MANAGER)
    factories.make_token(people.org, "TKN-1")

    page = text(post(manager_client, "review", token_sns="TKN-1", to_org="ORG-<&>"))

    destination = re.search(r'<select name="to_org"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r"<option[^>]*>[^<]*</option>", destination) == [
        '<option value="">Choose an organization…</option>',
        '<option value="ORG-ACME">Acme Charging (ORG-ACME)</option>',
        '<option value="ORG-EAST">Acme East (ORG-EAST)</option>',
        '<option value="ORG-&lt;&amp;&gt;" selected>'
        "Fish &amp; &quot;Chips&quot; &lt;Charging&gt; (ORG-&lt;&amp;&gt;)</option>",
    ]


def test_viewer_is_told_they_manage_nothing(viewer_client, people):
    response = viewer_client.get(FORM_URL)

    assert "You are not a manager of any organization" in text(response)


# --- preselection ---------------------------------------------------------------------


def test_tokens_from_the_table_are_preselected(manager_client, people):
    response = manager_client.get(FORM_URL, {"token": ["TKN-1", "TKN-2"]})

    assert response.context["form"]["token_sns"].value() == "TKN-1\nTKN-2"


def test_all_matching_preselects_the_matching_tokens_that_can_move(manager_client, people):
    factories.make_token(people.org, "WEST-1")
    factories.make_token(people.org, "WEST-2", status=PortToken.Status.AVAILABLE)
    factories.make_token(people.org, "WEST-3", status=PortToken.Status.ACTIVE)
    factories.make_token(people.org, "EAST-1")

    response = manager_client.get(
        FORM_URL, {"all_matching": "1", "filter": "token_sn:contains:west", "sort": "-token_sn"}
    )

    assert response.context["form"]["token_sns"].value() == "WEST-2\nWEST-1"
    assert "2 of the 3 matching tokens are listed; the other 1 cannot move" in text(response)


def test_all_matching_beyond_the_limit_preselects_nothing_and_says_why(
    manager_client, people, monkeypatch
):
    monkeypatch.setattr("inventory.transfers.MAX_TOKENS", 2)
    factories.make_tokens(people.org, 3)

    response = manager_client.get(FORM_URL, {"all_matching": "1"})

    assert response.context["form"]["token_sns"].value() == ""
    assert "More than 2 matching tokens could move" in text(response)


def test_all_matching_reports_an_ignored_filter(manager_client, people):
    response = manager_client.get(FORM_URL, {"all_matching": "1", "filter": "nope:is:x"})

    assert response.status_code == 200
    assert "Filter 1 ignored: unknown column" in text(response)


# --- review ---------------------------------------------------------------------------


def test_review_shows_what_will_move_and_changes_nothing(manager_client, people, east):
    factories.make_token(people.org, "TKN-1", part=factories.make_part(cloud_plan="Fleet Plan"))

    response = post(manager_client, "review", token_sns="TKN-1", to_org="ORG-EAST")

    page = text(response)
    assert response.status_code == 200
    assert "Ready to move 1 token to Acme East" in page
    assert "Fleet Plan" in page
    assert 'name="action" value="transfer"' in page
    assert "Transfer 1 token<" in page
    assert org_of("TKN-1") == "ORG-ACME"
    assert not Transfer.objects.exists()


def test_review_lists_every_problem_by_serial_and_offers_no_transfer(manager_client, people, east):
    factories.make_token(people.org, "TKN-OK")
    factories.make_token(people.org, "TKN-ACTIVE", status=PortToken.Status.ACTIVE)

    response = post(
        manager_client, "review", token_sns="TKN-OK TKN-ACTIVE TKN-NOPE", to_org="ORG-EAST"
    )

    problems = {problem.serial: problem.reason for problem in response.context["review"].problems}
    assert response.status_code == 400
    assert problems == {
        "TKN-ACTIVE": "Status is Active; only New or Available tokens can move.",
        "TKN-NOPE": UNKNOWN_TOKEN,
    }
    assert "2 tokens cannot move" in text(response)
    assert 'value="transfer"' not in text(response)


def test_review_offers_to_remove_the_tokens_that_cannot_move(manager_client, people, east):
    factories.make_token(people.org, "TKN-OK")
    factories.make_token(people.org, "TKN-ACTIVE", status=PortToken.Status.ACTIVE)

    response = post(
        manager_client, "review", token_sns="TKN-OK TKN-ACTIVE TKN-NOPE", to_org="ORG-EAST"
    )

    assert re.search(
        r'<button type="submit" form="transfer-form" name="action" value="drop_problems"[^>]*>'
        r"Remove the 2 tokens that cannot move and review again</button>",
        text(response),
    )


def test_removing_the_tokens_that_cannot_move_reviews_the_rest_again(manager_client, people, east):
    factories.make_token(people.org, "TKN-OK")
    factories.make_token(people.org, "TKN-2")
    factories.make_token(people.org, "TKN-ACTIVE", status=PortToken.Status.ACTIVE)

    response = post(
        manager_client,
        "drop_problems",
        token_sns="TKN-OK, TKN-ACTIVE TKN-NOPE TKN-2 TKN-OK",
        to_org="ORG-EAST",
        note="Garage B",
    )

    assert response.status_code == 200
    assert response.context["review"].ok
    assert response.context["form"]["token_sns"].value() == "TKN-OK\nTKN-2"
    assert response.context["form"]["note"].value() == "Garage B"
    assert "Removed 2 Token S/Ns that cannot move: TKN-ACTIVE, TKN-NOPE." in text(response)
    assert "Ready to move 2 tokens to Acme East" in text(response)
    # Nothing moved: the list was only cleaned and reviewed.
    assert org_of("TKN-OK") == "ORG-ACME"


def test_no_removal_is_offered_when_nothing_would_be_left(manager_client, people, east):
    factories.make_token(people.org, "TKN-ACTIVE", status=PortToken.Status.ACTIVE)

    response = post(manager_client, "review", token_sns="TKN-ACTIVE", to_org="ORG-EAST")

    assert 'value="drop_problems"' not in text(response)


def test_tokens_already_in_the_destination_are_named_as_such(manager_client, people, east):
    factories.make_token(people.org, "TKN-OK")
    factories.make_token(east, "TKN-THERE")
    factories.make_token(people.org, "TKN-ACTIVE", status=PortToken.Status.ACTIVE)
    # In the destination, but Active: that it cannot move is what matters.
    factories.make_token(east, "TKN-THERE-ACTIVE", status=PortToken.Status.ACTIVE)

    response = post(
        manager_client,
        "review",
        token_sns="TKN-OK TKN-THERE TKN-ACTIVE TKN-THERE-ACTIVE",
        to_org="ORG-EAST",
    )

    page = re.sub(r"\s+", " ", text(response))
    assert "2 tokens cannot move" in page
    assert "1 token is already in Acme East (ORG-EAST)" in page
    assert [p.serial for p in response.context["already_there"]] == ["TKN-THERE"]
    assert [p.serial for p in response.context["problems"]] == ["TKN-ACTIVE", "TKN-THERE-ACTIVE"]
    assert "Remove the 3 tokens that cannot move and review again" in page


def test_missing_or_unknown_action_only_reviews(manager_client, people, east):
    factories.make_token(people.org, "TKN-1")

    for action in (None, "bogus"):
        response = post(manager_client, action, token_sns="TKN-1", to_org="ORG-EAST")
        assert response.status_code == 200
        assert response.context["review"].ok

    assert org_of("TKN-1") == "ORG-ACME"


def test_pasted_spreadsheet_column_is_read(manager_client, people, east):
    factories.make_tokens(people.org, 3, prefix="COL")

    response = post(
        manager_client,
        "review",
        token_sns="COL-000000\r\nCOL-000001\tCOL-000002, \r\n",
        to_org="ORG-EAST",
    )

    assert [t.serial for t in response.context["review"].movable] == [
        "COL-000000",
        "COL-000001",
        "COL-000002",
    ]


def test_bad_destination_is_a_form_error(manager_client, people):
    factories.make_token(people.org, "TKN-1")

    response = post(manager_client, "review", token_sns="TKN-1", to_org="ORG-OTHER")

    assert response.status_code == 400
    assert response.context["form"].errors["to_org"] == [
        "Org ID “ORG-OTHER” is not an organization you manage; choose one from the list."
    ]


def test_empty_list_is_a_form_error(manager_client, people, east):
    response = post(manager_client, "transfer", token_sns=" \r\n ", to_org="ORG-EAST")

    assert response.status_code == 400
    assert response.context["form"].errors["token_sns"] == ["List at least one Token S/N."]


def test_more_than_10000_serials_are_a_form_error(manager_client, people, east):
    serials = "\n".join(f"TKN-{n}" for n in range(10_001))

    response = post(manager_client, "transfer", token_sns=serials, to_org="ORG-EAST")

    assert response.status_code == 400
    assert "10,001 Token S/Ns listed; at most 10,000" in text(response)


def test_long_note_is_a_form_error(manager_client, people, east):
    factories.make_token(people.org, "TKN-1")

    response = post(
        manager_client, "transfer", token_sns="TKN-1", to_org="ORG-EAST", note="x" * 501
    )

    assert response.status_code == 400
    assert "at most 500 are allowed" in text(response)
    assert org_of("TKN-1") == "ORG-ACME"


@pytest.mark.parametrize("field", ["token_sns", "to_org", "note"])
def test_nul_characters_are_refused_without_a_server_error(manager_client, people, east, field):
    factories.make_token(people.org, "TKN-1")
    fields = {"token_sns": "TKN-1", "to_org": "ORG-EAST", field: "TKN\x00-1"}

    response = post(manager_client, "transfer", **fields)

    assert response.status_code == 400
    assert org_of("TKN-1") == "ORG-ACME"


# --- transfer -------------------------------------------------------------------------


def test_transfer_answers_303_to_the_new_transfer_with_a_success_message(
    manager_client, people, east
):
    factories.make_tokens(people.org, 3, prefix="MV")

    response = post(
        manager_client, "transfer", token_sns="MV-000000 MV-000001 MV-000002", to_org="ORG-EAST"
    )

    record = Transfer.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/inventory/transfers/{record.pk}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Moved 3 tokens from Acme Charging to Acme East"
    ]
    assert PortToken.objects.filter(organization=east).count() == 3


def test_success_message_shows_on_the_transfer_page(manager_client, people, east):
    factories.make_token(people.org, "TKN-1")

    response = manager_client.post(
        FORM_URL, {"token_sns": "TKN-1", "to_org": "ORG-EAST", "action": "transfer"}, follow=True
    )

    assert response.redirect_chain[0][1] == 303
    assert "Moved 1 token from Acme Charging to Acme East" in text(response)


def test_transfer_with_a_problem_moves_nothing(manager_client, people, east):
    factories.make_token(people.org, "TKN-1")
    factories.make_token(people.org, "TKN-2", status=PortToken.Status.EXPIRED)

    response = post(manager_client, "transfer", token_sns="TKN-1 TKN-2", to_org="ORG-EAST")

    assert response.status_code == 400
    assert "Status is Expired" in text(response)
    assert org_of("TKN-1") == "ORG-ACME"
    assert not Transfer.objects.exists()


def test_viewer_cannot_transfer(viewer_client, people):
    factories.make_token(people.org, "TKN-1")
    east = factories.make_organization("ORG-EAST", "Acme East")
    factories.grant(people.viewer, east, MANAGER)

    response = post(viewer_client, "transfer", token_sns="TKN-1", to_org="ORG-EAST")

    assert response.status_code == 400
    assert "You are not a manager of Acme Charging (ORG-ACME)" in text(response)
    assert org_of("TKN-1") == "ORG-ACME"


def test_foreign_and_unknown_serials_read_the_same_over_http(outsider_client, people):
    factories.make_token(people.org, "TKN-ACME")
    factories.make_token(people.other_org, "TKN-OWN")
    elsewhere = factories.make_organization("ORG-ELSE", "Elsewhere")
    factories.grant(people.outsider, elsewhere, MANAGER)

    response = post(
        outsider_client, "transfer", token_sns="TKN-ACME TKN-NOPE TKN-OWN", to_org="ORG-ELSE"
    )

    problems = {p.serial: p.reason for p in response.context["review"].problems}
    assert problems == {"TKN-ACME": UNKNOWN_TOKEN, "TKN-NOPE": UNKNOWN_TOKEN}
    assert "Acme Charging" not in text(response)


def test_transfer_after_review_refuses_a_token_moved_meanwhile(manager_client, people, east):
    factories.make_token(people.org, "TKN-1")
    north = factories.make_organization("ORG-NORTH", "Acme North")
    factories.grant(people.manager, north, MANAGER)
    reviewed = post(manager_client, "review", token_sns="TKN-1", to_org="ORG-EAST")
    reviewed_from = re.findall(r'name="reviewed_from" value="([^"]+)"', text(reviewed))
    transfer_tokens(user=people.manager, serials=["TKN-1"], to_org="ORG-NORTH")

    response = manager_client.post(
        FORM_URL,
        {
            "token_sns": "TKN-1",
            "to_org": "ORG-EAST",
            "action": "transfer",
            "reviewed_from": reviewed_from,
        },
    )

    assert reviewed_from == ["ORG-ACME"]
    assert response.status_code == 400
    assert "not where it was when you reviewed" in text(response)
    assert org_of("TKN-1") == "ORG-NORTH"


def test_moved_tokens_appear_in_the_table_and_export_of_a_destination_member(
    client, manager_client, people, east
):
    factories.make_token(people.org, "TKN-1")
    east_member = factories.make_user("east-member")
    factories.grant(east_member, east, Membership.Role.VIEWER)

    post(manager_client, "transfer", token_sns="TKN-1", to_org="ORG-EAST")

    member = Client()
    member.force_login(east_member)
    response = member.get("/inventory/port-tokens/", {"filter": "token_sn:is:TKN-1"})
    assert "TKN-1" in text(response)
    assert "Acme East" in text(response)
    export = member.get(
        "/inventory/port-tokens/export/",
        {"format": "csv", "scope": "all", "filter": "token_sn:is:TKN-1"},
    )
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [(row[0], row[7], row[8]) for row in rows[1:]] == [("TKN-1", "ORG-EAST", "Acme East")]


# --- CSRF -----------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused(people, east):
    factories.make_token(people.org, "TKN-1")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.manager)

    response = browser.post(
        FORM_URL, {"token_sns": "TKN-1", "to_org": "ORG-EAST", "action": "transfer"}
    )

    assert response.status_code == 403
    assert org_of("TKN-1") == "ORG-ACME"


def test_post_with_the_forms_csrf_token_transfers(people, east):
    factories.make_token(people.org, "TKN-1")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.manager)
    form = browser.get(FORM_URL)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(form)).group(1)

    response = browser.post(
        FORM_URL,
        {
            "csrfmiddlewaretoken": token,
            "token_sns": "TKN-1",
            "to_org": "ORG-EAST",
            "action": "transfer",
        },
    )

    assert response.status_code == 303
    assert org_of("TKN-1") == "ORG-EAST"


# --- history list ---------------------------------------------------------------------


def move(user, serials, to_org, note=""):
    return transfer_tokens(user=user, serials=serials, to_org=to_org, note=note)


def test_history_lists_transfers_touching_the_users_organizations_newest_first(
    manager_client, people, east
):
    factories.make_tokens(people.org, 2, prefix="A")
    first = move(people.manager, ["A-000000"], "ORG-EAST", note="first")
    second = move(people.manager, ["A-000001"], "ORG-EAST", note="second")
    elsewhere = factories.make_organization("ORG-ELSE", "Elsewhere")
    admin = factories.make_superuser()
    factories.make_token(people.other_org, "TKN-O")
    unrelated = move(admin, ["TKN-O"], elsewhere)

    response = manager_client.get(HISTORY_URL)

    listed = [row.transfer.pk for row in response.context["rows"]]
    assert listed == [second.pk, first.pk]
    assert unrelated.pk not in listed


def test_history_shows_when_by_from_to_count_and_note(manager_client, people, east):
    factories.make_token(people.org, "TKN-1")
    record = move(people.manager, ["TKN-1"], "ORG-EAST", note="Rebalance depots")

    page = text(manager_client.get(HISTORY_URL))

    when = record.created_at.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%Y-%m-%d %H:%M")
    assert f'href="/inventory/transfers/{record.pk}/">#{record.pk}<' in page
    for shown in (when, "manager", "Acme Charging", "Acme East", "Rebalance depots"):
        assert shown in page


def test_history_is_visible_to_a_member_of_the_source_only(viewer_client, people):
    factories.make_token(people.org, "TKN-1")
    admin = factories.make_superuser()
    record = move(admin, ["TKN-1"], people.other_org)

    response = viewer_client.get(HISTORY_URL)

    assert [row.transfer.pk for row in response.context["rows"]] == [record.pk]


def test_history_is_visible_to_a_member_of_the_destination_only(outsider_client, people):
    factories.make_token(people.org, "TKN-1")
    record = move(factories.make_superuser(), ["TKN-1"], people.other_org)

    response = outsider_client.get(HISTORY_URL)

    assert [row.transfer.pk for row in response.context["rows"]] == [record.pk]


def test_history_filters_by_organization(manager_client, people, east):
    north = factories.make_organization("ORG-NORTH", "Acme North")
    factories.grant(people.manager, north, MANAGER)
    factories.make_tokens(people.org, 2, prefix="A")
    into_east = move(people.manager, ["A-000000"], "ORG-EAST")
    into_north = move(people.manager, ["A-000001"], "ORG-NORTH")

    north_only = manager_client.get(HISTORY_URL, {"org": "ORG-NORTH"})
    acme = manager_client.get(HISTORY_URL, {"org": "ORG-ACME"})

    assert [row.transfer.pk for row in north_only.context["rows"]] == [into_north.pk]
    assert [row.transfer.pk for row in acme.context["rows"]] == [into_north.pk, into_east.pk]


def test_history_filter_on_a_foreign_organization_is_ignored_with_a_message(manager_client, people):
    response = manager_client.get(HISTORY_URL, {"org": "ORG-OTHER"})

    assert response.status_code == 200
    assert "“ORG-OTHER” is not one of your organizations; showing all of them." in text(response)


@pytest.mark.parametrize("value", ["ORG-ACME\x00", "x" * 5000, " "])
def test_history_filter_on_an_odd_value_shows_everything_without_a_server_error(
    manager_client, people, east, value
):
    factories.make_token(people.org, "TKN-1")
    record = move(people.manager, ["TKN-1"], "ORG-EAST")

    response = manager_client.get(HISTORY_URL, {"org": value})

    assert response.status_code == 200
    assert [row.transfer.pk for row in response.context["rows"]] == [record.pk]


def test_history_describes_many_sources_by_count(manager_client, people, east):
    serials = []
    for name in ["Acme North", "Acme South"]:
        org = factories.make_organization(name=name)
        factories.grant(people.manager, org, MANAGER)
        serials.append(factories.make_token(org).serial)
    serials.append(factories.make_token(people.org).serial)
    move(people.manager, serials, "ORG-EAST")
    move(people.manager, serials[:2], "ORG-ACME")

    response = manager_client.get(HISTORY_URL)

    assert [row.sources for row in response.context["rows"]] == [
        "Acme East",
        "3 organizations",
    ]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999", ""])
def test_history_handles_bad_page_numbers(manager_client, people, page):
    response = manager_client.get(HISTORY_URL, {"page": page})

    assert response.status_code == 200


def test_history_pages_by_25_and_keeps_the_filter_in_page_links(manager_client, people, east):
    factories.make_tokens(people.org, 26, prefix="P")
    for n in range(26):
        move(people.manager, [f"P-{n:06d}"], "ORG-EAST")

    first = manager_client.get(HISTORY_URL, {"org": "ORG-EAST"})
    second = manager_client.get(HISTORY_URL, {"org": "ORG-EAST", "page": "2"})

    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 1
    assert "?org=ORG-EAST&amp;page=2" in text(first)


def test_history_page_needs_a_bounded_number_of_queries(
    manager_client, people, east, django_assert_max_num_queries
):
    for n in range(10):
        org = factories.make_organization(name=f"Source {n}")
        factories.grant(people.manager, org, MANAGER)
        factories.make_tokens(org, 3, prefix=f"S{n}")
        move(people.manager, [f"S{n}-00000{i}" for i in range(3)], "ORG-EAST")

    with django_assert_max_num_queries(10):
        response = manager_client.get(HISTORY_URL)

    assert len(response.context["rows"]) == 10


# --- detail ---------------------------------------------------------------------------


def test_detail_shows_who_when_from_to_note_and_every_token(manager_client, people, east):
    factories.make_token(people.org, "TKN-1", part=factories.make_part(cloud_plan="Fleet Plan"))
    factories.make_token(people.org, "TKN-2")
    record = move(people.manager, ["TKN-1", "TKN-2"], "ORG-EAST", note="Depot move")

    response = manager_client.get(f"/inventory/transfers/{record.pk}/")

    page = text(response)
    assert response.status_code == 200
    for shown in ("manager", "Acme Charging", "Acme East (ORG-EAST)", "Depot move", "Fleet Plan"):
        assert shown in page
    assert [item.token.serial for item in response.context["page"]] == ["TKN-1", "TKN-2"]


def test_detail_links_to_the_table_filtered_on_the_moved_tokens(manager_client, people, east):
    factories.make_tokens(people.org, 2, prefix="L")
    record = move(people.manager, ["L-000000", "L-000001"], "ORG-EAST")

    response = manager_client.get(f"/inventory/transfers/{record.pk}/")

    assert response.context["table_url"] == (
        "/inventory/port-tokens/?filter=token_sn%3Ais%3AL-000000"
        "&filter=token_sn%3Ais%3AL-000001&match=any"
    )


def test_detail_of_a_large_transfer_links_to_the_destination(manager_client, people, east):
    factories.make_tokens(people.org, 21, prefix="BIG")
    record = move(people.manager, [f"BIG-{n:06d}" for n in range(21)], "ORG-EAST")

    response = manager_client.get(f"/inventory/transfers/{record.pk}/")

    assert response.context["table_url"] == "/inventory/port-tokens/?filter=org_id%3Ais%3AORG-EAST"
    assert "too many tokens to name them all" in text(response)


def test_detail_pages_through_a_large_transfer(manager_client, people, east):
    factories.make_tokens(people.org, 150, prefix="BIG")
    record = move(people.manager, [f"BIG-{n:06d}" for n in range(150)], "ORG-EAST")

    second = manager_client.get(f"/inventory/transfers/{record.pk}/", {"page": "2"})

    assert len(second.context["page"]) == 50
    assert "Tokens 101–150 of 150" in text(second)


def test_detail_page_needs_a_bounded_number_of_queries(
    manager_client, people, east, django_assert_max_num_queries
):
    serials = []
    for n in range(5):
        org = factories.make_organization(name=f"Source {n}")
        factories.grant(people.manager, org, MANAGER)
        factories.make_tokens(org, 20, prefix=f"S{n}", part=factories.make_part())
        serials += [f"S{n}-{i:06d}" for i in range(20)]
    record = move(people.manager, serials, "ORG-EAST")

    with django_assert_max_num_queries(8):
        response = manager_client.get(f"/inventory/transfers/{record.pk}/")

    assert len(response.context["page"]) == 100


def test_detail_is_404_for_someone_on_neither_side(outsider_client, people, east):
    factories.make_token(people.org, "TKN-1")
    record = move(people.manager, ["TKN-1"], "ORG-EAST")

    response = outsider_client.get(f"/inventory/transfers/{record.pk}/")

    assert response.status_code == 404


def test_detail_is_shown_to_a_member_of_the_destination_only(people, east):
    factories.make_token(people.org, "TKN-1")
    record = move(people.manager, ["TKN-1"], "ORG-EAST")
    east_member = factories.make_user("east-member")
    factories.grant(east_member, east, Membership.Role.VIEWER)
    member = Client()
    member.force_login(east_member)

    assert member.get(f"/inventory/transfers/{record.pk}/").status_code == 200


def test_detail_of_a_missing_transfer_is_404(manager_client, people):
    assert manager_client.get("/inventory/transfers/999999/").status_code == 404


# --- admin ----------------------------------------------------------------------------


def test_admin_shows_history_read_only_without_delete(client, people, east):
    factories.make_token(people.org, "TKN-1")
    record = move(people.manager, ["TKN-1"], "ORG-EAST", note="kept")
    client.force_login(factories.make_superuser())
    change_url = f"/admin/inventory/transfer/{record.pk}/change/"

    change_page = client.get(change_url)
    changed = client.post(change_url, {"note": "rewritten"})
    delete_page = client.get(f"/admin/inventory/transfer/{record.pk}/delete/")
    item_delete = client.get(f"/admin/inventory/transferitem/{record.items.get().pk}/delete/")
    changelist = client.get("/admin/inventory/transfer/")

    assert change_page.status_code == 200
    assert 'name="_save"' not in text(change_page)
    assert changed.status_code == 403
    assert delete_page.status_code == 403
    assert item_delete.status_code == 403
    assert "delete_selected" not in text(changelist)
    assert Transfer.objects.get(pk=record.pk).note == "kept"


def test_source_member_sees_only_the_tokens_that_left_their_organization(client, db):
    """A transfer out of two organizations: a member of only one of them must not learn
    the serials of the other's tokens, on the page or in the link to the table."""
    west = factories.make_organization("ORG-W", "Acme West")
    north = factories.make_organization("ORG-N", "Acme North")
    east = factories.make_organization("ORG-E", "Acme East")
    boss = factories.make_superuser("boss")
    factories.make_token(west, serial="TKN-WEST-1")
    factories.make_token(north, serial="TKN-NORTH-1")
    record = transfer_tokens(user=boss, serials=["TKN-WEST-1", "TKN-NORTH-1"], to_org="ORG-E")
    west_only = factories.make_user("westie")
    factories.grant(west_only, west, Membership.Role.VIEWER)
    east_member = factories.make_user("eastie")
    factories.grant(east_member, east, Membership.Role.VIEWER)

    client.force_login(west_only)
    page = text(client.get(f"/inventory/transfers/{record.pk}/"))
    assert "TKN-WEST-1" in page
    assert "TKN-NORTH-1" not in page

    client.force_login(east_member)
    page = text(client.get(f"/inventory/transfers/{record.pk}/"))
    assert "TKN-WEST-1" in page and "TKN-NORTH-1" in page


# --- naming organizations -------------------------------------------------------------
# A reader sees a transfer because it touches one of their organizations; every other
# organization on it reads "another organization", its name and Org ID nowhere in the page.


@pytest.fixture
def two_source_transfer(people):
    """Tokens of Acme Charging (the viewer's) and of Northgate Fleet (nobody's in
    `people`) moved by a superuser into Other Networks (the outsider's)."""
    northgate = factories.make_organization("ORG-NORTHGATE", "Northgate Fleet")
    factories.make_token(people.org, "TKN-ACME-1")
    factories.make_token(northgate, "TKN-NORTH-1")
    return move(factories.make_superuser("boss"), ["TKN-ACME-1", "TKN-NORTH-1"], "ORG-OTHER")


def pages_of(client, record) -> list[str]:
    return [
        text(client.get(HISTORY_URL)),
        text(client.get(f"/inventory/transfers/{record.pk}/")),
    ]


def test_member_of_one_source_reads_no_other_organization_on_list_or_detail(
    viewer_client, people, two_source_transfer
):
    listing, detail = pages_of(viewer_client, two_source_transfer)

    for page in (listing, detail):
        for foreign in ("Northgate Fleet", "ORG-NORTHGATE", "Other Networks", "ORG-OTHER"):
            assert foreign not in page
        assert "Acme Charging" in page
    assert "<td>Acme Charging and another organization</td>" in listing
    assert "<td>another organization</td>" in listing
    assert "<dd>Acme Charging, another organization</dd>" in detail
    assert "<dd>another organization</dd>" in detail


def test_member_of_the_destination_only_reads_no_source_organization(
    outsider_client, people, two_source_transfer
):
    listing, detail = pages_of(outsider_client, two_source_transfer)

    for page in (listing, detail):
        for foreign in ("Acme Charging", "ORG-ACME", "Northgate Fleet", "ORG-NORTHGATE"):
            assert foreign not in page
        assert "Other Networks" in page
    assert "<td>2 other organizations</td>" in listing
    assert "<dd>2 other organizations</dd>" in detail
    assert detail.count("<td>another organization</td>") == 2
    assert "TKN-ACME-1" in detail and "TKN-NORTH-1" in detail


def test_one_foreign_source_reads_another_organization_in_the_list(outsider_client, people):
    factories.make_token(people.org, "TKN-1")
    move(factories.make_superuser(), ["TKN-1"], "ORG-OTHER")

    response = outsider_client.get(HISTORY_URL)

    assert [row.sources for row in response.context["rows"]] == ["another organization"]
    assert "Acme Charging" not in text(response)


def test_superuser_reads_every_organization(client, people, two_source_transfer):
    client.force_login(factories.make_superuser())

    listing, detail = pages_of(client, two_source_transfer)

    assert "<td>Acme Charging and Northgate Fleet</td>" in listing
    assert "<td>Other Networks</td>" in listing
    assert "<dd>Acme Charging, Northgate Fleet</dd>" in detail
    assert "Other Networks (ORG-OTHER)" in detail
    assert 'Northgate Fleet <span class="help-text">(ORG-NORTHGATE)</span>' in detail
    assert "another organization" not in listing + detail


def test_history_filter_offers_only_the_readers_organizations(
    viewer_client, people, two_source_transfer
):
    response = viewer_client.get(HISTORY_URL)

    options = re.findall(r'<option value="([^"]*)"', text(response))
    assert options == ["", "ORG-ACME"]


def test_member_of_a_source_gets_no_link_to_the_destination_in_the_table(viewer_client, people):
    """The moved tokens are in an organization the reader cannot see: a link to them would
    show nothing, and for a large transfer it would carry the destination's Org ID."""
    factories.make_tokens(people.org, 21, prefix="BIG")
    record = move(factories.make_superuser(), [f"BIG-{n:06d}" for n in range(21)], "ORG-OTHER")

    response = viewer_client.get(f"/inventory/transfers/{record.pk}/")

    page = text(response)
    assert "ORG-OTHER" not in page
    assert "in the Port Tokens table</a>" not in page
    assert "no longer appear in your Port Tokens table" in page
