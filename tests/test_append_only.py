"""The transfer history is append-only in the database itself: no client, however it
reaches the tables (the ORM's base manager, raw SQL), can change or delete a row, and a
transfer's token count always equals the tokens it lists."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from inventory.models import Transfer, TransferItem
from inventory.transfers import transfer_tokens
from tests import factories

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL statement"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite statement")


@contextmanager
def refused(because="Transfer history is append-only"):
    """Expect the database to refuse, saying why; the savepoint keeps the test's
    transaction usable."""
    with pytest.raises(IntegrityError, match=because), transaction.atomic():
        yield


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def admin():
    return factories.make_superuser()


@pytest.fixture
def west():
    return factories.make_organization("ORG-WEST", "Acme West")


@pytest.fixture
def east():
    return factories.make_organization("ORG-EAST", "Acme East")


@pytest.fixture
def record(admin, west, east):
    factories.make_token(west, "TKN-1")
    factories.make_token(west, "TKN-2")
    return transfer_tokens(user=admin, serials=["TKN-1", "TKN-2"], to_org=east, note="kept")


def history(record):
    """What the history says about `record`, read past the ORM's own guard."""
    transfer = Transfer._base_manager.values_list(
        "to_organization__org_id", "note", "token_count"
    ).get(pk=record.pk)
    items = TransferItem._base_manager.filter(transfer_id=record.pk).order_by("token__serial")
    return transfer, list(items.values_list("token__serial", "from_organization__org_id"))


def assert_unchanged(record):
    assert history(record) == (
        ("ORG-EAST", "kept", 2),
        [("TKN-1", "ORG-WEST"), ("TKN-2", "ORG-WEST")],
    )


# --- no change, no delete -------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE inventory_transfer SET note = 'rewritten'",
        "UPDATE inventory_transfer SET to_organization_id = item.from_organization_id "
        "FROM inventory_transferitem AS item WHERE item.transfer_id = inventory_transfer.id",
        "UPDATE inventory_transferitem SET from_organization_id = "
        "(SELECT id FROM inventory_organization WHERE org_id = 'ORG-EAST')",
        "DELETE FROM inventory_transferitem",
        "DELETE FROM inventory_transfer",
    ],
)
def test_raw_sql_cannot_change_or_delete_history(record, statement):
    with refused():
        sql(statement)

    assert_unchanged(record)


def test_the_base_manager_cannot_update_history(record):
    with refused():
        Transfer._base_manager.filter(pk=record.pk).update(note="rewritten")
    with refused():
        TransferItem._base_manager.filter(transfer_id=record.pk).update(
            from_organization=record.to_organization
        )

    assert_unchanged(record)


def test_the_base_manager_cannot_delete_history(record):
    with refused():
        TransferItem._base_manager.filter(transfer_id=record.pk).delete()
    # A transfer with its items is protected before any SQL runs; without them the
    # database would refuse (above and in the raw SQL test).
    with pytest.raises(ProtectedError), transaction.atomic():
        Transfer._base_manager.filter(pk=record.pk).delete()

    assert_unchanged(record)


@on_postgresql
@pytest.mark.parametrize("table", ["inventory_transfer", "inventory_transferitem"])
def test_truncate_cannot_empty_the_history_on_postgresql(record, table):
    # Foreign keys checked now: a table with checks pending at commit cannot be truncated
    # at all, which would hide whether the history's own trigger refuses.
    sql("SET CONSTRAINTS ALL IMMEDIATE")

    with refused():
        sql(f"TRUNCATE {table} CASCADE")

    assert_unchanged(record)


@on_postgresql
def test_an_upsert_cannot_overwrite_a_transfer_on_postgresql(record):
    with refused():
        sql(
            "INSERT INTO inventory_transfer "
            "(id, created_at, created_by_id, to_organization_id, note, token_count) "
            "SELECT id, created_at, created_by_id, to_organization_id, 'forged', token_count "
            "FROM inventory_transfer WHERE id = %s "
            "ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note",
            [record.pk],
        )

    assert_unchanged(record)


@on_sqlite
def test_insert_or_replace_cannot_overwrite_a_transfer_on_sqlite(record):
    # REPLACE deletes the row it collides with, and fires no delete trigger for it.
    with refused():
        sql(
            "INSERT OR REPLACE INTO inventory_transfer "
            "(id, created_at, created_by_id, to_organization_id, note, token_count) "
            "SELECT id, created_at, created_by_id, to_organization_id, 'forged', token_count "
            "FROM inventory_transfer"
        )

    assert_unchanged(record)


@on_sqlite
@pytest.mark.parametrize("collision", ["id", "transfer_id, token_id"])
def test_insert_or_replace_cannot_overwrite_a_listed_token_on_sqlite(admin, west, east, collision):
    # A transfer still being written (one of its two tokens listed), so that only the
    # refusal to replace, not the token count, can stop the statement.
    writing = Transfer.objects.create(created_by=admin, to_organization=east, token_count=2)
    item = TransferItem.objects.create(
        transfer=writing, token=factories.make_token(west), from_organization=west
    )

    with refused():
        sql(
            "INSERT OR REPLACE INTO inventory_transferitem "
            "(id, transfer_id, token_id, from_organization_id) VALUES (%s, %s, %s, %s)",
            [
                item.pk if collision == "id" else None,
                writing.pk,
                item.token_id if collision != "id" else factories.make_token(west).pk,
                east.pk,
            ],
        )

    assert TransferItem.objects.get().from_organization == west


def test_new_transfers_are_still_recorded_after_refused_changes(record, admin, west, east):
    with refused():
        sql("DELETE FROM inventory_transferitem")
    factories.make_token(west, "TKN-3")

    second = transfer_tokens(user=admin, serials=["TKN-3"], to_org=east)

    assert_unchanged(record)
    assert history(second) == (("ORG-EAST", "", 1), [("TKN-3", "ORG-WEST")])


# --- a transfer's token count equals its rows -------------------------------------------


def test_a_transfer_moves_at_least_one_token(admin, east):
    with refused(because="transfer_moves_at_least_one_token"):
        Transfer.objects.create(created_by=admin, to_organization=east, token_count=0)


def test_a_transfer_cannot_list_more_tokens_than_its_count(admin, west, east):
    tokens = [factories.make_token(west) for _ in range(3)]

    with refused(because="token count"):
        transfer = Transfer.objects.create(created_by=admin, to_organization=east, token_count=2)
        TransferItem.objects.bulk_create(
            TransferItem(transfer=transfer, token=token, from_organization=west) for token in tokens
        )


def test_tokens_cannot_be_added_to_a_recorded_transfer(record, west):
    token = factories.make_token(west, "TKN-LATE")

    with refused(because="token count"):
        TransferItem.objects.create(transfer=record, token=token, from_organization=west)

    assert_unchanged(record)


@on_sqlite
def test_a_transfer_short_of_its_count_stops_the_next_one_on_sqlite(admin, west, east):
    # SQLite cannot check at commit: the next transfer is refused until it is complete.
    short = Transfer.objects.create(created_by=admin, to_organization=east, token_count=2)
    TransferItem.objects.create(
        transfer=short, token=factories.make_token(west), from_organization=west
    )

    with refused(because="fewer tokens than its token count"):
        Transfer.objects.create(created_by=admin, to_organization=east, token_count=1)

    TransferItem.objects.create(
        transfer=short, token=factories.make_token(west), from_organization=west
    )
    Transfer.objects.create(created_by=admin, to_organization=east, token_count=1)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_transfer_short_of_its_count_is_refused_at_commit_on_postgresql():
    admin = factories.make_superuser()
    west = factories.make_organization("ORG-WEST", "Acme West")
    east = factories.make_organization("ORG-EAST", "Acme East")
    token = factories.make_token(west)

    count_differs = pytest.raises(IntegrityError, match="token count of 2 but lists 1 tokens")
    with count_differs, transaction.atomic():
        short = Transfer.objects.create(created_by=admin, to_organization=east, token_count=2)
        TransferItem.objects.create(transfer=short, token=token, from_organization=west)

    assert not Transfer.objects.exists()
