"""Indexes in the table's sort order on the columns of the tables around the token
(PostgreSQL), so that sorting the tokens by one of them reads its first pages from an
index instead of sorting every token.

The table sorts a text column by `NULLIF(column, '')` (empty text last, as no value) in
either direction with empty values last, then by Token S/N (`inventory.filtering.
sort_keys`). PostgreSQL can walk these rows in that order, take each one's tokens by
index, and sort only within a group of equal values (an incremental sort): Org Name
descending, page 7, at a million tokens 7 ms instead of 200 ms. Every token has an
organization and a part; a token may have no EVSE or order, and such tokens come last in
either direction, so the page reads those apart (`inventory.tables`, by Token S/N) and
merges the two. SQLite's benchmark scale needs none; there the migration does nothing.
"""

from django.db import migrations

#: (table, column, whether it is text): text is sorted by NULLIF(column, '').
SORTED_COLUMNS = [
    ("inventory_organization", "name", True),
    ("inventory_organization", "org_id", True),
    ("inventory_cloudplanpart", "part_no", True),
    ("inventory_cloudplanpart", "cloud_plan", True),
    ("inventory_cloudplanpart", "description", True),
    ("inventory_cloudplanpart", "port_type", True),
    ("inventory_cloudplanpart", "token_type", True),
    ("inventory_cloudplanpart", "term_years", False),
    ("inventory_evse", "evse_id", True),
    ("inventory_station", "serial", True),
    ("inventory_station", "name", True),
    ("inventory_order", "purchase_order", True),
    ("inventory_order", "sales_order", True),
    ("inventory_order", "customer_reference", True),
    ("inventory_order", "order_date", False),
    ("inventory_order", "ship_date", False),
    ("inventory_customer", "name", True),
    ("inventory_customer", "customer_id", True),
]


def _indexes() -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement): each column in both directions, empty last."""
    indexes = []
    for table, column, is_text in SORTED_COLUMNS:
        key = f"(NULLIF({column}, ''))" if is_text else column
        short = table.removeprefix("inventory_")
        for direction in ("ASC", "DESC"):
            name = f"{short}_{column}_sort_{direction.lower()}"
            statement = f"CREATE INDEX {name} ON {table} ({key} {direction} NULLS LAST)"
            indexes.append((name, statement))
    return indexes


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, statement in _indexes():
        schema_editor.execute(statement, params=None)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in _indexes():
        schema_editor.execute(f"DROP INDEX {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_renewal_owner_search_index"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
