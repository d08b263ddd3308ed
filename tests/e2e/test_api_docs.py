"""The API's docs page (/api/docs/) renders in a real browser under the site's
Content-Security-Policy, from the site's own files only, and describes every operation;
the API keys page is where a reader of the docs gets a key."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_docs_page_renders_every_operation_with_no_outside_request(page, live_server):
    outside = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else outside.append(request.url)
        ),
    )

    page.goto("/api/docs/")

    page.get_by_text("Port Tokens inventory API").first.wait_for()
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert {text.replace("\u200b", "") for text in summaries} == {
        "/api/v1/port-tokens/",
        "/api/v1/port-tokens/export/",
        "/api/v1/port-tokens/{token_sn}/",
        "/api/v1/organizations/",
        "/api/v1/transfers/",
        "/api/v1/transfers/{id}/",
    }
    assert [url for url in outside if not url.startswith("data:")] == []


def test_the_filter_grammar_reads_on_the_docs_page(page):
    page.goto("/api/docs/")

    page.locator('.opblock-summary-path[data-path="/api/v1/port-tokens/"]').click()

    page.get_by_text("Column keys:").first.wait_for()
    assert page.get_by_text("YYYY-MM-DD..YYYY-MM-DD").count() >= 1
