"""Deterministic, realistic demo data for `seed_demo`.

The same `tokens` and `seed` always give the same rows. Everything is inserted with
`bulk_create` in batches, so a million tokens keep memory flat.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

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


@transaction.atomic
def seed_demo(*, tokens: int, seed: int = 1) -> DemoResult:
    """Create `tokens` port tokens with their organizations, stations, orders and parts."""
    rng = random.Random(seed)
    organization_count = min(300, max(8, tokens // 2500))
    organizations = _organizations(rng, organization_count)
    parts = _parts()
    customers = _customers(rng, max(4, organization_count * 2))
    orders = _orders(rng, max(1, tokens // 25), customers)

    station_number = 0
    evse_number = 0
    # Each organization fills its stations port by port, so active tokens sit together.
    open_station: dict[int, tuple[Station, int]] = {}

    def next_evse(organization: Organization, pending_stations, pending_evses) -> Evse:
        nonlocal station_number, evse_number
        station, ports_left = open_station.get(organization.pk, (None, 0))
        if station is None or ports_left == 0:
            station_number += 1
            station = Station(
                serial=f"STN-{rng.choice('ABCDEFGH')}{1000000 + station_number}",
                name=(
                    f"{organization.name.split()[0]} {rng.choice(PLACES)} {station_number % 97 + 1}"
                ),
                organization=organization,
            )
            pending_stations.append(station)
            ports_left = rng.choice([2, 2, 4, 6])
        evse_number += 1
        port = ports_left
        evse = Evse(evse_id=f"EVSE-{station.serial[4:]}-{port:02d}", station=station)
        open_station[organization.pk] = (station, ports_left - 1)
        pending_evses.append(evse)
        return evse

    created = 0
    while created < tokens:
        batch_size = min(BATCH, tokens - created)
        pending_stations: list[Station] = []
        pending_evses: list[Evse] = []
        batch: list[PortToken] = []
        for offset in range(batch_size):
            number = created + offset
            organization = organizations[rng.randrange(organization_count)]
            part = rng.choice(parts)
            order = rng.choice(orders) if rng.random() < 0.97 else None
            status = _pick_status(rng)
            base_day = (order.ship_date or order.order_date) if order else date(2022, 6, 1)
            activation = _moment(rng, base_day + timedelta(days=rng.randrange(1, 30)))
            token = PortToken(
                serial=f"CPT{seed:02d}{number + 1:09d}",
                part=part,
                order=order,
                organization=organization,
                status=status,
                activation_date=activation,
                renewal_owner=(
                    f"owner-{rng.randrange(1, 400):04d}@{organization.org_id.lower()}.example"
                    if rng.random() < 0.6
                    else None
                ),
            )
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
                token.applied_date = applied
                token.plan_start_date = applied
                token.plan_end_date = datetime.combine(
                    _add_years(start_day, term), applied.timetz()
                )
                token.activation_date = min(activation, applied)
                token.evse = next_evse(organization, pending_stations, pending_evses)
            batch.append(token)
        Station.objects.bulk_create(pending_stations)
        Evse.objects.bulk_create(pending_evses)
        # bulk_create fills primary keys on PostgreSQL and SQLite; re-point the foreign
        # keys so the tokens see the saved EVSEs.
        for token in batch:
            if token.evse is not None:
                token.evse_id = token.evse.pk
        PortToken.objects.bulk_create(batch)
        created += batch_size

    _demo_user(organizations)
    return DemoResult(created, organization_count, DEMO_USERNAME, DEMO_PASSWORD)
