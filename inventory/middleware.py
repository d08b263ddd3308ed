"""A bound on what one web request may cost the database.

On PostgreSQL every web request's first statement is preceded by `SET statement_timeout`
(the setting `REQUEST_STATEMENT_TIMEOUT`, in seconds; 15 by default, from the environment;
0 turns it off), so one query that a filter made expensive cannot hold a worker and a
database connection for minutes. A statement that runs longer is cancelled by PostgreSQL,
and the user gets a page in the app's look (status 503) that says so and suggests a
narrower filter, instead of a hung page or a server error.

Why `SET` and not `SET LOCAL`: pages run in autocommit, where each statement is its own
transaction and `SET LOCAL` would end with it. A session `SET` outlives the request on a
kept connection (`CONN_MAX_AGE`), so it is set again in every request, and code that runs
outside a request (management commands, imports) opens its own connection without it.
Inside a test's transaction the `SET` is rolled back with the test.

Exports are exempt: a million-row export legitimately streams for a minute, so the
export view calls `lift_statement_timeout()` before its stream starts. The next request
on that connection sets the timeout again.

SQLite has no statement timeout; there the middleware does nothing.
"""

from contextlib import ExitStack

from django.conf import settings
from django.db import connections
from django.db.utils import OperationalError
from django.shortcuts import render

from inventory.selectors import memberships_read_once

#: PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout or on request.
QUERY_CANCELED = "57014"


def request_timeout_ms() -> int:
    """The timeout for a web request's statements in milliseconds (0: none)."""
    seconds = getattr(settings, "REQUEST_STATEMENT_TIMEOUT", 15)
    return max(1, round(seconds * 1000)) if seconds > 0 else 0


def _set_statement_timeout(connection, milliseconds: int) -> None:
    # Straight on the driver's connection: a setting, not one of the page's queries, so
    # it stays out of the query log that tests and benchmarks count.
    with connection.wrap_database_errors:
        connection.connection.execute(f"SET statement_timeout = {int(milliseconds)}")


def _bound_on_first_use(execute, sql, params, many, context):
    """A query wrapper: before the request's first statement, set the timeout."""
    connection = context["connection"]
    pending = getattr(connection, "pending_statement_timeout", None)
    if pending is not None:
        connection.pending_statement_timeout = None
        _set_statement_timeout(connection, pending)
    return execute(sql, params, many, context)


def _postgresql_connections() -> list:
    """The request's PostgreSQL connections: the primary's and, when configured, the read
    replica's (a read sent there must be bounded too)."""
    found = []
    for alias in connections:
        connection = connections[alias]
        if connection.vendor == "postgresql" and connection not in found:
            found.append(connection)
    return found


def lift_statement_timeout() -> None:
    """Let this request's later statements run as long as they need (exports), on the
    primary and the replica alike: the export's rows may be read from either."""
    for connection in _postgresql_connections():
        connection.pending_statement_timeout = None
        if connection.connection is not None:
            # An open connection already had the limit set; a closed one never gets it.
            _set_statement_timeout(connection, 0)


def is_query_canceled(error: BaseException) -> bool:
    """Whether `error` is PostgreSQL cancelling a statement (the timeout ran out)."""
    cause = error.__cause__ or error.__context__
    return isinstance(error, OperationalError) and (
        getattr(cause, "sqlstate", None) == QUERY_CANCELED
    )


class StatementTimeoutMiddleware:
    """Sets the statement timeout for each request's statements; turns a statement that
    ran out of time into the "took too long" page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bounded = _postgresql_connections()
        if not bounded:
            return self.get_response(request)
        # Set with each connection's first statement, not here: a page that needs no
        # database opens no connection, and one that finds the database down says so
        # itself (the health check answers 503).
        with ExitStack() as wrappers:
            for connection in bounded:
                connection.pending_statement_timeout = request_timeout_ms()
                wrappers.callback(setattr, connection, "pending_statement_timeout", None)
                wrappers.enter_context(connection.execute_wrapper(_bound_on_first_use))
            return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_query_canceled(exception):
            return None
        seconds = getattr(settings, "REQUEST_STATEMENT_TIMEOUT", 15)
        return render(
            request,
            "request_timeout.html",
            {"seconds": f"{seconds:g} second{'' if seconds == 1 else 's'}"},
            status=503,
        )


class MembershipsOncePerRequestMiddleware:
    """A request asks for its reader's memberships once (`selectors.memberships_read_once`),
    not once per token query it builds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with memberships_read_once():
            return self.get_response(request)
