"""Reordering columns in the chooser, and the note when the table is sorted by a column it
does not show.

The chooser posts every column as `order` (its place) and the checked ones as `col`; a
`move=up:<key>` or `move=down:<key>` button moves one column and saves nothing (the
chooser opens again on the moved draft), Apply saves the checked columns in that order."""

import re

from inventory.columns import COLUMNS
from inventory.models import ColumnPreference
from tests import factories
from tests.helpers import PAGE, get, page_html, query_of, read_table

ALL_KEYS = [column.key for column in COLUMNS]


def chooser_items(response) -> list[tuple[str, bool]]:
    """(key, checked) of the chooser's items in the order it lists them."""
    text = page_html(response)
    chooser = re.search(r"<legend>Show/Hide Columns</legend>.*?</fieldset>", text, re.S).group(0)
    return [
        (key, bool(checked))
        for key, checked in re.findall(r'name="col" value="(\w+)"( checked)?>', chooser)
    ]


def posted(order: list[str], checked: list[str], **extra) -> dict:
    return {"order": order, "col": checked, **extra}


def test_moving_a_column_up_puts_it_before_its_neighbour_and_saves_nothing(viewer_client, people):
    order = [
        "token_sn",
        "status",
        "org_name",
        *[k for k in ALL_KEYS if k not in ("token_sn", "status", "org_name")],
    ]

    response = viewer_client.post(
        f"{PAGE}?filter=status:is:New",
        posted(order, ["token_sn", "status", "org_name"], move="up:org_name"),
    )

    assert response.status_code == 303
    location = response["Location"]
    assert query_of(location)[0] == ("filter", "status:is:New")
    assert chooser_items(viewer_client.get(location))[:3] == [
        ("token_sn", True),
        ("org_name", True),
        ("status", True),
    ]
    assert not ColumnPreference.objects.filter(user=people.viewer).exists()


def test_the_moved_draft_opens_the_chooser_with_focus_on_the_moved_arrow(viewer_client):
    response = viewer_client.post(PAGE, posted(ALL_KEYS, ["token_sn"], move="down:part_no"))
    text = page_html(viewer_client.get(response["Location"]))

    assert re.search(r'<details class="menu" id="columns" data-menu open>', text)
    assert re.search(r'<button [^>]*id="move-down-part_no"[^>]*autofocus', text)


def test_unchecked_columns_keep_their_place_in_the_draft(viewer_client):
    response = viewer_client.post(
        PAGE, posted(ALL_KEYS, ["token_sn", "cloud_plan"], move="down:token_sn")
    )

    items = chooser_items(viewer_client.get(response["Location"]))

    assert items[:3] == [("part_no", False), ("token_sn", True), ("cloud_plan", True)]
    assert len(items) == 25


def test_applying_saves_the_checked_columns_in_the_chooser_order(viewer_client, people):
    factories.make_token(people.org)
    order = [
        "status",
        "part_no",
        "token_sn",
        *[k for k in ALL_KEYS if k not in ("status", "part_no", "token_sn")],
    ]

    response = viewer_client.post(PAGE, posted(order, ["token_sn", "status"], action="apply"))
    headers, _ = read_table(viewer_client.get(PAGE))

    assert query_of(response["Location"]) == [("columns", "status,token_sn")]
    assert ColumnPreference.objects.get(user=people.viewer).column_keys == "status,token_sn"
    assert headers == ["Status", "Token S/N"]


def test_moving_the_first_column_up_changes_nothing(viewer_client):
    response = viewer_client.post(PAGE, posted(ALL_KEYS, ["token_sn"], move="up:token_sn"))

    assert [key for key, _ in chooser_items(viewer_client.get(response["Location"]))] == ALL_KEYS


def test_moving_the_last_column_down_changes_nothing(viewer_client):
    response = viewer_client.post(PAGE, posted(ALL_KEYS, ["token_sn"], move="down:renewal_owner"))

    assert [key for key, _ in chooser_items(viewer_client.get(response["Location"]))] == ALL_KEYS


def test_moving_an_unknown_column_is_refused_with_a_message(viewer_client, people):
    response = viewer_client.post(PAGE, posted(ALL_KEYS, ["token_sn"], move="up:nope"), follow=True)

    assert "Cannot move 'nope': there is no such column." in page_html(response)
    assert response.redirect_chain[0][0].endswith("#columns")
    assert [key for key, _ in chooser_items(response)] == ALL_KEYS
    assert not ColumnPreference.objects.filter(user=people.viewer).exists()


def test_moving_in_an_unknown_direction_is_refused_with_a_message(viewer_client):
    response = viewer_client.post(
        PAGE, posted(ALL_KEYS, ["token_sn"], move="left:status"), follow=True
    )

    assert "Cannot move Status 'left': use up or down." in page_html(response)


def test_show_all_keeps_the_chooser_order(viewer_client, people):
    order = list(reversed(ALL_KEYS))

    viewer_client.post(PAGE, posted(order, ["token_sn"], action="show_all"))

    assert ColumnPreference.objects.get(user=people.viewer).column_keys == ",".join(order)


def test_opening_a_draft_url_saves_nothing_and_a_bad_draft_is_ignored(viewer_client, people):
    moved = get(viewer_client, chooser="-part_no,status,token_sn")
    bad = get(viewer_client, chooser="nonsense,,-")

    assert chooser_items(moved)[:3] == [("part_no", False), ("status", True), ("token_sn", True)]
    assert chooser_items(bad)[0] == ("token_sn", True)
    assert not ColumnPreference.objects.filter(user=people.viewer).exists()


def test_the_chooser_posts_to_the_view_without_the_draft(viewer_client):
    text = page_html(get(viewer_client, "status:is:New", chooser="status", moved="up:status"))

    action = re.search(
        r'<form method="post" action="([^"]*)">\s*<input type="hidden" '
        r'name="csrfmiddlewaretoken"',
        text,
    ).group(1)
    assert query_of(action) == [("filter", "status:is:New")]


# --- sorted by a hidden column ------------------------------------------------------------


def test_a_sort_by_a_hidden_column_is_named_above_the_table_with_a_link_to_clear_it(
    viewer_client, people
):
    factories.make_token(people.org)

    response = get(viewer_client, "status:is:New", columns="token_sn,status", sort="-plan_end_date")
    text = page_html(response)

    assert "Sorted by Plan End Date, newest first" in text
    clear = re.search(r'<p class="sort-note".*?<a href="([^"]*)">Clear sort</a>', text, re.S)
    assert query_of(clear.group(1)) == [("filter", "status:is:New"), ("columns", "token_sn,status")]


def test_the_sort_note_says_the_direction_in_words_for_the_column_kind(viewer_client, people):
    factories.make_token(people.org)

    def note(sort):
        text = page_html(get(viewer_client, columns="status", sort=sort))
        return re.search(r'<p class="sort-note"[^>]*>([^<]+)', text).group(1).strip()

    assert note("plan_start_date") == "Sorted by Plan Start Date, oldest first"
    assert note("-term_years") == "Sorted by Term (Years), largest first"
    assert note("org_name") == "Sorted by Org Name, A to Z"
    assert note("-order_date") == "Sorted by Order Date, newest first"


def test_no_sort_note_when_the_sort_column_is_shown_or_no_sort_is_given(viewer_client, people):
    factories.make_token(people.org)

    shown = page_html(get(viewer_client, columns="token_sn,status", sort="status"))
    default = page_html(get(viewer_client, columns="status"))

    assert 'class="sort-note"' not in shown
    assert 'class="sort-note"' not in default
