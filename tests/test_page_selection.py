"""Selecting rows of the Port Tokens table for a transfer: which checkboxes are enabled,
why the others are disabled, the form they sit in, and "Select all N matching"."""

import re

import pytest

from inventory.models import Membership
from tests import factories
from tests.helpers import PAGE, get, links, org_of, page_html, query_of

TRANSFER = "/inventory/port-tokens/transfer/"


def row_checkbox(text: str, serial: str) -> str:
    row = re.search(rf'<tr[^>]*data-token="{re.escape(serial)}".*?</tr>', text, re.S).group(0)
    return re.search(r'<td class="select-col">(.*?)</td>', row, re.S).group(1)


def test_manager_may_select_new_and_available_tokens_on_no_evse(manager_client, people):
    factories.make_token(people.org, "T-NEW", status="New")
    factories.make_token(people.org, "T-AVAILABLE", status="Available")

    text = page_html(manager_client.get(PAGE))

    for serial in ("T-NEW", "T-AVAILABLE"):
        box = row_checkbox(text, serial)
        assert f'name="token" value="{serial}"' in box
        assert "disabled" not in box


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": "Active", "evse": "make"}, "Active tokens cannot be transferred"),
        ({"status": "Expired"}, "Expired tokens cannot be transferred"),
        ({"status": "Available", "evse": "make"}, "Applied to an EVSE"),
    ],
)
def test_tokens_that_cannot_move_have_a_disabled_checkbox_saying_why(
    manager_client, people, fields, reason
):
    if fields.get("evse") == "make":
        fields["evse"] = factories.make_evse(organization=people.org)
    factories.make_token(people.org, "T-1", **fields)

    box = row_checkbox(page_html(manager_client.get(PAGE)), "T-1")

    assert "disabled" in box
    assert f'title="{reason}"' in box
    assert 'name="token"' not in box


def test_viewer_cannot_select_tokens_of_an_organization_they_do_not_manage(viewer_client, people):
    factories.make_token(people.org, "T-1", status="New")

    box = row_checkbox(page_html(viewer_client.get(PAGE)), "T-1")

    assert 'title="You are not a manager of Acme Charging"' in box
    assert "disabled" in box


def test_selection_works_whatever_columns_are_visible(manager_client, people):
    factories.make_token(people.org, "T-1", status="New")
    factories.make_token(people.org, "T-2", status="Active")

    text = page_html(get(manager_client, columns="renewal_owner"))

    assert 'name="token" value="T-1"' in row_checkbox(text, "T-1")
    assert "Active tokens cannot be transferred" in row_checkbox(text, "T-2")


# --- the selection survives paging (kept in the session) ----------------------------------


def select(client, url, *, shown, checked, action="update", **headers):
    """Post the table's selection form as the page at `url` sends it: the page's
    selectable rows (`shown`) and those left checked."""
    return client.post(url, {"selection": action, "shown": shown, "token": checked}, **headers)


def select_one(client, url, serial, **options):
    """Check just `serial`, the one row the page at `url` is said to show."""
    return select(client, url, shown=[serial], checked=[serial], **options)


def selected_on(client, url) -> list[str]:
    """The Token S/Ns whose checkbox the page at `url` shows checked."""
    text = page_html(client.get(url))
    return re.findall(r'name="token" value="([^"]+)" aria-label="[^"]*" checked>', text)


def selection_count(client, url) -> str:
    text = page_html(client.get(url))
    return re.search(r"data-selection-count[^>]*>([^<]*)<", text).group(1)


def test_rows_sit_in_a_post_form_to_the_same_view(manager_client, people):
    factories.make_tokens(people.org, 3)
    url = f"{PAGE}?filter=status:is:New&sort=-token_sn"

    text = page_html(manager_client.get(url))

    form = re.search(r'<form id="token-selection"[^>]*>', text).group(0)
    assert 'method="post"' in form
    assert f'action="{url}"' in form
    assert re.findall(r'name="shown" value="([^"]+)"', text) == [
        "BULK-000002",
        "BULK-000001",
        "BULK-000000",
    ]
    assert re.search(r'name="selection" value="transfer"[^>]*>Transfer selected</button>', text)


def test_checked_rows_survive_paging(manager_client, people):
    factories.make_tokens(people.org, 30)
    first, second = f"{PAGE}?per_page=25", f"{PAGE}?per_page=25&page=2"
    page_one = [f"BULK-{n:06d}" for n in range(25)]
    page_two = [f"BULK-{n:06d}" for n in range(25, 30)]

    response = select(manager_client, first, shown=page_one, checked=["BULK-000003"])
    assert response.status_code == 303
    assert response["Location"] == f"{first}#selection"
    select(manager_client, second, shown=page_two, checked=["BULK-000027", "BULK-000028"])

    assert selected_on(manager_client, first) == ["BULK-000003"]
    assert selected_on(manager_client, second) == ["BULK-000027", "BULK-000028"]
    assert selection_count(manager_client, first) == "3 selected"


def test_unchecking_rows_of_one_page_keeps_the_other_pages_selection(manager_client, people):
    factories.make_tokens(people.org, 30)
    first, second = f"{PAGE}?per_page=25", f"{PAGE}?per_page=25&page=2"
    page_one = [f"BULK-{n:06d}" for n in range(25)]
    page_two = [f"BULK-{n:06d}" for n in range(25, 30)]
    select(manager_client, first, shown=page_one, checked=page_one[:2])
    select(manager_client, second, shown=page_two, checked=page_two[:1])

    select(manager_client, first, shown=page_one, checked=page_one[1:2])

    assert selected_on(manager_client, first) == ["BULK-000001"]
    assert selected_on(manager_client, second) == ["BULK-000025"]


def test_the_selection_survives_sorting_and_filtering(manager_client, people):
    factories.make_tokens(people.org, 3)
    select_one(manager_client, PAGE + "?view=", "BULK-000000")

    assert selected_on(manager_client, f"{PAGE}?sort=-token_sn") == ["BULK-000000"]
    assert selection_count(manager_client, f"{PAGE}?filter=token_sn:is:BULK-000002") == (
        "1 selected"
    )


def test_clear_empties_the_selection(manager_client, people):
    factories.make_tokens(people.org, 3)
    select_one(manager_client, PAGE, "BULK-000000")

    response = select(manager_client, PAGE, shown=[], checked=[], action="clear")

    assert response.status_code == 303
    assert selected_on(manager_client, PAGE) == []
    assert selection_count(manager_client, PAGE) == ""


def test_the_selection_belongs_to_the_session(manager_client, client, people):
    factories.make_tokens(people.org, 3)
    select_one(manager_client, PAGE, "BULK-000000")

    other = type(client)()
    other.force_login(people.manager)

    assert selected_on(other, PAGE) == []


def test_a_row_that_is_not_on_the_page_is_not_selected_by_its_form(manager_client, people):
    factories.make_tokens(people.org, 3)

    select(manager_client, PAGE, shown=["BULK-000000"], checked=["BULK-000001"])

    assert selected_on(manager_client, PAGE) == []


def test_the_script_gets_the_count_and_the_export_links_of_every_selected_row(
    manager_client, people
):
    factories.make_tokens(people.org, 30)
    select_one(manager_client, f"{PAGE}?per_page=25&page=2", "BULK-000026")

    response = select_one(
        manager_client,
        f"{PAGE}?per_page=25&columns=token_sn,status",
        "BULK-000001",
        HTTP_ACCEPT="application/json",
    )

    answer = response.json()
    assert answer["count"] == 2
    assert answer["text"] == "2 selected"
    csv, xlsx = answer["export_links"]
    assert csv["label"] == "Export selected rows (CSV)"
    assert query_of(csv["url"]) == [
        ("format", "csv"),
        ("scope", "visible"),
        ("columns", "token_sn,status"),
        ("token", "BULK-000026"),
        ("token", "BULK-000001"),
    ]
    assert xlsx["label"] == "Export selected rows (XLSX)"


def test_export_menu_offers_the_selected_rows_up_to_its_limit(manager_client, people, monkeypatch):
    factories.make_tokens(people.org, 3)
    select(
        manager_client,
        PAGE,
        shown=["BULK-000000", "BULK-000001"],
        checked=["BULK-000000", "BULK-000001"],
    )
    assert len(links(manager_client.get(PAGE), "Export selected rows (CSV)")) == 1

    monkeypatch.setattr("inventory.views.selection.EXPORT_SELECTED_LIMIT", 1)

    assert links(manager_client.get(PAGE), "Export selected rows (CSV)") == []


def test_a_serial_with_separators_stays_whole_from_the_table_to_the_transfer(
    manager_client, people
):
    odd = "CPT 7|B,C;D"
    factories.make_token(people.org, odd)
    factories.make_token(people.org, "T-PLAIN")
    east = factories.make_organization("ORG-EAST", "Acme East")
    factories.grant(people.manager, east, Membership.Role.MANAGER)
    select(manager_client, PAGE, shown=[odd, "T-PLAIN"], checked=[odd, "T-PLAIN"])

    form = manager_client.get(TRANSFER + "?selected=1")
    assert form.context["form"]["token_sns"].value() == "T-PLAIN"
    assert form.context["listed_apart"] == [odd]

    response = manager_client.post(
        TRANSFER,
        {"token_sns": "T-PLAIN", "token": [odd], "to_org": "ORG-EAST", "action": "transfer"},
    )

    assert response.status_code == 303
    assert org_of(odd) == "ORG-EAST"
    assert org_of("T-PLAIN") == "ORG-EAST"
    # Moved, so no longer selected.
    assert selection_count(manager_client, PAGE) == ""


def test_a_selection_holds_at_most_one_transfer(manager_client, people, monkeypatch):
    monkeypatch.setattr("inventory.selection.MAX_SELECTED", 2)
    factories.make_tokens(people.org, 3)
    serials = ["BULK-000000", "BULK-000001", "BULK-000002"]

    response = select(manager_client, PAGE, shown=serials, checked=serials)

    text = page_html(manager_client.get(response["Location"]))
    assert "A selection holds at most 2 tokens, as many as one transfer moves; 1 were" in text
    assert selected_on(manager_client, PAGE) == serials[:2]


# --- Transfer selected -------------------------------------------------------------------


def test_transfer_selected_opens_the_form_with_the_selection_of_every_page(manager_client, people):
    factories.make_tokens(people.org, 30)
    select_one(manager_client, f"{PAGE}?per_page=25&page=2", "BULK-000027")

    response = select_one(manager_client, f"{PAGE}?per_page=25", "BULK-000001", action="transfer")

    assert response.status_code == 303
    assert response["Location"] == TRANSFER + "?selected=1"
    form = manager_client.get(response["Location"])
    assert form.context["form"]["token_sns"].value() == "BULK-000027\nBULK-000001"


def test_transfer_with_nothing_selected_stays_on_the_table_and_says_why(manager_client, people):
    factories.make_tokens(people.org, 2)

    response = select(manager_client, PAGE, shown=["BULK-000000"], checked=[], action="transfer")

    assert response.status_code == 303
    assert response["Location"].startswith(PAGE)
    assert "Select at least one token to transfer" in page_html(manager_client.get(PAGE))


def test_transfer_button_says_why_it_cannot_start_yet(manager_client, people):
    factories.make_tokens(people.org, 2)

    text = page_html(manager_client.get(PAGE))

    button = re.search(r"<button[^>]*data-transfer-button[^>]*>", text).group(0)
    # Without the script the button still works (it saves the page's checks first); the
    # script marks it disabled while nothing is selected.
    assert 'aria-describedby="transfer-hint"' in button
    hint = re.search(r'<span class="transfer-hint" id="transfer-hint"[^>]*>([^<]*)<', text)
    assert hint.group(1) == (
        "Select tokens to transfer: New or Available tokens applied to no EVSE, in an "
        "organization you manage."
    )


def test_transfer_button_is_ready_once_something_is_selected(manager_client, people):
    factories.make_tokens(people.org, 2)
    select_one(manager_client, PAGE, "BULK-000000")

    text = page_html(manager_client.get(PAGE))

    assert re.search(
        r'<span class="transfer-hint" id="transfer-hint" data-transfer-hint hidden>', text
    )


def test_a_viewer_is_told_that_only_a_manager_can_transfer(viewer_client, people):
    factories.make_tokens(people.org, 2)

    text = page_html(viewer_client.get(PAGE))

    assert "Only a manager of an organization can transfer its tokens; you manage none." in text


# --- Select all N matching ---------------------------------------------------------------


def select_all_offer(response) -> str:
    text = page_html(response)
    offer = re.search(r'<p class="select-all-matching"[^>]*>(.*?)</p>', text, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", offer.group(1)).split()) if offer else ""


#: Filters that every token passes, the first answered by the kept counts, the second
#: only by reading the tokens (the summary then counts the movable ones in its pass).
EVERY_TOKEN = [(), ("renewal_owner:not_contains:zzz",)]


@pytest.mark.parametrize("filters", EVERY_TOKEN)
def test_select_all_matching_counts_only_tokens_that_can_move_and_says_why(
    manager_client, people, filters
):
    factories.make_tokens(people.org, 27, prefix="NEW")
    factories.make_tokens(people.org, 3, prefix="ACT", status="Active")
    factories.make_token(people.org, "ON-EVSE", evse=factories.make_evse(organization=people.org))
    factories.make_tokens(people.other_org, 2, prefix="FOREIGN")  # not visible at all

    response = get(manager_client, *filters, per_page=25)

    assert select_all_offer(response) == (
        "Select all 27 matching tokens that can move "
        "4 cannot move: 3 Active or Expired, 1 applied to an EVSE."
    )


@pytest.mark.parametrize("filters", EVERY_TOKEN)
def test_select_all_matching_counts_within_the_chosen_status(manager_client, people, filters):
    factories.make_tokens(people.org, 26, prefix="NEW")
    factories.make_tokens(people.org, 4, prefix="AVL", status="Available")
    factories.make_tokens(people.org, 3, prefix="ACT", status="Active")
    factories.make_token(people.org, "ON-EVSE", evse=factories.make_evse(organization=people.org))

    response = get(manager_client, *filters, "status:is:New", per_page=25)

    assert select_all_offer(response) == (
        "Select all 26 matching tokens that can move 1 cannot move: 1 applied to an EVSE."
    )


def test_select_all_matching_takes_only_the_tokens_that_can_move(manager_client, people):
    for _ in range(30):
        factories.make_token(people.org, renewal_owner="alice")
    factories.make_token(people.org, "T-ACTIVE", status="Active", renewal_owner="alice")
    factories.make_token(people.org, "T-BOB", renewal_owner="bob")
    url = f"{PAGE}?filter=renewal_owner:is:alice&per_page=25"

    response = manager_client.post(url, {"selection": "all_matching"})

    assert response.status_code == 303
    assert "Selected all 30 matching tokens that can move." in page_html(manager_client.get(url))
    assert selection_count(manager_client, url) == "30 selected"
    form = manager_client.get(TRANSFER + "?selected=1")
    listed = form.context["form"]["token_sns"].value().split()
    assert len(listed) == 30
    assert "T-ACTIVE" not in listed and "T-BOB" not in listed


@pytest.mark.parametrize("filters", EVERY_TOKEN)
def test_select_all_matching_is_not_offered_above_the_selection_limit(
    manager_client, people, monkeypatch, filters
):
    monkeypatch.setattr("inventory.views.selection.MAX_SELECTED", 29)
    factories.make_tokens(people.org, 30)

    offer = select_all_offer(get(manager_client, *filters, per_page=25))

    assert offer == (
        "More than 29 matching tokens can move; narrow the filters to select them all at once."
    )


def test_select_all_matching_is_not_offered_when_everything_is_on_the_page(manager_client, people):
    factories.make_token(people.org)

    assert select_all_offer(manager_client.get(PAGE)) == ""


def test_select_all_matching_says_when_none_can_move(manager_client, people):
    factories.make_tokens(people.org, 30, status="Expired")

    assert select_all_offer(get(manager_client, per_page=25)) == ""
    text = page_html(get(manager_client, per_page=25))
    assert "None of the tokens on this page can move" in text
