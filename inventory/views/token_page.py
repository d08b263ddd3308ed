"""One token's page: its 25 fields grouped as an administrator reads them, its
organization, and every transfer that moved it.

Thin: the access module says whether the user may see the token (`token_for_user`, a 404
otherwise) and which transfers they may read (`token_transfers`); the column registry
says how each value is shown, exactly as in the table; the organization names follow the
transfer pages' rule (`organization_names`).
"""

from typing import NamedTuple
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse

from inventory.columns import COLUMNS_BY_KEY, Column
from inventory.dbfunctions import timestamp_text
from inventory.models import PortToken, TransferItem
from inventory.selectors import (
    OrganizationLabel,
    organization_names,
    token_for_user,
    token_transfers,
)

#: The page's sections and the columns each shows, in order. Token S/N is the heading;
#: every other column is in exactly one section.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Plan", ("part_no", "cloud_plan", "description", "term_years", "token_type")),
    ("Port and station", ("port_type", "evse_id", "station_sn", "station_name", "applied_date")),
    (
        "Order",
        (
            "purchase_order",
            "sales_order",
            "customer_reference",
            "customer_name",
            "customer_id",
            "order_date",
            "ship_date",
        ),
    ),
    (
        "Status",
        ("status", "activation_date", "plan_start_date", "plan_end_date", "renewal_owner"),
    ),
    ("Organization", ("org_id", "org_name")),
)


class Field(NamedTuple):
    """One value as the table shows it ('' when empty), with a link where it has one."""

    key: str
    label: str
    text: str
    url: str | None = None


class TransferRow(NamedTuple):
    """One transfer that moved the token, its organizations as this reader may see them."""

    item: TransferItem
    when: str
    source: OrganizationLabel
    destination: OrganizationLabel
    url: str


def token_detail(request, token_sn):
    token = token_for_user(request.user, token_sn)
    reader = organization_names(request.user)
    items, unreadable = token_transfers(request.user, token)
    org_url = (
        reverse("inventory:port_tokens")
        + "?"
        + urlencode([("filter", f"org_id:is:{token.organization.org_id}")])
    )
    sections = [
        (title, [_field(token, COLUMNS_BY_KEY[key], org_url) for key in keys])
        for title, keys in SECTIONS
    ]
    transfers = [
        TransferRow(
            item,
            timestamp_text(item.transfer.created_at),
            reader.label(item.from_organization),
            reader.label(item.transfer.to_organization),
            reverse("inventory:transfer_detail", args=[item.transfer_id]),
        )
        for item in items
    ]
    return render(
        request,
        "inventory/token_detail.html",
        {
            "token": token,
            "page_title": f"Port Token {token.serial}",
            "sections": sections,
            "transfers": transfers,
            "unreadable_transfers": unreadable,
        },
    )


def _field(token: PortToken, column: Column, org_url: str) -> Field:
    return Field(
        column.key,
        column.label,
        column.format(_stored_value(token, column)),
        org_url if column.key == "org_name" else None,
    )


def _stored_value(token: PortToken, column: Column):
    """The column's stored value, read along its ORM path through the joined objects
    (`token_for_user` joins them all); None where a link on the way is empty (no EVSE,
    no order)."""
    value = token
    for name in column.path.split("__"):
        value = getattr(value, name)
        if value is None:
            return None
    return value
