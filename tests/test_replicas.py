"""Which database answers what, with a read replica configured (`DATABASE_REPLICA_URL`).

Here the alias "replica" mirrors the test database through its own connection, so each
query shows which alias it went through; tests/test_replicas_standby.py runs the same
routes against a real streaming standby. The tests commit (transaction=True): a replica
never sees a transaction that has not committed.
"""

from contextlib import contextmanager

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from inventory.api.keys import create_api_key
from inventory.models import Membership, Organization, PortToken
from inventory.replicas import PIN_COOKIE, PIN_SECONDS, replica_reads
from tests import factories
from tests.helpers import PAGE, shown_serials

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

EXPORT = "/inventory/port-tokens/export/"
TRANSFER = "/inventory/port-tokens/transfer/"


@pytest.fixture
def replica_on(settings):
    settings.READ_REPLICA = True


@pytest.fixture
def tokens(people):
    factories.grant(
        people.manager,
        factories.make_organization("ORG-EAST", "Acme East"),
        Membership.Role.MANAGER,
    )
    factories.make_tokens(people.org, 3, prefix="TKN")


class Routes:
    """The statements each alias ran in a block."""

    def __init__(self, primary: CaptureQueriesContext, replica: CaptureQueriesContext):
        self._primary, self._replica = primary, replica

    @property
    def primary(self) -> list[str]:
        return [query["sql"] for query in self._primary.captured_queries]

    @property
    def replica(self) -> list[str]:
        return [query["sql"] for query in self._replica.captured_queries]


@contextmanager
def routes():
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        yield Routes(primary, replica)


def touching(statements: list[str], table: str) -> list[str]:
    return [sql for sql in statements if table in sql]


def test_the_table_and_its_counts_are_read_from_the_replica(replica_on, tokens, manager_client):
    with routes() as ran:
        response = manager_client.get(PAGE)

    assert shown_serials(response) == ["TKN-000000", "TKN-000001", "TKN-000002"]
    assert touching(ran.replica, "inventory_porttoken")
    assert not touching(ran.primary, "inventory_porttoken")
    # Who is signed in is the primary's answer.
    assert touching(ran.primary, "django_session")
    assert not touching(ran.replica, "django_session")


def test_without_a_replica_every_read_goes_to_the_primary(tokens, manager_client):
    with routes() as ran:
        response = manager_client.get(PAGE)

    assert len(shown_serials(response)) == 3
    assert ran.replica == []
    assert touching(ran.primary, "inventory_porttoken")


def test_an_export_streams_its_rows_from_the_replica_and_logs_on_the_primary(
    replica_on, tokens, manager_client
):
    with routes() as ran:
        response = manager_client.get(EXPORT, {"format": "csv", "scope": "all"})
        content = b"".join(response.streaming_content).decode("utf-8-sig")

    assert [line.split(",")[0] for line in content.splitlines()[1:]] == [
        "TKN-000000",
        "TKN-000001",
        "TKN-000002",
    ]
    assert touching(ran.replica, "inventory_porttoken")
    assert not touching(ran.primary, "inventory_porttoken")
    assert touching(ran.primary, "inventory_exportlog")
    assert not touching(ran.replica, "inventory_exportlog")


@pytest.mark.parametrize(
    "url",
    [
        "/inventory/views/",
        "/inventory/transfers/",
        "/inventory/exports/",
        f"{TRANSFER}?token_sns=TKN-000000",
    ],
)
def test_pages_that_did_not_opt_in_read_the_primary(replica_on, tokens, manager_client, url):
    with routes() as ran:
        response = manager_client.get(url)

    assert response.status_code == 200
    assert ran.replica == []


def test_a_transfer_writes_and_reads_the_primary_and_so_does_the_next_page(
    replica_on, people, tokens, manager_client
):
    with routes() as ran:
        response = manager_client.post(
            TRANSFER, {"token_sns": "TKN-000000", "to_org": "ORG-EAST", "action": "transfer"}
        )

    assert response.status_code == 303
    assert PortToken.objects.get(serial="TKN-000000").organization.org_id == "ORG-EAST"
    assert ran.replica == []
    pin = response.cookies[PIN_COOKIE]
    assert pin["max-age"] == PIN_SECONDS
    assert pin["httponly"]

    with routes() as ran:
        manager_client.get(PAGE, {"filter": "org_id:is:ORG-EAST"})
    assert ran.replica == []

    # Once the pin has lapsed, the table reads the replica again.
    del manager_client.cookies[PIN_COOKIE]
    with routes() as ran:
        response = manager_client.get(PAGE, {"filter": "org_id:is:ORG-EAST"})
    assert shown_serials(response) == ["TKN-000000"]
    assert touching(ran.replica, "inventory_porttoken")


def test_a_request_that_only_reads_sets_no_pin(replica_on, tokens, manager_client):
    response = manager_client.get(PAGE)

    assert PIN_COOKIE not in response.cookies


def test_a_write_sends_the_reads_after_it_to_the_primary(replica_on, people):
    with replica_reads(), routes() as ran:
        before = PortToken.objects.count()
        Organization.objects.create(org_id="ORG-NEW", name="New")
        after = Organization.objects.filter(org_id="ORG-NEW").count()

    assert (before, after) == (0, 1)
    assert touching(ran.replica, "inventory_porttoken")
    assert touching(ran.primary, 'FROM "inventory_organization"')
    assert not touching(ran.replica, "inventory_organization")


def test_reads_inside_a_transaction_on_the_primary_stay_there(replica_on, people):
    with replica_reads(), routes() as ran, transaction.atomic():
        PortToken.objects.count()

    assert ran.replica == []


def test_a_block_reads_the_replica_only_when_one_is_configured(people):
    with replica_reads(), routes() as ran:
        PortToken.objects.count()

    assert ran.replica == []


def test_the_apis_token_reads_go_to_the_replica_and_its_key_is_checked_on_the_primary(
    replica_on, tokens, people, client
):
    key = create_api_key(user=people.manager, name="replica")[1]

    with routes() as ran:
        response = client.get("/api/v1/port-tokens/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert [row["token_sn"] for row in response.json()["results"]] == [
        "TKN-000000",
        "TKN-000001",
        "TKN-000002",
    ]
    assert touching(ran.replica, "inventory_porttoken")
    assert not touching(ran.primary, "inventory_porttoken")
    # A key revoked a moment ago must not work: keys are read from the primary.
    assert touching(ran.primary, "inventory_apikey")
    assert not touching(ran.replica, "inventory_apikey")


def test_the_apis_transfers_read_the_primary(replica_on, tokens, people, client):
    key = create_api_key(user=people.manager, name="replica")[1]

    with routes() as ran:
        response = client.get("/api/v1/transfers/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert ran.replica == []
