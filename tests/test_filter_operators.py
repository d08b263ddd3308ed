"""The operators `in` ("is any of"), `empty`, `not_empty` and `between` (SPEC "View state
lives in the URL"), through HTTP against hand-computed expectations, on whichever database
the suite runs on."""

from datetime import date

import pytest

from inventory.models import PortToken, Station
from inventory.viewstate import MAX_LIST_ITEMS
from tests import factories
from tests.factories import utc
from tests.helpers import get_all, page_html, shown_serials


@pytest.fixture
def token(people):
    """A token of the shared organization; keyword fields override the defaults."""

    def make(serial, **fields):
        return factories.make_token(people.org, serial, **fields)

    return make


def matching(client, *filters: str, **params) -> list[str]:
    return shown_serials(get_all(client, *filters, **params))


def row_error(response, position: int) -> str:
    text = page_html(response)
    start = text.find(f'id="f-error-{position}">')
    return text[start : text.find("</p>", start)] if start != -1 else ""


# --- in ----------------------------------------------------------------------------------


def test_is_any_of_matches_whole_values_case_insensitively_non_ascii_included(
    viewer_client, people, token
):
    zurich = factories.make_organization("ORG-ZH", "ZÜRICH LADEPARK")
    malmo = factories.make_organization("ORG-MA", "Malmö Laddning")
    for organization in (zurich, malmo):
        factories.grant(people.viewer, organization)
    factories.make_token(zurich, "T-ZURICH")
    factories.make_token(malmo, "T-MALMO")
    token("T-ACME")

    assert matching(viewer_client, "org_name:in:zürich ladepark|ACME CHARGING") == [
        "T-ACME",
        "T-ZURICH",
    ]
    assert matching(viewer_client, "org_name:in: MALMÖ LADDNING | nobody ") == ["T-MALMO"]
    # Whole values, as `is` compares: a part of a name is not one.
    assert matching(viewer_client, "org_name:in:zürich|acme") == []


def test_is_any_of_on_status_takes_each_listed_status(viewer_client, people, token):
    token("T-NEW")
    token("T-AVAILABLE", status=PortToken.Status.AVAILABLE)
    token("T-EXPIRED", status=PortToken.Status.EXPIRED)

    assert matching(viewer_client, "status:in:new|Available") == ["T-AVAILABLE", "T-NEW"]
    assert matching(viewer_client, "status:in:Active|unknown") == []


def test_is_any_of_on_a_number_column_compares_the_shown_number(viewer_client, token):
    token("T-ONE", part=factories.make_part(term_years=1))
    token("T-THREE", part=factories.make_part(term_years=3))
    token("T-FIVE", part=factories.make_part(term_years=5))

    assert matching(viewer_client, "term_years:in:1|5") == ["T-FIVE", "T-ONE"]


def test_is_any_of_on_a_date_column_takes_each_listed_day(viewer_client, token):
    token("T-MAR-4", order=factories.make_order(order_date=date(2025, 3, 4)))
    token("T-MAR-5", order=factories.make_order(order_date=date(2025, 3, 5)))
    token("T-DEC-31", order=factories.make_order(order_date=date(9999, 12, 31)))
    token("T-NONE")

    assert matching(viewer_client, "order_date:in:2025-03-04|9999-12-31") == [
        "T-DEC-31",
        "T-MAR-4",
    ]


@pytest.fixture
def around_the_spring_change(token):
    """Plan starts around 2025-03-09, the Pacific day the clocks go forward (23 hours)."""
    token("T-SAT-LATE", plan_start_date=utc(2025, 3, 9, 7, 59))  # 03-08 23:59 PST
    token("T-SUN-START", plan_start_date=utc(2025, 3, 9, 8, 0))  # 03-09 00:00 PST
    token("T-SUN-END", plan_start_date=utc(2025, 3, 10, 6, 59))  # 03-09 23:59 PDT
    token("T-MON-START", plan_start_date=utc(2025, 3, 10, 7, 0))  # 03-10 00:00 PDT
    token("T-NONE")


def test_is_any_of_on_a_timestamp_takes_whole_pacific_days_across_a_clock_change(
    viewer_client, around_the_spring_change
):
    assert matching(viewer_client, "plan_start_date:in:2025-03-09") == [
        "T-SUN-END",
        "T-SUN-START",
    ]
    assert matching(viewer_client, "plan_start_date:in:2025-03-08|2025-03-10") == [
        "T-MON-START",
        "T-SAT-LATE",
    ]


def test_is_any_of_many_scattered_days_gives_the_same_pacific_days(
    viewer_client, around_the_spring_change
):
    # Every other day of two years: too many separate days for one range each, so each
    # token's shown day is compared with the list instead. Same answer.
    days = [date.fromordinal(date(2024, 3, 10).toordinal() + 2 * n) for n in range(365)]
    assert date(2025, 3, 9) in days and date(2025, 3, 10) not in days
    listed = "|".join(day.isoformat() for day in days)

    assert matching(viewer_client, f"plan_start_date:in:{listed}") == [
        "T-SUN-END",
        "T-SUN-START",
    ]


def test_is_any_of_ten_thousand_pasted_serials_shows_exactly_those_tokens(viewer_client, people):
    factories.make_tokens(people.org, 400, prefix="TKN")
    wanted = [f"TKN-{n:06d}" for n in range(0, 400, 3)]  # 134 of them
    # As pasted from a spreadsheet: some in lower case, the rest serials of nothing.
    listed = [serial.lower() if n % 2 else serial for n, serial in enumerate(wanted)]
    listed += [f"NOPE-{n:06d}" for n in range(MAX_LIST_ITEMS - len(listed))]
    assert len(listed) == MAX_LIST_ITEMS

    response = get_all(viewer_client, "token_sn:in:" + "|".join(listed), columns="token_sn")

    assert shown_serials(response) == wanted
    assert f"<strong>{len(wanted)}</strong> tokens" in response.content.decode()


def test_is_any_of_numeric_serials_matches_them_exactly(viewer_client, token):
    for serial in ("100001", "100002", "1000021", "200001"):
        token(serial)

    assert matching(viewer_client, "token_sn:in:100002|200001|999") == ["100002", "200001"]


def test_is_any_of_with_more_than_ten_thousand_values_is_a_bad_piece(viewer_client, token):
    token("T-ONE")
    listed = "|".join(f"S-{n}" for n in range(MAX_LIST_ITEMS + 1))

    response = get_all(viewer_client, "token_sn:in:" + listed)

    assert "Is Any Of takes at most 10,000 values; 10,001 given" in row_error(response, 1)
    assert shown_serials(response) == ["T-ONE"]


@pytest.mark.parametrize(
    ("bad_filter", "message"),
    [
        ("token_sn:in:| |", "Is Any Of needs at least one value"),
        ("order_date:in:2025-03-04|March", "'March' is not a date"),
        ("token_sn:in:ok|" + "x" * 201, "is longer than 200 characters"),
    ],
)
def test_a_bad_is_any_of_list_is_reported_and_ignored(viewer_client, token, bad_filter, message):
    token("T-ONE")

    response = get_all(viewer_client, bad_filter)

    assert message in row_error(response, 1)
    assert shown_serials(response) == ["T-ONE"]


# --- empty and not_empty -----------------------------------------------------------------


@pytest.fixture
def some_fields_empty(people, token):
    """T-FULL has every field used below; T-BLANK has empty text ('') where T-NULL has
    nothing at all (NULL)."""
    station = factories.make_station(people.org, name="Civic Garage")
    token(
        "T-FULL",
        renewal_owner="ops@example.com",
        part=factories.make_part(term_years=3),
        order=factories.make_order(ship_date=date(2025, 3, 18)),
        plan_end_date=utc(2026, 4, 2, 16, 30),
        evse=factories.make_evse(station),
    )
    unnamed = factories.make_station(people.org)
    Station.objects.filter(pk=unnamed.pk).update(name="")
    token(
        "T-BLANK",
        renewal_owner="",
        part=factories.make_part(term_years=None),
        order=factories.make_order(ship_date=None),
        evse=factories.make_evse(unnamed),
    )
    token("T-NULL", renewal_owner=None, part=factories.make_part(term_years=None))


@pytest.mark.parametrize(
    "key", ["renewal_owner", "term_years", "ship_date", "plan_end_date", "station_name"]
)
def test_is_empty_and_is_not_empty_split_the_rows_on_every_kind_of_column(
    viewer_client, some_fields_empty, key
):
    assert matching(viewer_client, f"{key}:empty:") == ["T-BLANK", "T-NULL"]
    assert matching(viewer_client, f"{key}:not_empty:") == ["T-FULL"]
    # The value is ignored.
    assert matching(viewer_client, f"{key}:not_empty:anything") == ["T-FULL"]


def test_is_empty_matches_as_is_with_an_empty_value(viewer_client, some_fields_empty):
    assert matching(viewer_client, "renewal_owner:is:") == matching(
        viewer_client, "renewal_owner:empty:"
    )


def test_is_not_empty_combines_with_match_any(viewer_client, some_fields_empty):
    assert matching(viewer_client, "ship_date:not_empty:", "token_sn:is:t-null", match="any") == [
        "T-FULL",
        "T-NULL",
    ]


# --- between -----------------------------------------------------------------------------


def test_between_includes_both_pacific_days_of_a_timestamp(viewer_client, around_the_spring_change):
    assert matching(viewer_client, "plan_start_date:between:2025-03-09..2025-03-10") == [
        "T-MON-START",
        "T-SUN-END",
        "T-SUN-START",
    ]
    assert matching(viewer_client, "plan_start_date:between:2025-03-09..2025-03-09") == [
        "T-SUN-END",
        "T-SUN-START",
    ]


def test_between_includes_both_days_of_a_date_column(viewer_client, token):
    for day in (3, 4, 5, 6):
        token(f"T-MAR-{day}", order=factories.make_order(ship_date=date(2025, 3, day)))

    assert matching(viewer_client, "ship_date:between: 2025-03-04 .. 2025-03-05 ") == [
        "T-MAR-4",
        "T-MAR-5",
    ]


def test_between_the_calendars_first_and_last_day_takes_every_day(viewer_client, token):
    token("T-FIRST", order=factories.make_order(order_date=date(1, 1, 1)))
    token("T-LAST", order=factories.make_order(order_date=date(9999, 12, 31)))
    token("T-LAST-MOMENT", plan_end_date=utc(9999, 12, 31, 23, 59))
    token("T-NONE")

    assert matching(viewer_client, "order_date:between:0001-01-01..9999-12-31") == [
        "T-FIRST",
        "T-LAST",
    ]
    # 9999-12-31 23:59 UTC is 15:59 on the calendar's last Pacific day.
    assert matching(viewer_client, "plan_end_date:between:9999-12-31..9999-12-31") == [
        "T-LAST-MOMENT"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-03-31..2026-01-01", "the range is reversed: 2026-03-31 comes after 2026-01-01"),
        ("2026-01-01..", "Between needs two days, as YYYY-MM-DD..YYYY-MM-DD"),
        ("..2026-03-31", "Between needs two days"),
        ("2026-01-01", "Between needs two days"),
        ("", "Between needs two days"),
        ("2026-01-01..2026-02-30", "'2026-02-30' is not a date"),
        ("0000-12-31..2026-01-01", "'0000-12-31' is not a date"),
    ],
)
def test_a_reversed_half_or_impossible_range_is_a_bad_piece(viewer_client, token, value, message):
    token("T-ONE", plan_end_date=utc(2026, 2, 1))

    response = get_all(viewer_client, f"plan_end_date:between:{value}")

    assert message in row_error(response, 1)
    assert "Filter 1 ignored" in row_error(response, 1)
    assert shown_serials(response) == ["T-ONE"]


def test_between_is_only_for_date_columns(viewer_client, token):
    token("T-ONE")

    response = get_all(viewer_client, "org_name:between:2026-01-01..2026-03-31")

    assert "Org Name is not a date column" in row_error(response, 1)


# --- chips -------------------------------------------------------------------------------


def test_chips_read_the_new_operators_plainly(viewer_client, token):
    token("T-ONE")

    response = get_all(
        viewer_client,
        "status:in:New|Available",
        "ship_date:empty:",
        "station_name:not_empty:",
        "plan_end_date:between:2026-01-01..2026-03-31",
        "token_sn:in:" + "|".join(f"S-{n}" for n in range(12)),
        match="any",
    )

    text = page_html(response)
    for chip in (
        "Status is any of New, Available",
        "Ship Date is empty",
        "Station Name is not empty",
        "Plan End Date / Auto Renew On (Pacific Time) between 2026-01-01 and 2026-03-31",
        "Token S/N is any of S-0, S-1, S-2, S-3, S-4 and 7 more",
    ):
        assert f'<span class="chip-text">{chip}</span>' in text


def test_contains_without_a_value_says_to_use_is_empty(viewer_client, token):
    token("T-ONE")

    response = get_all(viewer_client, "ship_date:contains:", "ship_date:not_contains: ")

    assert "Contains needs a value; to find empty fields use Is Empty" in row_error(response, 1)
    assert "to find fields that are not empty use Is Not Empty" in row_error(response, 2)


def test_every_new_operator_reaches_the_export_too(viewer_client, token):
    token(
        "T-NEW",
        order=factories.make_order(order_date=date(2025, 3, 4)),
        plan_start_date=utc(2025, 3, 9, 8, 0),
    )
    token("T-AVAILABLE", status=PortToken.Status.AVAILABLE, renewal_owner="ops")
    token("T-EXPIRED", status=PortToken.Status.EXPIRED)

    response = viewer_client.get(
        "/inventory/port-tokens/export/?format=csv&scope=visible&columns=token_sn"
        "&filter=status:in:new|available&filter=renewal_owner:empty:"
        "&filter=token_sn:in:t-new|T-Available|t-expired&filter=order_date:in:2025-03-04"
        "&filter=plan_start_date:between:2025-03-09..2025-03-09&q=t-new"
    )

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines == ["Token S/N", "T-NEW"]
