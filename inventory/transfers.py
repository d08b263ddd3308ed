"""The transfer service: moving unused tokens into another organization, and its history.

`review_transfer` says, changing nothing, what a transfer would move and every reason a
listed token cannot move. `transfer_tokens` applies exactly the same rules inside one
transaction, after locking the listed tokens, and either moves all of them and records the
history or moves nothing and raises `TransferRefused` carrying the review. The rules live
in `_review` and nowhere else: the form, the views and the tests all go through here.
"""

import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from inventory.filtering import MAX_FILTERS, filter_tokens, ordering, parse_view_state
from inventory.models import (
    Membership,
    Organization,
    PortToken,
    Transfer,
    TransferItem,
)
from inventory.selectors import (
    OrganizationNames,
    managed_organizations,
    matching_tokens,
    organization_names,
    visible_tokens,
)

#: The most tokens one transfer may move.
MAX_TOKENS = 10_000
MAX_NOTE_LENGTH = Transfer._meta.get_field("note").max_length
_SERIAL_LENGTH = PortToken._meta.get_field("serial").max_length
# Spaces, tabs, CR/LF and commas separate pasted serials; semicolons too, because a
# spreadsheet in many locales copies a row with them.
_SEPARATORS = re.compile(r"[\s,;]+")

#: One message for a serial that does not exist and one the user may not see, so the
#: answer never tells whether a token exists in someone else's organization.
UNKNOWN_TOKEN = "Unknown Token S/N, or not a token of your organizations."


def parse_serials(text: str) -> list[str]:
    """Token S/Ns from pasted text, in the order given, duplicates kept (they are refused
    by the rules, with a message, rather than silently merged)."""
    return [serial for serial in _SEPARATORS.split(text or "") if serial]


@dataclass(frozen=True)
class MovableToken:
    pk: int
    serial: str
    cloud_plan: str
    status: str
    from_pk: int
    from_org_id: str
    from_name: str


@dataclass(frozen=True)
class TokenProblem:
    serial: str
    reason: str


@dataclass
class TransferReview:
    """What a transfer would do. `errors` are about the form fields (`token_sns`, `to_org`,
    `note`); `problems` name each token that cannot move, in the order listed."""

    destination: Organization | None
    note: str
    movable: list[MovableToken] = field(default_factory=list)
    problems: list[TokenProblem] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.movable) and not self.problems and not self.errors

    @property
    def sources(self) -> list[tuple[str, str]]:
        """(Org ID, name) of the organizations the movable tokens leave, by name."""
        seen = {token.from_org_id: token.from_name for token in self.movable}
        return list(seen.items())


class TransferRefused(Exception):
    """Nothing moved; `review` says why."""

    def __init__(self, review: TransferReview):
        super().__init__("Transfer refused; nothing moved.")
        self.review = review


def review_transfer(
    *,
    user,
    serials: Iterable[str],
    to_org: Organization | str | None,
    note: str = "",
    reviewed_sources: Collection[str] | None = None,
) -> TransferReview:
    """What `transfer_tokens` with the same arguments would do now; changes nothing.

    `to_org` is an Organization or its Org ID. `reviewed_sources`, when given, are the Org
    IDs the tokens were in when the user last reviewed: a token found anywhere else has
    been moved since (by someone else) and is refused.
    """
    return _review(user, _clean(serials), to_org, note or "", reviewed_sources)


def transfer_tokens(
    *,
    user,
    serials: Iterable[str],
    to_org: Organization | str | None,
    note: str = "",
    reviewed_sources: Collection[str] | None = None,
) -> Transfer:
    """Move the listed tokens into `to_org` and record the transfer: all or nothing.

    Raises `TransferRefused` (nothing moved, no history) when any rule fails. The listed
    tokens are locked in primary-key order (one order for everyone, so two transfers
    cannot deadlock) and every rule is checked again after the lock, so of two transfers
    racing for a token only the first moves it; the second sees where it went.
    Only the organization changes; status, plan dates and order stay.
    """
    serials = _clean(serials)
    note = note or ""
    with transaction.atomic():
        if 0 < len(serials) <= MAX_TOKENS:
            # Locked by serial, not through visible_tokens: a token moving into the user's
            # organizations at this very moment must be locked too before it can be moved.
            list(
                PortToken.objects.select_for_update()
                .filter(serial__in=_lookup_serials(serials))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        review = _review(user, serials, to_org, note, reviewed_sources)
        if not review.ok:
            raise TransferRefused(review)
        destination = review.destination
        token_pks = [token.pk for token in review.movable]
        PortToken.objects.filter(pk__in=token_pks).update(organization=destination)
        record = Transfer.objects.create(
            created_by=user,
            to_organization=destination,
            note=note,
            token_count=len(token_pks),
        )
        TransferItem.objects.bulk_create(
            [
                TransferItem(transfer=record, token_id=token.pk, from_organization_id=token.from_pk)
                for token in review.movable
            ],
            batch_size=1000,
        )
    return record


@dataclass(frozen=True)
class ImportMove:
    """A token an import gave another organization: which, from where, to where."""

    token_pk: int
    serial: str
    from_org_pk: int
    to_org_pk: int


@transaction.atomic
def record_import_moves(*, user, moves: Iterable[ImportMove], note: str) -> list[Transfer]:
    """Record in the history the moves an import has just made: one transfer by `user`
    per destination (by Org ID), one row per token with the organization it left.

    Call it inside the import's transaction, after the tokens are written. The transfer
    rules do not apply: the import is an operator's bulk tool that may also change status
    and EVSE, and the history records what it did and whom the operator named.
    """
    by_destination: dict[int, list[ImportMove]] = {}
    for move in moves:
        by_destination.setdefault(move.to_org_pk, []).append(move)
    destinations = Organization.objects.in_bulk(list(by_destination))
    records = []
    for to_pk in sorted(by_destination, key=lambda pk: destinations[pk].org_id):
        group = by_destination[to_pk]
        # Each transfer complete before the next one (as SQLite's history triggers want).
        record = Transfer.objects.create(
            created_by=user,
            to_organization=destinations[to_pk],
            note=note[:MAX_NOTE_LENGTH],
            token_count=len(group),
        )
        TransferItem.objects.bulk_create(
            [
                TransferItem(
                    transfer=record, token_id=move.token_pk, from_organization_id=move.from_org_pk
                )
                for move in group
            ],
            batch_size=1000,
        )
        records.append(record)
    return records


def _clean(serials: Iterable[str]) -> list[str]:
    return [serial.strip() for serial in serials if serial and serial.strip()]


def _lookup_serials(serials: list[str]) -> list[str]:
    """The serials worth asking the database about: one that could never be stored (too
    long, or a NUL that PostgreSQL refuses in any query) is simply unknown."""
    return list({s for s in serials if len(s) <= _SERIAL_LENGTH and "\x00" not in s})


def _review(user, serials, to_org, note, reviewed_sources) -> TransferReview:
    errors: dict[str, list[str]] = {}
    destination = _destination(user, to_org, errors)
    if len(note) > MAX_NOTE_LENGTH:
        errors.setdefault("note", []).append(
            f"The note has {len(note):,} characters; at most {MAX_NOTE_LENGTH} are allowed."
        )
    elif "\x00" in note:
        errors.setdefault("note", []).append("The note contains a NUL character.")
    review = TransferReview(destination=destination, note=note, errors=errors)
    if not serials:
        errors["token_sns"] = ["List at least one Token S/N."]
        return review
    if len(serials) > MAX_TOKENS:
        errors["token_sns"] = [
            f"{len(serials):,} Token S/Ns listed; at most {MAX_TOKENS:,} can move in one "
            "transfer. Split the list into several transfers."
        ]
        return review

    counts = Counter(serials)
    rows = list(_token_rows(user, _lookup_serials(serials)))
    found = {row["serial"]: row for row in rows}
    refused = set()
    for serial in counts:  # first-listed order
        reasons = []
        if counts[serial] > 1:
            reasons.append(f"Listed {counts[serial]} times; list each token once.")
        row = found.get(serial)
        if row is None:
            reasons.append(UNKNOWN_TOKEN)
        else:
            reasons.extend(_rule_reasons(row, destination, reviewed_sources))
        if reasons:
            refused.add(serial)
            review.problems.append(TokenProblem(serial, " ".join(reasons)))
    review.movable = [
        MovableToken(
            pk=row["pk"],
            serial=row["serial"],
            cloud_plan=row["part__cloud_plan"],
            status=row["status"],
            from_pk=row["organization_id"],
            from_org_id=row["organization__org_id"],
            from_name=row["organization__name"],
        )
        for row in rows
        if row["serial"] not in refused
    ]
    return review


def _destination(user, to_org, errors) -> Organization | None:
    org_id = to_org.org_id if isinstance(to_org, Organization) else (to_org or "").strip()
    if not org_id:
        errors["to_org"] = ["Choose the organization the tokens go to."]
        return None
    destination = None
    if "\x00" not in org_id:
        destination = managed_organizations(user).filter(org_id=org_id).first()
    if destination is None:
        # The same words whether the organization is unknown or only not managed.
        errors["to_org"] = [
            f"Org ID “{org_id[:64]}” is not an organization you manage; choose one from the list."
        ]
    return destination


def _token_rows(user, serials: list[str]) -> QuerySet:
    """The listed tokens the user can see, with what the rules need, by source and S/N."""
    managed = managed_organizations(user).filter(pk=OuterRef("organization_id"))
    return (
        visible_tokens(user)
        .filter(serial__in=serials)
        .annotate(is_managed=Exists(managed))
        .order_by("organization__name", "organization__org_id", "serial")
        .values(
            "pk",
            "serial",
            "status",
            "organization_id",
            "organization__org_id",
            "organization__name",
            "part__cloud_plan",
            "evse__evse_id",
            "is_managed",
        )
    )


def _rule_reasons(row, destination, reviewed_sources) -> list[str]:
    reasons = []
    org = f"{row['organization__name']} ({row['organization__org_id']})"
    if row["status"] not in PortToken.TRANSFERABLE_STATUSES:
        reasons.append(f"Status is {row['status']}; only New or Available tokens can move.")
    if row["evse__evse_id"] is not None:
        reasons.append(
            f"Applied to EVSE {row['evse__evse_id']}; only tokens applied to no EVSE can move."
        )
    if not row["is_managed"]:
        reasons.append(f"You are not a manager of {org}, where this token is.")
    if destination is not None and row["organization_id"] == destination.pk:
        reasons.append(f"Already in {destination.name}.")
    elif reviewed_sources is not None and row["organization__org_id"] not in reviewed_sources:
        reasons.append(f"Now in {org}, not where it was when you reviewed; review again.")
    return reasons


# --- preselection from the table ------------------------------------------------------


def transferable_tokens(user) -> QuerySet[PortToken]:
    """Tokens this user could move now: New or Available, applied to no EVSE, in an
    organization they manage (any organization for a superuser)."""
    tokens = visible_tokens(user).filter(
        status__in=PortToken.TRANSFERABLE_STATUSES, evse__isnull=True
    )
    if user.is_superuser:
        return tokens
    managed = Membership.objects.filter(user=user, role=Membership.Role.MANAGER)
    return tokens.filter(organization_id__in=managed.values("organization_id"))


@dataclass
class Preselection:
    serials: list[str]
    notes: list[str]


def preselect_serials(user, query_dict) -> Preselection:
    """The serials the transfer form starts with: `token=` (repeatable), or with
    `all_matching=1` every token the table's view state matches that the user may move."""
    if query_dict.get("all_matching") != "1":
        return Preselection(_clean(query_dict.getlist("token")), [])
    state = parse_view_state(query_dict)
    notes = [message.text for message in state.messages if message.piece.startswith("filter")]
    movable = filter_tokens(transferable_tokens(user), state).order_by(*ordering(state))
    serials = list(movable.values_list("serial", flat=True)[: MAX_TOKENS + 1])
    if len(serials) > MAX_TOKENS:
        notes.append(
            f"More than {MAX_TOKENS:,} matching tokens could move; one transfer takes at most "
            f"{MAX_TOKENS:,}. Narrow the filters on the Port Tokens page and try again."
        )
        return Preselection([], notes)
    matching = matching_tokens(user, state).order_by().count()
    if matching > len(serials):
        notes.append(
            f"{len(serials):,} of the {matching:,} matching tokens are listed; the other "
            f"{matching - len(serials):,} cannot move (Active or Expired, applied to an EVSE, "
            "or in an organization you do not manage)."
        )
    return Preselection(serials, notes)


# --- history --------------------------------------------------------------------------


def visible_transfers(user) -> QuerySet[Transfer]:
    """Transfers touching an organization the user belongs to: into it, or out of it for
    at least one token. All of them for a superuser."""
    if not user.is_authenticated or not user.is_active:
        return Transfer.objects.none()
    if user.is_superuser:
        return Transfer.objects.all()
    member_of = Membership.objects.filter(user=user).values("organization_id")
    return Transfer.objects.filter(_touching(member_of))


def _touching(organizations) -> Q:
    """Transfers into `organizations` (a subquery of ids, or an Organization) or out of them."""
    if isinstance(organizations, Organization):
        into, out_of = Q(to_organization=organizations), {"from_organization": organizations}
    else:
        into = Q(to_organization_id__in=organizations)
        out_of = {"from_organization_id__in": organizations}
    return into | Q(Exists(TransferItem.objects.filter(transfer=OuterRef("pk"), **out_of)))


def transfer_history(user, organization: Organization | None = None) -> QuerySet[Transfer]:
    """The history list: newest first, with who, destination and how many organizations
    the tokens came from, ready for one query per page."""
    transfers = visible_transfers(user)
    if organization is not None:
        transfers = transfers.filter(_touching(organization))
    source_count = (
        TransferItem.objects.filter(transfer=OuterRef("pk"))
        .order_by()
        .values("transfer")
        .annotate(n=Count("from_organization", distinct=True))
        .values("n")
    )
    return (
        transfers.select_related("created_by", "to_organization")
        .annotate(source_count=Coalesce(Subquery(source_count), Value(0)))
        .order_by("-created_at", "-id")
    )


def source_names(
    transfer_ids: Iterable[int], reader: OrganizationNames | None = None
) -> dict[int, list[str]]:
    """Names of the organizations each transfer took tokens from, by name: one query.

    With a `reader` (`organization_names(user)`), only the names that reader may see,
    followed by one "another organization" (or "2 other organizations") for the rest.
    """
    rows = (
        TransferItem.objects.filter(transfer_id__in=list(transfer_ids))
        .values_list("transfer_id", "from_organization_id", "from_organization__name")
        .distinct()
        .order_by("transfer_id", "from_organization__name", "from_organization_id")
    )
    sources: dict[int, list[tuple[int, str]]] = {}
    for transfer_id, organization_id, name in rows:
        sources.setdefault(transfer_id, []).append((organization_id, name))
    reader = reader or OrganizationNames(frozenset(), sees_all=True)
    return {transfer_id: reader.labels(pairs) for transfer_id, pairs in sources.items()}


def describe_sources(names: list[str], count: int | None = None) -> str:
    """'Acme West', 'Acme West and Acme North', 'Acme West and another organization',
    '2 other organizations', or '3 organizations'; `names` as `source_names` gives them,
    `count` the number of source organizations."""
    count = len(names) if count is None else count
    if count <= 2 and names:
        return " and ".join(names)
    return f"{count:,} organizations"


def success_message(record: Transfer, reader: OrganizationNames | None = None) -> str:
    """'Moved 3 tokens from Acme West to Acme East', naming only what `reader` may see."""
    names = source_names([record.pk], reader).get(record.pk, [])
    destination = reader.label(record.to_organization) if reader else record.to_organization.name
    plural = "" if record.token_count == 1 else "s"
    return (
        f"Moved {record.token_count:,} token{plural} from {describe_sources(names)} "
        f"to {destination}"
    )


def table_link_items(
    record: Transfer, items: QuerySet[TransferItem]
) -> tuple[list[tuple[str, str]], bool]:
    """Query-string pairs for the Port Tokens table showing this transfer's tokens.

    `items` are the transfer's items the viewer may see (`transfer_items`). Up to
    MAX_FILTERS tokens (the table's filter limit) are named one by one; for more, the
    table is filtered on the destination. The flag says which (True: by serial).
    """
    if items.count() <= MAX_FILTERS:
        serials = items.order_by("token__serial").values_list("token__serial", flat=True)
        return [("filter", f"token_sn:is:{serial}") for serial in serials] + [
            ("match", "any")
        ], True
    return [("filter", f"org_id:is:{record.to_organization.org_id}")], False


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
