"""Two transfers racing for the same token, on real threads with their own connections.

On PostgreSQL the loser waits on the row lock and then re-checks the rules, finding the
token gone; on SQLite writers are serialised (BEGIN IMMEDIATE), which must give the same
outcome. The rule check is slowed down so that both transactions are surely in flight at
once: without the lock, both would read the token where it was and both would move it.
"""

import threading
import time

import pytest
from django.db import OperationalError, connection

from inventory import transfers
from inventory.models import Membership, PortToken, Transfer, TransferItem
from inventory.transfers import UNKNOWN_TOKEN, TransferRefused, transfer_tokens
from tests import factories

MANAGER = Membership.Role.MANAGER
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def slow_rule_check(monkeypatch):
    real_review = transfers._review

    def slow_review(*args, **kwargs):
        time.sleep(0.3)
        return real_review(*args, **kwargs)

    monkeypatch.setattr(transfers, "_review", slow_review)


def transfer_with_sqlite_busy_wait(arguments):
    """transfer_tokens, waiting out SQLite's shared-cache table locks.

    The in-memory SQLite test database is shared between threads through a shared cache,
    whose table locks fail at once ("database table is locked") instead of honouring the
    busy timeout that a database file uses. Retrying is what the busy timeout does for a
    file, so both databases are held to the same outcome. Nothing is retried on PostgreSQL.
    """
    deadline = time.monotonic() + 20
    while True:
        try:
            return transfer_tokens(**arguments)
        except OperationalError as error:
            locked = connection.vendor == "sqlite" and "locked" in str(error)
            if not locked or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def race(*calls: dict) -> list:
    """Run transfer_tokens once per keyword set, all released together; return each
    outcome: the Transfer, the TransferRefused, or any other exception."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, arguments):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = transfer_with_sqlite_busy_wait(arguments)
        except Exception as error:  # reported by the assertions, not swallowed
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def winner_and_loser(outcomes):
    won = [o for o in outcomes if isinstance(o, Transfer)]
    lost = [o for o in outcomes if isinstance(o, TransferRefused)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    return won[0], lost[0]


def test_two_managers_racing_for_one_token_move_it_once():
    west = factories.make_organization("ORG-WEST", "Acme West")
    east = factories.make_organization("ORG-EAST", "Acme East")
    north = factories.make_organization("ORG-NORTH", "Acme North")
    alice, bob = factories.make_user("alice"), factories.make_user("bob")
    for user, destination in ((alice, east), (bob, north)):
        factories.grant(user, west, MANAGER)
        factories.grant(user, destination, MANAGER)
    token = factories.make_token(west, "TKN-RACE")

    outcomes = race(
        {"user": alice, "serials": ["TKN-RACE"], "to_org": "ORG-EAST"},
        {"user": bob, "serials": ["TKN-RACE"], "to_org": "ORG-NORTH"},
    )

    won, lost = winner_and_loser(outcomes)
    token.refresh_from_db()
    assert token.organization == won.to_organization
    assert [(p.serial, p.reason) for p in lost.review.problems] == [("TKN-RACE", UNKNOWN_TOKEN)]
    assert Transfer.objects.count() == 1
    assert TransferItem.objects.get().from_organization == west


def test_same_reviewed_token_sent_to_two_destinations_moves_once():
    west = factories.make_organization("ORG-WEST", "Acme West")
    factories.make_organization("ORG-EAST", "Acme East")
    factories.make_organization("ORG-NORTH", "Acme North")
    admin = factories.make_superuser()
    factories.make_token(west, "TKN-RACE")

    outcomes = race(
        *(
            {
                "user": admin,
                "serials": ["TKN-RACE"],
                "to_org": destination,
                "reviewed_sources": ["ORG-WEST"],
            }
            for destination in ("ORG-EAST", "ORG-NORTH")
        )
    )

    won, lost = winner_and_loser(outcomes)
    assert PortToken.objects.get(serial="TKN-RACE").organization == won.to_organization
    assert "not where it was when you reviewed" in lost.review.problems[0].reason
    assert TransferItem.objects.count() == 1


def test_transfers_listing_the_same_tokens_in_opposite_orders_do_not_deadlock():
    west = factories.make_organization("ORG-WEST", "Acme West")
    factories.make_organization("ORG-EAST", "Acme East")
    factories.make_organization("ORG-NORTH", "Acme North")
    admin = factories.make_superuser()
    factories.make_tokens(west, 50, prefix="PAIR")
    serials = [f"PAIR-{n:06d}" for n in range(50)]

    outcomes = race(
        {"user": admin, "serials": serials, "to_org": "ORG-EAST", "reviewed_sources": ["ORG-WEST"]},
        {
            "user": admin,
            "serials": serials[::-1],
            "to_org": "ORG-NORTH",
            "reviewed_sources": ["ORG-WEST"],
        },
    )

    won, lost = winner_and_loser(outcomes)
    assert PortToken.objects.filter(organization=won.to_organization).count() == 50
    assert len(lost.review.problems) == 50
    assert TransferItem.objects.count() == 50
