"""The column registry: how each kind of value is shown, in Python and in SQL alike."""

from datetime import date, datetime, timedelta

import pytest

from inventory.columns import COLUMNS, COLUMNS_BY_KEY, COLUMNS_BY_LABEL, DEFAULT_COLUMN_KEYS
from inventory.importing import pacific_to_utc
from inventory.models import PortToken
from tests import factories
from tests.factories import utc

TIMESTAMP = COLUMNS_BY_KEY["activation_date"]

# Around both daylight-saving changes of 2025 and in the middle of summer and winter.
MOMENTS = [
    utc(2025, 7, 15, 17, 30),  # 10:30 PDT
    utc(2025, 1, 15, 18, 30),  # 10:30 PST
    utc(2025, 3, 9, 9, 59),  # 01:59 PST, the minute before clocks jump
    utc(2025, 3, 9, 10, 0),  # 03:00 PDT, the minute after
    utc(2025, 11, 2, 8, 30),  # 01:30 PDT, first pass through the repeated hour
    utc(2025, 11, 2, 9, 30),  # 01:30 PST, second pass
    utc(2025, 11, 2, 10, 0),  # 02:00 PST
    utc(2025, 12, 31, 23, 59, 59),  # New Year's Eve 15:59 PST
    utc(2026, 1, 1, 7, 59),  # 23:59 PST on 31 December
    utc(2026, 1, 1, 8, 0),  # 00:00 PST on 1 January
]


def test_the_registry_has_the_25_columns_in_spec_order():
    assert [column.label for column in COLUMNS][:3] == ["Token S/N", "Part No.", "Cloud Plan"]
    assert len(COLUMNS) == 25
    assert COLUMNS_BY_LABEL["Status"].key == "status"
    assert set(DEFAULT_COLUMN_KEYS) <= set(COLUMNS_BY_KEY)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (utc(2025, 7, 15, 17, 30), "2025-07-15 10:30"),  # PDT, UTC-7
        (utc(2025, 1, 15, 18, 30), "2025-01-15 10:30"),  # PST, UTC-8
        (utc(2025, 7, 1, 3, 0), "2025-06-30 20:00"),  # the Pacific day is the day before
        (utc(2025, 11, 2, 8, 30), "2025-11-02 01:30"),
        (utc(2025, 11, 2, 9, 30), "2025-11-02 01:30"),
        (utc(2025, 7, 15, 17, 30, 59), "2025-07-15 10:30"),  # seconds are not shown
        (None, ""),
    ],
)
def test_timestamps_are_shown_in_pacific_time(value, text):
    assert TIMESTAMP.format(value) == text


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("order_date", date(2025, 3, 9), "2025-03-09"),
        ("order_date", datetime(2025, 3, 9, 23, 0), "2025-03-09"),
        ("ship_date", None, ""),
        ("term_years", 3, "3"),
        ("term_years", None, ""),
        ("org_name", "Zürich Ladepark", "Zürich Ladepark"),
        ("renewal_owner", None, ""),
    ],
)
def test_dates_numbers_and_text_are_shown_plainly(key, value, text):
    assert COLUMNS_BY_KEY[key].format(value) == text


def test_every_pacific_minute_of_both_dst_nights_reads_back_as_it_was_written():
    for day in (date(2025, 3, 9), date(2025, 11, 2)):
        start = datetime(day.year, day.month, day.day)
        for minute in range(4 * 60):
            wall = start + timedelta(minutes=minute)
            text = wall.strftime("%Y-%m-%d %H:%M")
            if day.month == 3 and wall.hour == 2:
                with pytest.raises(ValueError, match="does not exist in Pacific Time"):
                    pacific_to_utc(wall)
                continue
            assert TIMESTAMP.format(pacific_to_utc(wall)) == text


def test_the_repeated_november_hour_means_its_first_occurrence():
    assert pacific_to_utc(datetime(2025, 11, 2, 1, 30)) == utc(2025, 11, 2, 8, 30)
    assert pacific_to_utc(datetime(2025, 11, 2, 0, 59)) == utc(2025, 11, 2, 7, 59)


@pytest.mark.django_db
def test_sql_display_matches_python_format_for_timestamps_around_dst_changes():
    organization = factories.make_organization()
    part = factories.make_part()
    for number, moment in enumerate(MOMENTS):
        factories.make_token(
            organization, serial=f"T{number:02d}", part=part, activation_date=moment
        )
    factories.make_token(organization, serial="T99", part=part, activation_date=None)

    rows = (
        PortToken.objects.annotate(shown=TIMESTAMP.display_expression())
        .order_by("serial")
        .values_list("activation_date", "shown")
    )

    for stored, shown in rows:
        assert (shown or "") == TIMESTAMP.format(stored), stored


@pytest.mark.django_db
def test_sql_display_matches_python_format_for_dates_numbers_and_text():
    order = factories.make_order(order_date=date(2025, 3, 9), ship_date=None)
    part = factories.make_part(term_years=5)
    factories.make_token(order=order, part=part, renewal_owner="Owner Ö")
    keys = ["order_date", "ship_date", "term_years", "renewal_owner", "org_id", "evse_id"]
    columns = [COLUMNS_BY_KEY[key] for key in keys]

    row = (
        PortToken.objects.annotate(**{f"shown_{c.key}": c.display_expression() for c in columns})
        .values(*(c.path for c in columns), *(f"shown_{c.key}" for c in columns))
        .get()
    )

    for column in columns:
        assert (row[f"shown_{column.key}"] or "") == column.format(row[column.path]), column.key
    assert row["shown_order_date"] == "2025-03-09"
    assert row["shown_term_years"] == "5"
