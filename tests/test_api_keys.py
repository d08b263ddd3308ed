"""Personal API keys: made on the API keys page or by `create_api_token`, shown once,
stored only as a hash, sent as `Authorization: Token <key>`; the browser session works
too (with CSRF for writes); an anonymous caller gets a JSON 401, never the login page."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from inventory.models import ApiKey
from tests import factories
from tests.api_client import auth, key_for, throttle_counts_cleared  # noqa: F401
from tests.helpers import page_html

pytestmark = pytest.mark.django_db

PAGE = "/accounts/api-tokens/"
LIST = "/api/v1/port-tokens/"


def create_token(*args) -> str:
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


def shown_key(response) -> str:
    """The new key as the page shows it, once."""
    found = re.findall(r'id="new-api-key"[^>]*value="([^"]+)"', page_html(response))
    assert len(found) == 1
    return found[0]


# the command ----------------------------------------------------------------------------


def test_create_api_token_prints_one_key_that_opens_the_api(client, people):
    output = create_token("viewer", "--name", "nightly audit")

    key = output.strip()
    assert output.count("\n") == 1
    assert client.get(LIST, **auth(key)).status_code == 200
    assert ApiKey.objects.get(user=people.viewer).name == "nightly audit"


def test_a_key_is_stored_only_as_a_hash(people):
    key = create_token("viewer").strip()

    row = ApiKey.objects.get(user=people.viewer)
    stored = " ".join(str(value) for value in ApiKey.objects.values_list().get())
    assert key not in stored
    assert key.startswith(row.prefix)
    assert row.key_hash != key


def test_create_api_token_sets_the_expiry(people):
    create_token("viewer", "--expires-days", "30")

    row = ApiKey.objects.get(user=people.viewer)
    assert row.expires_at - row.created_at == pytest.approx(
        timedelta(days=30), abs=timedelta(seconds=5)
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (("nobody",), "No user named 'nobody'"),
        (("viewer", "--expires-days", "0"), "expires after 1 to 3,650 days"),
        (("viewer", "--name", "   "), "Give the key a name"),
    ],
)
def test_create_api_token_refuses_with_a_reason(people, args, message):
    with pytest.raises(CommandError, match=message):
        create_token(*args)
    assert not ApiKey.objects.exists()


def test_create_api_token_documents_its_options(run_manage_py):
    result = run_manage_py("create_api_token", "--help")

    assert result.returncode == 0
    assert "--name" in result.stdout and "--expires-days" in result.stdout


# the header -------------------------------------------------------------------------------


def test_anonymous_caller_gets_a_json_401_not_the_login_page(client, people):
    response = client.get(LIST)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize(
    "header",
    ["Token pt_0123456789.not-the-key", "Token nonsense", "Token two words", "Token"],
)
def test_a_bad_key_is_refused(client, people, header):
    key_for(people.viewer)

    response = client.get(LIST, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_key_with_one_character_changed_is_refused(client, people):
    key = key_for(people.viewer)
    changed = key[:-1] + ("A" if key[-1] != "A" else "B")

    assert client.get(LIST, **auth(changed)).status_code == 401
    assert client.get(LIST, **auth(key)).status_code == 200


def test_an_expired_key_is_refused(client, people):
    key = key_for(people.viewer, expires_days=1)
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(LIST, **auth(key))

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_key_of_an_inactive_user_is_refused(client, people):
    key = key_for(people.viewer)
    people.viewer.is_active = False
    people.viewer.save()

    assert client.get(LIST, **auth(key)).status_code == 401


def test_the_browser_session_reads_the_api(viewer_client):
    assert viewer_client.get(LIST).status_code == 200


def test_a_session_write_needs_its_csrf_token(people):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.manager)
    body = {"token_sns": ["X"], "to_org": "ORG-ACME", "dry_run": True}

    refused = browser.post("/api/v1/transfers/", body, content_type="application/json")
    browser.get(PAGE)  # sets the CSRF cookie, as any page does
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/transfers/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 200


def test_a_key_write_needs_no_csrf_token(people):
    key = key_for(people.manager)
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(
        "/api/v1/transfers/",
        {"token_sns": ["X"], "to_org": "ORG-ACME", "dry_run": True},
        content_type="application/json",
        **auth(key),
    )

    assert response.status_code == 200


# the page ---------------------------------------------------------------------------------


def test_the_page_needs_a_signed_in_user(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_new_key_is_shown_once_and_works(viewer_client, client, people):
    created = viewer_client.post(PAGE, {"name": "laptop script", "expires_days": "30"})
    key = shown_key(created)
    again = viewer_client.get(PAGE)

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    assert key not in page_html(again)
    assert "laptop script" in page_html(again)
    api = Client()
    assert api.get(LIST, **auth(key)).status_code == 200


def test_the_page_shows_when_each_key_was_last_used(viewer_client, people):
    key = shown_key(viewer_client.post(PAGE, {"name": "reporting"}))

    before = page_html(viewer_client.get(PAGE))
    Client().get(LIST, **auth(key))
    after = page_html(viewer_client.get(PAGE))

    assert "Never used" in before
    assert "Never used" not in after
    assert ApiKey.objects.get().last_used_at is not None


def test_a_revoked_key_stops_working(viewer_client, people):
    key = shown_key(viewer_client.post(PAGE, {"name": "old"}))
    row = ApiKey.objects.get()

    response = viewer_client.post(f"{PAGE}{row.pk}/revoke/")

    assert response.status_code == 303
    assert Client().get(LIST, **auth(key)).status_code == 401
    assert "Revoked" in page_html(viewer_client.get(PAGE))


def test_nobody_revokes_or_sees_another_users_key(outsider_client, people):
    key = key_for(people.viewer, name="viewer's own")
    row = ApiKey.objects.get()

    revoke = outsider_client.post(f"{PAGE}{row.pk}/revoke/")
    page = page_html(outsider_client.get(PAGE))

    assert revoke.status_code == 404
    assert "viewer's own" not in page
    assert Client().get(LIST, **auth(key)).status_code == 200


def test_a_key_needs_a_name(viewer_client):
    response = viewer_client.post(PAGE, {"name": "  "})

    assert response.status_code == 400
    assert not ApiKey.objects.exists()
    assert 'id="new-api-key"' not in response.content.decode()
    assert "form-error" in response.content.decode()


def test_the_header_links_to_the_api_keys_page(viewer_client):
    assert f'href="{PAGE}"' in page_html(viewer_client.get("/organizations/"))


def test_superuser_keys_see_every_token(client):
    admin = factories.make_superuser()
    factories.make_token(factories.make_organization())

    response = client.get(LIST, **auth(key_for(admin)))

    assert response.json()["count"] == 1


def test_an_administrator_lists_and_revokes_keys_but_never_sees_their_hash(client, people):
    key = key_for(people.viewer, name="stolen laptop")
    row = ApiKey.objects.get()
    client.force_login(factories.make_superuser())

    listing = client.get("/admin/inventory/apikey/")
    detail = client.get(f"/admin/inventory/apikey/{row.pk}/change/")
    client.post(
        "/admin/inventory/apikey/",
        {"action": "revoke", "_selected_action": [row.pk]},
    )

    assert "stolen laptop" in listing.content.decode()
    assert row.key_hash not in detail.content.decode()
    assert Client().get(LIST, **auth(key)).status_code == 401


def test_an_unknown_api_path_is_a_json_404_that_names_a_missing_slash(client, people):
    key = key_for(people.viewer)

    unknown = client.get("/api/v1/nothing/", **auth(key))
    no_slash = client.post("/api/v1/transfers", {}, content_type="application/json", **auth(key))

    assert (unknown.status_code, no_slash.status_code) == (404, 404)
    assert unknown.json() == {"detail": "Not found."}
    assert "/api/v1/transfers/ (with the final slash)" in no_slash.json()["detail"]
