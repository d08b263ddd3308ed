"""Who sees which tokens on the Port Tokens page: members see their organizations' tokens,
outsiders and users without organizations nothing, a superuser everything."""

from inventory.selectors import visible_tokens
from tests import factories
from tests.helpers import PAGE, get, page_html, shown_serials


def test_viewer_sees_only_tokens_of_their_organization(viewer_client, people):
    factories.make_token(people.org, "T-MINE")
    factories.make_token(people.other_org, "T-THEIRS")

    assert shown_serials(viewer_client.get(PAGE)) == ["T-MINE"]
    assert shown_serials(get(viewer_client, "org_id:is:ORG-OTHER")) == []
    summary = page_html(get(viewer_client, "org_id:is:ORG-OTHER"))
    assert "<strong>0</strong> tokens" in summary


def test_outsider_sees_nothing_of_the_organization(outsider_client, people):
    factories.make_token(people.org, "T-ACME")
    factories.make_token(people.other_org, "T-OTHER")

    response = outsider_client.get(PAGE)

    assert shown_serials(response) == ["T-OTHER"]
    assert "Acme Charging" not in page_html(get(outsider_client, columns="token_sn,org_name"))


def test_user_without_organizations_sees_an_empty_inventory(client, people):
    factories.make_token(people.org)
    client.force_login(factories.make_user("newcomer"))

    response = client.get(PAGE)

    assert shown_serials(response) == []
    assert "No port tokens yet" in page_html(response)


def test_superuser_sees_every_organization(client, people):
    factories.make_token(people.org, "T-ACME")
    factories.make_token(people.other_org, "T-OTHER")
    client.force_login(factories.make_superuser())

    assert shown_serials(client.get(PAGE)) == ["T-ACME", "T-OTHER"]


def test_a_withdrawn_membership_hides_the_tokens_from_the_next_request(viewer_client, people):
    factories.make_token(people.org, "T-MINE")
    assert shown_serials(viewer_client.get(PAGE)) == ["T-MINE"]

    people.viewer.memberships.all().delete()

    assert shown_serials(viewer_client.get(PAGE)) == []


def test_memberships_are_read_afresh_outside_a_request(people):
    token = factories.make_token(people.other_org, "T-THEIRS")
    assert not visible_tokens(people.viewer).filter(pk=token.pk).exists()

    factories.grant(people.viewer, people.other_org, "viewer")

    assert visible_tokens(people.viewer).filter(pk=token.pk).exists()
