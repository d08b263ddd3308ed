"""The OpenAPI schema at /api/schema/: valid OpenAPI 3, describing every endpoint and
parameter; the docs page at /api/docs/ served from this site's own files; and a
property-based run of Schemathesis against the schema: for generated requests to every
operation, no server error and every answer as the schema describes it."""

import json
import re

import pytest
import schemathesis
import yaml
from django.core import signals
from django.core.serializers.json import DjangoJSONEncoder as JSONEncoder
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from inventory.models import Membership, PortToken
from tests import factories
from tests.api_client import auth, key_for, throttle_counts_cleared  # noqa: F401

pytestmark = pytest.mark.django_db

#: Generated requests per operation: enough to try every parameter, bounded for CI.
EXAMPLES_PER_OPERATION = 60


def openapi_document(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_valid_openapi_3(client):
    document = openapi_document(client)

    validate(document)
    assert document["openapi"].startswith("3.")


def test_the_schema_is_served_as_yaml_by_default_without_sign_in(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["title"] == "Port Tokens inventory API"


def test_the_schema_describes_every_endpoint(client):
    paths = openapi_document(client)["paths"]

    assert {(path, method) for path, methods in paths.items() for method in methods} == {
        ("/api/v1/port-tokens/", "get"),
        ("/api/v1/port-tokens/export/", "get"),
        ("/api/v1/port-tokens/{token_sn}/", "get"),
        ("/api/v1/organizations/", "get"),
        ("/api/v1/transfers/", "get"),
        ("/api/v1/transfers/", "post"),
        ("/api/v1/transfers/{id}/", "get"),
    }


def test_every_parameter_and_operation_has_a_description(client):
    paths = openapi_document(client)["paths"]

    for path, methods in paths.items():
        for method, operation in methods.items():
            assert operation.get("description"), f"{method} {path}"
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), f"{method} {path} {parameter['name']}"


def test_the_filter_grammar_is_spelled_out(client):
    (parameter,) = [
        p
        for p in openapi_document(client)["paths"]["/api/v1/port-tokens/"]["get"]["parameters"]
        if p["name"] == "filter"
    ]

    for words in ("not_contains", "between", "plan_end_date", "YYYY-MM-DD..YYYY-MM-DD", "`|`"):
        assert words in parameter["description"]
    assert parameter["examples"]


def test_the_docs_page_loads_only_this_sites_files(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert response.status_code == 200
    assert sources and all(source.startswith("/") for source in sources)
    assert "<style" not in html
    assert not re.search(r"<script>\s*\S", html)
    script = client.get(next(s for s in sources if "script" in s))
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


# Schemathesis -------------------------------------------------------------------------------


@pytest.fixture
def manager_key(people):
    """A manager of Acme with tokens of each kind, so generated requests find rows."""
    bayside = factories.make_organization("ORG-BAY", "Bayside EV")
    factories.grant(people.manager, bayside, Membership.Role.MANAGER)
    factories.make_tokens(people.org, 5, prefix="NEW")
    factories.make_token(people.org, "TKN-ACTIVE", status=PortToken.Status.ACTIVE)
    factories.make_token(bayside, "TKN-BAY", status=PortToken.Status.AVAILABLE)
    return key_for(people.manager)


def _loaded_schema():
    """The schema as drf-spectacular generates it for /api/schema/, run against the
    application itself (no server, no network)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(document, cls=JSONEncoder)))
    loaded.app = get_wsgi_application()
    return loaded


schema = _loaded_schema()


@pytest.fixture
def connection_kept_between_requests():
    """The test's database connection stays open across the application's requests, as
    Django's test client keeps it (a request's start and end would otherwise close it, and with it
    the test's transaction)."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_get_no_server_error_and_answers_as_documented(
    case, manager_key, connection_kept_between_requests
):
    # Every check but the two that would have the schema restate the view state's parser:
    # its grammar has rules no schema states (a day that exists, an operator that fits the
    # column, an organization of yours: a documented 400 naming the piece), and it is as
    # lenient as on the page (a blank piece is the default; case and spaces around a
    # word do not matter). Server errors, status codes, content types, response bodies
    # and headers, and authentication are all checked.
    case.call_and_validate(
        headers=auth_header(manager_key),
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )


def auth_header(key: str) -> dict:
    return {"Authorization": auth(key)["HTTP_AUTHORIZATION"]}
