"""Saved views (SPEC "Saved views"): saving, opening, sharing, the owner's changes, the
default view a plain visit opens, and the Views menu of the table, through HTTP.

People: the manager of Acme owns the views; the viewer of Acme reads what is shared with
Acme; the outsider manages another organization."""

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import DataError, IntegrityError, transaction
from django.test import Client

from inventory.models import Membership, PortToken, SavedView
from tests import factories
from tests.helpers import PAGE, page_html, shown_serials

LIST = "/inventory/views/"


def save(client, name="Acme new tokens", query="filter=status:is:New", share_with="", **extra):
    return client.post(LIST, {"name": name, "query": query, "share_with": share_with, **extra})


def saved(client, **fields) -> SavedView:
    response = save(client, **fields)
    assert response.status_code == 303, page_html(response)
    return SavedView.objects.get(
        pk=re.fullmatch(r"/inventory/views/(\d+)/", response["Location"])[1]
    )


def route(view: SavedView, action: str = "") -> str:
    return f"{LIST}{view.pk}/" + (f"{action}/" if action else "")


def location_query(response) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(response["Location"]).query, keep_blank_values=True)


def text_of(response) -> str:
    """The page as text, whatever its status (a refused form answers 400)."""
    return html.unescape(response.content.decode())


def errors(response) -> list[str]:
    """The form errors a page shows."""
    return re.findall(r'<p class="form-error" role="alert">([^<]*)</p>', text_of(response))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Each person has a client of their own: one test often has two people take turns.
@pytest.fixture
def as_manager(people) -> Client:
    return signed_in(people.manager)


@pytest.fixture
def as_viewer(people) -> Client:
    return signed_in(people.viewer)


@pytest.fixture
def as_outsider(people) -> Client:
    return signed_in(people.outsider)


@pytest.fixture
def shared_view(as_manager, people) -> SavedView:
    return saved(as_manager, name="Acme backlog", share_with=people.org.org_id)


@pytest.fixture
def private_view(as_manager) -> SavedView:
    return saved(as_manager, name="My private audit")


# --- saving and opening -------------------------------------------------------------------


def test_saving_answers_303_to_the_view_and_the_view_opens_the_table_with_its_state(
    as_manager, people
):
    response = save(as_manager, query="filter=status:is:New&sort=-token_sn&per_page=100")
    view = SavedView.objects.get(owner=people.manager)
    assert response.status_code == 303
    assert response["Location"] == route(view)

    opened = as_manager.get(route(view))
    assert opened.status_code == 302
    assert urlsplit(opened["Location"]).path == PAGE
    assert location_query(opened) == [
        ("filter", "status:is:New"),
        ("sort", "-token_sn"),
        ("per_page", "100"),
        ("view", str(view.pk)),
    ]


def test_the_page_and_the_open_view_marker_are_not_saved_with_the_state(as_manager):
    view = saved(as_manager, query="?filter=status:is:New&page=3&view=99")
    assert view.query == "filter=status%3Ais%3ANew"


def test_a_view_of_the_whole_table_url_is_saved_as_its_query(as_manager):
    view = saved(as_manager, query="http://testserver/inventory/port-tokens/?sort=org_name")
    assert view.query == "sort=org_name"


@pytest.mark.parametrize(
    "query",
    [
        "token=TKN-1&format=csv",
        "/inventory/transfers/?org=ORG-ACME",
        "https://elsewhere.example/inventory/views/?filter=status:is:New",
        "f_key=status&f_op=is&f_value=New",
    ],
)
def test_a_query_that_is_not_a_table_query_is_a_form_error_and_saves_nothing(as_manager, query):
    response = save(as_manager, query=query)
    assert response.status_code == 400
    assert any("not a table query" in error for error in errors(response))
    assert not SavedView.objects.exists()


def test_a_bad_piece_of_a_table_query_is_kept_for_the_table_to_explain(as_manager):
    view = saved(as_manager, query="filter=status:is:New&sort=nonsense")
    assert view.query == "filter=status%3Ais%3ANew&sort=nonsense"


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the view a name."),
        ("   ", "Give the view a name."),
        ("x" * 101, "A view's name is at most 100 characters; this one has 101."),
    ],
)
def test_a_name_must_have_1_to_100_characters(as_manager, name, message):
    response = save(as_manager, name=name)
    assert response.status_code == 400
    assert message in errors(response)
    assert not SavedView.objects.exists()


def test_a_name_of_100_characters_is_saved_without_surrounding_spaces(as_manager):
    assert saved(as_manager, name=f"  {'x' * 100}  ").name == "x" * 100


def test_a_name_is_unique_per_owner_whatever_its_case(as_manager, people):
    saved(as_manager, name="Acme backlog")
    response = save(as_manager, name="ACME BACKLOG")
    assert response.status_code == 400
    assert (
        "You already have a view named “ACME BACKLOG”: choose another name, or update that view."
        in errors(response)
    )
    assert SavedView.objects.filter(owner=people.manager).count() == 1


def test_another_user_may_use_a_name_already_taken_by_someone_else(as_manager, as_outsider, people):
    saved(as_manager, name="Backlog")
    assert saved(as_outsider, name="Backlog").owner == people.outsider


def test_a_failed_save_shows_the_form_again_with_what_was_typed(as_manager):
    response = save(as_manager, name="x" * 101, query="filter=status:is:New")
    text = text_of(response)
    assert 'value="filter=status:is:New"' in text
    assert f'value="{"x" * 101}"' in text


# --- sharing --------------------------------------------------------------------------------


def test_a_view_can_be_shared_only_with_an_organization_the_user_manages(as_viewer, people):
    # The viewer belongs to Acme but does not manage it.
    response = save(as_viewer, share_with=people.org.org_id)
    assert response.status_code == 400
    assert not SavedView.objects.exists()


def test_sharing_with_another_or_an_unknown_organization_reads_the_same(as_manager, people):
    elsewhere = errors(save(as_manager, share_with=people.other_org.org_id))
    unknown = errors(save(as_manager, share_with="ORG-NOBODY"))
    assert elsewhere == [e.replace("ORG-NOBODY", people.other_org.org_id) for e in unknown]
    assert "You can share a view only with an organization you manage" in elsewhere[0]
    assert not SavedView.objects.exists()


def test_a_member_of_the_shared_organization_can_open_it_and_sees_who_shared_it(
    as_viewer, shared_view
):
    assert as_viewer.get(route(shared_view)).status_code == 302
    text = page_html(as_viewer.get(LIST))
    assert "Acme backlog" in text
    assert "Shared by manager" in text
    assert "Acme Charging" in text


def test_a_member_of_another_organization_gets_404_for_a_shared_view(as_outsider, shared_view):
    assert as_outsider.get(route(shared_view)).status_code == 404
    for action in ("edit", "delete", "default"):
        assert as_outsider.post(route(shared_view, action)).status_code == 404
    assert "Acme backlog" not in page_html(as_outsider.get(LIST))


def test_a_private_view_is_404_for_everyone_but_its_owner(client, people, private_view):
    for reader in (people.viewer, people.outsider):
        client.force_login(reader)
        assert client.get(route(private_view)).status_code == 404
        assert client.post(route(private_view, "delete")).status_code == 404
        assert "My private audit" not in page_html(client.get(LIST))


def test_a_reader_of_a_shared_view_may_not_change_it(as_viewer, shared_view):
    for action in ("edit", "delete", "default"):
        assert as_viewer.post(route(shared_view, action), {"name": "Mine"}).status_code == 403
    shared_view.refresh_from_db()
    assert shared_view.name == "Acme backlog"
    assert shared_view.is_default is False


def test_a_view_that_does_not_exist_is_404(as_manager):
    assert as_manager.get(f"{LIST}999999/").status_code == 404
    assert as_manager.post(f"{LIST}999999/edit/").status_code == 404


def test_a_shared_view_shows_each_reader_only_their_tokens(as_manager, as_viewer, people):
    # The owner manages both organizations; the viewer belongs to Acme only.
    factories.grant(people.manager, people.other_org, Membership.Role.MANAGER)
    factories.make_token(people.org, "ACME-1")
    factories.make_token(people.other_org, "OTHER-1")
    view = saved(as_manager, name="Every new token", share_with=people.org.org_id)

    owner_sees = shown_serials(as_manager.get(route(view), follow=True))
    reader_sees = shown_serials(as_viewer.get(route(view), follow=True))
    assert owner_sees == ["ACME-1", "OTHER-1"]
    assert reader_sees == ["ACME-1"]


def test_unsharing_a_view_takes_it_away_from_its_readers(as_manager, as_viewer, shared_view):
    response = as_manager.post(route(shared_view, "edit"), {"share_with": ""})
    assert response.status_code == 303
    assert as_viewer.get(route(shared_view)).status_code == 404
    assert "Acme backlog" not in page_html(as_viewer.get(PAGE))


def test_a_deleted_view_disappears_for_its_owner_and_its_readers(
    as_manager, as_viewer, shared_view
):
    response = as_manager.post(route(shared_view, "delete"))
    assert response.status_code == 303
    assert response["Location"] == LIST
    assert as_manager.get(route(shared_view)).status_code == 404
    assert as_viewer.get(route(shared_view)).status_code == 404
    assert "Acme backlog" not in page_html(as_viewer.get(LIST))


def test_a_manager_who_lost_the_organization_cannot_keep_sharing_with_it(
    as_manager, people, shared_view
):
    Membership.objects.filter(user=people.manager).update(role=Membership.Role.VIEWER)
    response = as_manager.post(route(shared_view, "edit"), {"name": "Renamed"})
    assert response.status_code == 400
    assert any("only with an organization you manage" in error for error in errors(response))


# --- the owner's changes ------------------------------------------------------------------------


def test_updating_with_the_current_view_changes_only_the_state(as_manager, shared_view):
    response = as_manager.post(
        route(shared_view, "edit"),
        {"query": "filter=status:is:Available&columns=token_sn,status", "next": PAGE + "?x=1"},
    )
    assert response.status_code == 303
    assert response["Location"] == PAGE + "?x=1"
    shared_view.refresh_from_db()
    assert shared_view.query == "filter=status%3Ais%3AAvailable&columns=token_sn%2Cstatus"
    assert (shared_view.name, shared_view.shared_with.org_id) == ("Acme backlog", "ORG-ACME")


def test_renaming_to_a_name_the_owner_already_uses_is_a_form_error(as_manager, shared_view):
    saved(as_manager, name="Quarter end")
    response = as_manager.post(route(shared_view, "edit"), {"name": "quarter end"})
    assert response.status_code == 400
    assert any("already have a view named" in error for error in errors(response))
    shared_view.refresh_from_db()
    assert shared_view.name == "Acme backlog"


@pytest.mark.parametrize(
    "next_url", ["https://elsewhere.example/", "//elsewhere.example/x", "javascript:alert(1)", ""]
)
def test_only_a_local_next_is_followed(as_manager, private_view, next_url):
    response = as_manager.post(route(private_view, "default"), {"next": next_url})
    assert response.status_code == 303
    assert response["Location"] == LIST


@pytest.mark.parametrize("action", ["edit", "delete", "default"])
def test_changing_routes_answer_only_post(as_manager, private_view, action):
    assert as_manager.get(route(private_view, action)).status_code == 405


def test_opening_a_view_answers_only_get(as_manager, private_view):
    assert as_manager.post(route(private_view)).status_code == 405


def test_a_signed_out_visitor_is_sent_to_log_in(client, private_view):
    for response in (client.get(LIST), client.get(route(private_view))):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert client.post(route(private_view, "delete")).status_code == 302
    assert SavedView.objects.filter(pk=private_view.pk).exists()


# --- the default view ----------------------------------------------------------------------------


def test_a_plain_visit_opens_the_default_view(as_manager, private_view):
    response = as_manager.post(route(private_view, "default"), {"next": PAGE})
    assert response.status_code == 303
    plain = as_manager.get(PAGE)
    assert plain.status_code == 302
    assert plain["Location"] == as_manager.get(route(private_view))["Location"]
    # Any query string is a view of its own: it is shown as asked.
    assert as_manager.get(PAGE + "?sort=org_name").status_code == 200


def test_one_default_at_a_time(as_manager, private_view, shared_view):
    as_manager.post(route(private_view, "default"))
    as_manager.post(route(shared_view, "default"))
    assert list(SavedView.objects.filter(is_default=True)) == [shared_view]
    assert location_query(as_manager.get(PAGE))[-1] == ("view", str(shared_view.pk))


def test_clearing_the_default_shows_the_plain_table_again(as_manager, private_view):
    as_manager.post(route(private_view, "default"))
    response = as_manager.post(f"{LIST}default/clear/")
    assert response.status_code == 303
    assert as_manager.get(PAGE).status_code == 200


def test_a_deleted_default_view_is_forgotten(as_manager, private_view):
    as_manager.post(route(private_view, "default"))
    as_manager.post(route(private_view, "delete"))
    assert as_manager.get(PAGE).status_code == 200


def test_a_readers_plain_visit_is_not_the_owners_default(as_manager, as_viewer, shared_view):
    as_manager.post(route(shared_view, "default"))
    assert as_viewer.get(PAGE).status_code == 200


# --- opening on the table ------------------------------------------------------------------------


def test_a_view_whose_filter_became_invalid_opens_with_the_per_piece_message(as_manager, people):
    factories.make_token(people.org, "ACME-NEW", status=PortToken.Status.NEW)
    factories.make_token(people.org, "ACME-ACTIVE", status=PortToken.Status.ACTIVE)
    view = saved(as_manager, query="filter=status:is:New")
    # A column the view filtered on is gone: its filter can no longer be used.
    SavedView.objects.filter(pk=view.pk).update(
        query="filter=retired_column%3Ais%3Ax&filter=status%3Ais%3ANew"
    )
    response = as_manager.get(route(view), follow=True)
    text = page_html(response)
    assert "Filter 1 ignored" in text
    assert "retired_column" in text
    assert shown_serials(response) == ["ACME-NEW"]


def test_the_views_menu_lists_own_and_shared_views_and_marks_the_open_one(
    as_manager, as_viewer, people, shared_view
):
    mine = saved(as_viewer, name="Viewer's own")
    text = page_html(as_viewer.get(route(mine), follow=True))
    menu = text[text.index("data-views-menu") :]
    assert "Viewer's own" in menu
    assert "Acme backlog" in menu and "by manager · Acme Charging" in menu
    assert re.search(rf'href="{route(mine)}" class="is-current" aria-current="true"', menu)
    # The owner's actions are offered on the reader's own open view, not on a shared one.
    assert "Update with current view" in menu
    shared_text = page_html(as_viewer.get(route(shared_view), follow=True))
    assert "Update with current view" not in shared_text


def test_a_view_id_the_user_may_not_use_marks_nothing_and_tells_nothing(as_outsider, private_view):
    response = as_outsider.get(f"{PAGE}?view={private_view.pk}")
    assert response.status_code == 200
    assert "My private audit" not in page_html(response)
    assert as_outsider.get(f"{PAGE}?view=not-a-number").status_code == 200


def links_of_the_table(response) -> dict[str, list[str]]:
    """The table's own links by kind: sort headers, pager, chip removals, Clear all."""
    text = page_html(response)
    return {
        "sort": re.findall(r'<a class="sort-link" href="([^"]+)"', text),
        "pager": re.findall(r'<a class="button button-secondary" href="(\?[^"]+)"', text),
        "chips": re.findall(r'<a class="chip-remove" href="([^"]+)"', text),
        "clear_all": re.findall(r'<a class="chips-clear" href="([^"]+)"', text),
        "statuses": re.findall(r'<a class="status-tile[^"]*" href="([^"]+)"', text),
    }


def test_every_link_of_the_table_keeps_the_open_view_marked(as_manager, people):
    factories.make_tokens(people.org, 60)
    view = saved(as_manager, query="filter=status:is:New&filter=org_id:is:ORG-ACME")

    response = as_manager.get(route(view), follow=True)

    found = links_of_the_table(response)
    assert all(found[kind] for kind in found), found
    for kind, hrefs in found.items():
        for href in hrefs:
            assert ("view", str(view.pk)) in parse_qsl(href.lstrip("?")), (kind, href)
    menu = page_html(response)[page_html(response).index("data-views-menu") :]
    # Following one of them, the view is still the open one.
    moved = as_manager.get(PAGE + found["pager"][0])
    assert re.search(rf'href="{route(view)}" class="is-current"', page_html(moved))
    assert re.search(rf'href="{route(view)}" class="is-current"', menu)


def test_the_open_view_is_not_part_of_what_is_saved_exported_or_forecast(as_manager, people):
    factories.make_token(people.org)
    view = saved(as_manager, query="filter=status:is:New")

    text = page_html(as_manager.get(route(view), follow=True))

    hidden = re.search(r'<input type="hidden" name="query" value="([^"]*)">', text)[1]
    assert "view" not in dict(parse_qsl(hidden))
    export = re.search(r'href="(/inventory/port-tokens/export/[^"]+)"', text)[1]
    assert "view" not in dict(parse_qsl(urlsplit(export).query))
    renewals = re.search(r'href="(/inventory/renewals/[^"]*)"', text)[1]
    assert "view" not in dict(parse_qsl(urlsplit(renewals).query))


def test_clear_all_gives_the_plain_table_even_to_a_user_with_a_default_view(as_manager, people):
    factories.make_token(people.org, "ACME-NEW", status=PortToken.Status.NEW)
    factories.make_token(people.org, "ACME-ACTIVE", status=PortToken.Status.ACTIVE)
    view = saved(as_manager, query="filter=status:is:New")
    as_manager.post(route(view, "default"))

    filtered = as_manager.get(f"{PAGE}?filter=status:is:New")
    (clear_all,) = links_of_the_table(filtered)["clear_all"]

    assert clear_all == "?view="
    response = as_manager.get(PAGE + clear_all)
    assert response.status_code == 200
    assert sorted(shown_serials(response)) == ["ACME-ACTIVE", "ACME-NEW"]
    assert (
        'class="is-current"'
        not in page_html(response)[page_html(response).index("data-views-menu") :]
    )
    # A plain visit still opens the default view.
    assert as_manager.get(PAGE).status_code == 302


def test_removing_the_last_chip_gives_the_plain_table_too(as_manager, people):
    factories.make_token(people.org, "ACME-ACTIVE", status=PortToken.Status.ACTIVE)
    view = saved(as_manager, query="filter=status:is:New")
    as_manager.post(route(view, "default"))

    (remove,) = links_of_the_table(as_manager.get(f"{PAGE}?filter=status:is:New"))["chips"]

    assert remove == "?view="
    assert shown_serials(as_manager.get(PAGE + remove)) == ["ACME-ACTIVE"]


def test_a_view_id_the_user_may_not_use_is_dropped_from_the_links(as_outsider, private_view):
    response = as_outsider.get(f"{PAGE}?view={private_view.pk}&sort=org_name")

    for href in links_of_the_table(response)["sort"]:
        assert "view" not in dict(parse_qsl(href.lstrip("?")))


def test_save_view_in_the_menu_holds_the_current_state_with_its_columns(as_manager):
    response = as_manager.get(f"{PAGE}?filter=status:is:New&sort=org_name&page=1")
    hidden = re.search(r'<input type="hidden" name="query" value="([^"]*)">', page_html(response))
    assert dict(parse_qsl(hidden[1]))["sort"] == "org_name"
    assert dict(parse_qsl(hidden[1]))["filter"] == "status:is:New"
    assert "columns" in dict(parse_qsl(hidden[1]))
    assert "page" not in dict(parse_qsl(hidden[1]))


def test_the_list_page_says_which_view_is_the_default(as_manager, private_view):
    as_manager.post(route(private_view, "default"))
    text = page_html(as_manager.get(LIST))
    assert re.search(
        r"My private audit</a> <span class=\"badge badge-default\">Default</span>", text
    )


def test_the_list_page_says_what_each_view_shows(as_manager):
    saved(as_manager, query="filter=status:is:New&filter=org_name:contains:acme&sort=-org_name")
    saved(as_manager, name="Everything", query="")
    text = page_html(as_manager.get(LIST))
    assert "Status is New and Org Name contains acme; sorted by Org Name, descending" in text
    assert '<td class="saved-view-summary">Every token</td>' in text


# --- the database keeps the rules, whoever writes ------------------------------------------------


def test_the_database_refuses_a_second_name_differing_only_in_case(people):
    SavedView.objects.create(owner=people.manager, name="Backlog")
    with pytest.raises(IntegrityError), transaction.atomic():
        SavedView.objects.create(owner=people.manager, name="BACKLOG")


@pytest.mark.parametrize("name", ["", " \t\n", "x" * 101])
def test_the_database_refuses_a_blank_or_too_long_name(people, name):
    # PostgreSQL's column length refuses a long name before the check does (a DataError).
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        SavedView.objects.create(owner=people.manager, name=name)


def test_the_database_keeps_one_default_per_owner(people):
    SavedView.objects.create(owner=people.manager, name="One", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        SavedView.objects.create(owner=people.manager, name="Two", is_default=True)
