"""Account journeys in the browser: a paused sign-in after too many wrong passwords, and
changing one's password from the page header."""

import pytest

from inventory.models import Membership
from tests import factories
from tests.e2e.conftest import (
    PASSWORD,
    log_in,
    screenshot,
    serious_accessibility_violations,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


def submit_login(page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_five_wrong_passwords_pause_sign_in_and_say_until_when(page):
    factories.make_user("ada")
    page.goto("/accounts/login/")
    for _ in range(4):
        submit_login(page, "ada", "not the password")
        assert page.get_by_role("alert").inner_text().endswith("Please try again.")

    submit_login(page, "ada", "not the password")

    assert page.get_by_role("heading", name="Sign-in paused").is_visible()
    assert "Try again in 15 minutes" in page.locator("main").inner_text()
    assert not serious_accessibility_violations(page)
    screenshot(page, "login-paused")

    page.get_by_role("link", name="Back to sign in").click()
    submit_login(page, "ada", PASSWORD)
    assert page.get_by_role("heading", name="Sign-in paused").is_visible()


def test_a_user_changes_their_password_from_the_header(page, live_server):
    org = factories.make_organization("ORG-1", "Acme Charging")
    user = factories.make_user("ada")
    factories.grant(user, org, Membership.Role.MANAGER)
    sign_in(page, live_server, user)

    page.get_by_role("link", name="Change password").click()
    assert not serious_accessibility_violations(page)
    screenshot(page, "password-change")
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("plug-in-the-rain-2031")
    page.get_by_label("New password confirmation").fill("plug-in-the-rain-2031")
    page.get_by_role("button", name="Change password").click()

    page.get_by_role("heading", name="Password changed").wait_for()
    screenshot(page, "password-changed")
    page.get_by_role("button", name="Sign out").click()
    log_in(page, "ada", "plug-in-the-rain-2031")
    assert page.url.endswith("/inventory/port-tokens/")


def test_an_administrator_sees_a_lockout_in_the_admin_and_lifts_it(page, live_server):
    factories.make_user("ada")
    page.goto("/accounts/login/")
    for _ in range(5):
        submit_login(page, "ada", "not the password")
    assert page.get_by_role("heading", name="Sign-in paused").is_visible()

    sign_in(page, live_server, factories.make_superuser("root"), "/admin/axes/accessattempt/")
    row = page.locator("#result_list tbody tr", has_text="ada")
    assert "Locked Out" in row.inner_text()
    row.get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("delete_selected")
    page.get_by_role("button", name="Go").click()
    page.get_by_role("button", name="Yes, I’m sure").click()
    page.get_by_text("Successfully deleted 1").wait_for()

    page.get_by_role("button", name="Log out").click()
    log_in(page, "ada")
    assert page.url.endswith("/inventory/port-tokens/")
