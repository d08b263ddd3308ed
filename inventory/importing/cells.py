"""Cell values: how each cell of an import file becomes the value stored for its column.

`convert(column, raw)` gives None for an empty cell and raises ValueError, with a reason
a person can act on, for a cell it cannot read. Text is trimmed and the export's formula
quote undone (`inventory.spreadsheet.restore_neutralized`), so an export re-imports
unchanged; text longer than its database field is refused. Timestamps are Pacific wall
times (`YYYY-MM-DD HH:MM[:SS]` or a spreadsheet's date cell) stored as UTC; dates are
`YYYY-MM-DD`; Term (Years) is a whole number; Status is one of the four, in any case.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from inventory.columns import COLUMNS, Column, Kind
from inventory.dbfunctions import PACIFIC, TIMESTAMP_FORMAT, date_text
from inventory.importing.read import UnsavedFormula
from inventory.models import PortToken
from inventory.spreadsheet import restore_neutralized

STATUSES = {status.lower(): status for status in PortToken.Status.values}
TIMESTAMP_PATTERN = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
WHOLE_NUMBER_PATTERN = re.compile(r"\d+")
MAX_TERM_YEARS = 32767  # PositiveSmallIntegerField


def convert(column: Column, raw):
    """The cell's value for the database: None when empty; ValueError when unreadable."""
    if isinstance(raw, str):
        raw = raw.strip()
        if raw[:1] == "'":
            raw = _unquote(raw)
        if not raw:
            return None
    elif raw is None:
        return None
    elif isinstance(raw, UnsavedFormula):
        raise ValueError(raw.reason())
    return PARSERS[column.key](raw)


def _unquote(text: str) -> str:
    """Undo the export's `'` before text a spreadsheet would run as a formula, so that an
    export re-imports unchanged. Whitespace the quote protected (a tab) is trimmed too."""
    return restore_neutralized(text).strip()


def _text(raw) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a number a spreadsheet stored as 10001.0
    if isinstance(raw, datetime):
        shown = TIMESTAMP_FORMAT.format(raw.year, raw.month, raw.day, raw.hour, raw.minute)
        return f"{shown}:{raw.second:02d}" if raw.second else shown
    if isinstance(raw, date):
        return date_text(raw)
    return str(raw)


def _status(raw) -> str:
    status = STATUSES.get(str(raw).lower())
    if status is None:
        raise ValueError(f"unknown status {raw!r}: use New, Available, Active or Expired.")
    return status


def _timestamp(raw) -> datetime:
    """A Pacific local wall time (text `YYYY-MM-DD HH:MM[:SS]` or a cell) as UTC."""
    if isinstance(raw, str):
        return _timestamp_text(raw)
    if isinstance(raw, datetime):
        if raw.tzinfo is not None:
            return raw.astimezone(UTC)
        # Spreadsheet times are fractions of a day; round off the float noise.
        wall = (raw + timedelta(microseconds=500_000)).replace(microsecond=0)
    elif isinstance(raw, date):
        wall = datetime.combine(raw, time())
    else:
        raise ValueError(f"{raw!r} is not a time: write YYYY-MM-DD HH:MM (Pacific Time).")
    return pacific_to_utc(wall)


# Exports repeat times (applied = plan start) and dates (one order, many tokens): a cache
# of the text's meaning saves a good part of a large import's reading time.
@lru_cache(maxsize=65536)
def _timestamp_text(text: str) -> datetime:
    match = TIMESTAMP_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time: write YYYY-MM-DD HH:MM (Pacific Time).")
    try:
        wall = datetime(*(int(part or 0) for part in match.groups()))
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date and time.") from None
    return pacific_to_utc(wall)


def pacific_to_utc(wall: datetime) -> datetime:
    """A naive Pacific wall time as an aware UTC datetime.

    In the November repeated hour the first occurrence (daylight time) is meant. A time
    in the March gap does not exist on Pacific clocks: ValueError.
    """
    try:
        moment = wall.replace(tzinfo=PACIFIC, fold=0).astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{wall:%Y-%m-%d %H:%M} is out of range.") from None
    if moment.astimezone(PACIFIC).replace(tzinfo=None) != wall:
        raise ValueError(
            f"{wall:%Y-%m-%d %H:%M} does not exist in Pacific Time "
            "(clocks jump from 02:00 to 03:00 that night)."
        )
    return moment


def _date(raw) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    return _date_text(str(raw))


@lru_cache(maxsize=65536)
def _date_text(text: str) -> date:
    if DATE_PATTERN.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD.")


def _whole_number(raw) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a whole number.")
    if (
        isinstance(raw, int)
        or (isinstance(raw, float) and raw.is_integer())
        or (isinstance(raw, str) and WHOLE_NUMBER_PATTERN.fullmatch(raw))
    ):
        number = int(raw)
    else:
        raise ValueError(f"{raw!r} is not a whole number.")
    # The database refuses a term of 0 too: a plan runs for at least a year.
    if not 1 <= number <= MAX_TERM_YEARS:
        raise ValueError(f"{number} is out of range (1 to {MAX_TERM_YEARS}).")
    return number


def _max_lengths() -> dict[str, int]:
    """Column key -> the max_length of the text field its path ends at."""
    limits = {}
    for column in COLUMNS:
        model = PortToken
        *relations, name = column.path.split("__")
        for relation in relations:
            model = model._meta.get_field(relation).related_model
        max_length = getattr(model._meta.get_field(name), "max_length", None)
        if max_length:
            limits[column.key] = max_length
    return limits


MAX_LENGTHS = _max_lengths()


def _limited_text(limit: int | None):
    def parse(raw) -> str:
        text = _text(raw)
        if limit is not None and len(text) > limit:
            raise ValueError(f"longer than {limit} characters.")
        if "\x00" in text:
            # PostgreSQL text cannot hold it; refuse it on SQLite too, for one behaviour.
            raise ValueError("contains a NUL character.")
        return text

    return parse


def _parser(column: Column):
    if column.key == "status":
        return _status
    return {
        Kind.TIMESTAMP: _timestamp,
        Kind.DATE: _date,
        Kind.NUMBER: _whole_number,
    }.get(column.kind) or _limited_text(MAX_LENGTHS.get(column.key))


#: Column key -> how a non-empty cell becomes the stored value (ValueError if it cannot).
PARSERS = {column.key: _parser(column) for column in COLUMNS}
