"""What the API tests share: a key for a user, requests that send it, and request counts
that start from zero in every test (the throttle counts in the cache)."""

from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from inventory.api.keys import create_api_key

API = "/api/v1"


@pytest.fixture(autouse=True)
def throttle_counts_cleared():
    """Each test starts with no requests counted against anyone's rate."""
    cache.clear()
    yield
    cache.clear()


def key_for(user, **options) -> str:
    """A new API key of `user`."""
    return create_api_key(user=user, name=options.pop("name", "tests"), **options)[1]


def auth(key: str) -> dict:
    """The header that sends `key`, as the Django test client takes it."""
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def url(path: str, *filters: str, **params) -> str:
    """`/api/v1<path>` with these `filter=` values and other query parameters."""
    items = [("filter", f) for f in filters] + [(k, str(v)) for k, v in params.items()]
    return f"{API}{path}" + (f"?{urlencode(items)}" if items else "")


def get(client, key: str, path: str, *filters: str, **params):
    return client.get(url(path, *filters, **params), **auth(key))


def post(client, key: str, path: str, body):
    return client.post(f"{API}{path}", body, content_type="application/json", **auth(key))


def all_pages(client, key: str, *filters: str, **params) -> list[dict]:
    """Every token row of the list, following `next` links from the first page."""
    response = get(client, key, "/port-tokens/", *filters, **params)
    rows = []
    while True:
        assert response.status_code == 200, response.content
        rows.extend(response.json()["results"])
        if response.json()["next"] is None:
            return rows
        response = client.get(response.json()["next"], **auth(key))
