"""Security headers on every page: a Content-Security-Policy that lets only the site's
own files run (no inline script or style anywhere), a Permissions-Policy denying browser
features the app never uses, and `Cache-Control: private` on everything a signed-in user
is shown, exports included."""

import re

import pytest
from django.conf import settings
from django.test import Client

from inventory.models import Membership
from inventory.transfers import transfer_tokens
from tests import factories

CSP_REQUIRED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def policy(response) -> dict[str, set[str]]:
    """The Content-Security-Policy header as {directive: sources}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def assert_protected(response) -> None:
    csp = policy(response)
    for directive, sources in CSP_REQUIRED.items():
        assert csp.get(directive) == sources, directive
    assert not any("'unsafe-inline'" in sources for sources in csp.values())
    assert not any("'unsafe-eval'" in sources for sources in csp.values())
    features = response["Permissions-Policy"]
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in features


def cache_directives(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Cache-Control", "").split(",")}


@pytest.fixture
def data_urls(people):
    """One URL of each page that shows inventory data, for the manager of Acme Charging."""
    east = factories.make_organization("ORG-EAST", "Acme East")
    factories.grant(people.manager, east, Membership.Role.MANAGER)
    factories.make_tokens(people.org, 3, prefix="TKN")
    transfer = transfer_tokens(user=people.manager, serials=["TKN-000000"], to_org=east)
    return [
        "/organizations/",
        "/inventory/port-tokens/",
        "/inventory/port-tokens/?filter=status:is:New&columns=token_sn,status",
        "/inventory/port-tokens/export/?format=csv&scope=visible",
        "/inventory/port-tokens/export/?format=xlsx&scope=all",
        "/inventory/port-tokens/transfer/?token=TKN-000001",
        "/inventory/transfers/",
        f"/inventory/transfers/{transfer.pk}/",
        "/accounts/password_change/",
    ]


def test_every_data_page_carries_the_policies_and_is_private(manager_client, data_urls):
    for url in data_urls:
        response = manager_client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)

        assert response.status_code == 200, url
        assert_protected(response)
        assert {"private", "no-store"} <= cache_directives(response), url
        assert "public" not in cache_directives(response), url


def test_a_transfer_review_is_protected_and_private(manager_client, people):
    east = factories.make_organization("ORG-EAST", "Acme East")
    factories.grant(people.manager, east, Membership.Role.MANAGER)
    factories.make_tokens(people.org, 1, prefix="TKN")

    response = manager_client.post(
        "/inventory/port-tokens/transfer/",
        {"token_sns": "TKN-000000", "to_org": "ORG-EAST", "note": "", "action": "review"},
    )

    assert response.status_code == 200
    assert "TKN-000000" in response.content.decode()
    assert_protected(response)
    assert "private" in cache_directives(response)


def test_the_login_page_carries_the_policies(db):
    response = Client().get("/accounts/login/")

    assert response.status_code == 200
    assert_protected(response)
    assert "private" in cache_directives(response)


def test_redirects_and_errors_carry_the_policies(manager_client, people):
    assert_protected(Client().get("/inventory/port-tokens/"))
    assert_protected(manager_client.get("/inventory/transfers/999999/"))
    assert_protected(manager_client.get("/inventory/port-tokens/export/?format=pdf"))


def test_the_lockout_page_carries_the_policies(db):
    factories.make_user("ada")
    for _ in range(5):
        response = Client().post("/accounts/login/", {"username": "ada", "password": "wrong"})

    assert response.status_code == 429
    assert_protected(response)


def test_the_admin_works_under_the_same_policy(client, db):
    client.force_login(factories.make_superuser())

    response = client.get("/admin/")

    assert response.status_code == 200
    assert_protected(response)
    assert "private" in cache_directives(response)


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    found = []
    for pattern in (INLINE_SCRIPT, INLINE_HANDLER, STYLE_ATTRIBUTE, STYLE_ELEMENT):
        found += pattern.findall(html)
    return found


@pytest.mark.parametrize(
    "template",
    sorted(
        str(path.relative_to(settings.BASE_DIR))
        for path in (settings.BASE_DIR / "templates").rglob("*.html")
    ),
)
def test_no_template_holds_inline_script_or_style(template):
    # The policy would block them in the browser: behaviour lives in static/*.js, looks
    # in static/inventory.css.
    assert inline_code((settings.BASE_DIR / template).read_text()) == []


def test_no_rendered_page_holds_inline_script_or_style(manager_client, data_urls):
    pages = [url for url in data_urls if "/export/" not in url]
    for url in pages:
        assert inline_code(manager_client.get(url).content.decode()) == [], url
