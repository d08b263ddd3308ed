"""An export request: the query string read into an `ExportRequest`, the file's name, and
`start_export`, which logs the export and hands back its byte stream.

An export takes the table's view state (filters, match, columns, sort), the user's visible
tokens and, optionally, a list of selected Token S/Ns, and streams every matching row in
the table's order, the same tokens the table lists (`selectors.matching_tokens`).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db.models import QuerySet
from django.utils import timezone

from inventory.columns import COLUMNS, Column
from inventory.dbfunctions import PACIFIC
from inventory.exports.csv_stream import csv_chunks
from inventory.exports.log import LoggedStream, start_log
from inventory.exports.xlsx import xlsx_chunks
from inventory.models import ExportLog
from inventory.selectors import matching_tokens
from inventory.viewstate import ViewState, parse_view_state

FORMATS = ("csv", "xlsx")
SCOPES = ("visible", "all")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
WRITERS = {"csv": csv_chunks, "xlsx": xlsx_chunks}
#: The moment in a file's name, in Pacific Time.
FILENAME_STAMP_FORMAT = "%Y%m%d-%H%M%S"


class ExportError(ValueError):
    """A request the export cannot serve; the message says what to change."""


@dataclass(frozen=True)
class ExportRequest:
    file_format: str
    scope: str
    state: ViewState
    serials: tuple[str, ...] = ()

    @property
    def columns(self) -> list[Column]:
        """`visible`: the table's columns in display order; `all`: the 25 in SPEC order."""
        return list(COLUMNS) if self.scope == "all" else list(self.state.columns)


@dataclass
class Export:
    """A started export: the response's name and type, and its bytes as they come."""

    filename: str
    content_type: str
    chunks: Iterator[bytes]
    log: ExportLog


def parse_export_request(query_dict, saved_keys: list[str] | None = None) -> ExportRequest:
    """Read format, scope, view state and `token=` from the query string.

    The view state is parsed exactly as the table parses it (bad pieces are ignored).
    A missing or unknown format, or an unknown scope, raises ExportError.
    """
    file_format = (query_dict.get("format") or "").strip().lower()
    if file_format not in FORMATS:
        shown = f" {file_format[:20]!r}" if file_format else ""
        raise ExportError(f"Unknown export format{shown}: use format=csv or format=xlsx.")
    scope = (query_dict.get("scope") or "visible").strip().lower()
    if scope not in SCOPES:
        raise ExportError(f"Unknown export scope {scope[:20]!r}: use scope=visible or scope=all.")
    # NUL cannot be in a serial (and PostgreSQL refuses it in a query): drop it.
    cleaned = (raw.replace("\x00", "").strip() for raw in query_dict.getlist("token"))
    serials = tuple(dict.fromkeys(serial for serial in cleaned if serial))
    return ExportRequest(file_format, scope, parse_view_state(query_dict, saved_keys), serials)


def export_queryset(user, export_request: ExportRequest) -> QuerySet:
    """Every token the table would list for this state (all pages), in the table's order,
    narrowed to the selected serials when some are given. Only the user's tokens."""
    return matching_tokens(user, export_request.state, serials=export_request.serials or None)


def export_filename(scope: str, file_format: str, moment: datetime | None = None) -> str:
    """`port-tokens-<scope>-<YYYYMMDD-HHMMSS>.<format>`, stamped in Pacific Time."""
    moment = (moment or timezone.now()).astimezone(PACIFIC)
    return f"port-tokens-{scope}-{moment:{FILENAME_STAMP_FORMAT}}.{file_format}"


def start_export(*, user, export_request: ExportRequest, query_string: str) -> Export:
    """Log the export and return its byte stream. The log is closed when the stream ends:
    finished with its row count, or failed with the reason (see `inventory.exports.log`)."""
    file_format = export_request.file_format
    log = start_log(
        user=user, file_format=file_format, scope=export_request.scope, query_string=query_string
    )
    queryset = export_queryset(user, export_request)
    write = partial(WRITERS[file_format], queryset, export_request.columns)
    return Export(
        filename=export_filename(export_request.scope, file_format, log.created_at),
        content_type=CONTENT_TYPES[file_format],
        chunks=LoggedStream(log, write),
        log=log,
    )
