"""Passwords: a signed-in user changes theirs in the site's look; a forgotten one is
reset by email only when the site can send email (EMAIL_URL), otherwise the reset pages
answer 404 and nothing offers them."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from porttokens.settings import parse_email_url
from tests import factories

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "plug-in-the-rain-2031"
RESET_URLS = [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
]
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def no_email(settings):
    settings.EMAIL_CONFIGURED = False


@pytest.fixture
def with_email(settings):
    settings.EMAIL_CONFIGURED = True
    settings.EMAIL_BACKEND = LOCMEM
    settings.DEFAULT_FROM_EMAIL = "inventory@tokens.example.com"


@pytest.fixture
def ada(db):
    return factories.make_user("ada", email="ada@acme.example")


def can_sign_in(username: str, password: str) -> bool:
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def in_site_look(response) -> bool:
    page = response.content.decode()
    return 'href="/static/inventory.css"' in page and "Port Tokens Inventory" in page


# --- without email -------------------------------------------------------------------


@pytest.mark.parametrize("url", RESET_URLS)
def test_without_email_every_reset_page_answers_404(client, no_email, ada, url):
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": "ada@acme.example"}).status_code == 404
    assert not mail.outbox


def test_without_email_the_login_page_offers_no_reset(client, no_email):
    page = client.get("/accounts/login/").content.decode()

    assert "Forgot your password?" not in page
    assert "password_reset" not in page


# --- with email ----------------------------------------------------------------------


def test_with_email_the_login_page_offers_a_reset(client, with_email):
    page = client.get("/accounts/login/").content.decode()

    assert '<a href="/accounts/password_reset/">Forgot your password?</a>' in page


def test_with_email_a_reset_sends_one_email_whose_link_sets_a_new_password(client, with_email, ada):
    form = client.get("/accounts/password_reset/")
    assert form.status_code == 200
    assert in_site_look(form)

    sent = client.post("/accounts/password_reset/", {"email": "ada@acme.example"})

    assert sent.status_code == 302
    assert sent["Location"] == "/accounts/password_reset/done/"
    assert in_site_look(client.get(sent["Location"]))
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ada@acme.example"]
    assert email.from_email == "inventory@tokens.example.com"
    assert "ada" in email.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", email.body).group(1)

    choose = client.get(link, follow=True)
    assert "Choose a new password" in choose.content.decode()
    assert in_site_look(choose)
    done = client.post(
        choose.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    assert in_site_look(client.get(done["Location"]))
    assert can_sign_in("ada", NEW_PASSWORD)
    assert not can_sign_in("ada", PASSWORD)


def test_a_reset_link_works_only_once(client, with_email, ada):
    client.post("/accounts/password_reset/", {"email": "ada@acme.example"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    choose = client.get(link, follow=True)
    client.post(
        choose.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    again = Client().get(link, follow=True)

    assert "This reset link does not work" in again.content.decode()
    assert 'href="/accounts/password_reset/"' in again.content.decode()


def test_a_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, with_email, ada):
    response = client.post("/accounts/password_reset/", {"email": "nobody@acme.example"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert not mail.outbox


# --- changing one's password ------------------------------------------------------------


def test_the_page_header_links_to_change_password(manager_client):
    page = manager_client.get("/inventory/port-tokens/").content.decode()

    assert '<a class="header-link" href="/accounts/password_change/">Change password</a>' in page


def test_a_signed_in_user_changes_their_password(manager_client, people):
    form = manager_client.get("/accounts/password_change/")
    assert form.status_code == 200
    assert in_site_look(form)

    response = manager_client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/done/"
    done = manager_client.get(response["Location"])
    assert "Your password has been changed" in done.content.decode()
    assert in_site_look(done)
    assert can_sign_in("manager", NEW_PASSWORD)
    assert not can_sign_in("manager", PASSWORD)


def test_changing_the_password_requires_the_old_one(manager_client, people):
    response = manager_client.post(
        "/accounts/password_change/",
        {"old_password": "a-guess", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    assert can_sign_in("manager", PASSWORD)


def test_a_new_password_must_pass_the_password_rules(manager_client, people):
    response = manager_client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()
    assert can_sign_in("manager", PASSWORD)


def test_an_anonymous_visitor_is_sent_to_sign_in_from_password_change(client, db):
    response = client.get("/accounts/password_change/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/password_change/")


# --- EMAIL_URL ----------------------------------------------------------------------------


def test_email_url_with_starttls():
    assert parse_email_url("smtp+tls://mailer:s3cret@smtp.example.com:2525") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "s3cret",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
    }


@pytest.mark.parametrize(
    ("url", "port", "tls", "ssl"),
    [
        ("smtp://smtp.example.com", 25, False, False),
        ("smtp+tls://smtp.example.com", 587, True, False),
        ("smtps://smtp.example.com", 465, False, True),
        ("smtp+ssl://smtp.example.com", 465, False, True),
        ("smtp://smtp.example.com:587/?tls=1", 587, True, False),
        ("smtp://smtp.example.com/?ssl=true", 25, False, True),
        ("SMTP+TLS://smtp.example.com", 587, True, False),
    ],
)
def test_email_url_schemes_choose_port_and_encryption(url, port, tls, ssl):
    parsed = parse_email_url(url)

    assert (parsed["EMAIL_PORT"], parsed["EMAIL_USE_TLS"], parsed["EMAIL_USE_SSL"]) == (
        port,
        tls,
        ssl,
    )
    assert parsed["EMAIL_HOST_USER"] == parsed["EMAIL_HOST_PASSWORD"] == ""


def test_email_url_user_and_password_are_percent_decoded():
    parsed = parse_email_url("smtps://ops%40acme.example:p%40ss%3Aw%2Frd@mail.acme.example")

    assert parsed["EMAIL_HOST_USER"] == "ops@acme.example"
    assert parsed["EMAIL_HOST_PASSWORD"] == "p@ss:w/rd"


def test_email_url_timeout_bounds_a_hung_mail_server():
    assert parse_email_url("smtp://mail.example.com/?timeout=30")["EMAIL_TIMEOUT"] == 30


def test_console_email_url_prints_mails():
    assert parse_email_url("console://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://mail.example.com", "EMAIL_URL must start with one of smtp://"),
        ("mail.example.com", "EMAIL_URL must start with one of smtp://"),
        ("smtp://", "EMAIL_URL names no mail server host"),
        ("smtp://user:pw@:25", "EMAIL_URL names no mail server host"),
        ("smtp://mail.example.com:99999", "port that is not a number from 1 to 65535"),
        ("smtp://mail.example.com:0", "port that is not a number from 1 to 65535"),
        ("smtp://mail.example.com:smtp", "port that is not a number from 1 to 65535"),
        ("smtp://mail.example.com/?tls=maybe", "tls= must be 1 or 0, not 'maybe'"),
        ("smtp://mail.example.com/?tls=1&ssl=1", "both STARTTLS (tls) and implicit TLS"),
        ("smtps://mail.example.com/?tls=1", "both STARTTLS (tls) and implicit TLS"),
        ("smtp://mail.example.com/?timeout=0", "timeout= must be seconds, not '0'"),
        ("smtp://mail.example.com/?tsl=1", "unknown option 'tsl' (known: tls, ssl, timeout)"),
    ],
)
def test_a_malformed_email_url_is_refused_with_the_reason(url, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        parse_email_url(url)


def test_a_refused_email_url_never_shows_its_password():
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_email_url("smtp://mailer:TopSecret9@mail.example.com:70000")

    assert "TopSecret9" not in str(refused.value)


def test_without_email_url_the_site_sends_no_email(settings_from_env):
    loaded = settings_from_env(EMAIL_URL=None, DEFAULT_FROM_EMAIL=None)

    assert loaded["EMAIL_CONFIGURED"] is False


def test_email_url_and_sender_from_the_environment(settings_from_env):
    loaded = settings_from_env(
        EMAIL_URL="smtp+tls://mailer:s3cret@smtp.example.com",
        DEFAULT_FROM_EMAIL="Port Tokens <inventory@tokens.example.com>",
    )

    assert loaded["EMAIL_CONFIGURED"] is True
    assert loaded["EMAIL_HOST"] == "smtp.example.com"
    assert loaded["EMAIL_PORT"] == 587
    assert loaded["EMAIL_USE_TLS"] is True
    assert loaded["DEFAULT_FROM_EMAIL"] == "Port Tokens <inventory@tokens.example.com>"


def test_email_url_without_a_sender_address_is_refused(settings_from_env):
    with pytest.raises(ImproperlyConfigured, match="DEFAULT_FROM_EMAIL must be set"):
        settings_from_env(EMAIL_URL="smtp://smtp.example.com", DEFAULT_FROM_EMAIL=None)


def test_a_malformed_email_url_stops_the_start(settings_from_env):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL must start with one of"):
        settings_from_env(EMAIL_URL="smtp.example.com", DEFAULT_FROM_EMAIL="a@example.com")
