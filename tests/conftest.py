"""Every test can have the three people of one organization: a manager, a viewer and an
outsider (a member of another organization), so each view gets its access tests cheaply."""

import os
import runpy
import subprocess
import sys
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection, transaction

from inventory.models import Membership, Organization
from tests import factories


@dataclass
class People:
    org: Organization
    other_org: Organization
    manager: object
    viewer: object
    outsider: object


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The default hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def transfer_history_cleared_before_flush(request):
    """Let a test outside a transaction (`transaction=True`, `live_server`) leave transfers.

    Such a test ends with Django's flush, which empties every table with DELETE (SQLite)
    or TRUNCATE (PostgreSQL), and the transfer history refuses both (migration 0003).
    Before the flush the test database's history is removed as only a schema change can:
    with the history's triggers set aside and put back in one transaction. The flush then
    finds the history empty. Nothing outside the tests has such a path.
    """
    marker = request.node.get_closest_marker("django_db")
    by_marker = marker is not None and (
        marker.kwargs.get("transaction") or marker.args[:1] == (True,)
    )
    if not (by_marker or {"transactional_db", "live_server"} & set(request.fixturenames)):
        yield
        return
    # The database first, so that this teardown runs before the database's own (the flush).
    request.getfixturevalue("transactional_db")
    yield
    _clear_transfer_history()


def _clear_transfer_history():
    tables = ("inventory_transferitem", "inventory_transfer")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM inventory_transferitem) "
            "OR EXISTS (SELECT 1 FROM inventory_transfer)"
        )
        if not cursor.fetchone()[0]:
            return
        if connection.vendor == "postgresql":
            # Foreign keys checked now, not at commit: a table with pending checks cannot
            # have its triggers altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                cursor.execute(f"DELETE FROM {table}")
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            return
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
            tables,
        )
        triggers = cursor.fetchall()
        for name, _ in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        for _, sql in triggers:
            cursor.execute(sql)


@pytest.fixture
def people(db) -> People:
    org = factories.make_organization("ORG-ACME", "Acme Charging")
    other_org = factories.make_organization("ORG-OTHER", "Other Networks")
    manager = factories.make_user("manager")
    viewer = factories.make_user("viewer")
    outsider = factories.make_user("outsider")
    factories.grant(manager, org, Membership.Role.MANAGER)
    factories.grant(viewer, org, Membership.Role.VIEWER)
    factories.grant(outsider, other_org, Membership.Role.MANAGER)
    return People(org, other_org, manager, viewer, outsider)


@pytest.fixture
def manager_client(client, people):
    client.force_login(people.manager)
    return client


@pytest.fixture
def viewer_client(client, people):
    client.force_login(people.viewer)
    return client


@pytest.fixture
def outsider_client(client, people):
    client.force_login(people.outsider)
    return client


@pytest.fixture
def run_manage_py(tmp_path):
    """Run `manage.py <args>` in a separate process, as a person at a shell would, on a
    throwaway SQLite file; returns the CompletedProcess (text stdout and stderr)."""

    def run(*args: str) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        }
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


@pytest.fixture
def settings_from_env(monkeypatch):
    """Evaluate porttokens/settings.py afresh with extra environment variables, as a
    server starting with them would; returns the settings as a dict (or raises what the
    settings raise, e.g. ImproperlyConfigured). A variable given as None is unset."""

    def load(**env: str | None) -> dict:
        monkeypatch.setenv("DEBUG", "1")
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return runpy.run_path(str(settings.BASE_DIR / "porttokens" / "settings.py"))

    return load
