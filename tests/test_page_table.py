"""The Port Tokens table: SPEC column labels and order, how cells read (Pacific
timestamps, dates, numbers, an em dash for empty), the status badge, the total count and
the empty state."""

from datetime import date

from inventory.columns import COLUMNS, DEFAULT_COLUMN_KEYS
from inventory.models import PortToken
from tests import factories
from tests.factories import utc
from tests.helpers import PAGE, get, links, page_html, query_of, read_table


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
