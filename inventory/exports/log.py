"""The export log: every export leaves one row in `ExportLog` and one line in the
`inventory` logger.

The row is written when the export starts (outcome "running") and closed when its stream
ends: "finished" with the row count and completion time after the last byte, or "failed"
with the reason when an error stops the stream or the download is interrupted (the
server closes the response before the last byte: the client went away). So no row stays
"running" once its response is over.

At that moment one line goes to the `inventory.exports` logger (a child of `inventory`):
a JSON object a log pipeline can parse, for example

    {"event": "export", "export_id": 7, "user_id": 3, "username": "amy", "format": "csv",
     "scope": "visible", "rows": 1234, "seconds": 1.52, "outcome": "finished", "failure": ""}

on one line, at INFO when finished and WARNING when failed.
"""

import json
import logging
import time
from collections.abc import Callable, Iterator

from django.utils import timezone

from inventory.models import ExportLog

logger = logging.getLogger("inventory.exports")

INTERRUPTED = "the download was interrupted before its end"


def start_log(*, user, file_format: str, scope: str, query_string: str) -> ExportLog:
    """The log row of an export that starts now."""
    return ExportLog.objects.create(
        user=user, file_format=file_format, scope=scope, query_string=query_string
    )


class LoggedStream:
    """An export's bytes, passed on as they come, closing the export's log at the end.

    `write(finish)` starts the writer: a generator of the file's bytes that calls
    `finish(row_count)` after the last row. The response calls `close` when it ends; if
    the last byte has not been produced by then, the download was interrupted.
    """

    def __init__(self, log: ExportLog, write: Callable[[Callable[[int], None]], Iterator[bytes]]):
        self._log = log
        self._started = time.monotonic()
        self._open = True
        self._row_count: int | None = None
        self._chunks = write(self._count)

    def _count(self, row_count: int) -> None:
        self._row_count = row_count

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        if not self._open:
            raise StopIteration
        try:
            return next(self._chunks)
        except StopIteration:
            self._close(ExportLog.Outcome.FINISHED)
            raise
        except Exception as error:
            self._close(
                ExportLog.Outcome.FAILED,
                f"the export stopped on a server error ({type(error).__name__})",
            )
            raise

    def close(self) -> None:
        if not self._open:
            return
        try:
            self._chunks.close()  # ends the query and gives its cursor back
        finally:
            self._close(ExportLog.Outcome.FAILED, INTERRUPTED)

    def _close(self, outcome: str, failure: str = "") -> None:
        self._open = False
        seconds = round(time.monotonic() - self._started, 3)
        log = self._log
        finished = outcome == ExportLog.Outcome.FINISHED
        changes = {"outcome": outcome, "failure": failure[:500]}
        if finished:
            changes |= {"row_count": self._row_count, "completed_at": timezone.now()}
        try:
            ExportLog.objects.filter(pk=log.pk).update(**changes)
        except Exception:
            # Nothing more can be done for the row (the database is what failed); the
            # line below still records the export.
            logger.exception("The log row of export %s could not be closed.", log.pk)
        line = {
            "event": "export",
            "export_id": log.pk,
            "user_id": log.user_id,
            "username": log.user.get_username(),
            "format": log.file_format,
            "scope": log.scope,
            "rows": self._row_count if finished else None,
            "seconds": seconds,
            "outcome": outcome,
            "failure": failure,
        }
        logger.log(
            logging.INFO if finished else logging.WARNING,
            json.dumps(line, ensure_ascii=False, separators=(", ", ": ")),
        )
