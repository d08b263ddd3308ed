"""The browser tests run under the site's Content-Security-Policy, and a page that broke
it would fail them: proved here by breaking it on purpose."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_inline_script_and_style_are_blocked_and_reported(page, no_policy_violations):
    page.goto("/accounts/login/")

    # What a careless template or an injected payload would do.
    page.evaluate(
        """() => {
            document.body.setAttribute("style", "background: red");
            const script = document.createElement("script");
            script.textContent = "window.inlineScriptRan = true;";
            document.body.append(script);
        }"""
    )

    assert page.evaluate("window.inlineScriptRan === undefined")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    expected = ("script-src-elem blocked inline", "style-src-attr blocked inline")
    for _ in range(50):
        if all(report in " ".join(no_policy_violations) for report in expected):
            break
        page.wait_for_timeout(100)
    seen = " ".join(no_policy_violations)
    for report in expected:
        assert report in seen
    # Seen and proven: this test's own violations must not fail it.
    no_policy_violations.clear()
