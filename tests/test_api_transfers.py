"""/api/v1/organizations/ and /api/v1/transfers/: the user's organizations with their role
and counts, the transfer history as the pages show it, and POST /api/v1/transfers/: the
transfer form's service and rules, with a dry run."""

import pytest

from inventory.models import Membership, PortToken, Transfer
from inventory.transfers import transfer_tokens
from tests import factories
from tests.api_client import get, key_for, post, throttle_counts_cleared  # noqa: F401
from tests.helpers import org_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def destination(people):
    """Bayside, managed by the manager only."""
    bayside = factories.make_organization("ORG-BAY", "Bayside EV")
    factories.grant(people.manager, bayside, Membership.Role.MANAGER)
    return bayside


# organizations ------------------------------------------------------------------------------


def test_organizations_with_role_and_counts_by_status(client, people, destination):
    factories.make_tokens(people.org, 3, prefix="NEW")
    factories.make_tokens(people.org, 2, prefix="ACT", status=PortToken.Status.ACTIVE)
    factories.make_token(people.other_org)

    body = get(client, key_for(people.manager), "/organizations/").json()

    assert body["count"] == 2
    assert body["results"] == [
        {
            "org_id": "ORG-ACME",
            "name": "Acme Charging",
            "role": "manager",
            "total": 5,
            "counts": {"New": 3, "Available": 0, "Active": 2, "Expired": 0},
        },
        {
            "org_id": "ORG-BAY",
            "name": "Bayside EV",
            "role": "manager",
            "total": 0,
            "counts": {"New": 0, "Available": 0, "Active": 0, "Expired": 0},
        },
    ]


def test_a_viewer_sees_their_role_and_a_superuser_every_organization(client, people):
    viewer = get(client, key_for(people.viewer), "/organizations/").json()["results"]
    admin = get(client, key_for(factories.make_superuser()), "/organizations/").json()

    assert [(o["org_id"], o["role"]) for o in viewer] == [("ORG-ACME", "viewer")]
    assert [(o["org_id"], o["role"]) for o in admin["results"]] == [
        ("ORG-ACME", None),
        ("ORG-OTHER", None),
    ]


def test_organizations_need_a_key_or_a_session(client):
    assert client.get("/api/v1/organizations/").status_code == 401


# the history --------------------------------------------------------------------------------


def test_the_history_names_only_organizations_the_reader_is_in(client, people, destination):
    token = factories.make_token(people.org, "TKN-1")
    record = transfer_tokens(
        user=people.manager, serials=[token.serial], to_org=destination, note="spare"
    )

    viewer = get(client, key_for(people.viewer), "/transfers/").json()
    manager = get(client, key_for(people.manager), f"/transfers/{record.pk}/").json()

    (row,) = viewer["results"]
    assert row["id"] == record.pk
    assert row["to_org"] == {"org_id": None, "name": "another organization"}
    assert row["from_orgs"] == ["Acme Charging"]
    assert row["token_count"] == 1
    assert row["created_by"] == "manager"
    assert row["url"].endswith(f"/api/v1/transfers/{record.pk}/")
    assert manager["to_org"] == {"org_id": "ORG-BAY", "name": "Bayside EV"}
    assert manager["tokens"] == [
        {
            "token_sn": "TKN-1",
            "cloud_plan": token.part.cloud_plan,
            "from_org": {"org_id": "ORG-ACME", "name": "Acme Charging"},
        }
    ]
    assert manager["hidden_count"] == 0


def test_a_transfer_the_reader_is_not_part_of_is_404_as_one_that_does_not_exist(
    client, people, destination
):
    token = factories.make_token(people.org)
    record = transfer_tokens(user=people.manager, serials=[token.serial], to_org=destination)
    key = key_for(people.outsider)

    hidden = get(client, key, f"/transfers/{record.pk}/")
    missing = get(client, key, f"/transfers/{record.pk + 1000}/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert get(client, key, "/transfers/").json()["results"] == []


def test_the_history_narrows_to_one_organization_or_says_why_not(client, people, destination):
    token = factories.make_token(people.org)
    transfer_tokens(user=people.manager, serials=[token.serial], to_org=destination)
    key = key_for(people.manager)

    into_bay = get(client, key, "/transfers/", org="ORG-BAY").json()
    not_mine = get(client, key, "/transfers/", org="ORG-OTHER")

    assert into_bay["count"] == 1
    assert not_mine.status_code == 400
    assert not_mine.json()["errors"][0]["param"] == "org"


# transfers ----------------------------------------------------------------------------------


def test_a_dry_run_says_what_would_move_and_moves_nothing(client, people, destination):
    factories.make_token(people.org, "TKN-NEW")
    factories.make_token(people.org, "TKN-ACTIVE", status=PortToken.Status.ACTIVE)

    response = post(
        client,
        key_for(people.manager),
        "/transfers/",
        {
            "token_sns": ["TKN-NEW", "TKN-ACTIVE", "TKN-NOWHERE"],
            "to_org": "ORG-BAY",
            "dry_run": True,
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["movable"] == [
        {
            "token_sn": "TKN-NEW",
            "cloud_plan": "Commercial Cloud Plan",
            "status": "New",
            "from_org": {"org_id": "ORG-ACME", "name": "Acme Charging"},
        }
    ]
    assert [(p["token_sn"], p["reason"]) for p in body["problems"]] == [
        ("TKN-ACTIVE", "Status is Active; only New or Available tokens can move."),
        ("TKN-NOWHERE", "Unknown Token S/N, or not a token of your organizations."),
    ]
    assert org_of("TKN-NEW") == "ORG-ACME"
    assert not Transfer.objects.exists()


def test_a_transfer_moves_the_tokens_and_answers_201_with_it(client, people, destination):
    factories.make_tokens(people.org, 2, prefix="MOVE")

    response = post(
        client,
        key_for(people.manager),
        "/transfers/",
        {"token_sns": ["MOVE-000000", "MOVE-000001"], "to_org": "ORG-BAY", "note": "spares"},
    )

    assert response.status_code == 201
    body = response.json()
    record = Transfer.objects.get()
    assert response["Location"].endswith(f"/api/v1/transfers/{record.pk}/")
    assert body["id"] == record.pk
    assert body["note"] == "spares"
    assert [t["token_sn"] for t in body["tokens"]] == ["MOVE-000000", "MOVE-000001"]
    assert org_of("MOVE-000000") == org_of("MOVE-000001") == "ORG-BAY"


def test_a_transfer_with_any_problem_moves_nothing(client, people, destination):
    factories.make_token(people.org, "TKN-NEW")
    factories.make_token(people.org, "TKN-EXPIRED", status=PortToken.Status.EXPIRED)

    response = post(
        client,
        key_for(people.manager),
        "/transfers/",
        {"token_sns": ["TKN-NEW", "TKN-EXPIRED"], "to_org": "ORG-BAY"},
    )

    assert response.status_code == 400
    assert [p["token_sn"] for p in response.json()["problems"]] == ["TKN-EXPIRED"]
    assert org_of("TKN-NEW") == "ORG-ACME"
    assert not Transfer.objects.exists()


def test_a_viewer_cannot_move_tokens(client, people, destination):
    factories.make_token(people.org, "TKN-NEW")
    factories.grant(people.viewer, destination, Membership.Role.MANAGER)

    response = post(
        client,
        key_for(people.viewer),
        "/transfers/",
        {"token_sns": ["TKN-NEW"], "to_org": "ORG-BAY"},
    )

    assert response.status_code == 400
    assert "not a manager of Acme Charging" in response.json()["problems"][0]["reason"]
    assert org_of("TKN-NEW") == "ORG-ACME"


@pytest.mark.parametrize(
    "body, param",
    [
        ({"token_sns": ["TKN-NEW"], "to_org": "ORG-OTHER", "dry_run": True}, "to_org"),
        ({"token_sns": [], "to_org": "ORG-BAY", "dry_run": True}, "token_sns"),
        ({"token_sns": ["TKN-NEW"], "to_org": "ORG-BAY", "note": "n" * 501}, "note"),
        ({"token_sns": "TKN-NEW", "to_org": "ORG-BAY"}, "token_sns"),
        ({"token_sns": ["TKN-NEW"]}, "to_org"),
        ({"token_sns": ["TKN-NEW"], "to_org": "ORG-BAY", "dry_run": "perhaps"}, "dry_run"),
        (["TKN-NEW"], "non_field_errors"),
    ],
)
def test_wrong_fields_are_a_400_naming_them(client, people, destination, body, param):
    factories.make_token(people.org, "TKN-NEW")

    response = post(client, key_for(people.manager), "/transfers/", body)

    assert response.status_code == 400
    assert param in [error["param"] for error in response.json()["errors"]]
    assert org_of("TKN-NEW") == "ORG-ACME"


def test_a_body_that_is_not_json_is_a_400(client, people):
    response = client.post(
        "/api/v1/transfers/",
        "token_sns=1",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key_for(people.manager)}",
    )

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
