"""Which tokens may move is one rule: the table's checkboxes, the transfer review, the
form's "all matching" preselection and the table's "Select all N matching" always agree on
it, for every kind of token and user."""

import itertools
import re

import pytest

from inventory.models import Membership, PortToken
from inventory.transfers import review_transfer
from tests import factories
from tests.helpers import PAGE, page_html, shown_serials

STATUSES = PortToken.Status.values
FORM_URL = "/inventory/port-tokens/transfer/"


@pytest.fixture
def every_kind_of_token(people):
    """One token per status x applied to an EVSE or not x in an organization the manager
    manages (Acme Charging) or only views (Other Networks); ORG-EAST, managed and empty,
    is where they would go. Returns {serial: (status, applied, in managed organization)}."""
    factories.grant(people.manager, people.other_org, Membership.Role.VIEWER)
    factories.grant(people.manager, factories.make_organization("ORG-EAST", "Acme East"), "manager")
    kinds = {}
    for status, applied, managed in itertools.product(STATUSES, (False, True), (False, True)):
        org = people.org if managed else people.other_org
        serial = f"{status}-{'APPLIED' if applied else 'FREE'}-{'MANAGED' if managed else 'VIEWED'}"
        evse = factories.make_evse(organization=org) if applied else None
        factories.make_token(org, serial.upper(), status=status, evse=evse)
        kinds[serial.upper()] = (status, applied, managed)
    return kinds


def table_checkboxes(client) -> tuple[set[str], set[str]]:
    """(serials whose row checkbox is enabled, serials whose checkbox is disabled)."""
    text = page_html(client.get(PAGE, {"per_page": "250"}))
    enabled = set(re.findall(r'class="row-select" name="token" value="([^"]+)"', text))
    disabled = set(re.findall(r'aria-label="([^"]+) cannot be selected:', text))
    return enabled, disabled


def accepted_by_review(user, serials) -> set[str]:
    """The serials the transfer service accepts when each is reviewed on its own."""
    return {
        serial
        for serial in serials
        if not review_transfer(user=user, serials=[serial], to_org="ORG-EAST").problems
    }


def preselected(client) -> set[str]:
    response = client.get(FORM_URL, {"all_matching": "1", "per_page": "250"})
    return set(response.context["form"]["token_sns"].value().split())


@pytest.mark.parametrize("who", ["manager", "viewer", "superuser"])
def test_table_review_and_preselection_agree_on_every_kind_of_token(
    client, people, every_kind_of_token, who
):
    user = factories.make_superuser() if who == "superuser" else getattr(people, who)
    client.force_login(user)
    serials = set(every_kind_of_token)

    enabled, disabled = table_checkboxes(client)
    accepted = accepted_by_review(user, serials)

    assert enabled == accepted
    assert preselected(client) == accepted
    # Every row the user sees has a checkbox, enabled or disabled, never both.
    assert not enabled & disabled
    assert enabled | disabled == set(shown_serials(client.get(PAGE, {"per_page": "250"})))


@pytest.mark.parametrize(
    ("who", "movable_organizations"),
    [("manager", {True}), ("viewer", set()), ("superuser", {True, False})],
)
def test_only_new_or_available_tokens_on_no_evse_in_a_managed_organization_may_move(
    client, people, every_kind_of_token, who, movable_organizations
):
    user = factories.make_superuser() if who == "superuser" else getattr(people, who)
    client.force_login(user)

    expected = {
        serial
        for serial, (status, applied, managed) in every_kind_of_token.items()
        if status in ("New", "Available") and not applied and managed in movable_organizations
    }

    assert table_checkboxes(client)[0] == expected


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_select_all_matching_selects_and_counts_what_the_review_accepts(
    client, people, every_kind_of_token, who
):
    user = factories.make_superuser() if who == "superuser" else getattr(people, who)
    client.force_login(user)
    # More than a page, so that the offer to select all of them is made.
    extra = {token.serial for token in factories.make_tokens(people.org, 20, prefix="EXTRA")}
    accepted = accepted_by_review(user, set(every_kind_of_token)) | extra
    seen = len(shown_serials(client.get(PAGE, {"per_page": "250"})))
    assert seen > 25

    offer = page_html(client.get(PAGE, {"per_page": "25"}))
    client.post(f"{PAGE}?per_page=25", {"selection": "all_matching"})
    selected = client.get(FORM_URL, {"selected": "1"}).context["form"]["token_sns"].value()

    assert set(selected.split()) == accepted
    assert f"Select all {len(accepted)} matching tokens that can move" in offer
    assert f"{seen - len(accepted)} cannot move:" in offer
