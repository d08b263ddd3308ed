"""A million tokens without counting them: token counts kept by the database, and the
indexes that let PostgreSQL answer the table's filters and sorts without reading every row.

Token counts (`TokenCount`: tokens per organization, part and status) are kept exact by
triggers on the token table, so every writer is covered (the import, transfers, the demo
seed, the admin, a database shell), in the same transaction as its change:
- PostgreSQL: statement triggers with transition tables add up a statement's rows per
  group and apply each group's change in one upsert, in group order (so two statements
  lock count rows in the same order); an import of 100,000 rows costs one grouped query,
  not 100,000. TRUNCATE of the tokens empties the counts.
- SQLite has no statement triggers: row triggers add or take one per row (a few
  microseconds each). On SQLite Django alters a table by rebuilding it, which drops its
  triggers: a later migration that alters the token table must install these again
  (tests/test_token_counts.py fails otherwise).
The existing tokens are counted once here.

PostgreSQL only (SQLite has neither; its benchmark scale is 100,000 tokens):
- pg_trgm, and a trigram GIN index on the case-folded text of each column people search
  (Token S/N, station, EVSE, organization, customer, order). `contains` compares
  `lower(column) LIKE '%value%'`, which these indexes answer; the expression indexed is
  exactly the one the filter writes (`inventory.filtering`). Each index on the token
  table costs every write of a token (a transfer changes the organization of 10,000, and
  a GIN index takes far longer to update than a B-tree): Renewal Owner has none.
- For each timestamp column an index in the order of the table's descending sort (empty
  values last, then Token S/N), so a descending sort reads its first page from an index as
  the ascending one already does (`token_plan_end` and the others); and Plan End by
  organization, for the "ends within" counts of a reader of a few organizations.
"""

from django.db import NotSupportedError, migrations, models

# --- counts: PostgreSQL ---------------------------------------------------------------------

_PG_APPLY = """
    INSERT INTO inventory_tokencount (organization_id, part_id, status, tokens)
    SELECT organization_id, part_id, status, sum(n) FROM ({rows}) AS changed
    GROUP BY organization_id, part_id, status
    HAVING sum(n) <> 0
    ORDER BY organization_id, part_id, status
    ON CONFLICT (organization_id, part_id, status)
    DO UPDATE SET tokens = inventory_tokencount.tokens + EXCLUDED.tokens;
"""
_NEW = "SELECT organization_id, part_id, status, 1 AS n FROM new_tokens"
_OLD = "SELECT organization_id, part_id, status, -1 AS n FROM old_tokens"


def _pg_function(name: str, rows: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_PG_APPLY.format(rows=rows)}
    RETURN NULL;
END
$$;
"""


POSTGRESQL_COUNTS_INSTALL = (
    _pg_function("inventory_count_inserted_tokens", _NEW)
    + _pg_function("inventory_count_deleted_tokens", _OLD)
    + _pg_function("inventory_count_updated_tokens", f"{_NEW} UNION ALL {_OLD}")
    + """
CREATE FUNCTION inventory_count_truncated_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM inventory_tokencount;
    RETURN NULL;
END
$$;

CREATE TRIGGER inventory_tokencount_insert AFTER INSERT ON inventory_porttoken
    REFERENCING NEW TABLE AS new_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_count_inserted_tokens();
CREATE TRIGGER inventory_tokencount_delete AFTER DELETE ON inventory_porttoken
    REFERENCING OLD TABLE AS old_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_count_deleted_tokens();
CREATE TRIGGER inventory_tokencount_update AFTER UPDATE ON inventory_porttoken
    REFERENCING OLD TABLE AS old_tokens NEW TABLE AS new_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_count_updated_tokens();
CREATE TRIGGER inventory_tokencount_truncate AFTER TRUNCATE ON inventory_porttoken
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_count_truncated_tokens();
"""
)

POSTGRESQL_COUNTS_REMOVE = """
DROP TRIGGER inventory_tokencount_truncate ON inventory_porttoken;
DROP TRIGGER inventory_tokencount_update ON inventory_porttoken;
DROP TRIGGER inventory_tokencount_delete ON inventory_porttoken;
DROP TRIGGER inventory_tokencount_insert ON inventory_porttoken;
DROP FUNCTION inventory_count_truncated_tokens();
DROP FUNCTION inventory_count_updated_tokens();
DROP FUNCTION inventory_count_deleted_tokens();
DROP FUNCTION inventory_count_inserted_tokens();
"""

# --- counts: SQLite ---------------------------------------------------------------------------

_SQLITE_ADD = """
    INSERT INTO inventory_tokencount (organization_id, part_id, status, tokens)
    VALUES (NEW.organization_id, NEW.part_id, NEW.status, 1)
    ON CONFLICT (organization_id, part_id, status) DO UPDATE SET tokens = tokens + 1;"""
_SQLITE_TAKE = """
    UPDATE inventory_tokencount SET tokens = tokens - 1
    WHERE organization_id = OLD.organization_id AND part_id = OLD.part_id
    AND status = OLD.status;"""

SQLITE_COUNT_TRIGGERS = {
    "inventory_tokencount_insert": f"""
        AFTER INSERT ON inventory_porttoken
        BEGIN {_SQLITE_ADD}
        END""",
    "inventory_tokencount_delete": f"""
        AFTER DELETE ON inventory_porttoken
        BEGIN {_SQLITE_TAKE}
        END""",
    "inventory_tokencount_update": f"""
        AFTER UPDATE OF organization_id, part_id, status ON inventory_porttoken
        WHEN OLD.organization_id IS NOT NEW.organization_id OR OLD.part_id IS NOT NEW.part_id
            OR OLD.status IS NOT NEW.status
        BEGIN {_SQLITE_TAKE} {_SQLITE_ADD}
        END""",
}

COUNT_EXISTING = """
INSERT INTO inventory_tokencount (organization_id, part_id, status, tokens)
SELECT organization_id, part_id, status, count(*) FROM inventory_porttoken
GROUP BY organization_id, part_id, status
"""


def install_count_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_COUNTS_INSTALL, params=None)
    elif vendor == "sqlite":
        for name, body in SQLITE_COUNT_TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {body}", params=None)
    else:
        # The app supports PostgreSQL and SQLite only: without triggers the kept counts
        # would drift from the tokens, so the migration refuses to run elsewhere.
        raise NotSupportedError(
            f"The Port Tokens inventory runs on PostgreSQL or SQLite, not {vendor}: the "
            "kept token counts' triggers exist for those two only."
        )
    schema_editor.execute(COUNT_EXISTING, params=None)


def remove_count_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_COUNTS_REMOVE, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_COUNT_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER {name}", params=None)


# --- PostgreSQL indexes -----------------------------------------------------------------------

#: (index name, table, column): a trigram index on lower(column).
TRIGRAM_INDEXES = [
    ("token_serial_trgm", "inventory_porttoken", "serial"),
    ("station_serial_trgm", "inventory_station", "serial"),
    ("station_name_trgm", "inventory_station", "name"),
    ("evse_id_trgm", "inventory_evse", "evse_id"),
    ("organization_id_trgm", "inventory_organization", "org_id"),
    ("organization_name_trgm", "inventory_organization", "name"),
    ("customer_id_trgm", "inventory_customer", "customer_id"),
    ("customer_name_trgm", "inventory_customer", "name"),
    ("order_sales_trgm", "inventory_order", "sales_order"),
    ("order_purchase_trgm", "inventory_order", "purchase_order"),
    ("order_reference_trgm", "inventory_order", "customer_reference"),
]
TIMESTAMP_COLUMNS = ["activation_date", "applied_date", "plan_start_date", "plan_end_date"]


def _postgresql_indexes() -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of each PostgreSQL-only index."""
    indexes = [
        (name, f"CREATE INDEX {name} ON {table} USING gin (lower({column}) gin_trgm_ops)")
        for name, table, column in TRIGRAM_INDEXES
    ]
    for column in TIMESTAMP_COLUMNS:
        name = f"token_{column}_desc"
        indexes.append(
            (
                name,
                f"CREATE INDEX {name} ON inventory_porttoken ({column} DESC NULLS LAST, serial)",
            )
        )
    # "Ends within 30, 60, 90 days" for the organizations of one reader: a range of each.
    indexes.append(
        (
            "token_org_plan_end",
            "CREATE INDEX token_org_plan_end ON inventory_porttoken "
            "(organization_id, plan_end_date)",
        )
    )
    return indexes


def create_postgresql_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    for _, statement in _postgresql_indexes():
        schema_editor.execute(statement, params=None)


def drop_postgresql_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in _postgresql_indexes():
        schema_editor.execute(f"DROP INDEX {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0005_api_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="TokenCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("status", models.CharField(max_length=16)),
                ("tokens", models.BigIntegerField(default=0)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=models.deletion.CASCADE,
                        related_name="token_counts",
                        to="inventory.organization",
                    ),
                ),
                (
                    "part",
                    models.ForeignKey(
                        on_delete=models.deletion.CASCADE,
                        related_name="token_counts",
                        to="inventory.cloudplanpart",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "part", "status"),
                        name="one_token_count_per_group",
                    ),
                ],
            },
        ),
        migrations.RunPython(install_count_triggers, remove_count_triggers),
        migrations.RunPython(create_postgresql_indexes, drop_postgresql_indexes),
    ]
