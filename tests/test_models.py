"""The invariants the database itself enforces, even when Django's validation is bypassed."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction

from inventory.models import Membership, PortToken
from tests import factories

pytestmark = pytest.mark.django_db


@contextmanager
def refused():
    """Expect the database to refuse the statement; the savepoint keeps the test usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


def test_token_serial_is_unique():
    factories.make_token(serial="TKN-1")

    with refused():
        factories.make_token(serial="TKN-1")


def test_evse_id_is_unique():
    factories.make_evse(evse_id="EVSE-1")

    with refused():
        factories.make_evse(evse_id="EVSE-1")


def test_an_evse_carries_at_most_one_active_token():
    evse = factories.make_evse()
    factories.make_token(status="Active", evse=evse)

    with refused():
        factories.make_token(status="Active", evse=evse)


def test_a_token_cannot_be_made_active_on_an_occupied_evse_by_update():
    evse = factories.make_evse()
    factories.make_token(status="Active", evse=evse)
    waiting = factories.make_token(status="Available", evse=evse)

    with refused():
        PortToken.objects.filter(pk=waiting.pk).update(status="Active")


def test_expired_tokens_may_share_an_evse_with_each_other_and_an_active_one():
    evse = factories.make_evse()
    factories.make_token(status="Expired", evse=evse)
    factories.make_token(status="Expired", evse=evse)
    factories.make_token(status="Active", evse=evse)

    assert PortToken.objects.filter(evse=evse).count() == 3


def test_active_tokens_on_different_evses_are_fine():
    factories.make_token(status="Active", evse=factories.make_evse())
    factories.make_token(status="Active", evse=factories.make_evse())

    assert PortToken.objects.filter(status="Active").count() == 2


@pytest.mark.parametrize("status", ["Bogus", "active", ""])
def test_status_outside_the_four_values_is_refused_by_the_database(status):
    token = factories.make_token()

    with refused():
        PortToken.objects.filter(pk=token.pk).update(status=status)


@pytest.mark.parametrize("status", ["New", "Available", "Active", "Expired"])
def test_each_of_the_four_statuses_is_accepted(status):
    token = factories.make_token(status=status, evse=factories.make_evse())

    assert PortToken.objects.get(pk=token.pk).status == status


def test_membership_role_outside_viewer_and_manager_is_refused_by_the_database():
    membership = factories.grant(factories.make_user(), factories.make_organization())

    with refused():
        Membership.objects.filter(pk=membership.pk).update(role="owner")


def test_a_user_has_one_membership_per_organization():
    user = factories.make_user()
    organization = factories.make_organization()
    factories.grant(user, organization, Membership.Role.VIEWER)

    with refused():
        factories.grant(user, organization, Membership.Role.MANAGER)


def test_organization_id_is_unique():
    factories.make_organization("ORG-1")

    with refused():
        factories.make_organization("ORG-1")
