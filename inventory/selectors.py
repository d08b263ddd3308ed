"""Who may see and do what: every membership and role question, and the reads built on it.

Each access question has one function here, and every page, export, command and service
asks it rather than reading memberships itself:
- organizations: `visible_organizations`, `managed_organizations`, `organization_names`
  (which ones a reader may see named), `organizations_with_token_counts` (with the
  reader's role), `organization_in_view` (the one organization a view shows, if any);
- tokens: `visible_tokens`, and `matching_tokens` (the table's filtered, sorted tokens: the
  one token query behind the page, the export, the transfer preselection and the API),
  `token_for_user` (one token's page: 404 rather than a leak) and `token_transfers`;
- transfers: `visible_transfers`, `transfer_for_user` (404 rather than a leak),
  `transfers_touching` and `transfer_items` (which moved tokens a reader may see).
- exports: `visible_export_logs` (the export history a reader may read).
An inactive or signed-out user may see nothing; a superuser sees everything.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import NamedTuple

from django.db.models import (
    Case,
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from inventory.filtering import among, filter_condition, filter_tokens, ordering
from inventory.models import (
    ExportLog,
    Membership,
    Organization,
    PortToken,
    TokenCount,
    Transfer,
    TransferItem,
)


def _may_see_anything(user) -> bool:
    return user.is_authenticated and user.is_active


def _member_organization_ids(user) -> QuerySet:
    """A subquery of the ids of the organizations `user` belongs to."""
    return Membership.objects.filter(user=user).values("organization_id")


#: Within one web request (`memberships_read_once`), each reader's organization ids,
#: by user id; None elsewhere (commands, services, tests), where each call asks afresh.
_member_ids_of_request: ContextVar[dict[int, list[int]] | None] = ContextVar(
    "member_ids_of_request", default=None
)


@contextmanager
def memberships_read_once():
    """Within this block a reader's memberships are asked once however many token queries
    are built (a page builds five): what the request began with holds to its end. Only a
    request's span is safe for that; a long-lived process would miss a withdrawn
    membership, so nothing else keeps them."""
    token = _member_ids_of_request.set({})
    try:
        yield
    finally:
        _member_ids_of_request.reset(token)


def _member_organization_id_list(user) -> list[int]:
    """The ids of the organizations `user` belongs to, as a list."""
    known = _member_ids_of_request.get()
    if known is not None and user.pk in known:
        return known[user.pk]
    ids = list(_member_organization_ids(user).values_list("organization_id", flat=True))
    if known is not None:
        known[user.pk] = ids
    return ids


# --- organizations -------------------------------------------------------------------


def visible_organizations(user) -> QuerySet[Organization]:
    """Organizations the user belongs to (all of them for a superuser)."""
    if not _may_see_anything(user):
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user)


def managed_organizations(user) -> QuerySet[Organization]:
    """Organizations the user may transfer tokens from and into."""
    if not _may_see_anything(user):
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.MANAGER
    )


def organizations_with_token_counts(user) -> QuerySet[Organization]:
    """The user's organizations by name, each with `role_label` (Viewer, Manager, or None
    where a superuser has no membership), `total` and one count per status (`new`,
    `available`, ...): one aggregated query."""
    role = Membership.objects.filter(user=user, organization=OuterRef("pk")).values("role")[:1]
    # Added up from the kept counts (TokenCount), not counted from the tokens.
    counts = {
        status.lower(): Coalesce(
            Sum("token_counts__tokens", filter=Q(token_counts__status=status)), 0
        )
        for status in PortToken.Status.values
    }
    role_label = Case(
        *(When(role=value, then=Value(label)) for value, label in Membership.Role.choices),
        default=None,
        output_field=CharField(),
    )
    return (
        visible_organizations(user)
        .annotate(role=Subquery(role), total=Coalesce(Sum("token_counts__tokens"), 0), **counts)
        .annotate(role_label=role_label)
        .order_by("name", "org_id")
    )


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
    if not _may_see_anything(user):
        return OrganizationNames(frozenset())
    if user.is_superuser:
        return OrganizationNames(frozenset(), sees_all=True)
    member_ids = _member_organization_ids(user).values_list("organization_id", flat=True)
    return OrganizationNames(frozenset(member_ids))


# --- tokens ----------------------------------------------------------------------------


class VisibleTokens(QuerySet):
    """A query of tokens that remembers `counts`: the `TokenCount` rows of the same
    organizations, so that the status summary (`inventory.filtering.status_counts`) can
    add those up instead of counting the tokens, where the filters allow."""

    counts: QuerySet[TokenCount] | None = None

    def _clone(self):
        clone = super()._clone()
        clone.counts = self.counts
        return clone

    def _filter_or_exclude(self, negate, args, kwargs):
        # Narrowed further, it holds tokens the kept counts do not describe.
        narrowed = super()._filter_or_exclude(negate, args, kwargs)
        narrowed.counts = None
        return narrowed


def visible_tokens(user) -> QuerySet[PortToken]:
    """The tokens this user may see: those of their organizations; all for a superuser.

    The organization test is a subquery, not a join, so counts and filters built on top
    never multiply rows and the planner can use the (organization, serial) index.
    """
    tokens = VisibleTokens(model=PortToken)
    if not _may_see_anything(user):
        tokens, counts = tokens.none(), TokenCount.objects.none()
    elif user.is_superuser:
        tokens, counts = tokens.all(), TokenCount.objects.all()
    else:
        # The ids themselves, not a subquery: PostgreSQL then knows how many tokens the
        # reader's organizations hold (from its statistics per organization) and reads
        # them by the organization index, testing a costly filter (the quick search) on
        # those alone, where for a subquery it guessed and tested all tokens (the demo
        # user's `q=garage` at a million tokens: 1.9 s, 0.26 s with the ids).
        mine = among("organization_id", _member_organization_id_list(user), "bigint")
        tokens = tokens.filter(mine)
        counts = TokenCount.objects.filter(mine)
    tokens.counts = counts
    return tokens


def visible_token_count(user) -> int:
    """How many tokens the user may see, added up from the kept counts (`TokenCount`):
    a few thousand rows at most, however many tokens."""
    counts = visible_tokens(user).counts
    return counts.aggregate(total=Coalesce(Sum("tokens"), 0))["total"]


def matching_tokens(
    user, state, *, serials: Iterable[str] | None = None, broad_search: bool = False
) -> QuerySet[PortToken]:
    """The tokens the table lists for this user and view state, in the table's order:
    the one token query behind the page, the export, the transfer preselection and the API.

    `serials`, when given, narrows it to those Token S/Ns (rows selected in the table).
    `broad_search` asks the quick search through each field's index (for reading many
    tokens: `filtering.search_condition`). Counting callers drop the order with
    `.order_by()`.
    """
    tokens = filter_tokens(visible_tokens(user), state, broad_search=broad_search)
    if serials is not None:
        tokens = tokens.filter(serial__in=list(serials))
    return tokens.order_by(*ordering(state))


# --- transfers -------------------------------------------------------------------------


def transfers_touching(organizations: Organization | QuerySet) -> Q:
    """Transfers into `organizations` (an Organization, or a subquery of ids) or out of
    them for at least one token."""
    if isinstance(organizations, Organization):
        into, out_of = Q(to_organization=organizations), {"from_organization": organizations}
    else:
        into = Q(to_organization_id__in=organizations)
        out_of = {"from_organization_id__in": organizations}
    return into | Q(Exists(TransferItem.objects.filter(transfer=OuterRef("pk"), **out_of)))


def visible_transfers(user) -> QuerySet[Transfer]:
    """Transfers touching an organization the user belongs to: into it, or out of it for
    at least one token. All of them for a superuser."""
    if not _may_see_anything(user):
        return Transfer.objects.none()
    if user.is_superuser:
        return Transfer.objects.all()
    return Transfer.objects.filter(transfers_touching(_member_organization_ids(user)))


def transfer_for_user(user, pk) -> Transfer:
    """The transfer `pk` with who made it and its destination, if `user` may see it.

    Raises Http404 alike for a transfer that does not exist and one on neither side of
    which the user is, so a page never tells them apart.
    """
    return get_object_or_404(
        visible_transfers(user).select_related("created_by", "to_organization"), pk=pk
    )


def transfer_items(
    record: Transfer, user, *, reader: OrganizationNames | None = None
) -> QuerySet[TransferItem]:
    """The tokens one transfer moved that `user` may see, with what the detail page shows,
    by S/N. `reader`, when the caller already has `organization_names(user)`, saves a query.

    Members of the destination (and superusers) see every token: they own them now. A
    member of only some source organizations sees only the tokens that left those: the
    others never belonged to an organization of theirs.
    """
    reader = reader or organization_names(user)
    items = TransferItem.objects.filter(transfer=record)
    if not reader.may_name(record.to_organization_id):
        items = items.filter(from_organization_id__in=reader.member_ids)
    return items.select_related("token__part", "from_organization").order_by("token__serial")


# --- one token and one organization ----------------------------------------------------


def token_for_user(user, serial: str) -> PortToken:
    """The token with this Token S/N, with everything its page shows joined in, if `user`
    may see it.

    Raises Http404 alike for a serial that does not exist and a token of an organization
    the user is not in, so the token page never tells them apart.
    """
    if "\x00" in serial:
        # No serial holds NUL, and PostgreSQL refuses one in a query: simply none.
        raise Http404("No PortToken matches the given query.")
    return get_object_or_404(
        visible_tokens(user).select_related(
            "part", "organization", "evse__station", "order__customer"
        ),
        serial=serial,
    )


def token_transfers(user, token: PortToken) -> tuple[list[TransferItem], int]:
    """The transfers that moved `token` which `user` may read (the transfer pages would
    show them), newest first, as items with the transfer, who, destination and source;
    and how many other transfers moved it: ones between organizations the user is not
    in, whose who and note are not theirs to read."""
    moved = TransferItem.objects.filter(token=token)
    items = list(
        moved.filter(transfer__in=visible_transfers(user))
        .select_related("transfer__created_by", "transfer__to_organization", "from_organization")
        .order_by("-transfer__created_at", "-transfer_id")
    )
    return items, moved.count() - len(items)


def organization_in_view(user, state) -> Organization | None:
    """The one organization the view state narrows the table to, if it does and the user
    may see it: exactly one `org_id:is:` or `org_name:is:` filter, combined by AND with
    any others (or alone), naming exactly one of the user's organizations.

    The filter is matched by the table's own rule (`filter_condition`), asked of the
    organizations rather than of the tokens, so the heading names the organization whose
    tokens the table shows, even one that has none.
    """
    org_filters = [
        f for f in state.filters if f.op == "is" and f.column.key in ("org_id", "org_name")
    ]
    if len(org_filters) != 1 or (state.match == "any" and len(state.filters) > 1):
        return None
    column = org_filters[0].column
    on_organization = replace(column, path=column.path.removeprefix("organization__"))
    condition = filter_condition(replace(org_filters[0], column=on_organization))
    found = list(visible_organizations(user).filter(condition)[:2])
    return found[0] if len(found) == 1 else None


# --- the export log --------------------------------------------------------------------


def visible_export_logs(user) -> QuerySet[ExportLog]:
    """The exports a user may read in the export history: their own; everyone's for a
    superuser. Newest first, with who exported."""
    if not _may_see_anything(user):
        return ExportLog.objects.none()
    logs = ExportLog.objects.select_related("user").order_by("-created_at", "-id")
    return logs if user.is_superuser else logs.filter(user=user)
