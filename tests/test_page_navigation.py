"""The Port Tokens page's place in the site: sign-in required, the root URL, the header
and its navigation, the breadcrumb, signing out."""

import re

from tests.helpers import PAGE, page_html


def test_anonymous_visitor_is_sent_to_login_with_next(client, db):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/inventory/port-tokens/")


def test_root_redirects_to_the_port_tokens_page(viewer_client):
    response = viewer_client.get("/")

    assert response.status_code == 302
    assert response["Location"] == PAGE


def test_header_shows_product_user_and_a_sign_out_form(viewer_client):
    text = page_html(viewer_client.get(PAGE))

    assert "Port Tokens Inventory" in text
    assert "Signed in as <strong>viewer</strong>" in text
    assert re.search(r'<form method="post" action="/accounts/logout/"', text)
    assert "Sign out</button>" in text


def test_breadcrumb_and_header_navigation_place_the_page_in_inventory(viewer_client):
    text = page_html(viewer_client.get(PAGE))

    breadcrumb = re.search(r'<nav class="breadcrumb".*?</nav>', text, re.S).group(0)
    assert re.findall(r">([^<>]+)</(?:a|span)>", breadcrumb) == [
        "Organizations",
        "Inventory",
        "Port Tokens",
    ]
    assert 'href="/organizations/"' in breadcrumb
    navigation = re.search(r'<nav class="site-nav" aria-label="Main">.*?</nav>', text, re.S)
    links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', navigation.group(0))
    assert ("/inventory/port-tokens/", ' aria-current="page"', "Port Tokens") in links
    assert ("/inventory/transfers/", "", "Transfers") in links
    assert ("/organizations/", "", "Organizations") in links


def test_the_header_is_the_only_navigation_bar(viewer_client):
    text = page_html(viewer_client.get(PAGE))

    # The older "Port Tokens | Transfers" tab bar repeated the header's links.
    assert re.findall(r"<nav [^>]*>", text) == [
        '<nav class="site-nav" aria-label="Main">',
        '<nav class="breadcrumb" aria-label="Breadcrumb">',
        '<nav class="status-summary" aria-label="Matching tokens by status">',
        '<nav class="renewal-windows" aria-label="Matching tokens by plan end">',
    ]
    assert 'class="tabs"' not in text


def test_sign_out_ends_the_session(viewer_client):
    response = viewer_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert viewer_client.get(PAGE).status_code == 302
