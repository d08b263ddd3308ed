"""The page answers the same whichever way it asks the database: the quick search of a
reader of many tokens asked through each field's index (`summary.BROAD_SEARCH_READER`),
the page's ids of few matches read by sorting them (`summary.FEW_MATCHES`) rather than by
walking the sort's index, those ids gathered by the summary's one pass for a member's
few organizations, and that pass, which counts statuses, "ends within" and the tokens
that can move. Each test compares the two ways on the same tokens."""

import re
from datetime import date
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from inventory import summary, tables
from inventory.models import PortToken, Station
from inventory.selectors import matching_tokens
from inventory.viewstate import parse_view_state
from tests import factories
from tests.factories import utc
from tests.helpers import get, shown_serials


@pytest.fixture
def network(people):
    """Tokens whose search words sit in every kind of field: their own (Token S/N, Renewal
    Owner, status), the part, the organization, the EVSE and its station, the order and
    its customer; some with no EVSE or no order at all; equal and empty Plan Ends."""
    garage = factories.make_station(people.org, "STN-GAR", "Harbor Garage")
    street = factories.make_station(people.org, "STN-STR", "Main Street")
    fleet = factories.make_customer("CUST-F", "Garage Fleet Motors")
    plain = factories.make_customer("CUST-P", "Plain Utilities")
    special = factories.make_part("CPCLD-GARAGE", cloud_plan="Garage Cloud Plan")
    tokens = [
        ("T-01", {"evse": factories.make_evse(garage)}),
        ("T-02", {"evse": factories.make_evse(street), "status": "Active"}),
        ("T-03", {"order": factories.make_order("SO-1", customer=fleet)}),
        ("T-04", {"order": factories.make_order("SO-2", customer=plain)}),
        ("T-05", {"renewal_owner": "garage.team@example.com"}),
        ("T-06", {"part": special, "status": "Available"}),
        ("GARAGE-07", {}),
        ("T-08", {"status": "Expired"}),
        ("T-09", {"order": factories.make_order("SO-GARAGE", customer=plain)}),
        ("T-10", {}),
    ]
    for n, (serial, fields) in enumerate(tokens):
        plan_end = None if n % 4 == 3 else utc(2027, 1 + n % 3, 1)
        factories.make_token(people.org, serial, plan_end_date=plan_end, **fields)
    # An EVSE at a station without a name, an order without a customer, order dates.
    unnamed = factories.make_station(people.org, "STN-NONAME")
    Station.objects.filter(pk=unnamed.pk).update(name="")
    factories.make_token(people.org, "T-11", evse=factories.make_evse(unnamed))
    for n, day in enumerate([date(2025, 3, 1), None, date(2025, 3, 1), date(2024, 1, 9)]):
        order = factories.make_order(f"SO-D{n}", order_date=day, customer=None)
        factories.make_token(people.org, f"T-D{n}", order=order)
    harbor = factories.make_organization("ORG-HARBOR", "Harbor Networks")
    factories.make_token(harbor, "H-01")
    factories.make_token(harbor, "H-02", status="Expired")
    factories.make_token(people.other_org, "O-01", renewal_owner="nobody")
    # Enough for three pages of 25, with runs of equal and of empty Plan Ends.
    factories.make_tokens(people.org, 25, prefix="B-SAME", plan_end_date=utc(2027, 2, 1))
    factories.make_tokens(people.org, 20, prefix="B-NONE", plan_end_date=None)
    factories.make_tokens(harbor, 15, prefix="B-LATE", plan_end_date=utc(2028, 5, 1))


SEARCHES = ["garage", "harbor", "garage motors", "expired", "available", "t-0", "nothing"]
SORTS = ["", "-plan_end_date", "plan_end_date", "station_name", "-token_sn"]


def _page(client, **params) -> tuple[list[str], str]:
    response = get(client, **params)
    text = response.content.decode()
    numbers = re.search(r'<div class="summary-bar">.*?</nav>\s*</div>', text, re.S).group(0)
    return shown_serials(response), numbers


@pytest.mark.parametrize("q", SEARCHES)
def test_a_search_asked_through_the_indexes_finds_and_counts_the_same_tokens(
    client, people, network, monkeypatch, q
):
    client.force_login(factories.make_superuser())
    narrow = _page(client, q=q, per_page=25)
    monkeypatch.setattr(summary, "BROAD_SEARCH_READER", 0)

    assert _page(client, q=q, per_page=25) == narrow


#: 78 tokens at 25 a page: the first, the second (read from the start), the third (read
#: from the end) and the last, of 3 rows.
PAGES = ["1", "2", "3", "4"]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("page", PAGES)
def test_few_matches_are_paged_in_the_table_order_either_way(
    client, people, network, monkeypatch, sort, page
):
    client.force_login(factories.make_superuser())
    # "Does not contain" a text no token holds: every token matches, but only by
    # reading them, as any filter on a related table does.
    state = {"filter": "renewal_owner:not_contains:zzz", "per_page": 25, "page": page}
    if sort:
        state["sort"] = sort
    monkeypatch.setattr(summary, "FEW_MATCHES", 0)
    walked = _page(client, **state)
    monkeypatch.setattr(summary, "FEW_MATCHES", 10**9)

    assert _page(client, **state) == walked
    unfiltered = {key: value for key, value in state.items() if key != "filter"}
    assert shown_serials(get(client, **unfiltered)) == walked[0]


#: Columns of a row a token may lack (EVSE, station, order, customer).
OPTIONAL_ROW_SORTS = [
    "station_name",
    "-station_name",
    "evse_id",
    "-station_sn",
    "customer_name",
    "-customer_id",
    "order_date",
    "-order_date",
    "-purchase_order",
]


@pytest.mark.parametrize("sort", OPTIONAL_ROW_SORTS)
@pytest.mark.parametrize("page", PAGES)
def test_a_sort_on_a_row_a_token_may_lack_pages_as_the_full_sort_does(
    client, people, network, monkeypatch, sort, page
):
    client.force_login(factories.make_superuser())
    merged = shown_serials(get(client, sort=sort, per_page=25, page=page))
    monkeypatch.setattr(tables, "_through_optional_row", lambda column: False)

    assert merged == shown_serials(get(client, sort=sort, per_page=25, page=page))
    assert len(merged) == (3 if page == "4" else 25)


def test_the_one_counting_pass_agrees_with_the_kept_counts(client, people, network):
    client.force_login(factories.make_superuser())

    kept = _page(client)[1]
    counted = _page(client, filter="renewal_owner:not_contains:zzz")[1]

    assert PortToken.objects.count() == 78
    assert _numbers(counted) == _numbers(kept)


def _numbers(html: str) -> list[str]:
    return re.findall(r"\d[\d,]*", re.sub(r"<[^>]+>", " ", re.sub(r'href="[^"]*"', "", html)))


#: A member's views whose few matches the pass finds by reading the member's tokens.
MEMBER_STATES = [
    {"filter": "renewal_owner:not_contains:zzz"},
    {"filter": "station_name:contains:garage"},
    {"q": "garage"},
    {"q": "t-0", "sort": "-plan_end_date"},
]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("page", ["1", "2", "3"])
def test_a_members_page_is_the_same_from_the_ids_the_counting_pass_gathered(
    viewer_client, people, network, monkeypatch, sort, page
):
    state = {"filter": "renewal_owner:not_contains:zzz", "per_page": 25, "page": page}
    if sort:
        state["sort"] = sort
    gathered = _page(viewer_client, **state)
    # Every reader counted as one of many tokens: the pass gathers no ids.
    monkeypatch.setattr(summary, "BROAD_SEARCH_READER", -1)

    assert _page(viewer_client, **state) == gathered
    assert len(gathered[0]) == (10 if page == "3" else 25)  # Acme's 60 of the 78 tokens


@pytest.mark.parametrize("state", MEMBER_STATES)
def test_the_counting_pass_gathers_exactly_a_members_matches_on_postgresql(people, network, state):
    view = parse_view_state(QueryDict(urlencode(state)))

    gathered = summary.view_summary(people.viewer, view, count_movable=False).match_ids

    if connection.vendor != "postgresql":
        assert gathered is None
        return
    matches = matching_tokens(people.viewer, view).values_list("pk", flat=True)
    assert sorted(gathered) == sorted(matches)
    assert PortToken.objects.filter(pk__in=gathered).exclude(organization=people.org).count() == 0


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("filter=station_name:contains:garage", "token_evse_counts"),
        ("filter=customer_name:contains:garage", "token_order_counts"),
    ],
)
def test_the_count_through_an_evse_or_order_reads_only_token_fields_their_index_holds(
    people, network, django_user_model, query, index
):
    """So that PostgreSQL can count the tokens from the index alone, never visiting their
    rows (migration 0009): a field added to the pass belongs in the index too."""
    admin = django_user_model.objects.create_superuser("root", password="unused-9183")
    view = parse_view_state(QueryDict(query))
    with CaptureQueriesContext(connection) as captured:
        counted = summary.view_summary(admin, view, count_movable=True)
    (counting,) = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
    (covering,) = [i for i in PortToken._meta.indexes if i.name == index]
    held = {
        PortToken._meta.get_field(name).column for name in [*covering.fields, *covering.include]
    }

    read = set(re.findall(r'"inventory_porttoken"\."(\w+)"', counting))

    assert counted.total == 1  # T-01 at the Harbor Garage; T-03 of Garage Fleet Motors
    assert read and read <= held, f"read from the token rows: {sorted(read - held)}"
