"""Selecting rows of the Port Tokens table for a transfer: which checkboxes are enabled,
why the others are disabled, the form they sit in, and "Select all N matching"."""

import re

import pytest

from tests import factories
from tests.helpers import PAGE, get, links, page_html, query_of


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


def test_rows_sit_in_a_get_form_that_goes_to_the_transfer_page(manager_client, people):
    factories.make_token(people.org)

    text = page_html(manager_client.get(PAGE))

    assert re.search(
        r'<form id="token-selection" class="selection-form" method="get"\s+'
        r'action="/inventory/port-tokens/transfer/"',
        text,
    )
    assert "Transfer selected</button>" in text


def test_select_all_matching_links_to_the_transfer_with_the_view_state(manager_client, people):
    for _ in range(30):
        factories.make_token(people.org, renewal_owner="alice")

    response = get(manager_client, "renewal_owner:is:alice", per_page=25, sort="status")

    (href,) = links(response, "Select all 30 matching tokens for transfer")
    assert href.startswith("/inventory/port-tokens/transfer/?")
    assert query_of(href) == [
        ("all_matching", "1"),
        ("filter", "renewal_owner:is:alice"),
        ("sort", "status"),
    ]


def test_select_all_matching_is_not_offered_above_the_transfer_limit(
    manager_client, people, monkeypatch
):
    monkeypatch.setattr("inventory.views.tokens.MAX_TOKENS", 29)
    for _ in range(30):
        factories.make_token(people.org)

    response = get(manager_client, per_page=25)

    assert links(response, "Select all 30 matching tokens for transfer") == []


def test_select_all_matching_is_not_offered_when_everything_is_on_the_page(manager_client, people):
    factories.make_token(people.org)

    assert links(manager_client.get(PAGE), "Select all 1 matching tokens for transfer") == []
