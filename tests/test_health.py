"""`/healthz` for load balancers: 200 `{"status": "ok"}` without login while the database
answers, 503 when it does not; reachable the way a load balancer probes a server (its IP
address as the Host, plain HTTP) even where production settings refuse such a request
for every other page."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

PROBE = {"HTTP_HOST": "10.0.0.7"}


@pytest.fixture
def production_checks(settings):
    """HTTPS required and one site name allowed, as with DEBUG off."""
    settings.ALLOWED_HOSTS = ["tokens.example.com"]
    settings.SECURE_SSL_REDIRECT = True


def test_it_answers_ok_without_login_and_without_a_session(db):
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies


def test_it_answers_a_probe_by_address_over_plain_http(db, production_checks):
    client = Client()

    assert client.get("/healthz", **PROBE).json() == {"status": "ok"}
    assert client.head("/healthz", **PROBE).status_code == 200
    # Every other page refuses that host, and sends plain HTTP to HTTPS.
    assert client.get("/accounts/login/", **PROBE).status_code == 400
    redirect = client.get("/accounts/login/", HTTP_HOST="tokens.example.com")
    assert redirect.status_code == 301
    assert redirect["Location"].startswith("https://tokens.example.com/")


def test_it_answers_503_when_the_database_does_not_answer(tmp_path):
    # A server whose database cannot be opened, in its own process.
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    probe = (
        "import django, json; django.setup(); from django.test import Client; "
        "response = Client().get('/healthz'); "
        "print(json.dumps([response.status_code, response.json()]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "porttokens.settings",
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{missing}",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert (status, body) == (503, {"status": "unavailable"})
    # The reason is in the log, for whoever looks at this server.
    assert "the database does not answer" in result.stdout
