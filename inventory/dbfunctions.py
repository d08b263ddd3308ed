"""Database expressions that turn stored values into the text the table shows.

Filters compare with the text a person sees (`contains:2025-03` on a date column), so the
database must produce that text itself; filtering in Python would not scale. PostgreSQL
does it with `to_char(... AT TIME ZONE ...)` and `lower()`. SQLite has no time zones and
its LOWER/LIKE fold only ASCII, so on SQLite we register two small Python functions.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.db import models
from django.db.backends.signals import connection_created
from django.db.models import Func

PACIFIC = ZoneInfo("America/Los_Angeles")
PACIFIC_NAME = "America/Los_Angeles"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"


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
    return moment.astimezone(PACIFIC).strftime(TIMESTAMP_FORMAT)


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
        return self.as_sql(
            compiler,
            connection,
            template=f"to_char((%(expressions)s) AT TIME ZONE '{PACIFIC_NAME}', "
            "'YYYY-MM-DD HH24:MI')",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="pt_pacific_text", **extra_context)


class DateText(Func):
    """A date as 'YYYY-MM-DD'."""

    output_field = models.TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM-DD')", **extra_context
        )

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
