"""Login throttling (SPEC "Routes"): after 5 failed logins for one username from one
address within 15 minutes, that username is refused from that address for 15 minutes,
with a 429 page saying when to try again; other usernames and addresses go on."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from django.test import Client
from django.utils import timezone

from inventory.dbfunctions import PACIFIC
from tests import factories

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "correct-horse-battery"
HOME = "10.0.0.1"


@pytest.fixture
def ada(db):
    return factories.make_user("ada")


def sign_in(username="ada", password=PASSWORD, address=HOME, path=LOGIN, **headers):
    """One login form submission from a fresh browser at `address`."""
    return Client().post(
        path, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def fail(times=1, username="ada", address=HOME, path=LOGIN, **headers):
    for _ in range(times):
        response = sign_in(username, "not-the-password", address, path, **headers)
    return response


def signed_in(response) -> bool:
    return response.status_code == 302


def age_failures(minutes: int) -> None:
    """As if the recorded failures had happened `minutes` earlier."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))


def test_four_failures_still_let_the_right_password_in(ada):
    response = fail(4)

    assert response.status_code == 200
    assert "Your username and password didn't match" in response.content.decode()
    assert signed_in(sign_in())


def test_the_fifth_failure_locks_with_a_page_saying_when_to_try_again(ada):
    fail(4)
    response = fail()

    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in paused" in page
    assert "Try again in 15 minutes" in page
    retry_at = timezone.localtime(AccessAttempt.objects.get().attempt_time, PACIFIC)
    retry_at += timedelta(minutes=15)
    assert f"after {retry_at:%H:%M} Pacific Time" in page
    assert 890 <= int(response["Retry-After"]) <= 900


def test_the_lockout_page_is_in_the_site_look(ada):
    page = fail(5).content.decode()

    assert 'href="/static/inventory.css"' in page
    assert "Port Tokens Inventory" in page
    assert re.search(r'<a [^>]*href="/accounts/login/"', page)


def test_while_locked_even_the_right_password_is_refused(ada):
    fail(5)

    response = sign_in()

    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_another_username_from_the_same_address_can_sign_in(ada):
    factories.make_user("bea")
    fail(5)

    assert signed_in(sign_in("bea"))


def test_the_same_username_from_another_address_can_sign_in(ada):
    fail(5)

    assert signed_in(sign_in(address="10.0.0.2"))


def test_failures_from_several_addresses_do_not_add_up(ada):
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        fail(4, address=address)

    assert signed_in(sign_in(address="10.0.0.4"))
    assert signed_in(sign_in(address="10.0.0.1"))


def test_a_success_before_the_limit_resets_the_count(ada):
    fail(4)
    assert signed_in(sign_in())

    fail(4)

    assert signed_in(sign_in())


def test_the_admin_login_is_locked_too(db):
    factories.make_superuser("root")
    fail(5, username="root", path=ADMIN_LOGIN)

    response = sign_in("root", path=ADMIN_LOGIN)

    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()
    assert sign_in("root").status_code == 429


def test_failures_on_the_admin_login_and_the_site_login_count_together(db):
    factories.make_superuser("root")
    fail(3, username="root")
    fail(2, username="root", path=ADMIN_LOGIN)

    assert sign_in("root").status_code == 429


def test_after_the_lockout_period_the_right_password_works_again(ada):
    fail(5)
    age_failures(14)
    assert sign_in().status_code == 429

    age_failures(1)

    assert signed_in(sign_in())


def test_a_retry_while_locked_does_not_extend_the_lockout(ada):
    fail(5)
    age_failures(10)
    fail()
    assert sign_in().status_code == 429

    age_failures(5)

    assert signed_in(sign_in())


def test_the_lockout_lasts_as_configured(ada, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=45)

    response = fail(2)

    assert response.status_code == 429
    assert "Try again in 45 minutes" in response.content.decode()
    assert "After 2 failed attempts" in response.content.decode()


def test_the_admin_lists_the_lockout_and_deleting_it_unlocks(ada, client):
    fail(5)
    client.force_login(factories.make_superuser("root"))

    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "ada" in listing.content.decode()
    assert "Locked Out" in listing.content.decode()

    attempt = AccessAttempt.objects.get(username="ada")
    deleted = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert deleted.status_code == 302
    assert signed_in(sign_in())


def test_a_forged_forwarded_for_header_does_not_dodge_the_lockout(ada):
    for n in range(5):
        fail(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    assert sign_in(HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_behind_a_trusted_proxy_each_client_address_is_throttled_apart(ada, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.9.9.9"
    for n in range(5):
        # What the client put in the header (left) is not believed; the proxy's entry is.
        fail(address=proxy, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.5")

    assert sign_in(address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert signed_in(sign_in(address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.6"))


def test_limit_and_lockout_minutes_come_from_the_environment(settings_from_env):
    loaded = settings_from_env(LOGIN_FAILURE_LIMIT="3", LOGIN_LOCKOUT_MINUTES="30")

    assert loaded["AXES_FAILURE_LIMIT"] == 3
    assert loaded["AXES_COOLOFF_TIME"] == timedelta(minutes=30)


def test_by_default_five_failures_lock_for_fifteen_minutes(settings_from_env):
    loaded = settings_from_env(LOGIN_FAILURE_LIMIT=None, LOGIN_LOCKOUT_MINUTES=None)

    assert loaded["AXES_FAILURE_LIMIT"] == 5
    assert loaded["AXES_COOLOFF_TIME"] == timedelta(minutes=15)
    assert loaded["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOGIN_FAILURE_LIMIT", "0", "LOGIN_FAILURE_LIMIT must be at least 1, not 0"),
        ("LOGIN_FAILURE_LIMIT", "-3", "LOGIN_FAILURE_LIMIT must be at least 1, not -3"),
        ("LOGIN_LOCKOUT_MINUTES", "0", "LOGIN_LOCKOUT_MINUTES must be at least 1, not 0"),
        ("LOGIN_LOCKOUT_MINUTES", "15m", "LOGIN_LOCKOUT_MINUTES must be a whole number"),
        ("TRUSTED_PROXY_COUNT", "-1", "TRUSTED_PROXY_COUNT must be at least 0, not -1"),
    ],
)
def test_a_nonsense_setting_is_refused_at_start(settings_from_env, name, value, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        settings_from_env(**{name: value})
