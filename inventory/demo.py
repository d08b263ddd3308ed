"""Deterministic, realistic demo data for `seed_demo`.

The same `tokens` and `seed` always give the same rows. Tokens, EVSEs and stations are
written in batches as plain rows (COPY on PostgreSQL), so a million tokens keep memory flat
and take seconds, not minutes; the few thousand organizations, customers and orders go
through `bulk_create`.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from inventory.models import (
    CloudPlanPart,
    Customer,
    Evse,
    Membership,
    Order,
    Organization,
    PortToken,
    Station,
    TokenCount,
)

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-port-tokens"
# A fixed "today" keeps the data identical whenever it is generated.
REFERENCE_DAY = date(2026, 11, 1)
BATCH = 5000

ORG_PREFIXES = [
    "Acme",
    "Bayside",
    "Cascade",
    "Desert Sun",
    "Evergreen",
    "Frontier",
    "Golden Gate",
    "Harbor",
    "Inland Empire",
    "Juniper",
    "Keystone",
    "Lakeshore",
    "Mesa",
    "Northgate",
    "Oakridge",
    "Pacific Crest",
    "Quarry Hill",
    "Redwood",
    "Sierra",
    "Tidewater",
    "Union Square",
    "Valley",
    "Westfield",
    "Yosemite",
    "Zürich",
    "Café Mobility",
    "São Paulo",
    "Nordlicht",
    "Montréal",
    "Åsgård",
]
ORG_SUFFIXES = [
    "Charging",
    "EV Network",
    "Fleet Services",
    "Parking",
    "Energy",
    "Mobility",
    "Property Group",
    "Transit",
    "Hospitality",
    "Ladepark",
]
PLACES = [
    "Main St",
    "Civic Center",
    "Airport Garage",
    "Harbor Lot",
    "Campus North",
    "Depot",
    "Mall East",
    "Library",
    "City Hall",
    "Stadium",
    "Hotel",
    "Hospital",
    "Office Park",
    "Station Square",
    "Marina",
    "Ladepark Süd",
    "Gare Centrale",
    "Plaza",
    "Ferry Terminal",
]
CUSTOMER_WORDS = [
    "Properties",
    "Holdings",
    "Logistics",
    "Realty",
    "Partners",
    "Utilities",
    "Motors",
    "Schools",
    "County",
    "Hotels",
    "Universität",
    "Développement",
]
PLANS = [
    # (plan, description, port type)
    ("Commercial Cloud Plan", "Networked charging for public and commercial sites", "AC Level 2"),
    ("Commercial Cloud Plan", "Networked charging for public and commercial sites", "DC Fast"),
    ("Fleet Cloud Plan", "Depot and fleet charging with vehicle reporting", "AC Level 2"),
    ("Fleet Cloud Plan", "Depot and fleet charging with vehicle reporting", "DC Fast"),
    ("Workplace Cloud Plan", "Employee and visitor charging at work", "AC Level 2"),
    ("Multi-Family Cloud Plan", "Resident charging for apartments and condos", "AC Level 2"),
    ("Waitlist Add-On", "Queue management for busy sites", "AC Level 2"),
]
TERMS = [1, 2, 3, 5]
STATUS_WEIGHTS = [
    (PortToken.Status.ACTIVE, 55),
    (PortToken.Status.NEW, 15),
    (PortToken.Status.AVAILABLE, 15),
    (PortToken.Status.EXPIRED, 15),
]


@dataclass
class DemoResult:
    tokens: int
    organizations: int
    username: str
    password: str


def _moment(rng: random.Random, day: date) -> datetime:
    """A time of day on `day`, in UTC, at minute precision."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        minutes=rng.randrange(24 * 60)
    )


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _organizations(rng: random.Random, count: int) -> list[Organization]:
    names = set()
    organizations = []
    for index in range(count):
        name = f"{ORG_PREFIXES[index % len(ORG_PREFIXES)]} {rng.choice(ORG_SUFFIXES)}"
        if name in names:
            name = f"{name} {index // len(ORG_PREFIXES) + 1}"
        names.add(name)
        organizations.append(Organization(org_id=f"ORG-{10001 + index}", name=name))
    return Organization.objects.bulk_create(organizations)


def _parts() -> list[CloudPlanPart]:
    parts = []
    for plan_index, (plan, description, port_type) in enumerate(PLANS):
        for term in TERMS:
            for token_type in ("New", "Renewal"):
                code = "R" if token_type == "Renewal" else "N"
                port = "DC" if port_type == "DC Fast" else "L2"
                parts.append(
                    CloudPlanPart(
                        part_no=f"CPCLD-{plan_index + 1:02d}{port}-{term}Y{code}",
                        cloud_plan=plan,
                        description=f"{description}, {term}-year term",
                        term_years=term,
                        port_type=port_type,
                        token_type=token_type,
                    )
                )
    return CloudPlanPart.objects.bulk_create(parts)


def _customers(rng: random.Random, count: int) -> list[Customer]:
    customers = [
        Customer(
            customer_id=f"CUST-{200001 + index}",
            name=f"{rng.choice(ORG_PREFIXES)} {rng.choice(CUSTOMER_WORDS)}",
        )
        for index in range(count)
    ]
    return Customer.objects.bulk_create(customers, batch_size=BATCH)


def _orders(rng: random.Random, count: int, customers: list[Customer]) -> list[Order]:
    orders = []
    for index in range(count):
        order_day = date(2021, 1, 4) + timedelta(days=rng.randrange(365 * 5 + 200))
        shipped = rng.random() < 0.95
        orders.append(
            Order(
                sales_order=f"SO-{3000001 + index}",
                purchase_order=f"PO-{rng.randrange(10**5, 10**6)}" if rng.random() < 0.85 else None,
                customer_reference=(
                    rng.choice(["Phase 2 rollout", "Renewal batch", "Garage B", "Q3 expansion"])
                    if rng.random() < 0.4
                    else None
                ),
                customer=rng.choice(customers),
                order_date=order_day,
                ship_date=order_day + timedelta(days=rng.randrange(2, 21)) if shipped else None,
            )
        )
    return Order.objects.bulk_create(orders, batch_size=BATCH)


def _pick_status(rng: random.Random) -> str:
    roll = rng.randrange(100)
    for status, weight in STATUS_WEIGHTS:
        if roll < weight:
            return status
        roll -= weight
    return PortToken.Status.ACTIVE


def _demo_user(organizations: list[Organization]):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=DEMO_USERNAME)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.first_name = "Demo"
        user.last_name = "Administrator"
        user.save()
    # Manages the first three organizations, views the next three; the rest are foreign.
    for index, organization in enumerate(organizations[:6]):
        role = Membership.Role.MANAGER if index < 3 else Membership.Role.VIEWER
        Membership.objects.update_or_create(
            user=user, organization=organization, defaults={"role": role}
        )
    return user


# --- writing many rows ---------------------------------------------------------------------
#
# Stations, EVSEs and tokens come by the hundred thousand. They are written as plain
# tuples, not model instances: on PostgreSQL with COPY (one stream per table, no SQL per
# row), on SQLite with one prepared INSERT run over each batch. Stations and EVSEs get
# their primary keys before they are written (tokens point at EVSEs, EVSEs at stations):
# on PostgreSQL drawn from the table's own sequence (a batch draws one per token and
# leaves the unused ones as gaps), on SQLite (one writer at a time) counted on from the
# largest key in the table.

STATION_COLUMNS = ("id", "serial", "name", "organization_id")
EVSE_COLUMNS = ("id", "evse_id", "station_id")
TOKEN_COLUMNS = (
    "serial",
    "part_id",
    "order_id",
    "organization_id",
    "evse_id",
    "activation_date",
    "applied_date",
    "plan_start_date",
    "plan_end_date",
    "status",
    "renewal_owner",
)


class _Keys:
    """Primary keys for new rows of one model, handed out before the rows are written."""

    def __init__(self, model):
        self.table = model._meta.db_table
        self.next_sqlite = None

    def take(self, count: int) -> list[int]:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, count],
                )
                return [row[0] for row in cursor.fetchall()]
        if self.next_sqlite is None:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {self.table}")
                self.next_sqlite = cursor.fetchone()[0]
        first, self.next_sqlite = self.next_sqlite, self.next_sqlite + count
        return list(range(first, first + count))


def _write_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert `rows` (values in the order of `columns`) into `model`'s table."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def seed_demo(*, tokens: int, seed: int = 1) -> DemoResult:
    """Create `tokens` port tokens with their organizations, stations, orders and parts,
    all or nothing, and leave the database ready to read (`_vacuum_and_analyze`)."""
    result = _seed(tokens=tokens, seed=seed)
    _vacuum_and_analyze()
    return result


@transaction.atomic
def _seed(*, tokens: int, seed: int) -> DemoResult:
    rng = random.Random(seed)
    organization_count = min(300, max(8, tokens // 2500))
    organizations = _organizations(rng, organization_count)
    parts = _parts()
    customers = _customers(rng, max(4, organization_count * 2))
    orders = _orders(rng, max(1, tokens // 25), customers)
    station_keys, evse_keys = _Keys(Station), _Keys(Evse)
    set_aside = _set_aside_for_loading()
    _pause_token_counting()

    station_number = 0
    # Each organization fills its stations port by port, so active tokens sit together:
    # organization pk -> (station pk, station serial, ports left).
    open_station: dict[int, tuple[int, str, int]] = {}
    stations: list[tuple] = []
    evses: list[tuple] = []

    def next_evse(organization: Organization) -> int:
        nonlocal station_number
        station_pk, station_serial, ports_left = open_station.get(organization.pk, (0, "", 0))
        if ports_left == 0:
            station_number += 1
            station_serial = f"STN-{rng.choice('ABCDEFGH')}{1000000 + station_number}"
            name = f"{organization.name.split()[0]} {rng.choice(PLACES)} {station_number % 97 + 1}"
            station_pk = next(station_pks)
            stations.append((station_pk, station_serial, name, organization.pk))
            ports_left = rng.choice([2, 2, 4, 6])
        evse_pk = next(evse_pks)
        evses.append((evse_pk, f"EVSE-{station_serial[4:]}-{ports_left:02d}", station_pk))
        open_station[organization.pk] = (station_pk, station_serial, ports_left - 1)
        return evse_pk

    created = 0
    while created < tokens:
        batch_size = min(BATCH, tokens - created)
        # At most one station and one EVSE per token of the batch.
        station_pks = iter(station_keys.take(batch_size))
        evse_pks = iter(evse_keys.take(batch_size))
        batch: list[tuple] = []
        for offset in range(batch_size):
            number = created + offset
            organization = organizations[rng.randrange(organization_count)]
            part = rng.choice(parts)
            order = rng.choice(orders) if rng.random() < 0.97 else None
            status = _pick_status(rng)
            base_day = (order.ship_date or order.order_date) if order else date(2022, 6, 1)
            activation = _moment(rng, base_day + timedelta(days=rng.randrange(1, 30)))
            renewal_owner = (
                f"owner-{rng.randrange(1, 400):04d}@{organization.org_id.lower()}.example"
                if rng.random() < 0.6
                else None
            )
            applied = plan_end = evse_pk = None
            if status in (PortToken.Status.ACTIVE, PortToken.Status.EXPIRED):
                term = part.term_years or 1
                if status == PortToken.Status.ACTIVE:
                    # Still running on the reference day.
                    latest_start = REFERENCE_DAY - timedelta(days=1)
                    earliest_start = _add_years(REFERENCE_DAY, -term) + timedelta(days=2)
                else:
                    latest_start = _add_years(REFERENCE_DAY, -term) - timedelta(days=1)
                    earliest_start = latest_start - timedelta(days=900)
                span = max(1, (latest_start - earliest_start).days)
                start_day = earliest_start + timedelta(days=rng.randrange(span))
                applied = _moment(rng, start_day)
                plan_end = datetime.combine(_add_years(start_day, term), applied.timetz())
                activation = min(activation, applied)
                evse_pk = next_evse(organization)
            batch.append(
                (
                    f"CPT{seed:02d}{number + 1:09d}",
                    part.pk,
                    order.pk if order else None,
                    organization.pk,
                    evse_pk,
                    activation,
                    applied,
                    applied,
                    plan_end,
                    status,
                    renewal_owner,
                )
            )
        _write_rows(Station, STATION_COLUMNS, stations)
        _write_rows(Evse, EVSE_COLUMNS, evses)
        _write_rows(PortToken, TOKEN_COLUMNS, batch)
        stations.clear()
        evses.clear()
        created += batch_size

    _put_back(set_aside)
    _compact_token_counts()
    _demo_user(organizations)
    return DemoResult(created, organization_count, DEMO_USERNAME, DEMO_PASSWORD)


# Each token written into the indexes of its table one by one costs more than the writing
# itself (the token table has about twenty indexes, one of them a trigram index), and a
# foreign key is checked row by row (a trigger per inserted row and key, deferred to the
# commit: about fifteen seconds for a million tokens). Into an empty table, a PostgreSQL
# seed drops the secondary indexes and the foreign keys in its transaction; at the end it
# adds each key again, which checks every row at once with one join, and builds each
# index again from the sorted rows, several times faster. Unique indexes stay, so those
# constraints hold throughout. Nobody else sees the table meanwhile (DROP INDEX locks it
# until the seed commits), and a failed seed rolls the drops back.
_SEEDED_TABLES = (Station, Evse, PortToken)
_SECONDARY_INDEXES = """
    SELECT index_class.relname, pg_get_indexdef(pg_index.indexrelid) FROM pg_index
    JOIN pg_class AS index_class ON index_class.oid = pg_index.indexrelid
    WHERE pg_index.indrelid = %s::regclass AND NOT pg_index.indisunique
"""
_FOREIGN_KEYS = """
    SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = %s::regclass AND contype = 'f'
"""


def _set_aside_for_loading() -> list[str]:
    """Drop the secondary indexes and foreign keys of the seeded tables that are still
    empty; the statements that put them back (`_put_back`), the keys first."""
    if connection.vendor != "postgresql":
        return []
    keys, indexes = [], []
    with connection.cursor() as cursor:
        for model in _SEEDED_TABLES:
            if model.objects.exists():
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(_SECONDARY_INDEXES, [model._meta.db_table])
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                indexes.append(definition)
            cursor.execute(_FOREIGN_KEYS, [model._meta.db_table])
            foreign_keys = cursor.fetchall()
            # Dropping a key alters the table it refers to as well, which PostgreSQL
            # refuses while checks of rows written there are pending: check them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name, definition in foreign_keys:
                name = connection.ops.quote_name(name)
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
                keys.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    return keys + indexes


def _put_back(statements: list[str]) -> None:
    if not statements:
        return
    with connection.cursor() as cursor:
        # A table with foreign-key checks still pending (deferred to the commit) can be
        # neither altered nor indexed: check them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in statements:
            cursor.execute(statement)


def _pause_token_counting() -> None:
    """Switch off the trigger that keeps the token counts on insert, until the seed's
    commit (PostgreSQL): `_compact_token_counts` writes them afresh from the tokens at
    the end anyway, so counting each batch on the way is wasted. The switch is part of the
    seed's transaction, and holds off other writers of the token table until it ends, so
    no insert goes uncounted."""
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(PortToken._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {_COUNT_ON_INSERT}")


_COUNT_ON_INSERT = "inventory_tokencount_insert"


def _compact_token_counts() -> None:
    """Write the kept token counts afresh from the tokens (PostgreSQL), and count each
    insert again from here on (`_pause_token_counting`). Counted batch by batch, every
    batch's upsert left the old row versions behind: after five million tokens the table
    of 67,000 counts filled 454 MB, and the status summary read all of it. Emptied and
    refilled in the seed's transaction, it is written once, exact, and a few megabytes."""
    if connection.vendor != "postgresql":
        return
    counts = connection.ops.quote_name(TokenCount._meta.db_table)
    tokens = connection.ops.quote_name(PortToken._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {tokens} ENABLE TRIGGER {_COUNT_ON_INSERT}")
        cursor.execute(f"TRUNCATE {counts}")
        cursor.execute(
            f"INSERT INTO {counts} (organization_id, part_id, status, tokens) "
            f"SELECT organization_id, part_id, status, count(*) FROM {tokens} "
            "GROUP BY organization_id, part_id, status"
        )


def _vacuum_and_analyze() -> None:
    """Statistics and the visibility map for the freshly written tables (PostgreSQL).
    Without statistics the planner guesses: right after a seed of a million tokens the
    superuser's page sorted by Station Name took 1,520 ms, 118 ms after this, and one
    `contains` filter 835 ms, then 476 ms; and an index-only scan still visits each
    table page that VACUUM has not marked all-visible. Autovacuum would get there
    minutes later, or never where it is off. VACUUM cannot run inside a transaction (a
    test's): there, ANALYZE alone."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (*_SEEDED_TABLES, Organization, CloudPlanPart, Customer, Order, TokenCount)
    )
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {tables}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
