"""Filter semantics of the Port Tokens page (SPEC "View state lives in the URL"),
exercised through HTTP on whichever database the suite runs on."""

from datetime import date

import pytest

from inventory.models import PortToken
from tests import factories
from tests.factories import utc
from tests.helpers import get_all, shown_serials


@pytest.fixture
def token(people):
    """A token of the shared organization; keyword fields override the defaults."""

    def make(serial, **fields):
        return factories.make_token(people.org, serial, **fields)

    return make


def test_contains_is_case_insensitive_for_non_ascii_text(viewer_client, people, token):
    zurich = factories.make_organization("ORG-ZH", "ZÜRICH LADEPARK")
    factories.grant(people.viewer, zurich)
    factories.make_token(zurich, "T-ZURICH")
    token("T-ACME")

    assert shown_serials(get_all(viewer_client, "org_name:contains:zürich")) == ["T-ZURICH"]
    assert shown_serials(get_all(viewer_client, "org_name:contains:LADEPARK")) == ["T-ZURICH"]


def test_is_compares_whole_text_case_insensitively(viewer_client, people, token):
    zurich = factories.make_organization("ORG-ZH", "ZÜRICH LADEPARK")
    factories.grant(people.viewer, zurich)
    factories.make_token(zurich, "T-ZURICH")

    assert shown_serials(get_all(viewer_client, "org_name:is:zürich ladepark")) == ["T-ZURICH"]
    assert shown_serials(get_all(viewer_client, "org_name:is:zürich")) == []


def test_not_contains_keeps_rows_with_empty_field(viewer_client, token):
    token("T-GARAGE", order=factories.make_order(customer_reference="Garage B"))
    token("T-OTHER", order=factories.make_order(customer_reference="Phase 2"))
    token("T-NULL", order=factories.make_order(customer_reference=None))
    token("T-BLANK", order=factories.make_order(customer_reference=""))
    token("T-NO-ORDER", order=None)

    shown = shown_serials(get_all(viewer_client, "customer_reference:not_contains:garage"))

    assert shown == ["T-BLANK", "T-NO-ORDER", "T-NULL", "T-OTHER"]


def test_is_with_empty_value_matches_empty_fields(viewer_client, token):
    token("T-OWNED", renewal_owner="owner-1")
    token("T-NULL", renewal_owner=None)
    token("T-BLANK", renewal_owner="")

    assert shown_serials(get_all(viewer_client, "renewal_owner:is:")) == ["T-BLANK", "T-NULL"]


def test_is_with_empty_value_on_a_joined_column_matches_tokens_without_that_row(
    viewer_client, people, token
):
    token("T-APPLIED", evse=factories.make_evse(organization=people.org))
    token("T-FREE")

    assert shown_serials(get_all(viewer_client, "station_name:is:")) == ["T-FREE"]


def test_timestamp_is_means_the_whole_pacific_day_on_a_dst_day(viewer_client, token):
    # 2025-03-09 is the spring-forward day: 00:00 PST is 08:00 UTC, 24:00 PDT is 07:00 UTC.
    token("T-BEFORE", plan_start_date=utc(2025, 3, 9, 7, 59))
    token("T-FIRST-MINUTE", plan_start_date=utc(2025, 3, 9, 8, 0))
    token("T-LAST-MINUTE", plan_start_date=utc(2025, 3, 10, 6, 59))
    token("T-AFTER", plan_start_date=utc(2025, 3, 10, 7, 0))

    shown = shown_serials(get_all(viewer_client, "plan_start_date:is:2025-03-09"))

    assert shown == ["T-FIRST-MINUTE", "T-LAST-MINUTE"]


def test_timestamp_before_is_earlier_than_the_start_of_the_pacific_day(viewer_client, token):
    token("T-EARLIER", activation_date=utc(2025, 11, 2, 6, 59))  # 23:59 PDT on Nov 1
    token("T-ON-DAY", activation_date=utc(2025, 11, 2, 7, 0))  # 00:00 PDT on Nov 2
    token("T-EMPTY", activation_date=None)

    assert shown_serials(get_all(viewer_client, "activation_date:before:2025-11-02")) == [
        "T-EARLIER"
    ]


def test_timestamp_after_is_later_than_the_end_of_the_pacific_day(viewer_client, token):
    # 2025-11-02 is the fall-back day, 25 hours long: it ends at 08:00 UTC on Nov 3.
    token("T-LAST-MINUTE", applied_date=utc(2025, 11, 3, 7, 59))
    token("T-NEXT-DAY", applied_date=utc(2025, 11, 3, 8, 0))
    token("T-EMPTY", applied_date=None)

    assert shown_serials(get_all(viewer_client, "applied_date:after:2025-11-02")) == ["T-NEXT-DAY"]
    shown = shown_serials(get_all(viewer_client, "applied_date:is:2025-11-02"))
    assert shown == ["T-LAST-MINUTE"]


def test_contains_compares_with_the_pacific_text_shown(viewer_client, token):
    # 03:00 UTC on April 1 is still March 31 in California.
    token("T-MARCH", plan_end_date=utc(2025, 4, 1, 3, 0))
    token("T-APRIL", plan_end_date=utc(2025, 4, 1, 12, 0))

    assert shown_serials(get_all(viewer_client, "plan_end_date:contains:2025-03")) == ["T-MARCH"]
    assert shown_serials(get_all(viewer_client, "plan_end_date:is:2025-03-31 20:00")) == ["T-MARCH"]


def test_contains_a_year_or_day_on_a_timestamp_uses_the_pacific_calendar(viewer_client, token):
    token("T-NEW-YEAR-EVE", activation_date=utc(2025, 1, 1, 7, 59))  # 2024-12-31 23:59 PST
    token("T-NEW-YEAR", activation_date=utc(2025, 1, 1, 8, 0))  # 2025-01-01 00:00 PST
    token("T-EMPTY", activation_date=None)

    assert shown_serials(get_all(viewer_client, "activation_date:contains:2025")) == ["T-NEW-YEAR"]
    shown = shown_serials(get_all(viewer_client, "activation_date:contains:2024-12-31"))
    assert shown == ["T-NEW-YEAR-EVE"]
    shown = shown_serials(get_all(viewer_client, "activation_date:not_contains:2025"))
    assert shown == ["T-EMPTY", "T-NEW-YEAR-EVE"]


def test_contains_any_part_of_a_timestamp_compares_with_the_text_shown(viewer_client, token):
    token("T-EVENING", applied_date=utc(2025, 4, 1, 3, 5))  # 2025-03-31 20:05 PDT
    token("T-MORNING", applied_date=utc(2025, 4, 1, 15, 5))  # 2025-04-01 08:05 PDT

    assert shown_serials(get_all(viewer_client, "applied_date:contains:31 20:0")) == ["T-EVENING"]
    assert shown_serials(get_all(viewer_client, "applied_date:contains:2025-13")) == []


def test_date_columns_compare_by_calendar_date(viewer_client, token):
    token("T-MAY-1", order=factories.make_order(order_date=date(2024, 5, 1)))
    token("T-MAY-2", order=factories.make_order(order_date=date(2024, 5, 2)))
    token("T-MAY-3", order=factories.make_order(order_date=date(2024, 5, 3)))

    assert shown_serials(get_all(viewer_client, "order_date:is:2024-05-02")) == ["T-MAY-2"]
    assert shown_serials(get_all(viewer_client, "order_date:before:2024-05-02")) == ["T-MAY-1"]
    assert shown_serials(get_all(viewer_client, "order_date:after:2024-05-02")) == ["T-MAY-3"]
    assert shown_serials(get_all(viewer_client, "order_date:contains:2024-05")) == [
        "T-MAY-1",
        "T-MAY-2",
        "T-MAY-3",
    ]


def test_number_column_is_and_contains_use_the_shown_number(viewer_client, token):
    token("T-ONE", part=factories.make_part(term_years=1))
    token("T-THREE", part=factories.make_part(term_years=3))

    assert shown_serials(get_all(viewer_client, "term_years:is:3")) == ["T-THREE"]
    assert shown_serials(get_all(viewer_client, "term_years:contains:1")) == ["T-ONE"]


def test_status_is_matches_case_insensitively(viewer_client, token):
    token("T-ACTIVE", status=PortToken.Status.ACTIVE)
    token("T-NEW", status=PortToken.Status.NEW)

    assert shown_serials(get_all(viewer_client, "status:is:active")) == ["T-ACTIVE"]


def test_match_all_requires_every_filter(viewer_client, token):
    token("T-BOTH", renewal_owner="alice", status=PortToken.Status.ACTIVE)
    token("T-OWNER", renewal_owner="alice")
    token("T-ACTIVE", status=PortToken.Status.ACTIVE)

    shown = shown_serials(get_all(viewer_client, "renewal_owner:is:alice", "status:is:Active"))

    assert shown == ["T-BOTH"]


def test_match_any_requires_one_filter(viewer_client, token):
    token("T-BOTH", renewal_owner="alice", status=PortToken.Status.ACTIVE)
    token("T-OWNER", renewal_owner="alice")
    token("T-ACTIVE", status=PortToken.Status.ACTIVE)
    token("T-NEITHER")

    response = get_all(viewer_client, "renewal_owner:is:alice", "status:is:Active", match="any")

    assert shown_serials(response) == ["T-ACTIVE", "T-BOTH", "T-OWNER"]


def test_match_any_with_no_filters_shows_everything(viewer_client, token):
    token("T-1")
    token("T-2")

    assert shown_serials(get_all(viewer_client, match="any")) == ["T-1", "T-2"]


def test_filter_on_a_hidden_column_still_applies(viewer_client, token):
    token("T-BUYER", order=factories.make_order(customer=factories.make_customer(name="Buyer")))
    token("T-OTHER")

    response = get_all(viewer_client, "customer_name:is:buyer", columns="token_sn,status")

    assert shown_serials(response) == ["T-BUYER"]
    assert "Customer Name</a>" not in response.content.decode()


@pytest.mark.parametrize(
    "value",
    ["100%", "a_b", "back\\slash", "O'Brien", 'say "hi"', "ref:with:colons", "%", "_", "\\"],
)
def test_special_characters_are_literal_text(viewer_client, token, value):
    token("T-MATCH", renewal_owner=f"x {value} y")
    token("T-DECOY", renewal_owner="x 100 abb back slash OBrien say hi ref y")

    assert shown_serials(get_all(viewer_client, f"renewal_owner:contains:{value}")) == ["T-MATCH"]
    shown = shown_serials(get_all(viewer_client, f"renewal_owner:is:x {value} y"))
    assert shown == ["T-MATCH"]


def test_value_is_split_on_the_first_two_colons_only(viewer_client, token):
    token("T-COLON", renewal_owner="a:b:c")
    token("T-PLAIN", renewal_owner="abc")

    assert shown_serials(get_all(viewer_client, "renewal_owner:is:a:b:c")) == ["T-COLON"]


def test_a_bad_filter_is_ignored_and_the_good_ones_still_apply(viewer_client, token):
    token("T-ALICE", renewal_owner="alice")
    token("T-BOB", renewal_owner="bob")

    response = get_all(viewer_client, "renewal_owner:contains:ali", "nonsense:contains:x")

    assert shown_serials(response) == ["T-ALICE"]
    assert "unknown column" in response.content.decode()
