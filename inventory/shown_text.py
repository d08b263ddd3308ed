"""A value compared with the text a date or timestamp column shows, from its shape.

A date column shows `YYYY-MM-DD`, a timestamp column `YYYY-MM-DD HH:MM` (Pacific). Where a
value can lie in such a text, and what it then says about the stored value, is decided
here once for the value rather than for every row.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, Func, Value
from django.db.models.functions import StrIndex

from inventory.dbfunctions import (
    SQLITE_RULE_FROM,
    PacificTimestampText,
    column_sql,
    pg_pacific_wall_time,
    sqlite_pacific_offset,
)

# --- the value's shape ----------------------------------------------------------------

#: The shown texts, `d` standing for a digit.
DATE_SHAPE = "dddd-dd-dd"
TIMESTAMP_SHAPE = "dddd-dd-dd dd:dd"
# Where a two-digit field starts in the shown text, and the values it may hold.
_FIELD_VALUES = {
    5: range(1, 13),  # month
    8: range(1, 32),  # day
    11: range(0, 24),  # hour
    14: range(0, 60),  # minute
}
_DIGITS = frozenset("0123456789")


def fits(value: str, shape: str, at: int) -> bool:
    """Whether `value` can be the shown text's characters from position `at` on: digits
    where the shape has digits, its punctuation elsewhere, and every month, day, hour or
    minute it gives (even in part) one that exists."""
    if at + len(value) > len(shape):
        return False
    given: list[str | None] = [None] * len(shape)
    for position, character in enumerate(value, start=at):
        expected = shape[position]
        if character not in _DIGITS if expected == "d" else character != expected:
            return False
        given[position] = character
    return all(
        _possible(given[start : start + 2], allowed)
        for start, allowed in _FIELD_VALUES.items()
        if start < len(shape)
    )


def _possible(given: list[str | None], allowed: range) -> bool:
    """Whether some allowed two-digit value has the given digits (None: any digit)."""
    return any(
        all(g is None or g == d for g, d in zip(given, f"{n:02d}", strict=True)) for n in allowed
    )


def can_appear(value: str, shape: str) -> bool:
    """Whether some shown text of this shape could contain `value`."""
    return any(fits(value, shape, at) for at in range(len(shape) - len(value) + 1))


def is_shaped(value: str, shape: str) -> bool:
    """Whether `value` could be a whole shown text of this shape."""
    return len(value) == len(shape) and fits(value, shape, 0)


# --- any other text contained in a timestamp's shown text ------------------------------
#
# Formatting each row's timestamp costs about 0.6 us on SQLite (3 us when it was a Python
# function), for every row and every such filter: twenty of them over 100,000 tokens took
# seconds. But a value fits the shown text 'YYYY-MM-DD HH:MM' only in a few places
# (`-07-04` only as month and day, `:30` only as minutes), and in each place it says
# something about the stored UTC text that SQLite tests with a few string comparisons:
# the minutes are the same in UTC; the Pacific hour is the UTC hour less 7 or 8 (the
# offset of that moment); the Pacific date is the UTC date, or the day before when the
# UTC hour is less than the offset. A value that fits in more places (a single digit)
# costs more that way than formatting, so it is compared with the formatted text.

#: A value placed in more ways than this is compared with the formatted text.
MAX_PLACEMENTS = 4
_HOURS = range(24)
_LITERAL_SAFE = frozenset("0123456789-: ")


@dataclass(frozen=True)
class Placement:
    """What a value says about the shown text when it lies at one position in it: GLOB
    patterns for the date ('????-07-04') and the minutes ('3?'), and the Pacific hours it
    allows. None where it says nothing."""

    date: str | None
    hours: frozenset[int] | None
    minute: str | None


def placements(value: str) -> list[Placement]:
    """Every way `value` can lie in a timestamp's shown text."""
    found = []
    for at in range(len(TIMESTAMP_SHAPE) - len(value) + 1):
        if not fits(value, TIMESTAMP_SHAPE, at):
            continue
        text = ["?"] * len(TIMESTAMP_SHAPE)
        text[at : at + len(value)] = value
        date_pattern = "".join(text[:10])
        hour_pattern, minute = text[11:13], "".join(text[14:16])
        hours = frozenset(
            h
            for h in _HOURS
            if all(g in ("?", d) for g, d in zip(hour_pattern, f"{h:02d}", strict=True))
        )
        found.append(
            Placement(
                date=None if set(date_pattern) <= {"?", "-"} else date_pattern,
                hours=None if hours == frozenset(_HOURS) else hours,
                minute=None if minute == "??" else minute,
            )
        )
    return found


def _in_hours(utc: str, hours) -> str:
    """SQL true when the UTC hour of the stored text `utc` is one of `hours`."""
    ordered = sorted(hours)
    if len(ordered) == 24:
        return ""
    if len(ordered) > 2 and ordered[-1] - ordered[0] == len(ordered) - 1:
        return f"substr({utc}, 12, 2) BETWEEN '{ordered[0]:02d}' AND '{ordered[-1]:02d}'"
    listed = ", ".join(f"'{hour:02d}'" for hour in ordered)
    return f"substr({utc}, 12, 2) IN ({listed})"


def _text_is(text: str, pattern: str) -> str:
    """SQL true when the start of `text` (SQL) matches the GLOB `pattern`; a plain
    comparison when the fixed characters are in one piece (the usual case, and cheaper)."""
    fixed = [i for i, character in enumerate(pattern) if character != "?"]
    first, last = fixed[0], fixed[-1]
    piece = pattern[first : last + 1]
    if "?" not in piece:
        return f"substr({text}, {first + 1}, {len(piece)}) = '{piece}'"
    return f"substr({text}, 1, {len(pattern)}) GLOB '{pattern}'"


def _sqlite_placement(utc: str, placement: Placement) -> str:
    """SQL true when the stored UTC text `utc` (from SQLITE_RULE_FROM on) shows the value
    placed so.

    Each UTC hour says, for each of the two offsets, which Pacific hour it is and whether
    the Pacific date is the same day or the day before. Most UTC hours give the same
    answer under both offsets; only for the others (often none or one or two hours) is
    the moment's own offset computed.
    """
    hours = placement.hours if placement.hours is not None else frozenset(_HOURS)
    # (offset -> day) for every UTC hour at which the placed Pacific hour can be.
    date = placement.date
    cases: dict[int, dict[int, str]] = {}
    for offset in (7, 8):
        for utc_hour in _HOURS:
            if (utc_hour - offset) % 24 in hours:
                # Without a date to test, the day does not matter.
                day = "same" if utc_hour >= offset or date is None else "before"
                cases.setdefault(utc_hour, {})[offset] = day
    # Per day: a cheap test to make first, and a dear one to make after the hour's.
    day_tests = {"same": ("", ""), "before": ("", "")}
    if date is not None:
        day_tests["same"] = (_text_is(utc, date), "")
        day_tests["before"] = (
            _next_day_could_be(utc, date),
            _text_is(f"date(substr({utc}, 1, 10), '-1 day')", date),
        )

    def branch(utc_hours, day: str) -> str:
        cheap, dear = day_tests[day]
        tests = (cheap, _in_hours(utc, utc_hours), dear)
        return " AND ".join(test for test in tests if test) or "1"

    branches = []
    for day in ("same", "before"):
        agreed = {h for h, by in cases.items() if by.get(7) == day and by.get(8) == day}
        if agreed:
            branches.append(branch(agreed, day))
    split = {h: by for h, by in cases.items() if by.get(7) != by.get(8)}
    if split:
        per_offset = []
        for offset in (7, 8):
            tests = [
                f"({branch(chosen, day)})"
                for day in ("same", "before")
                if (chosen := {h for h, by in split.items() if by.get(offset) == day})
            ]
            per_offset.append(" OR ".join(tests) or "0")
        moment_offset = sqlite_pacific_offset(utc)
        branches.append(
            f"{_in_hours(utc, split)} AND ((({moment_offset}) = 7 AND ({per_offset[0]})) "
            f"OR (({moment_offset}) = 8 AND ({per_offset[1]})))"
        )
    tests = [f"substr({utc}, 15, 2) GLOB '{placement.minute}'"] if placement.minute else []
    if not branches:
        tests.append("0")
    elif "1" not in branches:
        tests.append("(" + " OR ".join(f"({branch})" for branch in branches) + ")")
    return " AND ".join(tests) or "1"


def _next_day_could_be(utc: str, date_pattern: str) -> str:
    """A cheap test that the UTC day of `utc` may follow a Pacific day of this pattern, or ''
    when the pattern fixes neither the day nor the month."""
    day_digits, month_digits = date_pattern[8:10], date_pattern[5:7]
    if day_digits != "??":
        listed = ", ".join(f"'{d:02d}'" for d in _days_after(day_digits))
        return f"substr({utc}, 9, 2) IN ({listed})"
    if month_digits != "??":
        listed = ", ".join(f"'{m:02d}'" for m in _months_of_or_after(month_digits))
        return f"substr({utc}, 6, 2) IN ({listed})"
    return ""


def _days_after(day_digits: str) -> list[int]:
    """The days of the month that can follow a day with these digits ('2?', '?5')."""
    days_ = [d for d in range(1, 32) if _digits_match(day_digits, d)]
    return sorted({d + 1 for d in days_ if d < 31} | ({1} if max(days_) >= 28 else set()))


def _months_of_or_after(month_digits: str) -> list[int]:
    """The months with these digits and the months after them."""
    months = [m for m in range(1, 13) if _digits_match(month_digits, m)]
    return sorted(set(months) | {m % 12 + 1 for m in months})


def _digits_match(pattern: str, number: int) -> bool:
    return all(p in ("?", d) for p, d in zip(pattern, f"{number:02d}", strict=True))


# PostgreSQL formats a row's text (to_char, then strpos) in about 0.3 us, twenty filters
# over a million tokens in seconds; a field of the Pacific wall time costs about 0.1 us
# (the time zone's rules), a field of the UTC moment itself a fraction of that. From 1884 on,
# every Pacific offset is 7 or 8 whole hours, so the minutes are UTC's, and the Pacific
# hour, day, month and year are those of UTC or at most one less. Each placement is
# tested first on UTC fields (exactly for the minutes; for the other fields, whether they
# can be those of the Pacific wall time at all, which most rows are not), and only the
# rows left are tested on the fields of the Pacific wall time. Earlier moments (local
# mean time, years before 1000) keep the formatted text.

#: From here on every Pacific offset is a whole number of hours.
PG_WHOLE_HOUR_OFFSETS_FROM = "1884-01-01 00:00:00+00"


def _pg_field(timestamp: str, field: str) -> str:
    """SQL for a field of the timestamp `timestamp` (SQL), as an integer."""
    return f"date_part('{field}', {timestamp})::int"


def _pg_digits(number: str, digits: str) -> str:
    """SQL true when the integer `number`, written with as many digits as `digits`, has
    the given ones ('1?', '?5', '?02?', '2024'): the given digits of a shown text are
    always in one run, so this is a range (leading digits) or a remainder."""
    given = [i for i, character in enumerate(digits) if character != "?"]
    first, last = given[0], given[-1]
    run, scale = int(digits[first : last + 1]), 10 ** (len(digits) - 1 - last)
    if first == 0:  # leading digits: a range
        low = run * scale
        return (
            f"{number} = {low}" if scale == 1 else f"{number} BETWEEN {low} AND {low + scale - 1}"
        )
    shifted = number if scale == 1 else f"({number} / {scale})"
    return f"mod({shifted}, {10 ** (last - first + 1)}) = {run}"


def _pg_one_of(number: str, values) -> str:
    """SQL true when the integer `number` is one of `values`."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return f"{number} = {ordered[0]}"
    if ordered[-1] - ordered[0] == len(ordered) - 1:
        return f"{number} BETWEEN {ordered[0]} AND {ordered[-1]}"
    return f"{number} IN ({', '.join(map(str, ordered))})"


def _pg_placement(utc: str, wall: str, placement: Placement) -> str:
    """SQL true when a moment from PG_WHOLE_HOUR_OFFSETS_FROM on shows the value placed
    so; `utc` is the moment as a UTC timestamp, `wall` its Pacific wall time (SQL)."""
    date = placement.date or "????-??-??"
    year, month, day = date[:4], date[5:7], date[8:10]
    on_utc, on_wall = [], []
    if placement.minute:
        on_utc.append(_pg_digits(_pg_field(utc, "minute"), placement.minute))
    if day != "??":
        utc_days = [d for d in range(1, 32) if _digits_match(day, d)] + _days_after(day)
        on_utc.append(_pg_one_of(_pg_field(utc, "day"), set(utc_days)))
        on_wall.append(_pg_digits(_pg_field(wall, "day"), day))
    if placement.hours is not None:
        utc_hours = {(hour + offset) % 24 for hour in placement.hours for offset in (7, 8)}
        if len(utc_hours) < 24:
            on_utc.append(_pg_one_of(_pg_field(utc, "hour"), utc_hours))
        on_wall.append(_pg_one_of(_pg_field(wall, "hour"), placement.hours))
    if year != "????":
        utc_year = _pg_field(utc, "year")
        on_utc.append(f"({_pg_digits(utc_year, year)} OR {_pg_digits(f'({utc_year} - 1)', year)})")
        on_wall.append(_pg_digits(_pg_field(wall, "year"), year))
    if month != "??":
        on_utc.append(_pg_one_of(_pg_field(utc, "month"), _months_of_or_after(month)))
        on_wall.append(_pg_digits(_pg_field(wall, "month"), month))
    # PostgreSQL evaluates AND from the left and stops at the first false.
    return " AND ".join(on_utc + on_wall) or "TRUE"


class ShownTimestampContains(Func):
    """True when a timestamp column's shown text contains `value`, a value placed in
    `placements` (see above); SQL NULL for an empty field."""

    output_field = BooleanField()

    def __init__(self, expression, value: str, placements: list[Placement]):
        super().__init__(expression)
        self.value = value
        self.placements = placements

    def as_sql(self, compiler, connection, **extra_context):
        text = StrIndex(PacificTimestampText(self.source_expressions[0]), Value(self.value))
        sql, params = compiler.compile(text)
        return f"({sql} > 0)", params

    def as_postgresql(self, compiler, connection, **extra_context):
        column = column_sql(compiler, self.source_expressions[0])
        # A timestamptz's fields are those of the session's time zone: Django sets it to
        # UTC (with USE_TZ), unless the database settings name another.
        utc = column if connection.timezone_name == "UTC" else f"({column} AT TIME ZONE 'UTC')"
        wall = pg_pacific_wall_time(column)
        placed = " OR ".join(f"({_pg_placement(utc, wall, p)})" for p in self.placements)
        formatted, params = self.as_sql(compiler, connection)
        return (
            f"(({column} >= '{PG_WHOLE_HOUR_OFFSETS_FROM}' AND ({placed})) "
            f"OR ({column} < '{PG_WHOLE_HOUR_OFFSETS_FROM}' AND {formatted}))"
        ), params

    def as_sqlite(self, compiler, connection, **extra_context):
        utc = column_sql(compiler, self.source_expressions[0])
        placed = " OR ".join(f"({_sqlite_placement(utc, p)})" for p in self.placements)
        # Before SQLITE_RULE_FROM (and for NULL), the formatted text decides. The value
        # fits the shown text, so it holds only digits, '-', ':' and ' ': a safe literal.
        assert set(self.value) <= _LITERAL_SAFE
        # No CASE around the tests: SQLite (3.40) stops early in AND and OR only where
        # they decide a WHERE clause, not where they compute a value such as a CASE's.
        formatted = f"instr(pt_pacific_text({utc}), '{self.value}') > 0"
        return (
            f"(({utc} >= '{SQLITE_RULE_FROM}' AND ({placed})) "
            f"OR ({utc} < '{SQLITE_RULE_FROM}' AND {formatted}))"
        ), ()
