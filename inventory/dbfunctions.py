"""Database expressions that turn stored values into the text the table shows.

Filters compare with the text a person sees (`contains:2025-03` on a date column), so the
database must produce that text itself; filtering in Python would not scale. PostgreSQL
does it with `to_char(... AT TIME ZONE ...)` and `lower()`. SQLite has no time zones and
its LOWER/LIKE fold only ASCII, so on SQLite we register two small Python functions; for
speed, SQLite computes Pacific Time itself from 2007 on, when one rule of daylight saving
time holds (see `sqlite_pacific_offset`), and calls Python only for earlier moments.

`date_text` and `timestamp_text` are the one place Python writes a shown date or
timestamp (the table, the CSV and XLSX exports, the SQLite functions): always with a
four-digit year, as PostgreSQL's `to_char` does (`strftime('%Y')` writes year 5 as `5`
on Linux), so that an export of early dates re-imports. The shown formats are named once
for each spelling: `DATE_FORMAT` and `TIMESTAMP_FORMAT` (Python), `PG_DATE_FORMAT` and
`PG_TIMESTAMP_FORMAT` (PostgreSQL's `to_char`, used by the exports' SQL too).
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import models
from django.db.backends.signals import connection_created
from django.db.models import Func

PACIFIC_NAME = "America/Los_Angeles"
PACIFIC = ZoneInfo(PACIFIC_NAME)

#: The shown date (year, month, day) and timestamp (and hour, minute) as Python writes
#: them, with `str.format`: `strftime('%Y')` writes year 5 as `5` on Linux.
DATE_FORMAT = "{:04d}-{:02d}-{:02d}"
TIMESTAMP_FORMAT = DATE_FORMAT + " {:02d}:{:02d}"
#: The same texts as PostgreSQL's `to_char` writes them.
PG_DATE_FORMAT = "YYYY-MM-DD"
PG_TIMESTAMP_FORMAT = "YYYY-MM-DD HH24:MI"


def pg_to_char(sql: str, pattern: str) -> str:
    """SQL writing the date or timestamp `sql` as text in `pattern` (a PG_*_FORMAT)."""
    return f"to_char({sql}, '{pattern}')"


def pg_pacific_wall_time(sql: str) -> str:
    """SQL for the Pacific wall time (a timestamp without time zone) of the moment `sql`."""
    return f"({sql}) AT TIME ZONE '{PACIFIC_NAME}'"


def date_text(day: date) -> str:
    """A date as shown: 'YYYY-MM-DD', the year in four digits."""
    return DATE_FORMAT.format(day.year, day.month, day.day)


def timestamp_text(moment: datetime) -> str:
    """An aware moment as shown: its Pacific wall time 'YYYY-MM-DD HH:MM' (seconds cut,
    as PostgreSQL's to_char does), the year in four digits."""
    try:
        local = moment.astimezone(PACIFIC)
    except OverflowError:
        return _before_year_one(moment)
    return TIMESTAMP_FORMAT.format(local.year, local.month, local.day, local.hour, local.minute)


def _before_year_one(moment: datetime) -> str:
    # Only the first 7 h 53 min of UTC's 0001-01-01 are Pacific wall times before year 1,
    # which Python cannot hold; nothing the app stores is that early (it reads Pacific
    # times), but a row written otherwise must still show. That wall day is 0000-12-31
    # (year 0, as ISO 8601 counts): shift it a day later to compute its hour and minute.
    later = (moment.astimezone(UTC) + timedelta(days=1)).astimezone(PACIFIC)
    return TIMESTAMP_FORMAT.format(0, 12, 31, later.hour, later.minute)


def fold_text(value: str) -> str:
    """Case-fold the way the database side does, for the value a user typed."""
    return value.lower()


def _sqlite_fold(value):
    if value is None:
        return None
    return str(value).lower()


def _sqlite_pacific_text(value):
    """'YYYY-MM-DD HH:MM:SS[.ffffff]' stored in UTC -> 'YYYY-MM-DD HH:MM' Pacific."""
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return timestamp_text(moment)


def _register(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("pt_fold", 1, _sqlite_fold, deterministic=True)
    connection.connection.create_function(
        "pt_pacific_text", 1, _sqlite_pacific_text, deterministic=True
    )


def register_sqlite_functions():
    connection_created.connect(_register, dispatch_uid="inventory.sqlite_functions")


class Fold(Func):
    """Lower-case text, non-ASCII included, on both databases."""

    function = "LOWER"
    output_field = models.TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="pt_fold", **extra_context)


class PacificTimestampText(Func):
    """A UTC timestamp as 'YYYY-MM-DD HH:MM' in America/Los_Angeles."""

    output_field = models.TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = pg_to_char(pg_pacific_wall_time("%(expressions)s"), PG_TIMESTAMP_FORMAT)
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC. Calling Python for every
        # row and every filter is what made many timestamp filters slow (about 3 us a
        # call against 0.6 us), so SQLite computes the text itself wherever the offset
        # follows one rule, and asks Python only for earlier (rare) moments.
        return sqlite_pacific_text(column_sql(compiler, self.source_expressions[0])), ()


# From 2007 on, Pacific daylight saving time runs from the second Sunday of March at 2:00
# PST (10:00 UTC) to the first Sunday of November at 2:00 PDT (09:00 UTC), and the time
# zone database extends that rule to every later year. So the offset is 7 h from mid March
# to October, 8 h from November 8 to early March, and only in the week of each change does
# the Sunday need computing. The literals are not numbers, so SQLite compares them as text
# with the stored value (a column of numeric affinity would turn '2007' into a number).
SQLITE_RULE_FROM = "2007-01-01 00:00:00"


def sqlite_pacific_offset(utc: str) -> str:
    """SQL for the hours to subtract from the stored UTC text `utc` (an SQL expression,
    from SQLITE_RULE_FROM on) to get Pacific Time: 7 or 8."""
    month_day = f"substr({utc}, 6, 5)"
    year = f"substr({utc}, 1, 4)"
    return (
        f"CASE WHEN {month_day} >= '03-15' AND {month_day} < '11-01' THEN 7 "
        f"WHEN {month_day} < '03-08' OR {month_day} >= '11-08' THEN 8 "
        f"WHEN substr({utc}, 6, 2) = '03' THEN CASE "
        f"WHEN {utc} >= date({year} || '-03-08', 'weekday 0') || ' 10:00' THEN 7 ELSE 8 END "
        f"WHEN {utc} >= date({year} || '-11-01', 'weekday 0') || ' 09:00' THEN 8 ELSE 7 END"
    )


def sqlite_pacific_text(utc: str) -> str:
    """SQL for the shown Pacific text of the stored UTC text `utc` (an SQL expression)."""
    return (
        f"CASE WHEN {utc} >= '{SQLITE_RULE_FROM}' THEN "
        # Whole seconds: SQLite rounds to milliseconds, which could carry into the minute.
        # '%%' is how a query with parameters spells '%' (Django's SQLite backend).
        f"strftime('%%Y-%%m-%%d %%H:%%M', substr({utc}, 1, 19), "
        f"'-' || ({sqlite_pacific_offset(utc)}) || ' hours') "
        f"WHEN {utc} IS NULL THEN NULL "
        f"ELSE pt_pacific_text({utc}) END"
    )


def column_sql(compiler, expression) -> str:
    """The compiled SQL of a column `expression`, bracketed, for SQL built around it.

    Such SQL names the column several times; a column compiles without parameters, and
    an expression that needs some is refused rather than given them in the wrong places.
    """
    sql, params = compiler.compile(expression)
    if params:
        raise ValueError(f"{expression!r} compiles with parameters; pass a plain column.")
    return f"({sql})"


class DateText(Func):
    """A date as 'YYYY-MM-DD'."""

    output_field = models.TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = pg_to_char("%(expressions)s", PG_DATE_FORMAT)
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores dates as ISO text already. The CAST drops the column's declared
        # type, which would otherwise make the sqlite3 driver hand back a `date`, not text.
        return self.as_sql(
            compiler, connection, template="CAST(%(expressions)s AS TEXT)", **extra_context
        )


class NumberText(Func):
    """An integer as plain decimal text."""

    output_field = models.TextField()

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="CAST(%(expressions)s AS TEXT)", **extra_context
        )
