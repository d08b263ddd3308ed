"""Shared helpers of the import tests: a complete row, files written from rows, running
`import_tokens` and reading its problems."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from inventory.columns import COLUMNS, COLUMNS_BY_KEY
from inventory.models import (
    CloudPlanPart,
    Customer,
    Evse,
    Order,
    Organization,
    PortToken,
    Station,
)

LABELS = [column.label for column in COLUMNS]


def token_row(**values) -> dict[str, object]:
    """One complete row by column key: an Active token with its order, plan and EVSE."""
    row = {
        "token_sn": "TKN-0001",
        "part_no": "CPCLD-01L2-1YN",
        "cloud_plan": "Commercial Cloud Plan",
        "description": "Networked charging, 1-year term",
        "term_years": "1",
        "port_type": "AC Level 2",
        "token_type": "New",
        "org_id": "ORG-ACME",
        "org_name": "Acme Charging",
        "evse_id": "EVSE-100-01",
        "station_sn": "STN-100",
        "station_name": "Acme Main St",
        "activation_date": "2025-07-01 09:15",
        "applied_date": "2025-07-01 09:20",
        "plan_start_date": "2025-07-01 09:20",
        "plan_end_date": "2026-07-01 09:20",
        "purchase_order": "PO-555",
        "sales_order": "SO-3000001",
        "customer_reference": "Garage B",
        "customer_name": "Harbor Realty",
        "customer_id": "CUST-200001",
        "order_date": "2025-06-01",
        "ship_date": "2025-06-05",
        "status": "Active",
        "renewal_owner": "owner-0001@acme.example",
    }
    unknown = set(values) - set(row)
    assert not unknown, f"not column keys: {unknown}"
    row.update(values)
    return row


def unapplied(**values) -> dict[str, object]:
    """A New token applied to no EVSE."""
    values = {
        "evse_id": "",
        "station_sn": "",
        "station_name": "",
        "applied_date": "",
        "plan_start_date": "",
        "plan_end_date": "",
        "status": "New",
        **values,
    }
    return token_row(**values)


def write_csv(tmp_path: Path, rows, *, labels=None, name="tokens.csv", bom=False) -> Path:
    labels = labels or LABELS
    key_of = {column.label: column.key for column in COLUMNS}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(labels)
    for row in rows:
        writer.writerow([row.get(key_of.get(label), "") for label in labels])
    path = tmp_path / name
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


def write_xlsx(tmp_path: Path, rows, *, labels=None, name="tokens.xlsx") -> Path:
    labels = labels or LABELS
    key_of = {column.label: column.key for column in COLUMNS}
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Port Tokens"
    sheet.append(labels)
    for row in rows:
        sheet.append([row.get(key_of[label]) for label in labels])
    path = tmp_path / name
    workbook.save(path)
    return path


def run_import(path, *options: str) -> str:
    out = io.StringIO()
    call_command("import_tokens", str(path), *options, stdout=out)
    return out.getvalue()


def import_problems(path, *options: str) -> list[str]:
    """The lines of the failure message, which must name every problem."""
    with pytest.raises(CommandError) as failure:
        run_import(path, *options)
    return str(failure.value).splitlines()


def assert_nothing_written():
    for model in (PortToken, Organization, Customer, Order, CloudPlanPart, Station, Evse):
        assert not model.objects.exists(), f"{model.__name__} rows were written"


def shown(token: PortToken, key: str) -> str:
    """The text the table shows for this token's column."""
    column = COLUMNS_BY_KEY[key]
    value = PortToken.objects.filter(pk=token.pk).values_list(column.path, flat=True).get()
    return column.format(value)
