"""The invariants the database itself enforces, even when Django's validation is bypassed.

The transfer history's own invariants (append-only, token count) are in test_append_only.py."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction

from inventory.models import (
    CloudPlanPart,
    Customer,
    Evse,
    Membership,
    Order,
    Organization,
    PortToken,
    Station,
)
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


def test_a_plan_cannot_end_before_it_starts():
    with refused():
        factories.make_token(
            plan_start_date=factories.utc(2025, 7, 1), plan_end_date=factories.utc(2025, 6, 30)
        )


def test_a_plan_may_end_as_it_starts_or_leave_either_end_open():
    moment = factories.utc(2025, 7, 1, 9, 20)
    factories.make_token(plan_start_date=moment, plan_end_date=moment)
    factories.make_token(plan_start_date=moment)
    factories.make_token(plan_end_date=moment)

    assert PortToken.objects.count() == 3


def test_a_plan_cannot_be_moved_to_end_before_it_starts_by_update():
    token = factories.make_token(
        plan_start_date=factories.utc(2025, 7, 1), plan_end_date=factories.utc(2026, 7, 1)
    )

    with refused():
        PortToken.objects.filter(pk=token.pk).update(plan_start_date=factories.utc(2027, 1, 1))


def test_a_term_is_at_least_one_year():
    part = factories.make_part(term_years=1)

    with refused():
        CloudPlanPart.objects.filter(pk=part.pk).update(term_years=0)


def test_a_term_may_be_unknown():
    assert factories.make_part(term_years=None).term_years is None


KEYS = {
    "Token S/N": (PortToken, "serial", lambda: factories.make_token()),
    "Org ID": (Organization, "org_id", lambda: factories.make_organization()),
    "Customer ID": (Customer, "customer_id", lambda: factories.make_customer()),
    "Station S/N": (
        Station,
        "serial",
        lambda: factories.make_station(factories.make_organization()),
    ),
    "EVSE ID": (Evse, "evse_id", lambda: factories.make_evse()),
    "Part No.": (CloudPlanPart, "part_no", lambda: factories.make_part()),
    "Sales Order": (Order, "sales_order", lambda: factories.make_order()),
}


@pytest.mark.parametrize("blank", ["", " ", "\t", " \r\n "])
@pytest.mark.parametrize("key", KEYS)
def test_a_key_is_never_blank(key, blank):
    model, field, make = KEYS[key]
    row = make()

    with refused():
        model.objects.filter(pk=row.pk).update(**{field: blank})


@pytest.mark.parametrize("key", KEYS)
def test_a_key_may_hold_spaces_between_characters(key):
    model, field, make = KEYS[key]
    row = make()

    model.objects.filter(pk=row.pk).update(**{field: "A 1"})

    assert model.objects.filter(**{field: "A 1"}).exists()
