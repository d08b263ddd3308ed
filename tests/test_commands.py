"""The data commands `seed_demo` and `grant_org_access` (import_tokens: test_import_tokens.py)."""

import hashlib
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F

from inventory.demo import DEMO_PASSWORD, DEMO_USERNAME
from inventory.models import Membership, Organization, PortToken
from inventory.selectors import managed_organizations, visible_organizations, visible_tokens
from tests import factories

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def digest() -> str:
    """A fingerprint of the demo rows: serial, organization, plan, EVSE, status, dates."""
    rows = PortToken.objects.order_by("serial").values_list(
        "serial",
        "organization__org_id",
        "organization__name",
        "part__part_no",
        "evse__evse_id",
        "status",
        "plan_end_date",
        "order__sales_order",
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def empty_database():
    """Back to a fresh database (needs a test outside a transaction: `transaction=True`)."""
    call_command("flush", interactive=False, verbosity=0)


# seed_demo -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_deterministic():
    seed("--tokens", "300", "--seed", "7")
    first = digest()
    empty_database()

    seed("--tokens", "300", "--seed", "7")

    assert digest() == first
    assert PortToken.objects.count() == 300


@pytest.mark.django_db(transaction=True)
def test_another_seed_gives_other_data():
    seed("--tokens", "300", "--seed", "7")
    first = digest()
    empty_database()

    seed("--tokens", "300", "--seed", "8")

    assert digest() != first


def test_seed_demo_covers_all_four_statuses_across_many_organizations():
    output = seed("--tokens", "400")

    assert "Created 400 tokens in 8 organizations." in output
    statuses = set(PortToken.objects.values_list("status", flat=True).distinct())
    assert statuses == {"New", "Available", "Active", "Expired"}
    assert PortToken.objects.values("organization").distinct().count() == 8


def test_seed_demo_applies_only_active_and_expired_tokens_to_their_own_stations():
    seed("--tokens", "400")

    active = PortToken.objects.filter(status="Active")
    assert active.exists()
    assert not active.filter(evse__isnull=True).exists()
    applied = PortToken.objects.filter(evse__isnull=False)
    assert not applied.exclude(evse__station__organization=F("organization")).exists()
    assert not applied.filter(status__in=["New", "Available"]).exists()
    assert not active.filter(plan_end_date__lte=F("plan_start_date")).exists()


def test_seed_demo_prints_a_demo_login_that_works(client):
    output = seed("--tokens", "50")

    assert f"Demo login: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}" in output
    response = client.post(
        "/accounts/login/", {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/inventory/port-tokens/"


def test_the_demo_user_manages_some_organizations_and_views_others():
    seed("--tokens", "400")
    demo = get_user_model().objects.get(username=DEMO_USERNAME)

    managed = set(managed_organizations(demo))
    visible = set(visible_organizations(demo))
    assert len(managed) == 3
    assert len(visible) == 6
    assert managed < visible
    assert Organization.objects.exclude(pk__in=[org.pk for org in visible]).exists()
    assert 0 < visible_tokens(demo).count() < PortToken.objects.count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's catalog")
def test_seed_demo_leaves_every_foreign_key_in_place_and_checked():
    # A seed into empty tables drops their foreign keys and adds them again at its end.
    keys = (
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
        "FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(keys)
        before = cursor.fetchall()

        seed("--tokens", "300")

        cursor.execute(keys)
        assert cursor.fetchall() == before
    assert all(validated for *_, validated in before)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_seed_demo_leaves_the_planner_statistics_of_what_it_wrote():
    seed("--tokens", "300")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tablename FROM pg_stats WHERE tablename LIKE 'inventory_%%'"
        )
        analyzed = {table for (table,) in cursor.fetchall()}
    assert {"inventory_porttoken", "inventory_evse", "inventory_station"} <= analyzed


def test_seed_demo_refuses_a_database_that_has_tokens():
    factories.make_token()

    with pytest.raises(CommandError, match="already has tokens"):
        seed("--tokens", "50")

    assert PortToken.objects.count() == 1


def test_seed_demo_if_empty_keeps_existing_data_and_still_prints_the_login():
    seed("--tokens", "50")
    before = digest()

    output = seed("--tokens", "80", "--if-empty")

    assert "demo data not loaded again" in output
    assert "Demo login:" in output
    assert digest() == before


def test_seed_demo_if_empty_promises_no_login_it_did_not_create():
    factories.make_token()

    output = seed("--tokens", "50", "--if-empty")

    assert "No demo login: this database was not filled by seed_demo." in output
    assert "Demo login:" not in output


def test_seed_demo_if_empty_loads_an_empty_database():
    seed("--tokens", "50", "--if-empty")

    assert PortToken.objects.count() == 50


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tokens", "0"], "--tokens must be at least 1."),
        (["--tokens", "10", "--seed", "100"], "--seed must be between 0 and 99."),
    ],
)
def test_seed_demo_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        seed(*args)


# grant_org_access ----------------------------------------------------------------------------


def grant(*args) -> str:
    out = io.StringIO()
    call_command("grant_org_access", *args, stdout=out)
    return out.getvalue()


def test_grant_gives_a_user_access_to_an_organization():
    user = factories.make_user("alice")
    organization = factories.make_organization("ORG-1", "First Org")

    output = grant("alice", "ORG-1", "--role", "viewer")

    assert "Granted viewer of First Org (ORG-1) for alice." in output
    assert list(visible_organizations(user)) == [organization]
    assert not managed_organizations(user).exists()


def test_grant_again_changes_the_role_without_a_second_membership():
    user = factories.make_user("alice")
    organization = factories.make_organization("ORG-1", "First Org")
    grant("alice", "ORG-1", "--role", "viewer")

    output = grant("alice", "ORG-1", "--role", "Manager")

    assert "Changed to manager" in output
    membership = Membership.objects.get(user=user, organization=organization)
    assert membership.role == "manager"
    assert list(managed_organizations(user)) == [organization]


@pytest.mark.parametrize(
    ("username", "org_id", "role", "message"),
    [
        ("nobody", "ORG-1", "viewer", "No user named 'nobody'."),
        ("alice", "ORG-404", "viewer", "No organization with Org ID 'ORG-404'."),
        ("alice", "ORG-1", "owner", "Unknown role 'owner': use viewer or manager."),
    ],
)
def test_grant_refuses_unknown_user_organization_or_role(username, org_id, role, message):
    factories.make_user("alice")
    factories.make_organization("ORG-1", "First Org")

    with pytest.raises(CommandError) as failure:
        grant(username, org_id, "--role", role)

    assert str(failure.value) == message
    assert not Membership.objects.exists()


def test_grant_through_manage_py_exits_non_zero_with_one_readable_message(run_manage_py):
    result = run_manage_py("grant_org_access", "alice", "ORG-1", "--role", "owner")

    assert result.returncode == 1
    assert result.stderr.strip() == "CommandError: Unknown role 'owner': use viewer or manager."
