"""Log lines as one JSON object each, on standard output, for a log pipeline to parse.

`JsonFormatter` turns every record into one line such as

    {"time": "2026-12-01T05:02:03.456+00:00", "level": "INFO", "logger": "inventory.requests",
     "request_id": "5f0c...", "message": "GET /healthz 200", "event": "request", ...}

(on one line). A message that is itself a JSON object (the export log writes its line
so) is merged into the line instead of being quoted; fields passed with `extra=` become
fields of the line; a traceback becomes the `exception` field, so a line never breaks.
`request_id` names the web request that was being answered when the line was written
(see `inventory.request_log`), so an export's or a failure's line can be matched with its
request's line.

`StdoutHandler` writes to whatever `sys.stdout` is when the line is written, so a test
runner that captures output gets the lines and a process that replaced its standard
output later never writes to a closed stream.
"""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

#: The id of the web request being answered (None outside one).
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "taskName"}


def _json_object(text: str) -> dict | None:
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        request_id = current_request_id.get()
        if request_id is not None:
            line["request_id"] = request_id
        message = record.getMessage()
        fields = _json_object(message)
        if fields is None:
            line["message"] = message
        else:
            line.update(fields)
        line.update(
            (key, value) for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class StdoutHandler(logging.StreamHandler):
    """A StreamHandler bound to the current `sys.stdout` at each write."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        # StreamHandler sets its stream once; this handler always looks it up instead.
        pass
