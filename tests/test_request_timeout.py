"""A web request's statements are bounded in time on PostgreSQL (REQUEST_STATEMENT_TIMEOUT):
past it the user gets a page saying so (503), not a hung worker; exports are exempt."""

import pytest
from django.db import connection
from django.urls import reverse

from inventory.exports import request as export_request_module
from inventory.models import ExportLog
from inventory.views import tokens
from tests import factories

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no statement timeout; the limit applies on PostgreSQL only",
)

PAGE = reverse("inventory:port_tokens")
EXPORT = reverse("inventory:port_tokens_export")


def slow(function, seconds: float):
    """`function`, after a statement that runs for `seconds` in the database."""

    def slowed(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(%s)", [seconds])
        return function(*args, **kwargs)

    return slowed


@pytest.fixture
def tight_timeout(settings):
    settings.REQUEST_STATEMENT_TIMEOUT = 0.2


@postgresql_only
def test_a_page_whose_query_runs_past_the_timeout_says_so_with_503(
    manager_client, people, tight_timeout, monkeypatch
):
    factories.make_token(people.org, "T1")
    monkeypatch.setattr(tokens, "view_summary", slow(tokens.view_summary, 2))

    response = manager_client.get(PAGE, {"filter": "station_name:not_contains:garage"})

    assert response.status_code == 503
    html = response.content.decode()
    assert "This took too long" in html
    assert "after 0.2 seconds" in html
    assert "Narrower filters make the table answer faster" in html
    assert "Port Tokens Inventory" in html  # the app's own page, signed in
    assert "Signed in as" in html


@postgresql_only
def test_a_page_within_the_timeout_is_unaffected(manager_client, people, settings, monkeypatch):
    settings.REQUEST_STATEMENT_TIMEOUT = 2
    factories.make_token(people.org, "T1")
    monkeypatch.setattr(tokens, "view_summary", slow(tokens.view_summary, 0.05))

    assert manager_client.get(PAGE).status_code == 200


@postgresql_only
def test_an_export_is_not_cut_by_the_timeout_and_the_next_page_is_again(
    manager_client, people, tight_timeout, monkeypatch
):
    factories.make_token(people.org, "T1")
    factories.make_token(people.org, "T2")

    def slow_queryset(user, export_request):
        # One statement that takes longer than a page may.
        queryset = original(user, export_request)
        return queryset.extra(where=["(SELECT 1 FROM pg_sleep(0.5)) = 1"])

    original = export_request_module.export_queryset
    monkeypatch.setattr(export_request_module, "export_queryset", slow_queryset)

    response = manager_client.get(EXPORT, {"format": "csv", "scope": "all"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response.status_code == 200
    assert body.count("\r\n") == 3  # header and both tokens
    assert ExportLog.objects.get().outcome == "finished"
    # The connection is shared with the next request, which is bound again.
    monkeypatch.setattr(tokens, "view_summary", slow(tokens.view_summary, 2))
    assert manager_client.get(PAGE).status_code == 503


@pytest.mark.parametrize(("given", "read"), [(None, "15"), ("40", "40"), ("0", "0")])
def test_the_timeout_comes_from_the_environment_in_seconds(run_manage_py, monkeypatch, given, read):
    if given is None:
        monkeypatch.delenv("REQUEST_STATEMENT_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("REQUEST_STATEMENT_TIMEOUT", given)

    result = run_manage_py("diffsettings", "--all")

    assert f"REQUEST_STATEMENT_TIMEOUT = {read}  ###\n" in result.stdout


def test_a_negative_timeout_is_refused(run_manage_py, monkeypatch):
    monkeypatch.setenv("REQUEST_STATEMENT_TIMEOUT", "-5")

    result = run_manage_py("check")

    assert result.returncode != 0
    assert "REQUEST_STATEMENT_TIMEOUT must be at least 0, not -5" in result.stderr
