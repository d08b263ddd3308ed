"""The read replica against a real PostgreSQL streaming hot standby.

`REPLICA_TEST_URL` names the standby of the test run's PostgreSQL primary, e.g.
`postgres://postgres@127.0.0.1:5433/porttokens` after `bash .ci/standby start` (only
its address and user are used: the standby replays the primary's test database, so its
name is the test database's). Without it these tests are skipped, except in CI, which
starts a standby for them and fails if they cannot run. Every query counted as "on the
standby" ran on a connection that answers `pg_is_in_recovery()` true.

The tests commit (transaction=True) and wait until the standby has replayed the
primary's WAL before reading, as a standby only ever shows what was committed.
"""

import os
import time
from contextlib import contextmanager

import dj_database_url
import pytest
from django.db import connections

from inventory.models import ExportLog, Membership, PortToken
from inventory.replicas import PIN_COOKIE
from tests import factories
from tests.helpers import PAGE, shown_serials

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

STANDBY_URL = os.environ.get("REPLICA_TEST_URL", "").strip()
#: Longest wait for the standby to replay what the primary committed.
REPLAY_WAIT_SECONDS = 30


@pytest.fixture
def standby(settings):
    """The "replica" alias connected to the real standby, READ_REPLICA on."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("a streaming standby is PostgreSQL's; this run is on SQLite")
    if not STANDBY_URL:
        reason = "REPLICA_TEST_URL names no standby (bash .ci/standby start; see README)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs these tests against a real standby, but {reason}")
        pytest.skip(reason)
    address = dj_database_url.parse(STANDBY_URL)
    replica = connections["replica"]
    mirror = replica.settings_dict
    replica.close()
    replica.settings_dict = {
        **connections["default"].settings_dict,
        **{key: address[key] for key in ("HOST", "PORT", "USER", "PASSWORD")},
    }
    settings.READ_REPLICA = True
    try:
        yield replica
    finally:
        replica.close()
        replica.settings_dict = mirror


def one(connection, sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_for_replay(standby) -> None:
    """Return once the standby has replayed everything the primary has written so far."""
    written = one(connections["default"], "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + REPLAY_WAIT_SECONDS
    while not one(standby, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written]):
        if time.monotonic() > deadline:
            pytest.fail(f"the standby did not replay up to {written} in {REPLAY_WAIT_SECONDS} s")
        time.sleep(0.05)


class StatementsOn:
    """Records the statements run on one alias and the server process that ran each."""

    def __init__(self, connection):
        self.connection = connection
        self.statements: list[tuple[int, str]] = []

    def __enter__(self):
        self._wrapper = self.connection.execute_wrapper(self._record)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def _record(self, execute, sql, params, many, context):
        self.statements.append((context["connection"].connection.info.backend_pid, sql))
        return execute(sql, params, many, context)

    def touching(self, table: str) -> list[str]:
        return [sql for _, sql in self.statements if table in sql]

    def ran_in_recovery(self) -> bool:
        """Whether the server process that ran these statements is a standby in recovery
        (asked on the same connection, still open)."""
        pids = {pid for pid, _ in self.statements}
        current = one(self.connection, "SELECT pg_backend_pid()")
        return pids == {current} and one(self.connection, "SELECT pg_is_in_recovery()")


@contextmanager
def traced(connection, trace_file):
    """libpq's trace of the connection's protocol messages, written to `trace_file`."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with open(trace_file, "w") as out:
        pgconn.trace(out.fileno())
        try:
            yield
        finally:
            pgconn.untrace()


@pytest.fixture
def tokens(people):
    east = factories.make_organization("ORG-EAST", "Acme East")
    factories.grant(people.manager, east, Membership.Role.MANAGER)
    factories.make_tokens(people.org, 3, prefix="TKN")


def test_the_replica_is_a_hot_standby_of_the_primary(standby):
    assert one(standby, "SELECT pg_is_in_recovery()") is True
    assert one(connections["default"], "SELECT pg_is_in_recovery()") is False
    system = "SELECT system_identifier FROM pg_control_system()"
    assert one(standby, system) == one(connections["default"], system)
    assert one(standby, "SELECT current_database()") == one(
        connections["default"], "SELECT current_database()"
    )


def test_the_table_is_read_from_the_standby(standby, tokens, manager_client):
    wait_for_replay(standby)

    with StatementsOn(standby) as on_standby:
        response = manager_client.get(PAGE)

    assert shown_serials(response) == ["TKN-000000", "TKN-000001", "TKN-000002"]
    assert on_standby.touching("inventory_porttoken")
    assert on_standby.ran_in_recovery()


def test_an_export_streams_from_the_standby_and_is_logged_on_the_primary(
    standby, tokens, manager_client, tmp_path
):
    wait_for_replay(standby)
    trace = tmp_path / "standby.trace"

    with StatementsOn(standby) as on_standby, traced(standby, trace):
        response = manager_client.get("/inventory/port-tokens/export/", {"format": "csv"})
        content = b"".join(response.streaming_content).decode("utf-8-sig")

    assert [line.split(",")[0] for line in content.splitlines()[1:]] == [
        "TKN-000000",
        "TKN-000001",
        "TKN-000002",
    ]
    # The driver's COPY, which Django does not see, went to the standby too.
    assert '"COPY ' in trace.read_text()
    assert on_standby.ran_in_recovery()
    # The log row was written: on the primary, as the standby refuses every write.
    assert ExportLog.objects.get().outcome == ExportLog.Outcome.FINISHED


def test_a_transfer_goes_to_the_primary_and_the_page_after_it_shows_it_at_once(
    standby, tokens, manager_client
):
    wait_for_replay(standby)

    with StatementsOn(standby) as on_standby:
        moved = manager_client.post(
            "/inventory/port-tokens/transfer/",
            {"token_sns": "TKN-000000", "to_org": "ORG-EAST", "action": "transfer"},
        )
        after = manager_client.get(PAGE, {"filter": "org_id:is:ORG-EAST"})

    assert moved.status_code == 303
    assert PortToken.objects.get(serial="TKN-000000").organization.org_id == "ORG-EAST"
    # Read right after the write, from the primary, whatever the standby's lag.
    assert shown_serials(after) == ["TKN-000000"]
    assert on_standby.statements == []

    # Once the standby has replayed the transfer, the table reads it there.
    wait_for_replay(standby)
    del manager_client.cookies[PIN_COOKIE]
    with StatementsOn(standby) as on_standby:
        later = manager_client.get(PAGE, {"filter": "org_id:is:ORG-EAST"})
    assert shown_serials(later) == ["TKN-000000"]
    assert on_standby.touching("inventory_porttoken")
    assert on_standby.ran_in_recovery()
