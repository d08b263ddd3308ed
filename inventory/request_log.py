"""One log line per web request, and the request id that ties a request's lines together.

`RequestLogMiddleware` comes first in MIDDLEWARE. It takes the request id from the
`X-Request-ID` header when the reverse proxy sent a well-formed one (letters, digits and
`.`, `_`, `:`, `-`, at most 128), or makes one; every line logged while the request is
answered carries it (`inventory.json_logging`), and the response returns it in
`X-Request-ID`. When the response is over it logs one line to `inventory.requests`:

    {"event": "request", "method": "GET", "path": "/inventory/port-tokens/",
     "status": 200, "duration_ms": 41.7, "user_id": 3, "request_id": "...", ...}

The path is logged without its query string (filter values stay out of the logs). A
streamed response (an export) is logged when its last byte has gone or the download was
interrupted, so `duration_ms` is the whole download. 5xx answers are logged at ERROR.
"""

import logging
import re
import time
import uuid

from inventory.json_logging import current_request_id

logger = logging.getLogger("inventory.requests")

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_for(request) -> str:
    """The proxy's request id if it is well-formed, else a new one."""
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if _WELL_FORMED_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        request_id = request_id_for(request)
        request.request_id = request_id
        previous = current_request_id.get()
        current_request_id.set(request_id)
        streaming = False
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            # A file (a static file) may go out through the server's sendfile: logged now.
            streaming = response.streaming and getattr(response, "file_to_stream", None) is None
            if streaming:
                response.streaming_content = self._logged_stream(
                    request, response, started, previous
                )
            else:
                self._log(request, response, started)
            return response
        finally:
            if not streaming:
                current_request_id.set(previous)

    def _logged_stream(self, request, response, started, previous):
        return _StreamEnd(
            response.streaming_content, lambda: self._end(request, response, started, previous)
        )

    def _end(self, request, response, started, previous) -> None:
        self._log(request, response, started)
        current_request_id.set(previous)

    def _log(self, request, response, started) -> None:
        user = getattr(request, "user", None)
        status = response.status_code
        logger.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "event": "request",
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )


class _StreamEnd:
    """Passes a streamed response's pieces on; calls `on_end` once, after the last piece
    or when the server closes the response early (the client went away)."""

    def __init__(self, chunks, on_end):
        self._chunks = iter(chunks)
        self._on_end = on_end

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._chunks)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        on_end, self._on_end = self._on_end, None
        if on_end is not None:
            on_end()
