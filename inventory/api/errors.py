"""How the API answers errors: always JSON with a 4xx code.

A request the API refuses as a whole (a bad piece of view state, a transfer whose fields
are wrong, a bad cursor) is a 400 `{"errors": [{"param", "value", "message"}, ...]}`,
naming every problem at once. Authentication, permission, not-found and throttling keep
DRF's `{"detail": "..."}`.
"""

from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler as drf_exception_handler


class BadRequest(APIException):
    """A 400 whose body lists every problem: `{"errors": [...]}`."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, errors: list[dict]):
        super().__init__("Bad request.")
        self.errors = errors


def error(param: str, value, message: str) -> dict:
    """One problem: the parameter (or body field), the value given, what was wrong."""
    return {"param": param, "value": value, "message": message}


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, BadRequest):
        response.data = {"errors": exc.errors}
    return response
