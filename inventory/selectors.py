"""Reads. Every page, export and transfer starts from `visible_tokens(user)`."""

from django.db.models import QuerySet

from inventory.columns import Column
from inventory.models import Membership, Organization, PortToken


def visible_organizations(user) -> QuerySet[Organization]:
    """Organizations the user belongs to (all of them for a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user)


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


def token_rows(queryset: QuerySet[PortToken], columns: list[Column]) -> list[dict]:
    """Rows of raw values keyed by column key, selecting only the given columns.

    The queryset's ordering is kept; the caller slices it to a page first.
    """
    paths = [column.path for column in columns]
    return [
        {column.key: value for column, value in zip(columns, values, strict=True)}
        for values in queryset.values_list(*paths)
    ]
