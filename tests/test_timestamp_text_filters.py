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
from inventory.viewstate import parse_view_state
from tests import factories

COLUMN = COLUMNS_BY_KEY["plan_end_date"]


def edge_moments() -> list[datetime]:
    moments = [
        datetime(1, 1, 1, 7, 52, 58, tzinfo=UTC),  # Pacific 0001-01-01 00:00
        datetime(5, 3, 1, 20, 30, tzinfo=UTC),
        datetime(1883, 11, 18, 19, 59, tzinfo=UTC),  # the last minute of local mean time
        datetime(1883, 11, 18, 20, 1, tzinfo=UTC),
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


def test_the_databases_text_is_the_tables_text_for_every_moment(shown_texts):
    shown = dict(
        PortToken.objects.values_list("serial", COLUMN.display_expression()).exclude(
            serial="T-EMPTY"
        )
    )
    assert shown == {serial: text for serial, text in shown_texts.items() if text}
