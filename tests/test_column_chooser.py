"""The Show/Hide Columns chooser: what it lists, where it posts, saving the choice (only on
its POST, per user), keeping the posted order, Show all and Reset to default."""

import re
from urllib.parse import urlencode

from django.test import Client

from inventory.columns import COLUMNS, DEFAULT_COLUMN_KEYS
from inventory.models import ColumnPreference
from tests import factories
from tests.helpers import PAGE, get, page_html, query_of, read_table


def test_column_chooser_lists_all_25_columns_with_the_visible_ones_checked(viewer_client):
    text = page_html(get(viewer_client, columns="status,token_sn"))

    chooser = re.search(r"<legend>Show/Hide Columns</legend>.*?</fieldset>", text, re.S).group(0)
    boxes = re.findall(r'name="col" value="(\w+)"( checked)?> ([^<]+)</label>', chooser)
    assert len(boxes) == 25
    assert [(key, bool(checked)) for key, checked, _ in boxes[:3]] == [
        ("status", True),
        ("token_sn", True),
        ("part_no", False),
    ]
    assert {label for _, _, label in boxes} == {column.label for column in COLUMNS}


def chooser_action(response) -> str:
    """The URL the column chooser posts to."""
    text = page_html(response)
    form = re.search(
        r'<form method="post" action="([^"]*)">\s*<input type="hidden" '
        r'name="csrfmiddlewaretoken"[^>]*>\s*<fieldset>\s*<legend>Show/Hide',
        text,
    )
    return PAGE + form.group(1)


def test_column_chooser_posts_to_the_same_view_of_the_table(viewer_client):
    response = get(viewer_client, "status:is:New", columns="status", page=2)

    assert query_of(chooser_action(response)) == [
        ("filter", "status:is:New"),
        ("columns", "status"),
    ]


def test_applying_the_chooser_saves_the_choice_and_shows_it(viewer_client, people):
    action = f"{PAGE}?{urlencode([('filter', 'status:is:New'), ('page', '3')])}"

    response = viewer_client.post(action, {"action": "apply", "col": ["status", "token_sn"]})

    assert response.status_code == 303
    assert query_of(response["Location"]) == [
        ("filter", "status:is:New"),
        ("columns", "status,token_sn"),
    ]
    assert ColumnPreference.objects.get(user=people.viewer).column_keys == "status,token_sn"


def test_applying_the_chooser_keeps_the_posted_order(viewer_client, people):
    factories.make_token(people.org)

    viewer_client.post(PAGE, {"action": "apply", "col": ["status", "org_id", "token_sn"]})
    headers, _ = read_table(viewer_client.get(PAGE))

    assert headers == ["Status", "Org ID", "Token S/N"]


def test_column_chooser_with_nothing_checked_keeps_the_columns_and_says_why(viewer_client, people):
    response = viewer_client.post(
        f"{PAGE}?columns=status", {"action": "apply", "col": []}, follow=True
    )

    assert "Choose at least one column" in page_html(response)
    assert response.redirect_chain[0][0] == f"{PAGE}?columns=status"
    assert not ColumnPreference.objects.filter(user=people.viewer).exists()


def test_column_chooser_ignores_unknown_keys(viewer_client, people):
    viewer_client.post(PAGE, {"action": "apply", "col": ["nope", "status", "status"]})

    assert ColumnPreference.objects.get(user=people.viewer).column_keys == "status"


def test_show_all_saves_all_25_columns_in_registry_order(viewer_client, people):
    response = viewer_client.post(f"{PAGE}?filter=status:is:New", {"action": "show_all"})

    all_keys = ",".join(c.key for c in COLUMNS)
    assert query_of(response["Location"]) == [("filter", "status:is:New"), ("columns", all_keys)]
    assert ColumnPreference.objects.get(user=people.viewer).column_keys == all_keys


def test_reset_to_default_forgets_the_choice_in_one_click(viewer_client, people):
    factories.make_token(people.org)
    viewer_client.post(PAGE, {"action": "apply", "col": ["status"]})

    response = viewer_client.post(f"{PAGE}?columns=status&sort=status", {"action": "reset"})
    headers, _ = read_table(viewer_client.get(response["Location"]))

    assert query_of(response["Location"]) == [("sort", "status")]
    assert not ColumnPreference.objects.filter(user=people.viewer).exists()
    labels = {column.key: column.label for column in COLUMNS}
    assert headers == [labels[key] for key in DEFAULT_COLUMN_KEYS]


def test_reset_from_the_plain_table_stays_on_the_plain_table(viewer_client, people):
    # The bare path would open the user's default saved view, if they have one.
    response = viewer_client.post(f"{PAGE}?columns=status", {"action": "reset"})

    assert response.status_code == 303
    assert response["Location"] == f"{PAGE}?view="


def test_opening_a_link_with_columns_saves_nothing(viewer_client, people):
    factories.make_token(people.org)
    viewer_client.post(PAGE, {"action": "apply", "col": ["org_id", "token_sn"]})

    shown, _ = read_table(get(viewer_client, columns="status"))
    headers, _ = read_table(viewer_client.get(PAGE))

    assert shown == ["Status"]
    assert headers == ["Org ID", "Token S/N"]
    assert ColumnPreference.objects.get(user=people.viewer).column_keys == "org_id,token_sn"


def test_an_old_get_form_of_the_chooser_saves_nothing(viewer_client, people):
    viewer_client.get(PAGE, {"set_columns": "1", "col": ["status"], "columns": "status"})

    assert not ColumnPreference.objects.filter(user=people.viewer).exists()


def test_the_chooser_needs_a_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.viewer)

    response = client.post(PAGE, {"action": "apply", "col": ["status"]})

    assert response.status_code == 403
    assert not ColumnPreference.objects.filter(user=people.viewer).exists()


def test_column_choice_of_one_user_does_not_change_another_users_columns(client, people):
    factories.make_token(people.org)
    client.force_login(people.viewer)
    client.post(PAGE, {"action": "apply", "col": ["status"]})

    client.force_login(people.manager)
    headers, _ = read_table(client.get(PAGE))

    labels = {column.key: column.label for column in COLUMNS}
    assert headers == [labels[key] for key in DEFAULT_COLUMN_KEYS]


def test_every_column_has_its_place_and_up_and_down_buttons_in_the_chooser_form(viewer_client):
    text = page_html(get(viewer_client, columns="status,token_sn"))
    chooser = re.search(r"<legend>Show/Hide Columns</legend>.*?</fieldset>", text, re.S).group(0)

    places = re.findall(r'<input type="hidden" name="order" value="(\w+)">', chooser)
    moves = re.findall(r'<button type="submit" [^>]*name="move" value="(\w+):(\w+)"', chooser)
    assert places[:2] == ["status", "token_sn"] and len(places) == 25
    assert moves[:4] == [
        ("up", "status"),
        ("down", "status"),
        ("up", "token_sn"),
        ("down", "token_sn"),
    ]
    assert len(moves) == 50
