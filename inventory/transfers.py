"""The transfer service: moving unused tokens into another organization, all or nothing,
and recording it in the history.

It owns the rules of a transfer, each written once: what it must name (a destination
the user manages, each token once, a note of at most `MAX_NOTE_LENGTH` characters, at most
`MAX_TOKENS` tokens), checked in `_review` and nowhere else, and the words for why a
token cannot move. Which tokens may move at all is the eligibility rule
(`inventory.eligibility`), which the table's checkboxes read too.

`review_transfer` says, changing nothing, what a transfer would move and every reason a
listed token cannot move. `transfer_tokens` applies exactly the same rules inside one
transaction, after locking the listed tokens, and either moves all of them and records the
history or moves nothing and raises `TransferRefused` carrying the review.
`record_import_moves` records in the history what an import moved. Reading the history is
`inventory.transfer_history`'s job; who may see what is `inventory.selectors`'.
"""

import logging
import re
import time
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet

from inventory.eligibility import Obstacle, movable_tokens, obstacles, with_obstacles
from inventory.filtering import among
from inventory.models import Organization, PortToken, Transfer, TransferItem
from inventory.selectors import managed_organizations, matching_tokens, visible_tokens
from inventory.viewstate import parse_view_state

#: One line per transfer tried through the service (moved or refused), for the logs.
logger = logging.getLogger("inventory.transfers")

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


# --- review and transfer ---------------------------------------------------------------


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
    started = time.monotonic()
    try:
        record = _transfer(user, serials, to_org, note, reviewed_sources)
    except TransferRefused as refused:
        review = refused.review
        logger.info(
            "Transfer refused",
            extra={
                "event": "transfer",
                "outcome": "refused",
                "user_id": user.pk,
                "tokens": len(serials),
                "problems": len(review.problems),
                "field_errors": sorted(review.errors),
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        raise
    logger.info(
        "Transfer #%s",
        record.pk,
        extra={
            "event": "transfer",
            "outcome": "moved",
            "transfer_id": record.pk,
            "user_id": user.pk,
            "to_org": record.to_organization.org_id,
            "tokens": record.token_count,
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    return record


def _transfer(user, serials, to_org, note, reviewed_sources) -> Transfer:
    with transaction.atomic():
        if 0 < len(serials) <= MAX_TOKENS:
            # Locked by serial, not through visible_tokens: a token moving into the user's
            # organizations at this very moment must be locked too before it can be moved.
            list(
                PortToken.objects.select_for_update()
                .filter(among("serial", _lookup_serials(serials)))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        review = _review(user, serials, to_org, note, reviewed_sources)
        if not review.ok:
            raise TransferRefused(review)
        token_pks = [token.pk for token in review.movable]
        PortToken.objects.filter(among("pk", token_pks, "bigint")).update(
            organization=review.destination
        )
        moves = [(token.pk, token.from_pk) for token in review.movable]
        record = _record(user, review.destination, note, moves)
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
    # Each transfer complete before the next one (as SQLite's history triggers want).
    return [
        _record(
            user,
            destinations[to_pk],
            note[:MAX_NOTE_LENGTH],
            [(move.token_pk, move.from_org_pk) for move in by_destination[to_pk]],
        )
        for to_pk in sorted(by_destination, key=lambda pk: destinations[pk].org_id)
    ]


def _record(user, destination: Organization, note: str, moves: list[tuple[int, int]]):
    """One history entry: the transfer and a row per (token pk, source organization pk)."""
    record = Transfer.objects.create(
        created_by=user, to_organization=destination, note=note, token_count=len(moves)
    )
    TransferItem.objects.bulk_create(
        [
            TransferItem(transfer=record, token_id=token_pk, from_organization_id=from_pk)
            for token_pk, from_pk in moves
        ],
        batch_size=1000,
    )
    return record


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
    rows = (
        visible_tokens(user)
        .filter(among("serial", serials))
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
        )
    )
    return with_obstacles(rows, user)


def _rule_reasons(row, destination, reviewed_sources) -> list[str]:
    org = f"{row['organization__name']} ({row['organization__org_id']})"
    reasons = [_obstacle_reason(obstacle, row, org) for obstacle in obstacles(row)]
    if destination is not None and row["organization_id"] == destination.pk:
        reasons.append(f"Already in {destination.name}.")
    elif reviewed_sources is not None and row["organization__org_id"] not in reviewed_sources:
        reasons.append(f"Now in {org}, not where it was when you reviewed; review again.")
    return reasons


def _obstacle_reason(obstacle: Obstacle, row, org: str) -> str:
    """The review's words for one obstacle: with the detail a manager acts on."""
    if obstacle is Obstacle.STATUS:
        return f"Status is {row['status']}; only New or Available tokens can move."
    if obstacle is Obstacle.APPLIED:
        return f"Applied to EVSE {row['evse__evse_id']}; only tokens applied to no EVSE can move."
    return f"You are not a manager of {org}, where this token is."


# --- preselection from the table ------------------------------------------------------


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
    matching = matching_tokens(user, state)
    movable = movable_tokens(matching, user)
    serials = list(movable.values_list("serial", flat=True)[: MAX_TOKENS + 1])
    if len(serials) > MAX_TOKENS:
        notes.append(
            f"More than {MAX_TOKENS:,} matching tokens could move; one transfer takes at most "
            f"{MAX_TOKENS:,}. Narrow the filters on the Port Tokens page and try again."
        )
        return Preselection([], notes)
    matching_count = matching.order_by().count()
    if matching_count > len(serials):
        notes.append(
            f"{len(serials):,} of the {matching_count:,} matching tokens are listed; the other "
            f"{matching_count - len(serials):,} cannot move (Active or Expired, applied to an "
            "EVSE, or in an organization you do not manage)."
        )
    return Preselection(serials, notes)
