"""Text filters on timestamps compare with exactly the text the table shows (Pacific
`YYYY-MM-DD HH:MM`), however the database answers them: by ranges, by tests on the
stored UTC text, or by formatting each row. Checked against the table's own formatting
for moments around every kind of edge: clock changes, day, month and year ends in UTC
and in Pacific Time, the 2007 change of daylight-saving rules, local mean time before
1884, and the first and last years."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.db.models import F
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.columns import COLUMNS_BY_KEY
from inventory.filtering import filter_tokens
from inventory.models import PortToken
from inventory.shown_text import MAX_PLACEMENTS, ShownTimestampContains, placements
from inventory.temporal import condition
from inventory.viewstate import parse_view_state
from tests import factories

COLUMN = COLUMNS_BY_KEY["plan_end_date"]


def edge_moments() -> list[datetime]:
    moments = [
        datetime(1, 1, 1, 7, 52, 58, tzinfo=UTC),  # Pacific 0001-01-01 00:00
        datetime(5, 3, 1, 20, 30, tzinfo=UTC),
        datetime(1883, 11, 18, 19, 59, tzinfo=UTC),  # the last minute of local mean time
        datetime(1883, 11, 18, 20, 1, tzinfo=UTC),
        datetime(1883, 12, 31, 23, 59, tzinfo=UTC),
        datetime(1884, 1, 1, 0, 0, tzinfo=UTC),  # Pacific 1883-12-31 16:00, whole hours
        datetime(1884, 1, 1, 7, 59, tzinfo=UTC),
        datetime(1884, 1, 1, 8, 0, tzinfo=UTC),
        datetime(1942, 2, 9, 10, 30, tzinfo=UTC),  # war time began
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(9999, 12, 31, 7, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 8, 0, tzinfo=UTC),
    ]
    # Both sides of every clock change of these years (each minute, and an hour around).
    for year in (2006, 2007, 2025, 2026, 2037, 2038, 2100, 9998):
        march = datetime(year, 3, 8, 10, tzinfo=UTC)
        while march.weekday() != 6:
            march += timedelta(days=1)
        november = datetime(year, 11, 1, 9, tzinfo=UTC)
        while november.weekday() != 6:
            november += timedelta(days=1)
        for change in (march, november, datetime(year, 4, 2, 10, tzinfo=UTC)):
            for minutes in (-61, -60, -1, 0, 1, 30, 59, 60, 61):
                moments.append(change + timedelta(minutes=minutes))
    # Day, month and year ends in UTC and in Pacific Time, and leap days.
    for moment in (
        datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
        datetime(2026, 1, 1, 7, 30, tzinfo=UTC),
        datetime(2026, 1, 1, 8, 30, tzinfo=UTC),
        datetime(2024, 2, 29, 7, 30, tzinfo=UTC),
        datetime(2024, 3, 1, 7, 59, tzinfo=UTC),
        datetime(2025, 7, 1, 6, 59, 59, 999999, tzinfo=UTC),
        datetime(2025, 7, 31, 23, 59, tzinfo=UTC),
        datetime(2025, 5, 1, 3, 15, 45, tzinfo=UTC),
        datetime(2030, 10, 31, 6, 0, tzinfo=UTC),
    ):
        moments += [moment, moment + timedelta(hours=7), moment + timedelta(hours=8)]
    return moments


MOMENTS = edge_moments()


@pytest.fixture
def shown_texts(people) -> dict[str, str]:
    """One token per moment: Token S/N -> the text the table shows for it."""
    part = factories.make_part()
    PortToken.objects.bulk_create(
        PortToken(serial=f"T{n:04d}", organization=people.org, part=part, plan_end_date=moment)
        for n, moment in enumerate(MOMENTS)
    )
    PortToken.objects.create(serial="T-EMPTY", organization=people.org, part=part)
    return {
        serial: COLUMN.format(value)
        for serial, value in PortToken.objects.values_list("serial", F(COLUMN.path))
    }


def matching(op: str, value: str) -> set[str]:
    state = parse_view_state(QueryDict(urlencode({"filter": f"plan_end_date:{op}:{value}"})))
    assert not state.messages, state.messages
    return set(filter_tokens(PortToken.objects.all(), state).values_list("serial", flat=True))


def parts_of_shown_texts():
    """Pieces of the texts shown: the values people type."""
    texts = [COLUMN.format(moment) for moment in MOMENTS]
    return st.builds(
        lambda text, start, length: text[start : start + length],
        st.sampled_from(texts),
        st.integers(0, 15),
        st.integers(1, 16),
    ).filter(lambda value: value.strip() == value and value)


values = st.one_of(
    parts_of_shown_texts(),
    st.text(alphabet="0123456789-: ", min_size=1, max_size=8).filter(
        lambda value: value.strip() == value
    ),
)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=values)
def test_contains_not_contains_and_is_agree_with_the_text_shown(shown_texts, value):
    contained = {serial for serial, text in shown_texts.items() if text and value in text}
    assert matching("contains", value) == contained
    assert matching("not_contains", value) == set(shown_texts) - contained
    # `is` a day means the whole Pacific day; any other value, the whole text.
    is_day = re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
    assert matching("is", value) == {
        serial
        for serial, text in shown_texts.items()
        if text and (text[:10] if is_day else text) == value
    }


#: Values that fit the shown text in one to four places, each compared by what it says
#: about the fields there: every field whole or in part ('2?' hours, '?3' day, '3?'
#: minutes), the year by its leading, middle or last digits, values spanning the date and
#: the time, and values that say nothing about any field. (A filter's value is stripped,
#: so none starts or ends with a space.)
PLACED_VALUES = [
    ":00",  # minutes
    ":3",  # minutes 30 to 39
    " 23:",  # an hour
    "1 2",  # days 01, 11, 21, 31 and hours 20 to 23
    "9:",  # hours 09 and 19
    "07:",
    "0:0",  # hours 00, 10, 20 and minutes 00 to 09
    "1:4",
    "-12-25",  # month and day
    "-02-29",
    "-07-04",
    "-01-01 0",  # month, day and hours 00 to 09
    "-3",  # days 30 and 31
    "3 1",  # days 03, 13, 23 and hours 10 to 19
    "-12-31 1",
    "-31 23:5",  # day, hour and minutes 50 to 59
    "9-12-31 15:5",  # the year's last digit to the minutes' first
    "2024-12-31 2",
    "83-12-31",  # years ending in 83: 1883 too, from 1884-01-01 UTC on
    "024-",  # years ending in 024
    "-1",  # months 10 to 12, or days 10 to 19
    "5-",  # years ending in 5, or month 05
    "5-1",
    "3-",
    "03-1",
    "11-0",
    "99",  # years 99xx, x99x, xx99
    "88",
    "45",  # years 45xx, x45x, xx45, or minute 45
    "59",
    "-",  # anything, in two places
    ":",
]


@pytest.mark.parametrize("value", PLACED_VALUES)
def test_values_placed_in_a_few_places_agree_with_the_text_shown(shown_texts, value):
    answered = condition(COLUMN, "contains", value)
    assert isinstance(answered.children[0], ShownTimestampContains)
    assert 1 <= len(placements(value)) <= MAX_PLACEMENTS
    contained = {serial for serial, text in shown_texts.items() if text and value in text}
    assert matching("contains", value) == contained
    assert matching("not_contains", value) == set(shown_texts) - contained


def test_each_number_of_places_is_among_the_values_checked():
    assert {len(placements(value)) for value in PLACED_VALUES} == set(range(1, MAX_PLACEMENTS + 1))


def test_the_databases_text_is_the_tables_text_for_every_moment(shown_texts):
    shown = dict(
        PortToken.objects.values_list("serial", COLUMN.display_expression()).exclude(
            serial="T-EMPTY"
        )
    )
    assert shown == {serial: text for serial, text in shown_texts.items() if text}
