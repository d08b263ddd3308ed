"""Every export is logged twice: a row in the export log that ends finished or failed, and
one JSON line in the `inventory` logger (user, format, scope, rows, seconds, outcome)."""

import json
import logging

import pytest
from django.urls import reverse

from inventory.exports import streaming, xlsx
from inventory.models import ExportLog
from tests import factories

URL = reverse("inventory:port_tokens_export")


@pytest.fixture
def three_tokens(people):
    for serial in ("T1", "T2", "T3"):
        factories.make_token(people.org, serial)


def export_lines(caplog) -> list[dict]:
    """The export lines logged, parsed: each must be one JSON object on one line."""
    lines = []
    for record in caplog.records:
        if record.name.startswith("inventory") and record.getMessage().startswith("{"):
            message = record.getMessage()
            assert "\n" not in message
            lines.append(json.loads(message) | {"level": record.levelname})
    return lines


@pytest.fixture
def failing_rows(monkeypatch):
    """Rows stop coming after the first with an error, on either database's path."""

    def failing(original):
        def rows(*args, **kwargs):
            source = original(*args, **kwargs)
            try:
                yield next(source)
            finally:
                source.close()
            raise RuntimeError("the disk is full")

        return rows

    monkeypatch.setattr(streaming, "stored_rows", failing(streaming.stored_rows))
    monkeypatch.setattr(streaming, "copy_rows", failing(streaming.copy_rows))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_finished_export_is_logged_with_rows_and_one_json_line(
    manager_client, people, three_tokens, caplog, file_format
):
    caplog.set_level(logging.INFO, logger="inventory")

    response = manager_client.get(URL, {"format": file_format, "scope": "all"})
    log = ExportLog.objects.get()
    assert log.outcome == "running"
    assert export_lines(caplog) == []  # nothing is logged before the stream ends

    b"".join(response.streaming_content)

    log.refresh_from_db()
    assert (log.outcome, log.row_count, log.failure) == ("finished", 3, "")
    assert log.completed_at >= log.created_at
    [line] = export_lines(caplog)
    assert line == {
        "event": "export",
        "export_id": log.pk,
        "user_id": people.manager.pk,
        "username": "manager",
        "format": file_format,
        "scope": "all",
        "rows": 3,
        "seconds": line["seconds"],
        "outcome": "finished",
        "failure": "",
        "level": "INFO",
    }
    assert 0 <= line["seconds"] < 60


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_that_fails_while_streaming_is_logged_as_failed_with_the_reason(
    manager_client, three_tokens, failing_rows, caplog, file_format
):
    response = manager_client.get(URL, {"format": file_format, "scope": "visible"})

    # The error reaches the server, which breaks the download off: a half file is never
    # passed off as a whole one.
    with pytest.raises(RuntimeError, match="the disk is full"):
        b"".join(response.streaming_content)

    log = ExportLog.objects.get()
    assert log.outcome == "failed"
    assert log.failure == "the export stopped on a server error (RuntimeError)"
    assert log.row_count is None and log.completed_at is None
    [line] = export_lines(caplog)
    assert (line["outcome"], line["rows"], line["level"]) == ("failed", None, "WARNING")
    assert line["failure"] == "the export stopped on a server error (RuntimeError)"


# Run as in production, in autocommit: on PostgreSQL an abandoned COPY is cancelled, which
# would abort the whole test transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_download_the_client_abandons_is_logged_as_interrupted(
    manager_client, people, file_format, caplog, monkeypatch
):
    factories.make_tokens(people.org, 3000)
    # Small pieces (and sheets), so that the file leaves in several.
    monkeypatch.setattr(xlsx, "SHEET_MAX_ROWS", 500)
    monkeypatch.setattr(streaming, "STREAM_CHUNK_BYTES", 1024)
    response = manager_client.get(URL, {"format": file_format, "scope": "all"})
    pieces = iter(response.streaming_content)
    next(pieces)
    next(pieces)

    response.close()  # what the server does when the client goes away

    log = ExportLog.objects.get()
    assert (log.outcome, log.failure) == ("failed", "the download was interrupted before its end")
    [line] = export_lines(caplog)
    assert line["outcome"] == "failed" and "interrupted" in line["failure"]
    # The connection is fine afterwards: the next export runs to its end.
    b"".join(manager_client.get(URL, {"format": "csv"}).streaming_content)
    assert ExportLog.objects.filter(outcome="finished").count() == 1


def test_a_refused_request_leaves_no_log(manager_client, three_tokens, caplog):
    response = manager_client.get(URL, {"format": "pdf"})

    assert response.status_code == 400
    assert not ExportLog.objects.exists()
    assert export_lines(caplog) == []
