"""Reads. Every page, export and transfer starts from `visible_tokens(user)`."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import QuerySet

from inventory.filtering import filter_tokens, ordering
from inventory.models import Membership, Organization, PortToken


def matching_tokens(user, state, *, serials: Iterable[str] | None = None) -> QuerySet[PortToken]:
    """The tokens the table lists for this user and view state, in the table's order:
    the one token query behind the page, the export, the transfer preselection and the API.

    `serials`, when given, narrows it to those Token S/Ns (rows selected in the table).
    Counting callers drop the order with `.order_by()`.
    """
    tokens = filter_tokens(visible_tokens(user), state)
    if serials is not None:
        tokens = tokens.filter(serial__in=list(serials))
    return tokens.order_by(*ordering(state))


def visible_organizations(user) -> QuerySet[Organization]:
    """Organizations the user belongs to (all of them for a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user)


#: What a page says instead of the name of an organization the reader does not belong to.
ANOTHER_ORGANIZATION = "another organization"


class OrganizationLabel(NamedTuple):
    """How one organization reads on a page: its name and Org ID, or, for an organization
    the reader may not see named, "another organization" and no Org ID."""

    name: str
    org_id: str

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class OrganizationNames:
    """Which organizations one reader may see named; build it with `organization_names`."""

    member_ids: frozenset[int]
    sees_all: bool = False

    def may_name(self, organization_id: int) -> bool:
        return self.sees_all or organization_id in self.member_ids

    def label(self, organization: Organization) -> OrganizationLabel:
        if self.may_name(organization.pk):
            return OrganizationLabel(organization.name, organization.org_id)
        return OrganizationLabel(ANOTHER_ORGANIZATION, "")

    def labels(self, organizations: Iterable[tuple[int, str]]) -> list[str]:
        """The names of the given (pk, name) organizations the reader may see, in the
        order given, then one phrase for all the others: "another organization" or
        "3 other organizations"."""
        organizations = list(organizations)
        named = [name for pk, name in organizations if self.may_name(pk)]
        others = len(organizations) - len(named)
        if others == 1:
            named.append(ANOTHER_ORGANIZATION)
        elif others > 1:
            named.append(f"{others:,} other organizations")
        return named


def organization_names(user) -> OrganizationNames:
    """The one rule for naming organizations on pages that also concern organizations the
    reader is not in (the transfer history): a reader sees the name and Org ID of the
    organizations they belong to, a superuser of all; any other reads "another
    organization". One query, so a page asks once rather than once per row."""
    if not user.is_authenticated or not user.is_active:
        return OrganizationNames(frozenset())
    if user.is_superuser:
        return OrganizationNames(frozenset(), sees_all=True)
    member_ids = Membership.objects.filter(user=user).values_list("organization_id", flat=True)
    return OrganizationNames(frozenset(member_ids))


def managed_organizations(user) -> QuerySet[Organization]:
    """Organizations the user may transfer tokens from and into."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.MANAGER
    )


def visible_tokens(user) -> QuerySet[PortToken]:
    """The tokens this user may see: those of their organizations; all for a superuser.

    The organization test is a subquery, not a join, so counts and filters built on top
    never multiply rows and the planner can use the (organization, serial) index.
    """
    if not user.is_authenticated or not user.is_active:
        return PortToken.objects.none()
    if user.is_superuser:
        return PortToken.objects.all()
    member_org_ids = Membership.objects.filter(user=user).values("organization_id")
    return PortToken.objects.filter(organization_id__in=member_org_ids)
