"""The inventory's invariants as database constraints, and a transfer history that the
database itself keeps append-only.

Check constraints: Plan End is not before Plan Start; a term is at least one year; the keys
people type and read (Token S/N, Org ID, Customer ID, Station S/N, EVSE ID, Part No., Sales
Order) are not blank, that is not empty and not only spaces, tabs and line breaks; a
transfer moves at least one token. A deployed database holding a row that breaks one would
stop the migration half-way with a bare database error, so such rows are looked for first
and named.

Triggers, one set per database (the SQL below):
- History rows (inventory_transfer, inventory_transferitem) refuse UPDATE and DELETE from
  any client: the ORM, `_base_manager`, raw SQL, a database shell. On PostgreSQL TRUNCATE
  is refused too, unless the table is empty: emptying an empty table destroys no history,
  and that is what lets a test database be reset (see tests/conftest.py). On SQLite an
  INSERT OR REPLACE deletes the row it collides with without firing delete triggers, so
  an insert that collides with a history row is refused as well.
- A transfer's token count equals its rows (this spans two tables, so no CHECK can say
  it). PostgreSQL checks it exactly: at commit, by a deferred constraint trigger on the
  new transfer, and after every insert of rows (never more than the count, which also
  covers rows added later to an old transfer). SQLite has neither deferred nor statement
  triggers, so it refuses a row beyond the count, and a new transfer while the newest one
  is still short of its count: every transfer but the newest is then exactly complete, and
  the service writes the newest whole in one transaction. (Counting per row costs SQLite
  about a second and a half for a transfer of the most tokens allowed, 10,000.)

Only a schema change can lift these (dropping or disabling triggers needs the tables'
owner): that is a migration, reviewed like code, not data access. On SQLite Django alters
a table by rebuilding it, which drops the table's triggers: a later migration that alters
these two tables must install them again (tests/test_append_only.py fails otherwise).
"""

from django.db import NotSupportedError, migrations, models
from django.db.models import Count, F, Func, Q, Value
from django.db.models.lookups import Exact

# The same set as inventory.models.BLANK_CHARACTERS, frozen here as migrations must be.
BLANK_CHARACTERS = " \t\n\r"


def not_blank(field, name):
    trimmed = Func(
        F(field), Value(BLANK_CHARACTERS), function="TRIM", output_field=models.CharField()
    )
    return models.CheckConstraint(condition=~Q(Exact(trimmed, Value(""))), name=name)


# --- rows that would stop the migration -------------------------------------------------

KEYS = [
    ("PortToken", "serial", "Token S/N"),
    ("Organization", "org_id", "Org ID"),
    ("Customer", "customer_id", "Customer ID"),
    ("Station", "serial", "Station S/N"),
    ("Evse", "evse_id", "EVSE ID"),
    ("CloudPlanPart", "part_no", "Part No."),
    ("Order", "sales_order", "Sales Order"),
]
SHOWN = 10


class ExistingRowsBreakInvariants(Exception):
    pass


def _named(queryset, field):
    names = [str(value) for value in queryset.values_list(field, flat=True)[:SHOWN]]
    more = queryset.count() - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def refuse_existing_breaches(apps, schema_editor):
    """Name every kind of row the new constraints would refuse, before adding any."""
    alias = schema_editor.connection.alias

    def rows(model_name):
        return apps.get_model("inventory", model_name).objects.using(alias)

    breaches = []
    for model_name, field, label in KEYS:
        trimmed = Func(
            F(field), Value(BLANK_CHARACTERS), function="TRIM", output_field=models.CharField()
        )
        blank = rows(model_name).filter(Exact(trimmed, Value("")))
        if blank.exists():
            breaches.append(f"{label} is blank in {blank.count()} {model_name} row(s).")
    reversed_plans = rows("PortToken").filter(plan_end_date__lt=F("plan_start_date"))
    if reversed_plans.exists():
        breaches.append(
            "Plan End Date is before Plan Start Date for tokens "
            f"{_named(reversed_plans.order_by('serial'), 'serial')}."
        )
    no_term = rows("CloudPlanPart").filter(term_years__lt=1)
    if no_term.exists():
        breaches.append(
            f"Term (Years) is 0 for parts {_named(no_term.order_by('part_no'), 'part_no')}."
        )
    uneven = (
        rows("Transfer")
        .annotate(listed=Count("items"))
        .filter(~Q(token_count=F("listed")) | Q(token_count__lt=1))
        .order_by("pk")
    )
    if uneven.exists():
        breaches.append(
            f"The token count differs from the tokens listed for transfers #{_named(uneven, 'pk')}."
        )
    if breaches:
        raise ExistingRowsBreakInvariants(
            "Existing rows break the invariants this migration adds; correct them, then "
            "migrate again:\n- " + "\n- ".join(breaches)
        )


# --- PostgreSQL ---------------------------------------------------------------------------

POSTGRESQL_INSTALL = """
CREATE FUNCTION inventory_refuse_history_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    has_rows boolean;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            INTO has_rows;
        IF NOT has_rows THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION 'Transfer history is append-only: % on % refused.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'A transfer is recorded once and never changed or deleted.';
END
$$;

CREATE TRIGGER inventory_transfer_append_only
    BEFORE UPDATE OR DELETE ON inventory_transfer
    FOR EACH ROW EXECUTE FUNCTION inventory_refuse_history_change();
CREATE TRIGGER inventory_transfer_no_truncate
    BEFORE TRUNCATE ON inventory_transfer
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_history_change();
CREATE TRIGGER inventory_transferitem_append_only
    BEFORE UPDATE OR DELETE ON inventory_transferitem
    FOR EACH ROW EXECUTE FUNCTION inventory_refuse_history_change();
CREATE TRIGGER inventory_transferitem_no_truncate
    BEFORE TRUNCATE ON inventory_transferitem
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_history_change();

CREATE FUNCTION inventory_transfer_count_matches_items() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    listed bigint;
BEGIN
    SELECT count(*) INTO listed FROM inventory_transferitem WHERE transfer_id = NEW.id;
    IF listed <> NEW.token_count THEN
        RAISE EXCEPTION 'Transfer #% has a token count of % but lists % tokens.',
            NEW.id, NEW.token_count, listed
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER inventory_transfer_count_matches_items
    AFTER INSERT ON inventory_transfer
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION inventory_transfer_count_matches_items();

CREATE FUNCTION inventory_transfer_items_within_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    breach record;
BEGIN
    SELECT t.id, t.token_count, count(*) AS listed INTO breach
    FROM inventory_transfer t
    JOIN inventory_transferitem i ON i.transfer_id = t.id
    WHERE t.id IN (SELECT transfer_id FROM new_items)
    GROUP BY t.id, t.token_count
    HAVING count(*) > t.token_count
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'Transfer #% has a token count of % but lists % tokens.',
            breach.id, breach.token_count, breach.listed
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER inventory_transferitem_within_count
    AFTER INSERT ON inventory_transferitem
    REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_transfer_items_within_count();
"""

POSTGRESQL_REMOVE = """
DROP TRIGGER inventory_transferitem_within_count ON inventory_transferitem;
DROP FUNCTION inventory_transfer_items_within_count();
DROP TRIGGER inventory_transfer_count_matches_items ON inventory_transfer;
DROP FUNCTION inventory_transfer_count_matches_items();
DROP TRIGGER inventory_transferitem_no_truncate ON inventory_transferitem;
DROP TRIGGER inventory_transferitem_append_only ON inventory_transferitem;
DROP TRIGGER inventory_transfer_no_truncate ON inventory_transfer;
DROP TRIGGER inventory_transfer_append_only ON inventory_transfer;
DROP FUNCTION inventory_refuse_history_change();
"""

# --- SQLite -------------------------------------------------------------------------------

SQLITE_TRIGGERS = {
    "inventory_transfer_no_update": """
        BEFORE UPDATE ON inventory_transfer
        BEGIN
            SELECT RAISE(ABORT,
                'Transfer history is append-only: UPDATE on inventory_transfer refused.');
        END""",
    "inventory_transfer_no_delete": """
        BEFORE DELETE ON inventory_transfer
        BEGIN
            SELECT RAISE(ABORT,
                'Transfer history is append-only: DELETE on inventory_transfer refused.');
        END""",
    "inventory_transfer_no_replace": """
        BEFORE INSERT ON inventory_transfer
        WHEN EXISTS (SELECT 1 FROM inventory_transfer WHERE id = NEW.id)
        BEGIN
            SELECT RAISE(ABORT,
                'Transfer history is append-only: an insert may not replace a transfer.');
        END""",
    "inventory_transfer_newest_complete": """
        BEFORE INSERT ON inventory_transfer
        WHEN EXISTS (
            SELECT 1 FROM inventory_transfer AS newest
            WHERE newest.id = (SELECT max(id) FROM inventory_transfer)
            AND newest.token_count
                <> (SELECT count(*) FROM inventory_transferitem WHERE transfer_id = newest.id)
        )
        BEGIN
            SELECT RAISE(ABORT,
                'The newest transfer lists fewer tokens than its token count; it must be complete before another transfer is recorded.');
        END""",
    "inventory_transferitem_no_update": """
        BEFORE UPDATE ON inventory_transferitem
        BEGIN
            SELECT RAISE(ABORT,
                'Transfer history is append-only: UPDATE on inventory_transferitem refused.');
        END""",
    "inventory_transferitem_no_delete": """
        BEFORE DELETE ON inventory_transferitem
        BEGIN
            SELECT RAISE(ABORT,
                'Transfer history is append-only: DELETE on inventory_transferitem refused.');
        END""",
    "inventory_transferitem_no_replace": """
        BEFORE INSERT ON inventory_transferitem
        WHEN EXISTS (
            SELECT 1 FROM inventory_transferitem
            WHERE id = NEW.id OR (transfer_id = NEW.transfer_id AND token_id = NEW.token_id)
        )
        BEGIN
            SELECT RAISE(ABORT,
                'Transfer history is append-only: an insert may not replace a listed token.');
        END""",
    "inventory_transferitem_within_count": """
        BEFORE INSERT ON inventory_transferitem
        WHEN (SELECT count(*) FROM inventory_transferitem WHERE transfer_id = NEW.transfer_id)
            >= (SELECT token_count FROM inventory_transfer WHERE id = NEW.transfer_id)
        BEGIN
            SELECT RAISE(ABORT, 'A transfer cannot list more tokens than its token count.');
        END""",
}


def install_history_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: the SQL goes as written (its % signs are plpgsql's, not placeholders).
        schema_editor.execute(POSTGRESQL_INSTALL, params=None)
    elif vendor == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {body}", params=None)
    else:
        # The app supports PostgreSQL and SQLite only: on any other database the history
        # would lose its append-only guarantee, so the migration refuses to run there.
        raise NotSupportedError(
            f"The Port Tokens inventory runs on PostgreSQL or SQLite, not {vendor}: the "
            "transfer history's append-only triggers exist for those two only."
        )


def remove_history_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REMOVE, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_exportlog_outcome"),
    ]

    operations = [
        migrations.RunPython(refuse_existing_breaches, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="porttoken",
            constraint=not_blank("serial", "port_token_serial_not_blank"),
        ),
        migrations.AddConstraint(
            model_name="porttoken",
            constraint=models.CheckConstraint(
                condition=Q(plan_start_date__isnull=True)
                | Q(plan_end_date__isnull=True)
                | Q(plan_end_date__gte=F("plan_start_date")),
                name="port_token_plan_end_not_before_start",
            ),
        ),
        migrations.AddConstraint(
            model_name="organization",
            constraint=not_blank("org_id", "organization_org_id_not_blank"),
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=not_blank("customer_id", "customer_id_not_blank"),
        ),
        migrations.AddConstraint(
            model_name="station",
            constraint=not_blank("serial", "station_serial_not_blank"),
        ),
        migrations.AddConstraint(
            model_name="evse",
            constraint=not_blank("evse_id", "evse_id_not_blank"),
        ),
        migrations.AddConstraint(
            model_name="cloudplanpart",
            constraint=not_blank("part_no", "part_no_not_blank"),
        ),
        migrations.AddConstraint(
            model_name="cloudplanpart",
            constraint=models.CheckConstraint(
                condition=Q(term_years__isnull=True) | Q(term_years__gte=1),
                name="part_term_at_least_one_year",
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=not_blank("sales_order", "order_sales_order_not_blank"),
        ),
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.CheckConstraint(
                condition=Q(token_count__gte=1), name="transfer_moves_at_least_one_token"
            ),
        ),
        # Last, after the rebuilds of SQLite tables above (a rebuild drops triggers).
        migrations.RunPython(install_history_triggers, remove_history_triggers),
    ]
