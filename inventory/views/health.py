"""The health check for load balancers: `GET /healthz` answers 200 `{"status": "ok"}` when
the database answers a query, 503 when it does not.

A load balancer probes each app server directly, usually by its address over plain HTTP,
without a login or a cookie, and often with a Host header the site does not serve (the
server's IP). So the check is answered by `HealthCheckMiddleware`, first in MIDDLEWARE:
before the HTTPS redirect, before the host check of ALLOWED_HOSTS, before the login
requirement and before the request log (a probe every few seconds would drown the
log). It reveals nothing but whether this server can reach its database; the primary is
what is checked, since without it nothing works (a replica is checked by its own
monitoring: see the README).
"""

import logging

from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger("inventory.health")

PATH = "/healthz"


def database_answers() -> bool:
    """Whether the primary database answers `SELECT 1` now."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning(
            "Health check: the database does not answer (%s).",
            type(error).__name__,
            extra={"event": "health", "healthy": False},
        )
        return False
    return True


def healthz(request) -> JsonResponse:
    if database_answers():
        response = JsonResponse({"status": "ok"})
    else:
        response = JsonResponse({"status": "unavailable"}, status=503)
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    """Answers GET and HEAD of /healthz before any other middleware sees the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
