"""What keeps the table fast at a million tokens must not change what it shows: pages read
from the end, the quick search asked of each table first, exports streamed in index
order."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse

from inventory.models import PortToken
from tests import factories
from tests.helpers import get, shown_serials

pytestmark = pytest.mark.django_db


def every_page(client, pages: int, **params) -> list[str]:
    serials = []
    for page in range(1, pages + 1):
        serials += shown_serials(get(client, per_page=25, page=page, **params))
    return serials


def test_pages_past_the_middle_list_the_rows_in_the_same_order(viewer_client, people):
    # Ties, empty values and equal dates on both sides of the middle of 110 tokens.
    for n in range(110):
        end = None if n % 3 == 0 else datetime(2027, 1 + n % 4, 1, tzinfo=UTC)
        factories.make_token(people.org, f"T-{(n * 37) % 110:03d}", plan_end_date=end)
    by_end = PortToken.objects.order_by("plan_end_date", "serial")
    ascending = [t.serial for t in by_end if t.plan_end_date] + [
        t.serial for t in by_end if t.plan_end_date is None
    ]
    descending_ends = sorted(
        (t for t in by_end if t.plan_end_date),
        key=lambda t: (-t.plan_end_date.timestamp(), t.serial),
    )
    descending = [t.serial for t in descending_ends] + [
        t.serial for t in by_end if t.plan_end_date is None
    ]

    assert every_page(viewer_client, 5) == sorted(t.serial for t in by_end)
    assert every_page(viewer_client, 5, sort="plan_end_date") == ascending
    assert every_page(viewer_client, 5, sort="-plan_end_date") == descending
    assert shown_serials(get(viewer_client, per_page=25, page=5)) == [
        f"T-{n:03d}" for n in range(100, 110)
    ]


def test_quick_search_finds_a_word_in_any_related_table_and_in_the_status(viewer_client, people):
    station = factories.make_station(people.org, "STN-1", "North Garage")
    evse = factories.make_evse(station, "EVSE-GARAGE-1")
    factories.make_token(people.org, "T-STATION", evse=evse, status="Active")
    factories.make_token(
        people.org, "T-ORDER", order=factories.make_order(customer_reference="Garage B")
    )
    factories.make_token(people.org, "T-OWNER", renewal_owner="garage@example.com")
    factories.make_token(people.org, "T-NONE")
    factories.make_token(people.other_org, "T-HIDDEN", renewal_owner="garage")

    assert sorted(shown_serials(get(viewer_client, q="GARAGE"))) == [
        "T-ORDER",
        "T-OWNER",
        "T-STATION",
    ]
    assert sorted(shown_serials(get(viewer_client, q="vailab"))) == []
    assert shown_serials(get(viewer_client, q="activ")) == ["T-STATION"]


def test_a_literal_percent_or_underscore_in_a_filter_is_not_a_wildcard(viewer_client, people):
    factories.make_token(people.org, "T-1", renewal_owner="50% off")
    factories.make_token(people.org, "T-2", renewal_owner="500 off")
    factories.make_token(people.org, "T-3", renewal_owner="a_b")
    factories.make_token(people.org, "T-4", renewal_owner="axb")

    assert shown_serials(get(viewer_client, "renewal_owner:contains:0%")) == ["T-1"]
    assert shown_serials(get(viewer_client, "renewal_owner:contains:a_b")) == ["T-3"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner settings")
def test_an_export_leaves_the_connection_as_it_found_it(manager_client, people):
    factories.make_tokens(people.org, 5)

    response = manager_client.get(reverse("inventory:port_tokens_export") + "?format=csv")
    b"".join(response.streaming_content)

    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_sort")
        assert cursor.fetchone() == ("on",)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_statements_are_not_compiled_just_in_time(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
