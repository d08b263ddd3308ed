"""The 25 columns of the Port Tokens table: the one place that says what each column is.

The table, the filters, the exports and the import all read this registry. A column has
a stable `key` (URLs, code), the `label` people see (header, chooser, filter list, export
header, import header), the ORM `path` from PortToken through the normalized tables, and a
`kind` that decides how its value is shown, compared and exported.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from django.db.models import F

from inventory.dbfunctions import (
    DateText,
    NumberText,
    PacificTimestampText,
    date_text,
    timestamp_text,
)


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    TIMESTAMP = "timestamp"  # stored UTC, shown Pacific 'YYYY-MM-DD HH:MM'
    DATE = "date"  # shown 'YYYY-MM-DD'


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    path: str
    kind: Kind = Kind.TEXT

    @property
    def is_temporal(self) -> bool:
        return self.kind in (Kind.TIMESTAMP, Kind.DATE)

    @property
    def short_label(self) -> str:
        """The label without its qualifiers, for a sentence: 'Plan End Date' for 'Plan End
        Date / Auto Renew On (Pacific Time)'."""
        return self.label.split(" / ")[0].removesuffix(" (Pacific Time)")

    def display_expression(self):
        """A database expression giving exactly the text the table shows (NULL if empty)."""
        field = F(self.path)
        if self.kind is Kind.TIMESTAMP:
            return PacificTimestampText(field)
        if self.kind is Kind.DATE:
            return DateText(field)
        if self.kind is Kind.NUMBER:
            return NumberText(field)
        return field

    def format(self, value) -> str:
        """The text shown for a stored value; empty string for an empty value."""
        if value is None:
            return ""
        if self.kind is Kind.TIMESTAMP:
            return timestamp_text(value)
        if self.kind is Kind.DATE:
            if isinstance(value, datetime):
                value = value.date()
            return date_text(value) if isinstance(value, date) else str(value)
        return str(value)


COLUMNS: tuple[Column, ...] = (
    Column("token_sn", "Token S/N", "serial"),
    Column("part_no", "Part No.", "part__part_no"),
    Column("cloud_plan", "Cloud Plan", "part__cloud_plan"),
    Column("description", "Description", "part__description"),
    Column("term_years", "Term (Years)", "part__term_years", Kind.NUMBER),
    Column("port_type", "Port Type", "part__port_type"),
    Column("token_type", "Token Type", "part__token_type"),
    Column("org_id", "Org ID", "organization__org_id"),
    Column("org_name", "Org Name", "organization__name"),
    Column("evse_id", "EVSE ID", "evse__evse_id"),
    Column("station_sn", "Station S/N", "evse__station__serial"),
    Column("station_name", "Station Name", "evse__station__name"),
    Column("activation_date", "Activation Date (Pacific Time)", "activation_date", Kind.TIMESTAMP),
    Column("applied_date", "Applied Date (Pacific Time)", "applied_date", Kind.TIMESTAMP),
    Column("plan_start_date", "Plan Start Date (Pacific Time)", "plan_start_date", Kind.TIMESTAMP),
    Column(
        "plan_end_date",
        "Plan End Date / Auto Renew On (Pacific Time)",
        "plan_end_date",
        Kind.TIMESTAMP,
    ),
    Column("purchase_order", "Purchase Order", "order__purchase_order"),
    Column("sales_order", "Sales Order", "order__sales_order"),
    Column("customer_reference", "Customer Reference", "order__customer_reference"),
    Column("customer_name", "Customer Name", "order__customer__name"),
    Column("customer_id", "Customer ID", "order__customer__customer_id"),
    Column("order_date", "Order Date", "order__order_date", Kind.DATE),
    Column("ship_date", "Ship Date", "order__ship_date", Kind.DATE),
    Column("status", "Status", "status"),
    Column("renewal_owner", "Renewal Owner", "renewal_owner"),
)

COLUMNS_BY_KEY: dict[str, Column] = {column.key: column for column in COLUMNS}
COLUMNS_BY_LABEL: dict[str, Column] = {column.label: column for column in COLUMNS}

DEFAULT_COLUMN_KEYS: tuple[str, ...] = (
    "token_sn",
    "cloud_plan",
    "term_years",
    "port_type",
    "org_name",
    "station_name",
    "evse_id",
    "plan_start_date",
    "plan_end_date",
    "status",
)

assert len(COLUMNS) == 25 and len(COLUMNS_BY_KEY) == 25 and len(COLUMNS_BY_LABEL) == 25
