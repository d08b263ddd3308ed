import pytest

from inventory.models import Membership
from tests import factories
from tests.e2e.conftest import log_in, screenshot, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_signing_in_lands_on_port_tokens(page):
    org = factories.make_organization("ORG-1", "Acme Charging")
    user = factories.make_user("ada")
    factories.grant(user, org, Membership.Role.MANAGER)
    factories.make_token(org, serial="TKN-LOGIN-1")

    page.goto("/")
    assert "/accounts/login/" in page.url
    assert not serious_accessibility_violations(page)
    screenshot(page, "login-1366")

    log_in(page, "ada")

    assert page.url.endswith("/inventory/port-tokens/")
    assert page.get_by_text("TKN-LOGIN-1").is_visible()


def test_wrong_password_says_so(page):
    factories.make_user("ada")

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    assert page.get_by_role("alert").is_visible()
    assert "/accounts/login/" in page.url
