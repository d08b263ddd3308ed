"""The Port Tokens page through HTTP: navigation, the table, sorting, paging, the status
summary, the column chooser, the filter builder, bad view state, scoping, row selection
for transfers, the export menu, and a bounded number of queries."""

import html
import re
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from inventory.columns import COLUMNS, DEFAULT_COLUMN_KEYS
from inventory.models import ColumnPreference, PortToken
from tests import factories
from tests.factories import utc

PAGE = "/inventory/port-tokens/"


class _TableReader(HTMLParser):
    """Header labels and cell texts of the token table, as a person reads them."""

    def __init__(self):
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._in_table = False
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "token-table" in (attrs.get("class") or ""):
            self._in_table = True
        elif self._in_table and tag == "thead":
            self._in_head = True
        elif self._in_table and tag == "tr" and not self._in_head:
            self.rows.append([])
        elif self._in_table and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag == "thead":
            self._in_head = False
        elif self._in_table and tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.headers if self._in_head else self.rows[-1]).append(text)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read_table(response) -> tuple[list[str], list[list[str]]]:
    """(header labels, rows of cell texts) without the selection column."""
    assert response.status_code == 200
    reader = _TableReader()
    reader.feed(response.content.decode())
    return [h.replace("▲", "").replace("▼", "").strip() for h in reader.headers[1:]], [
        row[1:] for row in reader.rows
    ]


def shown_serials(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<tr[^>]*data-token="([^"]+)"', response.content.decode())


def page_html(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def links(response, text: str) -> list[str]:
    """hrefs of the links whose text (tags stripped) is `text`."""
    found = []
    for href, inner in re.findall(
        r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', response.content.decode(), re.S
    ):
        if " ".join(re.sub(r"<[^>]+>", "", html.unescape(inner)).split()) == text:
            found.append(html.unescape(href))
    return found


def get(client, *filters, **params):
    items = [("filter", f) for f in filters] + [(k, str(v)) for k, v in params.items()]
    return client.get(f"{PAGE}?{urlencode(items)}" if items else PAGE)


# --- navigation ---------------------------------------------------------------------------


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


# --- the table ---------------------------------------------------------------------------


def test_default_columns_have_spec_labels_in_default_order(viewer_client, people):
    factories.make_token(people.org)

    headers, _ = read_table(viewer_client.get(PAGE))

    labels = {column.key: column.label for column in COLUMNS}
    assert headers == [labels[key] for key in DEFAULT_COLUMN_KEYS]


def test_all_25_columns_show_their_spec_labels(viewer_client, people):
    factories.make_token(people.org)

    headers, _ = read_table(get(viewer_client, columns=",".join(c.key for c in COLUMNS)))

    assert headers == [column.label for column in COLUMNS]


def test_cells_show_pacific_timestamps_dates_numbers_and_em_dash_for_empty(viewer_client, people):
    order = factories.make_order(order_date=date(2025, 1, 31), ship_date=None)
    factories.make_token(
        people.org,
        "T-1",
        part=factories.make_part(term_years=3),
        order=order,
        plan_start_date=utc(2025, 7, 1, 2, 30),  # 19:30 PDT the day before
        activation_date=utc(2025, 1, 15, 20, 5),  # 12:05 PST
        renewal_owner=None,
    )
    columns = (
        "token_sn,plan_start_date,activation_date,order_date,ship_date,term_years,renewal_owner"
    )

    _, rows = read_table(get(viewer_client, columns=columns))

    assert rows == [["T-1", "2025-06-30 19:30", "2025-01-15 12:05", "2025-01-31", "—", "3", "—"]]


def test_status_is_a_coloured_badge_with_its_text(viewer_client, people):
    factories.make_token(people.org, status=PortToken.Status.AVAILABLE)

    text = page_html(get(viewer_client, columns="token_sn,status"))

    assert '<span class="badge badge-available">Available</span>' in text


def test_total_count_of_matching_tokens_is_shown(viewer_client, people):
    for _ in range(3):
        factories.make_token(people.org, renewal_owner="alice")
    factories.make_token(people.org, renewal_owner="bob")

    text = page_html(get(viewer_client, "renewal_owner:is:alice"))

    assert "<strong>3</strong> tokens" in text


def test_empty_state_says_no_tokens_match_and_offers_to_clear(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, "renewal_owner:is:nobody", sort="-status")

    text = page_html(response)
    assert "No tokens match these filters" in text
    clear = links(response, "clear all filters")
    assert clear and query_of(clear[0]) == [("sort", "-status")]


# --- sorting -----------------------------------------------------------------------------


def test_every_header_links_to_sorting_by_its_column(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, columns=",".join(c.key for c in COLUMNS))

    for column in COLUMNS:
        expected = f"-{column.key}" if column.key == "token_sn" else column.key
        (href,) = links(response, column.label + ("▲" if column.key == "token_sn" else ""))
        assert ("sort", expected) in query_of(href)


def test_clicking_the_sorted_header_again_reverses_it(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, sort="station_name")

    (href,) = links(response, "Station Name▲")
    assert ("sort", "-station_name") in query_of(href)
    (href,) = links(get(viewer_client, sort="-station_name"), "Station Name▼")
    assert ("sort", "station_name") in query_of(href)
    assert 'aria-sort="descending"' in page_html(get(viewer_client, sort="-station_name"))


def test_sort_puts_empty_values_last_in_both_directions_and_breaks_ties_by_serial(
    viewer_client, people
):
    factories.make_token(people.org, "T-5", renewal_owner="beta")
    factories.make_token(people.org, "T-4", renewal_owner=None)
    factories.make_token(people.org, "T-3", renewal_owner="alpha")
    factories.make_token(people.org, "T-2", renewal_owner="")
    factories.make_token(people.org, "T-1", renewal_owner="beta")

    ascending = shown_serials(get(viewer_client, sort="renewal_owner"))
    descending = shown_serials(get(viewer_client, sort="-renewal_owner"))

    assert ascending == ["T-3", "T-1", "T-5", "T-2", "T-4"]
    assert descending == ["T-1", "T-5", "T-3", "T-2", "T-4"]


def test_sort_by_timestamp_keeps_empty_values_last(viewer_client, people):
    factories.make_token(people.org, "T-EMPTY", plan_end_date=None)
    factories.make_token(people.org, "T-LATE", plan_end_date=utc(2027, 1, 1))
    factories.make_token(people.org, "T-EARLY", plan_end_date=utc(2026, 1, 1))

    assert shown_serials(get(viewer_client, sort="plan_end_date")) == [
        "T-EARLY",
        "T-LATE",
        "T-EMPTY",
    ]
    assert shown_serials(get(viewer_client, sort="-plan_end_date")) == [
        "T-LATE",
        "T-EARLY",
        "T-EMPTY",
    ]


def test_pages_never_overlap_or_skip_rows_when_sorting_by_a_column_with_ties(viewer_client, people):
    statuses = list(PortToken.Status.values)
    serials = {
        factories.make_token(people.org, f"T-{n:03d}", status=statuses[n % 2]).serial
        for n in range(60)
    }

    seen = []
    for page in (1, 2, 3):
        seen += shown_serials(get(viewer_client, sort="-status", per_page=25, page=page))

    assert len(seen) == 60
    assert set(seen) == serials


# --- paging --------------------------------------------------------------------------------


def test_pagination_links_first_previous_next_and_last(viewer_client, people):
    for n in range(60):
        factories.make_token(people.org, f"T-{n:03d}")

    response = get(viewer_client, per_page=25, page=2, sort="token_sn")

    assert shown_serials(response)[0] == "T-025"
    assert "Page 2 of 3" in page_html(response)
    state = [("sort", "token_sn"), ("per_page", "25")]
    expected = {
        "« First": state,
        "‹ Previous": state,
        "Next ›": [*state, ("page", "3")],
        "Last »": [*state, ("page", "3")],
    }
    for text, query in expected.items():
        (href,) = links(response, text)
        assert query_of(href) == query


def test_per_page_offers_25_50_100_250_and_keeps_the_state(viewer_client, people):
    factories.make_token(people.org)

    text = page_html(get(viewer_client, "status:is:New", per_page=100))

    form = re.search(r'<form class="per-page".*?</form>', text, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', form) == ["25", "50", "100", "250"]
    assert '<option value="100" selected>' in form
    assert '<input type="hidden" name="filter" value="status:is:New">' in form


def test_per_page_sets_the_number_of_rows(viewer_client, people):
    for _ in range(30):
        factories.make_token(people.org)

    assert len(shown_serials(get(viewer_client, per_page=25))) == 25
    assert len(shown_serials(get(viewer_client))) == 30


# --- status summary ------------------------------------------------------------------------


def test_status_summary_counts_matching_tokens_per_status(viewer_client, people):
    for status, count in (("New", 2), ("Available", 1), ("Active", 3)):
        for _ in range(count):
            factories.make_token(people.org, status=status, renewal_owner="alice")
    factories.make_token(people.org, status="Expired", renewal_owner="bob")

    response = get(viewer_client, "renewal_owner:is:alice")

    summary = re.search(r'<nav class="status-summary".*?</nav>', page_html(response), re.S).group(0)
    counts = re.findall(r'badge-\w+">(\w+)</span>\s*<span class="status-count">([\d,]+)', summary)
    assert counts == [("New", "2"), ("Available", "1"), ("Active", "3"), ("Expired", "0")]


def test_status_link_adds_a_status_filter_keeping_the_others(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, "renewal_owner:is:alice", sort="org_name")

    (href,) = [h for h in links(response, "Active 0")]
    assert query_of(href) == [
        ("filter", "renewal_owner:is:alice"),
        ("filter", "status:is:Active"),
        ("sort", "org_name"),
    ]


def test_status_link_replaces_an_existing_status_filter(viewer_client, people):
    factories.make_token(people.org, status="New")
    factories.make_token(people.org, status="Active")

    response = get(viewer_client, "status:is:New")

    (href,) = links(response, "Active 1")
    assert query_of(href) == [("filter", "status:is:Active")]
    # With one status chosen the others keep their counts, so each number is what
    # clicking it shows.
    assert links(response, "New 1")


@pytest.mark.parametrize(
    ("filters", "match", "total"),
    [
        (["status:is:new"], "all", 2),
        (["status:is:New", "renewal_owner:is:alice"], "all", 1),
        (["status:is:New", "status:is:Active"], "all", 0),
        (["status:is:Bogus"], "all", 0),
        (["status:is:New", "renewal_owner:is:alice"], "any", 3),
        (["status:not_contains:new"], "all", 2),
    ],
)
def test_total_count_agrees_with_the_rows_for_status_filters(
    viewer_client, people, filters, match, total
):
    factories.make_token(people.org, status="New", renewal_owner="alice")
    factories.make_token(people.org, status="New", renewal_owner="bob")
    factories.make_token(people.org, status="Active", renewal_owner="alice")
    factories.make_token(people.org, status="Expired", renewal_owner="bob")

    response = get(viewer_client, *filters, match=match)

    assert len(shown_serials(response)) == total
    assert f"<strong>{total}</strong> token" in page_html(response)


# --- chips ---------------------------------------------------------------------------------


def test_applied_filters_show_as_readable_chips_with_remove_links(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, "org_name:contains:acme", "renewal_owner:is:", match="any")

    text = page_html(response)
    assert '<span class="chip-text">Org Name contains acme</span>' in text
    assert '<span class="chip-text">Renewal Owner is empty</span>' in text
    remove = re.findall(r'class="chip-remove" href="([^"]+)"', response.content.decode())
    assert query_of(html.unescape(remove[0])) == [("filter", "renewal_owner:is:"), ("match", "any")]
    assert query_of(html.unescape(remove[1])) == [
        ("filter", "org_name:contains:acme"),
        ("match", "any"),
    ]


# --- Show/Hide Columns ---------------------------------------------------------------------


def test_column_chooser_lists_all_25_columns_with_the_visible_ones_checked(viewer_client):
    text = page_html(get(viewer_client, columns="status,token_sn"))

    chooser = re.search(r"<legend>Show/Hide Columns</legend>.*?</fieldset>", text, re.S).group(0)
    boxes = re.findall(r'name="col" value="(\w+)"( checked)?> ([^<]+)</label>', chooser)
    assert len(boxes) == 25
    assert [(key, bool(checked)) for key, checked, _ in boxes[:3]] == [
        ("status", True),
        ("token_sn", True),
        ("part_no", False),
    ]
    assert {label for _, _, label in boxes} == {column.label for column in COLUMNS}


def chooser_action(response) -> str:
    """The URL the column chooser posts to."""
    text = page_html(response)
    form = re.search(
        r'<form method="post" action="([^"]*)">\s*<input type="hidden" '
        r'name="csrfmiddlewaretoken"[^>]*>\s*<fieldset>\s*<legend>Show/Hide',
        text,
    )
    return PAGE + form.group(1)


def test_column_chooser_posts_to_the_same_view_of_the_table(viewer_client):
    response = get(viewer_client, "status:is:New", columns="status", page=2)

    assert query_of(chooser_action(response)) == [
        ("filter", "status:is:New"),
        ("columns", "status"),
    ]


def test_applying_the_chooser_saves_the_choice_and_shows_it(viewer_client, people):
    action = f"{PAGE}?{urlencode([('filter', 'status:is:New'), ('page', '3')])}"

    response = viewer_client.post(action, {"action": "apply", "col": ["status", "token_sn"]})

    assert response.status_code == 303
    assert query_of(response["Location"]) == [
        ("filter", "status:is:New"),
        ("columns", "status,token_sn"),
    ]
    assert ColumnPreference.objects.get(user=people.viewer).column_keys == "status,token_sn"


def test_applying_the_chooser_keeps_the_posted_order(viewer_client, people):
    factories.make_token(people.org)

    viewer_client.post(PAGE, {"action": "apply", "col": ["status", "org_id", "token_sn"]})
    headers, _ = read_table(viewer_client.get(PAGE))

    assert headers == ["Status", "Org ID", "Token S/N"]


def test_column_chooser_with_nothing_checked_keeps_the_columns_and_says_why(viewer_client, people):
    response = viewer_client.post(
        f"{PAGE}?columns=status", {"action": "apply", "col": []}, follow=True
    )

    assert "Choose at least one column" in page_html(response)
    assert response.redirect_chain[0][0] == f"{PAGE}?columns=status"
    assert not ColumnPreference.objects.filter(user=people.viewer).exists()


def test_column_chooser_ignores_unknown_keys(viewer_client, people):
    viewer_client.post(PAGE, {"action": "apply", "col": ["nope", "status", "status"]})

    assert ColumnPreference.objects.get(user=people.viewer).column_keys == "status"


def test_show_all_saves_all_25_columns_in_registry_order(viewer_client, people):
    response = viewer_client.post(f"{PAGE}?filter=status:is:New", {"action": "show_all"})

    all_keys = ",".join(c.key for c in COLUMNS)
    assert query_of(response["Location"]) == [("filter", "status:is:New"), ("columns", all_keys)]
    assert ColumnPreference.objects.get(user=people.viewer).column_keys == all_keys


def test_reset_to_default_forgets_the_choice_in_one_click(viewer_client, people):
    factories.make_token(people.org)
    viewer_client.post(PAGE, {"action": "apply", "col": ["status"]})

    response = viewer_client.post(f"{PAGE}?columns=status&sort=status", {"action": "reset"})
    headers, _ = read_table(viewer_client.get(response["Location"]))

    assert query_of(response["Location"]) == [("sort", "status")]
    assert not ColumnPreference.objects.filter(user=people.viewer).exists()
    labels = {column.key: column.label for column in COLUMNS}
    assert headers == [labels[key] for key in DEFAULT_COLUMN_KEYS]


def test_opening_a_link_with_columns_saves_nothing(viewer_client, people):
    factories.make_token(people.org)
    viewer_client.post(PAGE, {"action": "apply", "col": ["org_id", "token_sn"]})

    shown, _ = read_table(get(viewer_client, columns="status"))
    headers, _ = read_table(viewer_client.get(PAGE))

    assert shown == ["Status"]
    assert headers == ["Org ID", "Token S/N"]
    assert ColumnPreference.objects.get(user=people.viewer).column_keys == "org_id,token_sn"


def test_an_old_get_form_of_the_chooser_saves_nothing(viewer_client, people):
    viewer_client.get(PAGE, {"set_columns": "1", "col": ["status"], "columns": "status"})

    assert not ColumnPreference.objects.filter(user=people.viewer).exists()


def test_the_chooser_needs_a_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.viewer)

    response = client.post(PAGE, {"action": "apply", "col": ["status"]})

    assert response.status_code == 403
    assert not ColumnPreference.objects.filter(user=people.viewer).exists()


def test_column_choice_of_one_user_does_not_change_another_users_columns(client, people):
    factories.make_token(people.org)
    client.force_login(people.viewer)
    client.post(PAGE, {"action": "apply", "col": ["status"]})

    client.force_login(people.manager)
    headers, _ = read_table(client.get(PAGE))

    labels = {column.key: column.label for column in COLUMNS}
    assert headers == [labels[key] for key in DEFAULT_COLUMN_KEYS]


# --- filter builder --------------------------------------------------------------------------


def test_filter_builder_offers_25_fields_operators_and_status_values(viewer_client):
    text = page_html(viewer_client.get(PAGE))

    builder = re.search(r"<form[^>]*data-filter-builder.*?</form>", text, re.S).group(0)
    first_field = re.search(r'<select id="f-key-1".*?</select>', builder, re.S).group(0)
    assert re.findall(r'<option value="(\w+)"', first_field) == [c.key for c in COLUMNS]
    first_op = re.search(r'<select id="f-op-1".*?</select>', builder, re.S).group(0)
    assert re.findall(r'<option value="\w+"[^>]*>([^<]+)</option>', first_op) == [
        "Contains",
        "Does Not Contain",
        "Is",
        "Before",
        "After",
    ]
    datalist = re.search(r'<datalist id="status-values">.*?</datalist>', builder).group(0)
    assert re.findall(r'value="(\w+)"', datalist) == ["New", "Available", "Active", "Expired"]
    assert 'name="match" value="all" checked' in builder
    assert 'name="match" value="any"' in builder
    assert "Apply Filters</button>" in builder
    assert "Add Filter</button>" in builder


def test_filter_builder_shows_before_and_after_only_for_date_columns(viewer_client):
    text = page_html(get(viewer_client, "org_name:contains:a", "order_date:before:2025-01-01"))

    text_row = re.search(r'<select id="f-op-1".*?</select>', text, re.S).group(0)
    date_row = re.search(r'<select id="f-op-2".*?</select>', text, re.S).group(0)
    assert '<option value="before" hidden disabled>Before</option>' in text_row
    assert '<option value="before" selected>Before</option>' in date_row


def test_filter_builder_without_javascript_has_empty_rows_to_fill(viewer_client):
    text = page_html(viewer_client.get(PAGE))

    assert len(re.findall(r'<input id="f-value-\d+" name="f_value"', text)) >= 3


def test_filter_builder_submission_redirects_to_canonical_filter_params(viewer_client):
    response = viewer_client.get(
        PAGE,
        {
            "f_key": ["org_name", "", "renewal_owner", "plan_start_date"],
            "f_op": ["contains", "contains", "is", "before"],
            "f_value": ["acme: north", "", "", "2025-01-01"],
            "match": "any",
            "sort": "-org_name",
            "page": "4",
        },
    )

    assert response.status_code == 302
    assert query_of(response["Location"]) == [
        ("filter", "org_name:contains:acme: north"),
        ("filter", "renewal_owner:is:"),
        ("filter", "plan_start_date:before:2025-01-01"),
        ("match", "any"),
        ("sort", "-org_name"),
    ]


def test_filter_builder_remove_button_drops_that_row(viewer_client):
    response = viewer_client.get(
        PAGE,
        {
            "f_key": ["org_name", "status"],
            "f_op": ["contains", "is"],
            "f_value": ["acme", "New"],
            "f_remove": "1",
        },
    )

    assert query_of(response["Location"]) == [("filter", "status:is:New")]


def test_filter_builder_with_no_rows_filled_clears_the_filters(viewer_client):
    response = viewer_client.get(
        PAGE, {"f_key": ["", ""], "f_op": ["contains", "contains"], "f_value": ["", ""]}
    )

    assert response.status_code == 302
    assert response["Location"] == PAGE


def test_filter_builder_shows_the_current_filters_in_its_rows(viewer_client):
    text = page_html(get(viewer_client, "org_name:contains:acme"))

    row = re.search(r'<li class="filter-row".*?</li>', text, re.S).group(0)
    assert '<option value="org_name" selected>Org Name</option>' in row
    assert '<option value="contains" selected>Contains</option>' in row
    assert 'value="acme"' in row


def test_clear_link_removes_all_filters_and_keeps_the_rest(viewer_client):
    response = get(viewer_client, "org_name:contains:acme", match="any", sort="status")

    (clear,) = links(response, "Clear")
    assert query_of(clear) == [("sort", "status")]


# --- bad state ---------------------------------------------------------------------------------


def message_near(text: str, piece: str) -> list[str]:
    return re.findall(rf'<p class="form-error"[^>]*data-piece="{piece}">([^<]+)</p>', text)


def filter_row_error(text: str, position: int) -> str:
    match = re.search(rf'<p class="form-error" id="f-error-{position}">([^<]+)</p>', text)
    return match.group(1) if match else ""


@pytest.mark.parametrize(
    ("bad_filter", "message"),
    [
        ("nonsense:contains:x", "unknown column 'nonsense'"),
        ("org_name:like:x", "unknown operator 'like'"),
        ("plan_start_date:before:2025-02-30", "is not a date"),
        ("order_date:after:yesterday", "is not a date"),
        ("org_name:before:2025-01-01", "is not a date column"),
        ("org_name:contains:", "contains needs a value"),
        ("org_name:contains:" + "x" * 500, "longer than 200 characters"),
        ("org_name:contains:ac\x00me", "NUL"),
        ("org_name", "field:operator:value"),
    ],
)
def test_a_bad_filter_is_reported_next_to_its_row_and_the_rest_is_kept(
    viewer_client, people, bad_filter, message
):
    factories.make_token(people.org, "T-ALICE", renewal_owner="alice")
    factories.make_token(people.org, "T-BOB", renewal_owner="bob")

    response = get(viewer_client, "renewal_owner:is:alice", bad_filter, sort="-token_sn")

    assert response.status_code == 200
    text = page_html(response)
    assert message in filter_row_error(text, 2)
    assert "Filter 2 ignored" in filter_row_error(text, 2)
    assert shown_serials(response) == ["T-ALICE"]
    assert 'aria-sort="descending"' in text


def test_unknown_column_keeps_the_value_in_the_builder_row(viewer_client):
    text = page_html(get(viewer_client, "nonsense:contains:x"))

    assert '<option value="nonsense" selected>nonsense (unknown column)</option>' in text


@pytest.mark.parametrize(
    ("params", "piece", "message"),
    [
        ({"per_page": "0"}, "per_page", "Per page '0' ignored (use 25, 50, 100, 250)."),
        ({"per_page": "1000000"}, "per_page", "Per page '1000000' ignored"),
        ({"page": "abc"}, "page", "Page 'abc' ignored."),
        ({"page": "-1"}, "page", "Page '-1' ignored."),
        ({"sort": "nonsense"}, "sort", "Sort 'nonsense' ignored"),
        ({"sort": "-"}, "sort", "Sort '-' ignored"),
        ({"sort": "status\x00"}, None, None),
        ({"match": "some"}, "match", "Match 'some' ignored"),
        ({"columns": "nonsense,status"}, "columns", "Unknown columns ignored: nonsense."),
    ],
)
def test_bad_paging_sorting_and_columns_are_reported_and_the_filter_kept(
    viewer_client, people, params, piece, message
):
    factories.make_token(people.org, "T-ALICE", renewal_owner="alice")
    factories.make_token(people.org, "T-BOB", renewal_owner="bob")

    response = get(viewer_client, "renewal_owner:is:alice", **params)

    assert response.status_code == 200
    assert shown_serials(response) == ["T-ALICE"]
    if piece:
        assert any(message in text for text in message_near(page_html(response), piece))


def test_a_page_past_the_end_shows_the_last_page_and_says_so(viewer_client, people):
    for n in range(30):
        factories.make_token(people.org, f"T-{n:03d}")

    response = get(viewer_client, per_page=25, page=999999)

    assert response.status_code == 200
    assert shown_serials(response)[0] == "T-025"
    assert message_near(page_html(response), "page") == [
        "Page 999999 does not exist; showing the last page (2)."
    ]


def test_a_page_past_the_end_of_nothing_shows_the_empty_state(viewer_client, people):
    response = get(viewer_client, "renewal_owner:is:nobody", page=5)

    assert response.status_code == 200
    assert "No tokens match these filters" in page_html(response)


def test_nul_bytes_anywhere_never_break_the_page(viewer_client, people):
    factories.make_token(people.org)

    response = viewer_client.get(
        PAGE,
        {
            "filter": "\x00",
            "columns": "status\x00",
            "sort": "\x00",
            "page": "\x00",
            "match": "\x00",
        },
    )

    assert response.status_code == 200


def test_many_filters_beyond_the_limit_are_reported(viewer_client, people):
    factories.make_token(people.org)

    response = get(viewer_client, *["renewal_owner:not_contains:x"] * 25)

    assert response.status_code == 200
    assert "Only the first 20 filters are used" in page_html(response)


# --- scoping -------------------------------------------------------------------------------------


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


# --- selection for transfers ------------------------------------------------------------------


def row_checkbox(text: str, serial: str) -> str:
    row = re.search(rf'<tr[^>]*data-token="{re.escape(serial)}".*?</tr>', text, re.S).group(0)
    return re.search(r'<td class="select-col">(.*?)</td>', row, re.S).group(1)


def test_manager_may_select_new_and_available_tokens_on_no_evse(manager_client, people):
    factories.make_token(people.org, "T-NEW", status="New")
    factories.make_token(people.org, "T-AVAILABLE", status="Available")

    text = page_html(manager_client.get(PAGE))

    for serial in ("T-NEW", "T-AVAILABLE"):
        box = row_checkbox(text, serial)
        assert f'name="token" value="{serial}"' in box
        assert "disabled" not in box


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": "Active", "evse": "make"}, "Active tokens cannot be transferred"),
        ({"status": "Expired"}, "Expired tokens cannot be transferred"),
        ({"status": "Available", "evse": "make"}, "Applied to an EVSE"),
    ],
)
def test_tokens_that_cannot_move_have_a_disabled_checkbox_saying_why(
    manager_client, people, fields, reason
):
    if fields.get("evse") == "make":
        fields["evse"] = factories.make_evse(organization=people.org)
    factories.make_token(people.org, "T-1", **fields)

    box = row_checkbox(page_html(manager_client.get(PAGE)), "T-1")

    assert "disabled" in box
    assert f'title="{reason}"' in box
    assert 'name="token"' not in box


def test_viewer_cannot_select_tokens_of_an_organization_they_do_not_manage(viewer_client, people):
    factories.make_token(people.org, "T-1", status="New")

    box = row_checkbox(page_html(viewer_client.get(PAGE)), "T-1")

    assert 'title="You are not a manager of Acme Charging"' in box
    assert "disabled" in box


def test_selection_works_whatever_columns_are_visible(manager_client, people):
    factories.make_token(people.org, "T-1", status="New")
    factories.make_token(people.org, "T-2", status="Active")

    text = page_html(get(manager_client, columns="renewal_owner"))

    assert 'name="token" value="T-1"' in row_checkbox(text, "T-1")
    assert "Active tokens cannot be transferred" in row_checkbox(text, "T-2")


def test_rows_sit_in_a_get_form_that_goes_to_the_transfer_page(manager_client, people):
    factories.make_token(people.org)

    text = page_html(manager_client.get(PAGE))

    assert re.search(
        r'<form id="token-selection" class="selection-form" method="get"\s+'
        r'action="/inventory/port-tokens/transfer/"',
        text,
    )
    assert "Transfer selected</button>" in text


def test_select_all_matching_links_to_the_transfer_with_the_view_state(manager_client, people):
    for _ in range(30):
        factories.make_token(people.org, renewal_owner="alice")

    response = get(manager_client, "renewal_owner:is:alice", per_page=25, sort="status")

    (href,) = links(response, "Select all 30 matching tokens for transfer")
    assert href.startswith("/inventory/port-tokens/transfer/?")
    assert query_of(href) == [
        ("all_matching", "1"),
        ("filter", "renewal_owner:is:alice"),
        ("sort", "status"),
    ]


def test_select_all_matching_is_not_offered_above_the_transfer_limit(
    manager_client, people, monkeypatch
):
    monkeypatch.setattr("inventory.views.tokens.SELECT_ALL_MATCHING_LIMIT", 29)
    for _ in range(30):
        factories.make_token(people.org)

    response = get(manager_client, per_page=25)

    assert links(response, "Select all 30 matching tokens for transfer") == []


def test_select_all_matching_is_not_offered_when_everything_is_on_the_page(manager_client, people):
    factories.make_token(people.org)

    assert links(manager_client.get(PAGE), "Select all 1 matching tokens for transfer") == []


# --- export menu --------------------------------------------------------------------------------


def test_export_menu_links_carry_the_view_state(viewer_client, people):
    factories.make_token(people.org)

    response = get(
        viewer_client, "org_name:contains:acme", sort="-status", columns="status,token_sn", page=1
    )

    expected = {
        "Export visible columns (CSV)": ("csv", "visible"),
        "Export visible columns (XLSX)": ("xlsx", "visible"),
        "Export all columns (CSV)": ("csv", "all"),
        "Export all columns (XLSX)": ("xlsx", "all"),
    }
    for label, (file_format, scope) in expected.items():
        (href,) = links(response, label)
        assert href.startswith("/inventory/port-tokens/export/?")
        assert query_of(href) == [
            ("format", file_format),
            ("scope", scope),
            ("filter", "org_name:contains:acme"),
            ("columns", "status,token_sn"),
            ("sort", "-status"),
        ]


def test_export_links_name_the_remembered_columns(viewer_client, people):
    viewer_client.post(PAGE, {"action": "apply", "col": ["status", "org_id"]})

    (href,) = links(viewer_client.get(PAGE), "Export visible columns (CSV)")

    assert ("columns", "status,org_id") in query_of(href)


# --- performance ----------------------------------------------------------------------------------


@pytest.mark.parametrize("per_page", [25, 250])
def test_page_runs_a_bounded_number_of_queries_whatever_the_page_size(
    manager_client, people, per_page, django_assert_max_num_queries
):
    station = factories.make_station(people.org)
    part = factories.make_part()
    order = factories.make_order()
    for n in range(260):
        evse = factories.make_evse(station) if n % 2 else None
        factories.make_token(
            people.org, part=part, order=order, evse=evse, status="Active" if evse else "New"
        )
    all_columns = ",".join(c.key for c in COLUMNS)
    get(manager_client, columns=all_columns)  # stores the column choice

    # session, user, saved columns, count, page ids, rows, managed organizations, statuses
    with django_assert_max_num_queries(8):
        response = get(
            manager_client, "org_name:contains:acme", columns=all_columns, per_page=per_page
        )

    assert len(shown_serials(response)) == per_page


def test_page_selects_only_the_columns_it_shows(viewer_client, people):
    factories.make_token(
        people.org, order=factories.make_order(customer=factories.make_customer(name="Buyer"))
    )

    with CaptureQueriesContext(connection) as queries:
        response = get(viewer_client, columns="token_sn,status")

    assert len(shown_serials(response)) == 1
    assert not any("inventory_customer" in q["sql"] for q in queries.captured_queries)
