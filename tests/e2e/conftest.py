"""Browser tests: real pages in Debian's headless Chromium, driven by Playwright.

Playwright never downloads a browser here; it drives /usr/bin/chromium (or $CHROMIUM).
A developer without Chromium gets a clear skip; in CI (CI=true) a missing browser fails.
Pages run under the site's Content-Security-Policy; a test during which a page broke it
fails (see `no_policy_violations`).
"""

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from inventory.models import Membership, PortToken
from tests import factories

# Playwright's sync API runs an event loop in this thread; the ORM calls our tests make
# between browser steps are still ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"

# Content-Security-Policy violations seen by any browser context of the running test.
POLICY_VIOLATIONS: list[str] = []
# Runs in every page before its own scripts; reports each blocked script, style, image...
REPORT_POLICY_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportPolicyViolation(
    event.effectiveDirective + " blocked " + (event.blockedURI || "inline") +
    " on " + document.location.pathname + " (" + event.sourceFile + ":" + event.lineNumber + ")"
  );
});
"""


def _chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


@pytest.fixture(scope="session")
def browser():
    executable = _chromium_path()
    if executable is None:
        message = "Chromium not found (install Debian's `chromium` or set CHROMIUM=/path)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message}: browser tests cannot be skipped in CI")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(autouse=True)
def no_policy_violations():
    """Fails the test if any page it opened broke the Content-Security-Policy: a blocked
    script or style means a feature silently stopped working. Checked after the test's
    browser contexts have closed, so every report has arrived."""
    POLICY_VIOLATIONS.clear()
    yield POLICY_VIOLATIONS
    violations = list(POLICY_VIOLATIONS)
    POLICY_VIOLATIONS.clear()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


@pytest.fixture
def context(browser, live_server):
    context = new_context(browser, live_server)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    yield page
    page.close()


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot as a test artefact (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/?next=/inventory/port-tokens/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inventory/port-tokens/**")


def sign_in(page, live_server, user, path: str = "/inventory/port-tokens/") -> None:
    """Open `path` signed in as `user` without going through the login form
    (test_login_journey drives the form; other journeys need not pay for it each time)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page.goto(path)


def serious_accessibility_violations(page) -> list[str]:
    """axe-core (shipped inside axe-playwright-python) on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"at {[node['target'] for node in violation['nodes']][:3]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def new_context(browser, live_server, *, width: int = 1366, height: int = 768, **options):
    """A fresh browser context on the live server (for other viewports, or no JavaScript).
    The caller closes it."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        accept_downloads=True,
        **options,
    )
    context.set_default_timeout(15_000)
    # Both channels: the event (with the blocked URL) where scripts run, the console
    # message where they do not (java_script_enabled=False).
    context.expose_function("reportPolicyViolation", _record_policy_violation)
    context.add_init_script(REPORT_POLICY_VIOLATIONS)
    context.on("console", _record_console_policy_violation)
    return context


def _record_policy_violation(text: str) -> None:
    POLICY_VIOLATIONS.append(text)


def _record_console_policy_violation(message) -> None:
    if "Content Security Policy" in message.text:
        POLICY_VIOLATIONS.append(message.text)


# --- data: one small, realistic inventory that every journey can reason about ----------

ACME_NEW = 30
BAYSIDE_AVAILABLE = 8
ACME_ACTIVE = 4
TOTAL_TOKENS = ACME_NEW + BAYSIDE_AVAILABLE + ACME_ACTIVE
LONG_DESCRIPTION = (
    "Depot and fleet charging with vehicle telematics, driver reporting, "
    "load management and a 3-year service term"
)


@dataclass
class Inventory:
    """ada manages Acme Charging (30 New + 4 Active tokens) and Bayside EV Network
    (8 Available Fleet Cloud Plan tokens with a long description)."""

    user: object
    acme: object
    bayside: object


def make_inventory() -> Inventory:
    acme = factories.make_organization("ORG-ACME", "Acme Charging")
    bayside = factories.make_organization("ORG-BAY", "Bayside EV Network")
    user = factories.make_user("ada", first_name="Ada", last_name="Park")
    factories.grant(user, acme, Membership.Role.MANAGER)
    factories.grant(user, bayside, Membership.Role.MANAGER)

    commercial = factories.make_part(
        "CPCLD-COM-L2-1YN",
        cloud_plan="Commercial Cloud Plan",
        description="Networked charging for public and commercial sites, 1-year term",
        term_years=1,
        port_type="AC Level 2",
    )
    fleet = factories.make_part(
        "CPCLD-FLT-DC-3YR",
        cloud_plan="Fleet Cloud Plan",
        description=LONG_DESCRIPTION,
        term_years=3,
        port_type="DC Fast",
        token_type="Renewal",
    )
    customer = factories.make_customer("CUST-200417", "Harbor Properties Holdings")
    order = factories.make_order(
        "SO-3000125",
        customer=customer,
        purchase_order="PO-884213",
        customer_reference="Phase 2 rollout, Garage B levels 1-3",
        order_date=date(2025, 3, 4),
        ship_date=date(2025, 3, 18),
    )
    factories.make_tokens(
        acme,
        ACME_NEW,
        prefix="ACME",
        part=commercial,
        order=order,
        activation_date=factories.utc(2025, 3, 20, 17, 5),
    )
    factories.make_tokens(
        bayside,
        BAYSIDE_AVAILABLE,
        prefix="BAY",
        part=fleet,
        order=order,
        status=PortToken.Status.AVAILABLE,
        renewal_owner="fleet-renewals@bayside-ev-network.example",
    )
    station = factories.make_station(acme, "STN-A1000042", "Acme Civic Center Garage Level 2")
    for port in range(1, ACME_ACTIVE + 1):
        factories.make_token(
            acme,
            f"ACME-ACTIVE-{port}",
            part=commercial,
            order=order,
            status=PortToken.Status.ACTIVE,
            evse=factories.make_evse(station, f"EVSE-A1000042-{port:02d}"),
            activation_date=factories.utc(2025, 3, 20, 17, 5),
            applied_date=factories.utc(2025, 4, 2, 16, 30),
            plan_start_date=factories.utc(2025, 4, 2, 16, 30),
            plan_end_date=factories.utc(2026, 4, 2, 16, 30),
            renewal_owner="ops@acme-charging.example",
        )
    return Inventory(user=user, acme=acme, bayside=bayside)


def page_query(page) -> dict[str, list[str]]:
    """The current URL's query, as lists of values by name."""
    return parse_qs(urlsplit(page.url).query)


def shown_serials(page) -> list[str]:
    """The Token S/Ns of the table's rows, in the order shown."""
    return page.locator(".token-table tbody td.col-token_sn").all_inner_texts()


def chips(page) -> list[str]:
    """The texts of the chips above the table."""
    return page.locator(".chips .chip-text").all_inner_texts()


def result_count(page) -> str:
    """'42 tokens · showing 1–42' as the page says it."""
    return page.locator("#result-count").inner_text()


def column_headers(page) -> list[str]:
    """The table's column labels in display order (the selection column left out)."""
    texts = page.locator(".token-table thead th:not(.select-col)").all_inner_texts()
    # The sort arrow is decoration (aria-hidden); the label is what the user reads.
    return [" ".join(text.replace("▲", "").replace("▼", "").split()) for text in texts]


def open_filters(page):
    """Open the filter panel (the Filters button above the table), if it is closed, and
    answer its builder form."""
    panel = page.locator("details.filter-panel")
    if not panel.evaluate("panel => panel.open"):
        panel.locator("summary").click()
    return page.locator("[data-filter-builder]")
