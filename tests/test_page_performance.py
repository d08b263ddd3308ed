"""The Port Tokens page's cost: a bounded number of queries whatever the page size, and only
the shown columns selected."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.columns import COLUMNS
from tests import factories
from tests.helpers import get, shown_serials


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

    # session, user, the reader's organizations (once, however many token queries),
    # saved columns, statuses (the total is their sum), plan ends within 30/60/90 days,
    # page ids, rows, saved views, managed organizations, and the matching tokens that
    # can move ("Select all N matching": counted up to the most one selection holds,
    # then why the others cannot move)
    with django_assert_max_num_queries(12):
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
