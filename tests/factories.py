"""Small factories: each builds one object with sensible defaults, overridable by keyword."""

import itertools
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model

from inventory.models import (
    CloudPlanPart,
    Customer,
    Evse,
    ExportLog,
    Membership,
    Order,
    Organization,
    PortToken,
    Station,
)

_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


def make_user(username=None, *, password="correct-horse-battery", **fields):
    username = username or f"user{_next()}"
    return get_user_model().objects.create_user(username=username, password=password, **fields)


def make_superuser(username=None, *, password="correct-horse-battery"):
    username = username or f"admin{_next()}"
    return get_user_model().objects.create_superuser(
        username=username, password=password, email=f"{username}@example.com"
    )


def make_organization(org_id=None, name=None):
    n = _next()
    return Organization.objects.create(org_id=org_id or f"ORG-{n:05d}", name=name or f"Org {n}")


def grant(user, organization, role=Membership.Role.VIEWER):
    return Membership.objects.create(user=user, organization=organization, role=role)


def make_part(part_no=None, **fields):
    defaults = {
        "cloud_plan": "Commercial Cloud Plan",
        "description": "Commercial networked charging plan",
        "term_years": 1,
        "port_type": "AC Level 2",
        "token_type": "New",
    }
    defaults.update(fields)
    return CloudPlanPart.objects.create(part_no=part_no or f"CPCLD-{_next():05d}", **defaults)


def make_customer(customer_id=None, name=None):
    n = _next()
    return Customer.objects.create(
        customer_id=customer_id or f"CUST-{n:05d}", name=name or f"Customer {n}"
    )


def make_order(sales_order=None, **fields):
    if "customer" not in fields:
        fields["customer"] = make_customer()
    return Order.objects.create(sales_order=sales_order or f"SO-{_next():07d}", **fields)


def make_station(organization, serial=None, name=None):
    n = _next()
    return Station.objects.create(
        serial=serial or f"STN-{n:07d}", name=name or f"Station {n}", organization=organization
    )


def make_evse(station=None, evse_id=None, *, organization=None):
    if station is None:
        station = make_station(organization or make_organization())
    return Evse.objects.create(evse_id=evse_id or f"EVSE-{_next():07d}", station=station)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_token(organization=None, serial=None, **fields):
    """A token of `organization`; New and applied to nothing unless told otherwise."""
    if organization is None:
        organization = make_organization()
    if "part" not in fields:
        fields["part"] = make_part()
    fields.setdefault("status", PortToken.Status.NEW)
    return PortToken.objects.create(
        serial=serial or f"TKN-{_next():08d}", organization=organization, **fields
    )


def make_tokens(organization, count, *, prefix="BULK", part=None, **fields):
    """`count` tokens of `organization` in one insert, serials `<prefix>-000000` upward."""
    part = part or make_part()
    fields.setdefault("status", PortToken.Status.NEW)
    return PortToken.objects.bulk_create(
        [
            PortToken(serial=f"{prefix}-{n:06d}", organization=organization, part=part, **fields)
            for n in range(count)
        ],
        batch_size=2000,
    )


def make_export_log(user, *, created_at=None, seconds=None, **fields):
    """An export log row of `user` (a finished CSV of the visible columns unless told
    otherwise), made at `created_at` and, if `seconds` is given, completed that much later."""
    fields.setdefault("file_format", "csv")
    fields.setdefault("scope", "visible")
    fields.setdefault("outcome", ExportLog.Outcome.FINISHED)
    log = ExportLog.objects.create(user=user, **fields)
    if created_at is not None:
        # created_at is set on insert (auto_now_add); a test chooses the moment after.
        ExportLog.objects.filter(pk=log.pk).update(created_at=created_at)
        log.refresh_from_db()
    if seconds is not None:
        log.completed_at = log.created_at + timedelta(seconds=seconds)
        log.save(update_fields=["completed_at"])
    return log
