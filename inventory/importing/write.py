"""Writing a checked plan: upserts by key, in the order the database constraints need.

`write_plan` runs inside the import's transaction. Related objects first (organizations,
customers, orders, parts, stations, EVSEs), then the tokens. Each kind is upserted by its
key (`bulk.upsert_rows`: INSERT ... ON CONFLICT DO UPDATE on SQLite and PostgreSQL): the
stored rows are fetched by their keys (`filtering.among`) a chunk (`plan.LOOKUP_CHUNK`)
at a time and compared in memory, so only new and changed rows are sent, in batches;
unchanged rows are not written at all, and no more than a chunk of stored rows is held at
once. Tokens are locked while compared, as a transfer locks them, and a token the file gives another
organization becomes an `ImportMove` that `record_import_moves` records in the transfer
history (only with `transfer_as`).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import models

from inventory.filtering import among
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
        ["name"],
        ((key, (d["org_name"],)) for key, d in plan.details("organization")),
    )
    customers = upsert(
        Customer,
        "customer_id",
        ["name"],
        ((key, (d["customer_name"],)) for key, d in plan.details("customer")),
    )
    orders = upsert(
        Order,
        "sales_order",
        ["purchase_order", "customer_reference", "customer_id", "order_date", "ship_date"],
        (
            (
                key,
                (
                    d["purchase_order"],
                    d["customer_reference"],
                    customers.pk(d["customer_id"]),
                    d["order_date"],
                    d["ship_date"],
                ),
            )
            for key, d in plan.details("order")
        ),
    )
    # A part's detail columns are named as its fields.
    part_fields = RELATED["part"].details
    parts = upsert(
        CloudPlanPart,
        "part_no",
        part_fields,
        ((key, tuple(d[name] for name in part_fields)) for key, d in plan.details("part")),
    )
    stations = upsert(
        Station,
        "serial",
        ["name", "organization_id"],
        (
            (key, (d["station_name"], organizations.pk(d["org_id"])))
            for key, d in plan.details("station")
        ),
    )
    evses = upsert(
        Evse,
        "evse_id",
        ["station_id"],
        ((key, (stations.pk(d["station_sn"]),)) for key, d in plan.details("evse")),
    )

    def wanted(token: TokenRow) -> TokenValues:
        return TokenValues(
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

    token_counts, moves = write_tokens(plan.tokens, wanted)
    if moves and transfer_as is None:
        raise ImportFailed([_moved_meanwhile(plan, plan.tokens[move.serial]) for move in moves])
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


def _moved_meanwhile(plan: Plan, token: TokenRow) -> str:
    # The checks found the token in the file's organization; a transfer has moved it since.
    return (
        f"{plan.where(token.position)}: Token S/N {token.serial} was moved to another "
        "organization while the file was being checked; import it again."
    )


def upsert(
    model: type[models.Model],
    key_field: str,
    fields: Sequence[str],
    wanted: Iterable[tuple[str, tuple]],
) -> Upserted:
    """Create or update the `model` rows keyed by `key_field`: each (key, values) of
    `wanted` sets the `fields` to the values, in that order; rows already so stay
    untouched. Keys must be unique. A chunk of keys at a time, so that what is held is
    the keys' primary keys, not every row stored and wanted."""
    counts = Counts()
    pks: dict[str, int] = {}
    for chunk in chunks(wanted):
        stored = {
            key: (pk, tuple(values))
            for key, pk, *values in model.objects.filter(
                among(key_field, [key for key, _ in chunk])
            ).values_list(key_field, "pk", *fields)
        }
        to_write, created = [], []
        for key, values in chunk:
            pk, stored_values = stored.get(key, (None, None))
            if pk is None:
                created.append(key)
                to_write.append((key, *values))
            elif stored_values == values:
                counts.unchanged += 1
                pks[key] = pk
            else:
                counts.updated += 1
                pks[key] = pk
                to_write.append((key, *values))
        counts.created += len(created)
        upsert_rows(model, key_field, fields, to_write)
        if created:
            pks.update(model.objects.filter(among(key_field, created)).values_list(key_field, "pk"))
    return Upserted(pks, counts)


def write_tokens(
    tokens: dict[str, TokenRow], wanted: Callable[[TokenRow], TokenValues]
) -> tuple[Counts, list[ImportMove]]:
    """Upsert the tokens (by serial) to their `wanted` values; return the counts and the
    moves (tokens given another organization), in the file's order.

    The stored tokens are locked, compared and their EVSEs freed a chunk at a time (in
    primary-key order, as a transfer locks: a transfer under way finishes first and its
    move is seen here, or it waits for the import; either way no move is overwritten
    unseen); then the tokens taking an EVSE are written and the new ones inserted, again
    a chunk at a time. What is held throughout is a primary key and a serial per token,
    not every token stored and wanted.
    """
    counts, moves = Counts(), []
    # "One Active token per EVSE" is checked row by row inside a statement, so first free
    # the EVSEs: tokens that stop being Active, then Active tokens moving to another EVSE;
    # only then put tokens on their (now free) EVSEs, the new tokens last.
    stored_serials: set[str] = set()
    taking: list[TokenRow] = []
    for chunk in chunks(_stored_token_pks(list(tokens))):
        releasing, leaving = [], []
        rows = (
            PortToken.objects.select_for_update()
            .filter(among("pk", chunk, "bigint"))
            .order_by("pk")
            .values_list("serial", "pk", *TOKEN_FIELDS)
        )
        for serial, pk, *fields in rows:
            token = tokens[serial]
            stored_serials.add(token.serial)
            stored, values = TokenValues(*fields), wanted(token)
            if stored == values:
                counts.unchanged += 1
                continue
            counts.updated += 1
            if values.status != ACTIVE:
                releasing.append((token.serial, *values))
            else:
                taking.append(token)
                if stored.status == ACTIVE and stored.evse_id != values.evse_id:
                    leaving.append(pk)
            if stored.organization_id != values.organization_id:
                moves.append(
                    ImportMove(
                        token_pk=pk,
                        serial=token.serial,
                        from_org_pk=stored.organization_id,
                        to_org_pk=values.organization_id,
                    )
                )
        upsert_rows(PortToken, "serial", TOKEN_FIELDS, releasing)
        if leaving:
            PortToken.objects.filter(pk__in=leaving).update(evse=None)
    counts.created = len(tokens) - len(stored_serials)

    # In the file's order, as the new tokens' primary keys follow it (an upsert that
    # updates uses up a value of the key's sequence too, on PostgreSQL).
    taking.sort(key=lambda token: token.position)
    for chunk in chunks(taking):
        upsert_rows(PortToken, "serial", TOKEN_FIELDS, [_row(token, wanted) for token in chunk])
    new_tokens = (token for token in tokens.values() if token.serial not in stored_serials)
    for chunk in chunks(new_tokens):
        upsert_rows(PortToken, "serial", TOKEN_FIELDS, [_row(token, wanted) for token in chunk])
    moves.sort(key=lambda move: tokens[move.serial].position)
    return counts, moves


def _row(token: TokenRow, wanted: Callable[[TokenRow], TokenValues]) -> tuple:
    return (token.serial, *wanted(token))


def _stored_token_pks(serials: list[str]) -> list[int]:
    """The primary keys of the stored tokens among `serials`, in order."""
    pks = []
    for chunk in chunks(serials):
        pks.extend(PortToken.objects.filter(among("serial", chunk)).values_list("pk", flat=True))
    return sorted(pks)
