"""The Organizations page: the user's organizations, their role and token counts by
status, each linking to the Port Tokens table filtered on that organization."""

import html
import re

from inventory.models import Membership
from tests import factories
from tests.helpers import breadcrumb, query_of, shown_serials

ORGANIZATIONS = "/organizations/"


def org_rows(response) -> list[list[str]]:
    """Cell texts of each organization row."""
    assert response.status_code == 200
    body = re.search(r"<tbody>(.*?)</tbody>", response.content.decode(), re.S)
    if body is None:
        return []
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([" ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in cells])
    return rows


def hrefs(response) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', response.content.decode())]


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get(ORGANIZATIONS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/organizations/")


def test_lists_the_users_organizations_with_role_and_counts_by_status(client, people):
    for status, count in (("New", 2), ("Available", 1), ("Active", 3)):
        for _ in range(count):
            factories.make_token(people.org, status=status)
    factories.make_token(people.other_org, status="Expired")
    factories.grant(people.viewer, people.other_org, Membership.Role.MANAGER)
    client.force_login(people.viewer)

    rows = org_rows(client.get(ORGANIZATIONS))

    assert rows == [
        # Org ID, name, role, New, Available, Active, Expired, Total
        ["ORG-ACME", "Acme Charging", "Viewer", "2", "1", "3", "0", "6"],
        ["ORG-OTHER", "Other Networks", "Manager", "0", "0", "0", "1", "1"],
    ]


def test_counts_come_from_one_aggregated_query(client, people, django_assert_num_queries):
    for status in ("New", "Active", "Expired"):
        factories.make_token(people.org, status=status)
    client.force_login(people.manager)

    # session, user, then one query for the organizations with their role and counts
    with django_assert_num_queries(3):
        response = client.get(ORGANIZATIONS)

    assert org_rows(response)[0][3:] == ["1", "0", "1", "1", "3"]


def test_each_organization_links_to_the_table_filtered_on_it(client, people):
    factories.make_token(people.org, "T-ACME", status="New")
    factories.make_token(people.org, "T-ACME-ACTIVE", status="Active")
    client.force_login(people.manager)

    links = hrefs(client.get(ORGANIZATIONS))

    table_links = [h for h in links if h.startswith("/inventory/port-tokens/?")]
    queries = [query_of(h) for h in table_links]
    assert [("filter", "org_id:is:ORG-ACME")] in queries
    assert [("filter", "org_id:is:ORG-ACME"), ("filter", "status:is:Active")] in queries
    followed = client.get(table_links[0])
    assert shown_serials(followed) == [
        "T-ACME",
        "T-ACME-ACTIVE",
    ]


def test_outsider_does_not_see_the_organization(outsider_client, people):
    factories.make_token(people.org)

    rows = org_rows(outsider_client.get(ORGANIZATIONS))

    assert [row[0] for row in rows] == ["ORG-OTHER"]


def test_superuser_sees_every_organization(client, people):
    client.force_login(factories.make_superuser())

    rows = org_rows(client.get(ORGANIZATIONS))

    assert [(row[0], row[2]) for row in rows] == [
        ("ORG-ACME", "Superuser"),
        ("ORG-OTHER", "Superuser"),
    ]


def test_user_without_organizations_is_told_how_to_get_access(client, people):
    client.force_login(factories.make_user("newcomer"))

    response = client.get(ORGANIZATIONS)

    assert org_rows(response) == []
    assert "You do not belong to any organization yet" in response.content.decode()


def test_page_has_the_breadcrumb_and_header(client, people):
    client.force_login(people.viewer)

    text = client.get(ORGANIZATIONS).content.decode()

    assert '<nav class="breadcrumb" aria-label="Breadcrumb">' in text
    assert "Signed in as <strong>viewer</strong>" in text


def test_organizations_is_the_whole_breadcrumb_of_its_own_page(client, people):
    client.force_login(people.viewer)

    assert breadcrumb(client.get(ORGANIZATIONS)) == [("Organizations", None)]
