"""Filters on the Port Tokens page: the chips that show the applied filters, and the filter
builder (fields, operators, plain-form submission to canonical `filter=` parameters,
removing rows, clearing)."""

import html
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.columns import COLUMNS
from tests import factories
from tests.helpers import PAGE, get, links, page_html, query_of, shown_serials


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
        "Is Any Of",
        "Is Empty",
        "Is Not Empty",
        "Before",
        "After",
        "Between",
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

    # Not the bare page, which would open a default saved view: the plain table.
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?view="


def test_removing_a_builder_row_without_the_script_keeps_the_builder_open(viewer_client):
    response = viewer_client.get(
        PAGE,
        {
            "f_row": ["1", "2"],
            "f_key": ["org_name", "status"],
            "f_op": ["contains", "is"],
            "f_value": ["acme", "New"],
            "f_remove": "2",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == (f"{PAGE}?filter=org_name%3Acontains%3Aacme#filter-builder")
    # The address opens the builder: the filter panel holds that element.
    text = page_html(viewer_client.get(response["Location"]))
    panel = re.search(r'<details class="filter-panel".*?</details>', text, re.S).group(0)
    assert 'id="filter-builder"' in panel


def test_filter_panel_is_closed_and_the_chips_say_what_is_applied(viewer_client, people):
    factories.make_token(people.org)

    text = page_html(get(viewer_client, "org_name:contains:acme"))

    assert re.search(r'<details class="filter-panel" id="filters" data-filter-panel>', text)
    assert re.search(r"<summary[^>]*>Filters <span class=\"menu-count\">1</span>", text)


def test_filter_panel_opens_by_itself_when_a_filter_needs_fixing(viewer_client, people):
    text = page_html(get(viewer_client, "org_name:contains:acme", "plan_end_date:before:soon"))

    assert re.search(r'<details class="filter-panel" id="filters" data-filter-panel open>', text)
    assert "Filter 2 ignored" in text


def test_a_chip_shows_its_whole_list_on_hover(viewer_client, people):
    factories.make_token(people.org)
    serials = [f"S-{n}" for n in range(8)]

    text = page_html(get(viewer_client, "token_sn:in:" + "|".join(serials)))

    chip = re.search(r'<li class="chip" title="([^"]*)"><span class="chip-text">([^<]*)<', text)
    assert chip.group(2) == "Token S/N is any of S-0, S-1, S-2, S-3, S-4 and 3 more"
    assert chip.group(1) == "Token S/N is any of " + ", ".join(serials)


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


# --- the builder's value controls for Is Any Of, Is Empty and Between --------------------


def builder_row(text: str, position: int) -> str:
    rows = re.findall(r'<li class="filter-row[^"]*" data-filter-row>.*?</li>', text, re.S)
    return rows[position - 1]


def test_a_pasted_list_becomes_one_is_any_of_filter(viewer_client):
    response = viewer_client.get(
        PAGE,
        {
            "f_row": ["1", "2"],
            "f_key": ["token_sn", "org_name"],
            "f_op": ["in", "in"],
            "f_value": ["TKN-1\r\nTKN-2\r\n\r\nTKN-3, TKN-4;TKN-5\tTKN-6\n", "Acme Charging"],
        },
    )

    assert query_of(response["Location"]) == [
        ("filter", "token_sn:in:TKN-1|TKN-2|TKN-3|TKN-4|TKN-5|TKN-6"),
        ("filter", "org_name:in:Acme Charging"),
    ]


def test_checked_values_and_typed_ones_make_one_list_and_rows_keep_their_own(viewer_client):
    response = viewer_client.get(
        PAGE,
        {
            "f_row": ["3", "5"],
            "f_key": ["status", "plan_end_date"],
            "f_op": ["in", "between"],
            "f_value": ["", "2026-01-01"],
            "f_pick_3": ["New", "Available"],
            "f_until_5": "2026-03-31",
            # Left by a row that was removed before applying: not this form's rows.
            "f_pick_4": "Expired",
        },
    )

    assert query_of(response["Location"]) == [
        ("filter", "status:in:New|Available"),
        ("filter", "plan_end_date:between:2026-01-01..2026-03-31"),
    ]


def test_is_empty_needs_no_value_and_a_half_range_reaches_the_page(viewer_client):
    response = viewer_client.get(
        PAGE,
        {
            "f_key": ["ship_date", "order_date"],
            "f_op": ["empty", "between"],
            "f_value": ["", "2026-01-01"],
            "f_until_2": "",
        },
    )

    assert query_of(response["Location"]) == [
        ("filter", "ship_date:empty:"),
        ("filter", "order_date:between:2026-01-01.."),
    ]
    text = page_html(viewer_client.get(response["Location"]))
    assert "Filter 2 ignored: Between needs two days" in text


def test_ten_thousand_pasted_serials_go_through_the_builder(viewer_client, people):
    factories.make_tokens(people.org, 50, prefix="TKN")
    pasted = [f"TKN-{n:06d}" for n in range(0, 50, 7)] + [
        f"GONE-{n:06d}" for n in range(10_000 - 8)
    ]

    response = viewer_client.get(
        PAGE, {"f_key": "token_sn", "f_op": "in", "f_value": "\r\n".join(pasted)}
    )
    assert response.status_code == 302
    page = viewer_client.get(response["Location"])

    assert shown_serials(page) == [f"TKN-{n:06d}" for n in range(0, 50, 7)]


def test_is_any_of_offers_the_values_of_the_users_tokens_as_checkboxes_with_counts(
    viewer_client, people
):
    factories.make_tokens(people.org, 3, prefix="NEW")
    factories.make_tokens(people.org, 2, prefix="AV", status="Available")
    factories.make_token(people.other_org, "HIDDEN", status="Expired")

    text = page_html(get(viewer_client, "status:in:available|Active", "org_name:in:x"))

    status_row = builder_row(text, 1)
    choices = re.findall(
        r'<input type="checkbox" name="f_pick_1" value="(\w+)"( checked)?> \w+ '
        r'<span class="choice-count">(\d+)</span>',
        status_row,
    )
    assert choices == [("New", "", "3"), ("Available", " checked", "2")]
    # "Active" is listed but no token has it: kept, beside the checkboxes.
    assert re.search(r'<input id="f-value-1" name="f_value" type="text" value="Active"', status_row)
    org_row = builder_row(text, 2)
    assert 'value="Acme Charging"> Acme Charging' in org_row
    assert "Other Networks" not in org_row


def test_is_any_of_on_other_columns_is_a_text_area_with_one_value_a_line(viewer_client):
    text = page_html(get(viewer_client, "token_sn:in:TKN-1|TKN-2"))

    row = builder_row(text, 1)
    assert re.search(r'<textarea id="f-value-1" name="f_value"[^>]*>TKN-1\nTKN-2</textarea>', row)


def test_date_columns_get_date_fields_and_between_two_of_them(viewer_client):
    text = page_html(
        get(
            viewer_client, "ship_date:is:2025-03-18", "plan_end_date:between:2026-01-01..2026-03-31"
        )
    )

    assert 'type="date" value="2025-03-18"' in builder_row(text, 1)
    between = builder_row(text, 2)
    assert 'name="f_value" type="date" value="2026-01-01"' in between
    assert 'name="f_until_2" type="date" value="2026-03-31"' in between
    assert ">First day of filter 2<" in between and ">Last day of filter 2<" in between


def test_checkboxes_cost_one_grouped_query_per_column_and_only_when_shown(viewer_client, people):
    factories.make_tokens(people.org, 3)
    get(viewer_client)  # session and saved columns warmed alike for every page below

    def queries(*filters):
        with CaptureQueriesContext(connection) as captured:
            assert get(viewer_client, *filters).status_code == 200
        return len(captured.captured_queries)

    plain = queries("status:is:New", "org_name:contains:acme")
    assert queries("status:in:New", "org_name:contains:acme") == plain + 1
    assert queries("status:in:New|Available", "status:in:New", "org_name:in:Acme Charging") == (
        plain + 2
    )


def test_the_script_can_ask_for_one_columns_checkboxes(viewer_client, people, monkeypatch):
    factories.make_tokens(people.org, 2, prefix="NEW")
    factories.make_token(people.other_org, "HIDDEN", status="Expired")

    answer = viewer_client.get(PAGE, {"choices_for": "status"})
    assert answer.json() == {"key": "status", "choices": [{"value": "New", "count": 2}]}
    assert viewer_client.get(PAGE, {"choices_for": "token_sn"}).status_code == 400

    monkeypatch.setattr("inventory.views.filter_builder.MAX_CHOICES", 0)
    assert viewer_client.get(PAGE, {"choices_for": "status"}).json()["choices"] is None
