"""Writing a checked plan: upserts by key, in the order the database constraints need.

`write_plan` runs inside the import's transaction. Related objects first (organizations,
customers, orders, parts, stations, EVSEs), then the tokens. Each kind is upserted by its
key (`bulk.upsert_rows`: INSERT ... ON CONFLICT DO UPDATE on SQLite and PostgreSQL): the
stored rows are fetched with `__in` queries in chunks and compared in memory, so only new
and changed rows are sent, in batches; unchanged rows are not written at all. Tokens are
locked while compared, as a transfer locks them, and a token the file gives another
organization becomes an `ImportMove` that `record_import_moves` records in the transfer
history (only with `transfer_as`).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import models

from inventory.importing.bulk import upsert_rows
from inventory.importing.plan import ACTIVE, RELATED, Plan, TokenRow, chunks
from inventory.importing.result import Counts, ImportFailed, ImportResult
from inventory.models import CloudPlanPart, Customer, Evse, Order, Organization, PortToken, Station
from inventory.transfers import ImportMove, record_import_moves


class TokenValues(NamedTuple):
    """What an import sets on a token besides its serial (foreign keys by their columns).

    A tuple, not a dict: a large import holds one per token, stored and wanted.
    """

    part_id: int
    order_id: int | None
    organization_id: int
    evse_id: int | None
    activation_date: datetime | None
    applied_date: datetime | None
    plan_start_date: datetime | None
    plan_end_date: datetime | None
    status: str
    renewal_owner: str | None


TOKEN_FIELDS = TokenValues._fields


@dataclass
class Upserted:
    """One kind of object after an upsert: key -> primary key, and what was done."""

    pks: dict[str, int]
    counts: Counts

    def pk(self, key: str | None) -> int | None:
        return None if key is None else self.pks[key]


def write_plan(plan: Plan, *, transfer_as, note: str) -> ImportResult:
    """Write everything the plan holds; call it inside a transaction.

    Raises ImportFailed if a token the checks left in its organization was moved since
    (by a transfer) and `transfer_as` is None: the import must not move it back.
    """
    organizations = upsert(
        Organization,
        "org_id",
        {key: {"name": d["org_name"]} for key, d in plan.details("organization").items()},
    )
    customers = upsert(
        Customer,
        "customer_id",
        {key: {"name": d["customer_name"]} for key, d in plan.details("customer").items()},
    )
    orders = upsert(
        Order,
        "sales_order",
        {
            key: {
                "purchase_order": d["purchase_order"],
                "customer_reference": d["customer_reference"],
                "customer_id": customers.pk(d["customer_id"]),
                "order_date": d["order_date"],
                "ship_date": d["ship_date"],
            }
            for key, d in plan.details("order").items()
        },
    )
    parts = upsert(
        CloudPlanPart,
        "part_no",
        # A part's detail columns are named as its fields.
        {
            key: {name: d[name] for name in RELATED["part"].details}
            for key, d in plan.details("part").items()
        },
    )
    stations = upsert(
        Station,
        "serial",
        {
            key: {"name": d["station_name"], "organization_id": organizations.pk(d["org_id"])}
            for key, d in plan.details("station").items()
        },
    )
    evses = upsert(
        Evse,
        "evse_id",
        {
            key: {"station_id": stations.pk(d["station_sn"])}
            for key, d in plan.details("evse").items()
        },
    )
    wanted = {
        serial: TokenValues(
            part_id=parts.pk(token.part_no),
            order_id=orders.pk(token.sales_order),
            organization_id=organizations.pk(token.org_id),
            evse_id=evses.pk(token.evse_id),
            activation_date=token.activation_date,
            applied_date=token.applied_date,
            plan_start_date=token.plan_start_date,
            plan_end_date=token.plan_end_date,
            status=token.status,
            renewal_owner=token.renewal_owner,
        )
        for serial, token in plan.tokens.items()
    }
    token_counts, moves = write_tokens(wanted)
    if moves and transfer_as is None:
        raise ImportFailed([_moved_meanwhile(plan.tokens[move.serial]) for move in moves])
    return ImportResult(
        tokens=token_counts,
        organizations=organizations.counts,
        customers=customers.counts,
        orders=orders.counts,
        parts=parts.counts,
        stations=stations.counts,
        evses=evses.counts,
        transfers=record_import_moves(user=transfer_as, moves=moves, note=note) if moves else [],
    )


def _moved_meanwhile(token: TokenRow) -> str:
    # The checks found the token in the file's organization; a transfer has moved it since.
    return (
        f"{token.where}: Token S/N {token.serial} was moved to another organization while "
        "the file was being checked; import it again."
    )


def upsert(model: type[models.Model], key_field: str, wanted: dict[str, dict]) -> Upserted:
    """Create or update the `model` rows keyed by `key_field`, each to the field values
    `wanted[key]` (the same fields for every key); leave rows already so untouched."""
    counts = Counts()
    if not wanted:
        return Upserted({}, counts)
    fields = list(next(iter(wanted.values())))
    stored = _stored(model.objects.all(), key_field, list(wanted), ["pk", *fields])
    pks = {key: row.pop("pk") for key, row in stored.items()}
    to_write = []
    for key, values in wanted.items():
        if stored.get(key) == values:
            counts.unchanged += 1
        else:
            to_write.append((key, *(values[name] for name in fields)))
    counts.created = len(wanted) - len(stored)
    counts.updated = len(to_write) - counts.created
    upsert_rows(model, key_field, fields, to_write)
    created = [key for key in wanted if key not in pks]
    for chunk in chunks(created):
        pks.update(model.objects.filter(**{f"{key_field}__in": chunk}).values_list(key_field, "pk"))
    return Upserted(pks, counts)


def _stored(queryset, key_field: str, keys: list[str], fields: list[str]) -> dict[str, dict]:
    """Key -> the stored `fields` of the rows among `keys`, fetched in chunks."""
    stored = {}
    for chunk in chunks(keys):
        for row in queryset.filter(**{f"{key_field}__in": chunk}).values(key_field, *fields):
            stored[row.pop(key_field)] = row
    return stored


@dataclass(frozen=True)
class _TokenChange:
    """A stored token the file changes: its primary key, stored and wanted values."""

    pk: int
    serial: str
    stored: TokenValues
    wanted: TokenValues

    @property
    def moves_organization(self) -> bool:
        return self.stored.organization_id != self.wanted.organization_id

    @property
    def leaves_its_evse_active(self) -> bool:
        """Active before and after, on another EVSE: it must leave the old one first."""
        return (
            self.stored.status == ACTIVE
            and self.wanted.status == ACTIVE
            and self.stored.evse_id != self.wanted.evse_id
        )

    def row(self) -> tuple:
        return (self.serial, *self.wanted)


def write_tokens(wanted: dict[str, TokenValues]) -> tuple[Counts, list[ImportMove]]:
    """Upsert the tokens (by serial); return the counts and the moves (tokens given
    another organization)."""
    stored = _locked_tokens(list(wanted))
    counts = Counts(created=len(wanted) - len(stored))
    new_rows, changes = [], []
    for serial, values in wanted.items():
        old = stored.get(serial)
        if old is None:
            new_rows.append((serial, *values))
        elif old.fields != values:
            changes.append(_TokenChange(old.pk, serial, old.fields, values))
    counts.updated = len(changes)
    counts.unchanged = len(stored) - len(changes)

    # "One Active token per EVSE" is checked row by row inside a statement, so first free
    # the EVSEs: tokens that stop being Active, then Active tokens moving to another EVSE;
    # only then put tokens on their (now free) EVSEs, the new tokens last.
    releasing = [change.row() for change in changes if change.wanted.status != ACTIVE]
    taking = [change.row() for change in changes if change.wanted.status == ACTIVE]
    leaving = [change.pk for change in changes if change.leaves_its_evse_active]
    upsert_rows(PortToken, "serial", TOKEN_FIELDS, releasing)
    for chunk in chunks(leaving):
        PortToken.objects.filter(pk__in=chunk).update(evse=None)
    upsert_rows(PortToken, "serial", TOKEN_FIELDS, taking + new_rows)
    moves = [
        ImportMove(
            token_pk=change.pk,
            serial=change.serial,
            from_org_pk=change.stored.organization_id,
            to_org_pk=change.wanted.organization_id,
        )
        for change in changes
        if change.moves_organization
    ]
    return counts, moves


class _StoredToken(NamedTuple):
    pk: int
    fields: TokenValues


def _locked_tokens(serials: list[str]) -> dict[str, _StoredToken]:
    """Serial -> primary key and fields of the stored tokens among `serials`, locked.

    Locked in primary-key order, as a transfer locks: a transfer under way finishes
    first and its move is seen here, or it waits for the import; either way no move is
    overwritten unseen.
    """
    pks = []
    for chunk in chunks(serials):
        pks.extend(PortToken.objects.filter(serial__in=chunk).values_list("pk", flat=True))
    locked = {}
    for chunk in chunks(sorted(pks)):
        rows = (
            PortToken.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("serial", "pk", *TOKEN_FIELDS)
        )
        for serial, pk, *fields in rows:
            locked[serial] = _StoredToken(pk, TokenValues(*fields))
    return locked
