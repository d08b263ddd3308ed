"""The Port Tokens page's place in the site: sign-in required, the root URL, the header,
the breadcrumb and tabs, signing out."""

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


def test_breadcrumb_and_tabs_place_the_page_in_inventory(viewer_client):
    text = page_html(viewer_client.get(PAGE))

    breadcrumb = re.search(r'<nav class="breadcrumb".*?</nav>', text, re.S).group(0)
    assert re.findall(r">([^<>]+)</(?:a|span)>", breadcrumb) == [
        "Organizations",
        "Inventory",
        "Port Tokens",
    ]
    assert 'href="/organizations/"' in breadcrumb
    tabs = re.search(r'<nav class="tabs".*?</nav>', text, re.S).group(0)
    assert re.search(
        r'class="tab is-current" href="/inventory/port-tokens/" aria-current="page"', tabs
    )
    assert 'href="/inventory/transfers/">Transfers</a>' in tabs


def test_sign_out_ends_the_session(viewer_client):
    response = viewer_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert viewer_client.get(PAGE).status_code == 302
