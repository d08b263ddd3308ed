"""The API is throttled per user: past `API_THROTTLE_RATE` requests (and, for exports and
transfers, `API_BULK_THROTTLE_RATE`) a 429 with `Retry-After`; other users unaffected;
the rates come from the environment, and a malformed one is refused at start-up."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.api_client import get, key_for, post, throttle_counts_cleared  # noqa: F401

pytestmark = pytest.mark.django_db


def test_past_the_rate_a_user_gets_429_with_retry_after(client, people, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    key = key_for(people.viewer)

    answers = [get(client, key, "/organizations/") for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    assert "throttled" in answers[-1].json()["detail"]


def test_one_users_requests_do_not_throttle_another(client, people, settings):
    settings.API_THROTTLE_RATE = "2/hour"
    viewer, manager = key_for(people.viewer), key_for(people.manager)
    for _ in range(2):
        get(client, viewer, "/organizations/")

    assert get(client, viewer, "/organizations/").status_code == 429
    assert get(client, manager, "/organizations/").status_code == 200


def test_the_session_and_a_key_of_one_user_share_a_rate(client, people, settings):
    settings.API_THROTTLE_RATE = "2/minute"
    key = key_for(people.viewer)
    get(client, key, "/organizations/")
    client.force_login(people.viewer)
    client.get("/api/v1/organizations/")

    assert client.get("/api/v1/organizations/").status_code == 429


def test_exports_and_transfers_have_their_own_lower_rate(client, people, settings):
    settings.API_BULK_THROTTLE_RATE = "1/minute"
    key = key_for(people.manager)
    body = {"token_sns": ["X"], "to_org": "ORG-ACME", "dry_run": True}

    first = post(client, key, "/transfers/", body)
    second = post(client, key, "/transfers/", body)
    export = get(client, key, "/port-tokens/export/", format="csv")

    assert (first.status_code, second.status_code, export.status_code) == (200, 429, 429)
    assert get(client, key, "/port-tokens/").status_code == 200


@pytest.mark.parametrize("rate", ["many", "0/minute", "10/fortnight", "10"])
def test_a_malformed_rate_is_refused_at_start_up(settings_from_env, rate):
    with pytest.raises(ImproperlyConfigured, match="API_THROTTLE_RATE"):
        settings_from_env(API_THROTTLE_RATE=rate)


def test_rates_come_from_the_environment(settings_from_env):
    loaded = settings_from_env(API_THROTTLE_RATE="100/hour", API_BULK_THROTTLE_RATE="5/second")

    assert (loaded["API_THROTTLE_RATE"], loaded["API_BULK_THROTTLE_RATE"]) == (
        "100/hour",
        "5/second",
    )
