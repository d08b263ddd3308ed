"""The header's navigation (Organizations, Port Tokens, Transfers and the later pages),
with the page's own section marked, and the organization context of the table: a view of
one organization names it in the heading and the breadcrumb."""

import re

import pytest

from inventory.models import Membership
from tests import factories
from tests.helpers import breadcrumb, get, page_html


def header_navigation(response) -> list[tuple[str, str, bool]]:
    """(label, href, current) of the header's navigation links, in order."""
    nav = re.search(
        r'<nav class="site-nav" aria-label="Main">(.*?)</nav>', page_html(response), re.S
    )
    return [
        (label, href, bool(current))
        for href, current, label in re.findall(
            r'<a href="([^"]*)"( aria-current="page")?>([^<]+)</a>', nav.group(1)
        )
    ]


def current_section(response) -> list[str]:
    return [label for label, _, current in header_navigation(response) if current]


def test_the_header_lists_every_section_of_the_site(viewer_client):
    sections = header_navigation(viewer_client.get("/inventory/port-tokens/"))

    assert [(label, href) for label, href, _ in sections[:3]] == [
        ("Organizations", "/organizations/"),
        ("Port Tokens", "/inventory/port-tokens/"),
        ("Transfers", "/inventory/transfers/"),
    ]
    # The later pages are listed when they are served, each under its SPEC route.
    later = {label: href for label, href, _ in sections[3:]}
    assert set(later.values()) <= {
        "/inventory/views/",
        "/inventory/renewals/",
        "/inventory/exports/",
    }
    for href in later.values():
        assert viewer_client.get(href).status_code == 200


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/organizations/", "Organizations"),
        ("/inventory/port-tokens/", "Port Tokens"),
        ("/inventory/port-tokens/?filter=status:is:New", "Port Tokens"),
        ("/inventory/transfers/", "Transfers"),
        ("/inventory/port-tokens/transfer/", "Transfers"),
    ],
)
def test_the_current_section_is_marked_on_each_page(viewer_client, path, section):
    assert current_section(viewer_client.get(path)) == [section]


def test_a_token_page_is_in_the_port_tokens_section(viewer_client, people):
    factories.make_token(people.org, "TKN-NAV-1")

    assert current_section(viewer_client.get("/inventory/port-tokens/TKN-NAV-1/")) == [
        "Port Tokens"
    ]


def test_a_transfer_page_is_in_the_transfers_section(client, people):
    from inventory.transfers import transfer_tokens

    admin = factories.make_superuser()
    factories.make_token(people.other_org, "TKN-NAV-2")
    record = transfer_tokens(user=admin, serials=["TKN-NAV-2"], to_org=people.org)
    client.force_login(people.viewer)

    assert current_section(client.get(f"/inventory/transfers/{record.pk}/")) == ["Transfers"]


def test_the_sign_in_page_has_no_navigation(client, db):
    assert 'class="site-nav"' not in client.get("/accounts/login/").content.decode()


# --- one organization's view ----------------------------------------------------------


def test_a_view_of_one_organization_names_it_in_heading_title_and_breadcrumb(viewer_client):
    response = get(viewer_client, "org_id:is:ORG-ACME")
    text = page_html(response)

    assert re.search(r'<h1 class="page-title">Port Tokens: Acme Charging</h1>', text)
    assert "<title>Port Tokens: Acme Charging" in text
    assert breadcrumb(response) == [
        ("Organizations", "/organizations/"),
        ("Inventory", "/inventory/port-tokens/"),
        ("Port Tokens", "/inventory/port-tokens/"),
        ("Acme Charging", None),
    ]


def test_the_organization_is_named_by_name_or_id_in_any_case_with_other_filters(viewer_client):
    by_name = page_html(get(viewer_client, "org_name:is:acme charging", "status:is:New"))
    by_id = page_html(get(viewer_client, "status:is:New", "org_id:is:org-acme"))

    assert "Port Tokens: Acme Charging</h1>" in by_name
    assert "Port Tokens: Acme Charging</h1>" in by_id


@pytest.mark.parametrize(
    "query",
    [
        {"filter": "org_id:is:ORG-OTHER"},  # not the viewer's organization
        {"filter": "org_id:is:ORG-NONE"},  # no such organization
        {"filter": "org_name:contains:Acme"},  # not exactly one organization
        {"filter": ["org_id:is:ORG-ACME", "status:is:New"], "match": "any"},  # widened
        {"filter": ["org_id:is:ORG-ACME", "org_id:is:ORG-OTHER"]},
        {},
    ],
)
def test_other_views_keep_the_plain_heading(viewer_client, query):
    text = page_html(viewer_client.get("/inventory/port-tokens/", query))

    assert '<h1 class="page-title">Port Tokens</h1>' in text


def test_two_organizations_of_one_name_are_not_one_organization(viewer_client, people):
    twin = factories.make_organization("ORG-TWIN", "Acme Charging")
    factories.grant(people.viewer, twin, Membership.Role.VIEWER)

    by_name = page_html(get(viewer_client, "org_name:is:Acme Charging"))
    by_id = page_html(get(viewer_client, "org_id:is:ORG-TWIN"))

    assert '<h1 class="page-title">Port Tokens</h1>' in by_name
    assert "Port Tokens: Acme Charging</h1>" in by_id


def test_the_organizations_page_links_to_the_view_of_one_organization(viewer_client):
    organizations = viewer_client.get("/organizations/")
    url = re.search(r'<a href="([^"]*)">Acme Charging</a>', page_html(organizations)).group(1)

    assert "Port Tokens: Acme Charging</h1>" in page_html(viewer_client.get(url))
