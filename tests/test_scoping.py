"""Who sees what: `visible_tokens`, `visible_organizations` and `managed_organizations`."""

import pytest
from django.contrib.auth.models import AnonymousUser

from inventory.models import Membership
from inventory.selectors import managed_organizations, visible_organizations, visible_tokens
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(people):
    """Two tokens of the people's organization and one of the other organization."""
    return {
        "acme-1": factories.make_token(people.org, serial="ACME-1"),
        "acme-2": factories.make_token(people.org, serial="ACME-2"),
        "other-1": factories.make_token(people.other_org, serial="OTHER-1"),
    }


def serials(user) -> list[str]:
    return sorted(visible_tokens(user).values_list("serial", flat=True))


def test_viewer_sees_the_tokens_of_their_organization_and_nothing_of_another(people, tokens):
    assert serials(people.viewer) == ["ACME-1", "ACME-2"]
    assert not visible_tokens(people.viewer).filter(organization=people.other_org).exists()


def test_outsider_sees_nothing_of_an_organization_they_do_not_belong_to(people, tokens):
    assert serials(people.outsider) == ["OTHER-1"]
    assert list(visible_organizations(people.outsider)) == [people.other_org]


def test_a_member_of_two_organizations_sees_both(people, tokens):
    factories.grant(people.viewer, people.other_org, Membership.Role.VIEWER)

    assert serials(people.viewer) == ["ACME-1", "ACME-2", "OTHER-1"]
    assert visible_tokens(people.viewer).count() == 3


def test_superuser_sees_every_token_and_organization(people, tokens):
    admin = factories.make_superuser()

    assert serials(admin) == ["ACME-1", "ACME-2", "OTHER-1"]
    assert set(visible_organizations(admin)) == {people.org, people.other_org}
    assert set(managed_organizations(admin)) == {people.org, people.other_org}


def test_user_without_memberships_sees_nothing(people, tokens):
    loner = factories.make_user()

    assert serials(loner) == []
    assert not visible_organizations(loner).exists()


def test_inactive_user_sees_nothing_even_with_a_membership(people, tokens):
    people.viewer.is_active = False
    people.viewer.save()

    assert serials(people.viewer) == []
    assert not visible_organizations(people.viewer).exists()
    assert not managed_organizations(people.viewer).exists()


def test_inactive_superuser_sees_nothing(tokens):
    admin = factories.make_superuser()
    admin.is_active = False
    admin.save()

    assert serials(admin) == []


def test_anonymous_user_sees_nothing(tokens):
    anonymous = AnonymousUser()

    assert not visible_tokens(anonymous).exists()
    assert not visible_organizations(anonymous).exists()
    assert not managed_organizations(anonymous).exists()


def test_managed_organizations_are_only_those_with_the_manager_role(people):
    third = factories.make_organization("ORG-THIRD", "Third Org")
    factories.grant(people.manager, third, Membership.Role.VIEWER)

    assert list(managed_organizations(people.manager)) == [people.org]
    assert set(visible_organizations(people.manager)) == {people.org, third}
    assert not managed_organizations(people.viewer).exists()
    assert list(managed_organizations(people.outsider)) == [people.other_org]


def test_visible_tokens_never_repeats_a_token(people, tokens):
    # Several members of one organization must not multiply its rows.
    factories.grant(factories.make_user(), people.org)

    assert visible_tokens(people.manager).count() == 2
