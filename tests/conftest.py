"""Every test can have the three people of one organization: a manager, a viewer and an
outsider (a member of another organization), so each view gets its access tests cheaply."""

import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
from django.conf import settings

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
