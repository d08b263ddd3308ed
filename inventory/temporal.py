"""Filters on date and timestamp columns: the calendar's edges, Pacific days as ranges of
stored moments, and text comparisons answered from the shape of the value.

The calendar's edges (the one rule; `viewstate.parse_filter` and `condition` apply it):

- A date in a filter is `YYYY-MM-DD` with a year from 0001 to 9999: the days Python,
  SQLite and PostgreSQL all hold (PostgreSQL holds later years, which Python cannot read).
  Anything else is not a date.
- `before:0001-01-01` and `after:9999-12-31` are refused when the URL is parsed, on every
  date and timestamp column: no day comes before the first or after the last, so such a
  filter is a mistake, and the page says so next to it rather than silently showing
  nothing. The export and the transfer form parse the same way. A `between` range whose
  first day comes after its last, or that lacks one of them, is refused the same way.
- Everything else has an exact answer. A span whose end would fall after 9999-12-31
  (`is:9999-12-31` on a timestamp, `contains:9999`, `after:9999-12-30`, `between` or `in`
  up to that day) runs to the end of the calendar: it has a start and no end, since
  nothing later can be stored.
- Pacific midnight of every day from 0001-01-01 to 9999-12-31 is a moment Python can hold
  (Pacific Time is behind UTC, so its midnights fall within UTC's calendar), so no day
  boundary computed here can overflow.

Shown text. A date column shows `YYYY-MM-DD`, a timestamp column `YYYY-MM-DD HH:MM`
(Pacific). A `contains` or `is` value that cannot appear in, or be, such a text is
decided at once (nothing contains `march`); a whole year, month, day, hour or minute is a
range of stored moments that the database answers from an index. Other values are
compared with each row's shown text (`inventory.shown_text`).
"""

import re
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import F, Q, Value
from django.db.models.lookups import Exact

from inventory.columns import Column, Kind
from inventory.dbfunctions import PACIFIC
from inventory.shown_text import (
    DATE_SHAPE,
    MAX_PLACEMENTS,
    TIMESTAMP_SHAPE,
    ShownTimestampContains,
    can_appear,
    is_shaped,
    placements,
)

#: Between the two days of a `between` filter: `YYYY-MM-DD..YYYY-MM-DD`.
RANGE_SEPARATOR = ".."
FIRST_DAY = date.min  # 0001-01-01
LAST_DAY = date.max  # 9999-12-31
# From the end of Pacific local mean time (1883-11-18) on, every change of the Pacific
# offset falls on a whole hour, so an hour or a minute of wall time is one or two ranges
# of moments. Earlier walls are left to the text comparison.
_WHOLE_HOUR_OFFSETS_FROM = datetime(1884, 1, 1)

#: A condition no row meets. Written out as SQL (1 = 0) rather than Django's `pk__in=[]`,
#: which compiles to no SQL at all and so breaks a query built by hand (the export's COPY).
NOTHING = Q(Exact(Value(1), Value(0)))


def parse_day(text: str) -> date | None:
    """A `YYYY-MM-DD` day from 0001-01-01 to 9999-12-31, or None when the text is not one."""
    if len(text) != 10 or not text.isascii():
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def not_a_day(text: str) -> str:
    """What to say about a text given where a day was needed."""
    return f"{text[:40]!r} is not a date (use YYYY-MM-DD, years 0001 to 9999)"


def day_range(text: str) -> tuple[str, str | None]:
    """A `between` value, `first..last` (two days, the first not after the last), as a
    URL writes it; or, with `text`, the problem with it (a half or reversed range)."""
    first, separator, last = (part.strip() for part in text.partition(RANGE_SEPARATOR))
    if not separator or not first or not last:
        return text, f"Between needs two days, as YYYY-MM-DD{RANGE_SEPARATOR}YYYY-MM-DD"
    for part in (first, last):
        if parse_day(part) is None:
            return text, not_a_day(part)
    if parse_day(first) > parse_day(last):
        return text, f"the range is reversed: {first} comes after {last}"
    return f"{first}{RANGE_SEPARATOR}{last}", None


def edge_problem(op: str, day: date) -> str | None:
    """Why `op` cannot be used with `day` (see the module docstring), or None."""
    if op == "before" and day == FIRST_DAY:
        return "no day comes before 0001-01-01, the first day a filter can name"
    if op == "after" and day == LAST_DAY:
        return "no day comes after 9999-12-31, the last day a filter can name"
    return None


def next_day(day: date) -> date | None:
    """The day after `day`; None after 9999-12-31, the last day there is."""
    return None if day == LAST_DAY else day + timedelta(days=1)


def pacific_day_start(day: date) -> datetime:
    """Midnight of a Pacific calendar day, as an aware datetime (midnight always exists,
    and for every day of the calendar it is a moment Python can hold in UTC)."""
    return datetime.combine(day, time.min, tzinfo=PACIFIC)


def _between(column: Column, start, end) -> Q:
    """Values from `start` on and before `end`; no upper bound when `end` is None."""
    condition = Q(**{f"{column.path}__gte": start})
    if end is not None:
        condition &= Q(**{f"{column.path}__lt": end})
    return condition


def days(column: Column, first: date, after_last: date | None) -> Q:
    """The column's values on the days from `first` up to, not including, `after_last`
    (None: to the end of the calendar). Timestamps: Pacific days."""
    if column.kind is Kind.TIMESTAMP:
        end = None if after_last is None else pacific_day_start(after_last)
        return _between(column, pacific_day_start(first), end)
    return _between(column, first, after_last)


#: Runs of consecutive days that `any_day` still writes as ranges of stored values.
MAX_DAY_RUNS = 50


def any_day(column: Column, chosen: list[date]) -> Q | None:
    """The column's values on any of the `chosen` days (timestamps: Pacific days), as
    one range per run of consecutive days, which the column's index answers; None when
    the days make more than MAX_DAY_RUNS runs (then the day each value shows is compared
    with the list instead)."""
    runs: list[list[date]] = []
    for day in sorted(set(chosen)):
        if runs and next_day(runs[-1][1]) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    if len(runs) > MAX_DAY_RUNS:
        return None
    result = Q()
    for first, last in runs:
        result |= days(column, first, next_day(last))
    return result


def condition(column: Column, op: str, value: str) -> Q | None:
    """The query for a filter on a date or timestamp column when it can be answered
    without each row's shown text; None when the shown text must be compared.

    `value` is as `viewstate.parse_filter` accepted it: stripped, not empty (but for
    `is`), and for `before`/`after` a day that is not at the calendar's edge.
    """
    shape = TIMESTAMP_SHAPE if column.kind is Kind.TIMESTAMP else DATE_SHAPE
    if op in ("before", "after"):
        day = parse_day(value)
        if day is None or edge_problem(op, day):
            return NOTHING  # parse_filter refuses these: a URL never gets here
        if op == "before":
            return _before(column, day)
        return days(column, next_day(day), None)
    if op == "is":
        day = parse_day(value)
        if day is not None:
            return days(column, day, next_day(day))
        if column.kind is Kind.DATE or not is_shaped(value, shape):
            return NOTHING  # no shown text equals it
        return _wall_span(column, value)
    # contains (the caller negates it for not_contains)
    if not can_appear(value, shape):
        return NOTHING
    spanned = _prefix(column, value)
    if spanned is not None or column.kind is Kind.DATE:
        return spanned
    placed = placements(value)
    if len(placed) <= MAX_PLACEMENTS:
        return Q(ShownTimestampContains(F(column.path), value, placed))
    return None


def _before(column: Column, day: date) -> Q:
    bound = pacific_day_start(day) if column.kind is Kind.TIMESTAMP else day
    return Q(**{f"{column.path}__lt": bound})


# --- whole years, months, days, hours and minutes -------------------------------------

#: 'YYYY', 'YYYY-MM', 'YYYY-MM-DD', then for timestamps ' HH' and ':MM'.
_PREFIX = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})(?: ([0-9]{2})(?::[0-9]{2})?)?)?)?")


def _prefix(column: Column, value: str) -> Q | None:
    """The range of values whose shown text contains `value`, for a `value` that is a
    whole year, month, day (or, on a timestamp, hour or minute); else None.

    The shown text is 'YYYY-MM-DD[ HH:MM]' and only the year has four digits in a row,
    so such a value can only match at the start of the text: containing '2025-03'
    means lying in March 2025 (Pacific Time for timestamps).
    """
    match = _PREFIX.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour = (None if part is None else int(part) for part in match.groups())
    if hour is not None:
        return _wall_span(column, value)
    try:
        if month is None:
            first = date(year, 1, 1)
            after = None if year == LAST_DAY.year else date(year + 1, 1, 1)
        elif day is None:
            first = date(year, month, 1)
            after = next_day(date(year, 12, 31)) if month == 12 else date(year, month + 1, 1)
        else:
            first = date(year, month, day)
            after = next_day(first)
    except ValueError:  # year 0, day 31 of a short month: no shown text has it
        return NOTHING
    return days(column, first, after)


def _wall_span(column: Column, wall: str) -> Q | None:
    """Moments whose Pacific wall time, to the minute, starts with `wall` ('YYYY-MM-DD HH'
    or 'YYYY-MM-DD HH:MM'): one range, two in the hour that repeats when daylight saving
    time ends, none in the hour that is skipped when it starts. None before 1884."""
    try:
        start = datetime.fromisoformat(wall + (":00" if len(wall) == 13 else ""))
    except ValueError:
        return NOTHING  # hour 24, minute 60: no shown text has it
    if start < _WHOLE_HOUR_OFFSETS_FROM:
        return None
    length = timedelta(hours=1) if len(wall) == 13 else timedelta(minutes=1)
    moments = set()
    for fold in (0, 1):
        try:
            moment = start.replace(tzinfo=PACIFIC, fold=fold).astimezone(UTC)
        except OverflowError:  # later than 9999-12-31 23:59 UTC: nothing is stored so late
            continue
        if moment.astimezone(PACIFIC).replace(tzinfo=None) == start:  # not skipped
            moments.add(moment)
    spans = []
    for moment in sorted(moments):
        try:
            end = moment + length
        except OverflowError:
            end = None
        spans.append(_between(column, moment, end))
    if not spans:
        return NOTHING
    result = spans[0]
    for span in spans[1:]:
        result |= span
    return result
