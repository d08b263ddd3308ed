"""Logs on stdout, one JSON object per line: a line for every request (method, path,
status, duration, user id, request id), the export's line, errors with their traceback.
The request id comes from the proxy's `X-Request-ID` when it is well-formed, is made up
otherwise, and is returned in the response's `X-Request-ID`."""

import json
import logging
import re

import pytest
from django.test import Client

from inventory.importing import ImportFailed, import_tokens
from inventory.models import Membership
from inventory.transfers import TransferRefused, transfer_tokens
from tests import factories
from tests.helpers import PAGE
from tests.import_helpers import token_row, unapplied, write_csv

EXPORT = "/inventory/port-tokens/export/"


def logged(capsys) -> list[dict]:
    """Every line written to stdout so far, each of which must be one JSON object."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def of_event(lines: list[dict], event: str) -> list[dict]:
    return [line for line in lines if line.get("event") == event]


def test_a_request_logs_one_line_with_who_asked_what_and_how_it_went(
    manager_client, people, capsys
):
    capsys.readouterr()

    response = manager_client.get(PAGE, {"filter": "serial:contains:secret-value"})

    [line] = of_event(logged(capsys), "request")
    assert line["method"] == "GET"
    assert line["path"] == PAGE  # without the query string and its filter values
    assert line["status"] == 200
    assert line["user_id"] == people.manager.pk
    assert line["request_id"] == response["X-Request-ID"]
    assert line["level"] == "INFO"
    assert line["logger"] == "inventory.requests"
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0


def test_an_anonymous_request_has_no_user(db, capsys):
    capsys.readouterr()

    response = Client().get(PAGE)

    [line] = of_event(logged(capsys), "request")
    assert (line["status"], line["user_id"]) == (response.status_code, None)


def test_the_proxys_request_id_is_kept_when_well_formed(db, capsys):
    capsys.readouterr()

    response = Client().get("/accounts/login/", HTTP_X_REQUEST_ID="lb-7f3a:0042.b_c")

    assert response["X-Request-ID"] == "lb-7f3a:0042.b_c"
    [line] = of_event(logged(capsys), "request")
    assert line["request_id"] == "lb-7f3a:0042.b_c"


@pytest.mark.parametrize(
    "offered", ["", "two words", 'quote"d', "x" * 129, "line\nbreak", "émoji-✓"]
)
def test_a_malformed_request_id_is_replaced_by_a_new_one(db, capsys, offered):
    capsys.readouterr()

    response = Client().get("/accounts/login/", HTTP_X_REQUEST_ID=offered)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    [line] = of_event(logged(capsys), "request")
    assert line["request_id"] == response["X-Request-ID"]


def test_each_request_gets_its_own_id(db):
    client = Client()

    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]

    assert first != second


def test_an_export_logs_its_line_then_its_request_line_when_the_download_ends(
    manager_client, people, capsys
):
    factories.make_tokens(people.org, 3, prefix="TKN")
    capsys.readouterr()

    response = manager_client.get(EXPORT, {"format": "csv", "scope": "all"})
    assert of_event(logged(capsys), "request") == []  # the download has not ended yet
    b"".join(response.streaming_content)

    lines = logged(capsys)
    [export] = of_event(lines, "export")
    [request] = of_event(lines, "request")
    assert lines.index(export) < lines.index(request)
    assert export["rows"] == 3
    assert export["outcome"] == "finished"
    assert export["logger"] == "inventory.exports"
    assert export["request_id"] == request["request_id"] == response["X-Request-ID"]
    assert (request["path"], request["status"]) == (EXPORT, 200)


def test_an_error_is_one_line_with_its_traceback(db, capsys):
    capsys.readouterr()
    logger = logging.getLogger("inventory.anything")

    try:
        raise ValueError("the disk is full")
    except ValueError:
        logger.exception("Could not write the file.")

    [line] = logged(capsys)
    assert line["level"] == "ERROR"
    assert line["message"] == "Could not write the file."
    assert "ValueError: the disk is full" in line["exception"]
    assert "request_id" not in line  # written outside any request


def test_a_transfer_logs_one_line_with_who_moved_how_many_where(people, capsys):
    destination = factories.make_organization("ORG-DEST", "Destination")
    factories.grant(people.manager, destination, Membership.Role.MANAGER)
    factories.make_tokens(people.org, 3, prefix="MOVE")
    capsys.readouterr()

    record = transfer_tokens(
        user=people.manager, serials=["MOVE-000000", "MOVE-000002"], to_org="ORG-DEST"
    )

    [line] = of_event(logged(capsys), "transfer")
    assert line["outcome"] == "moved"
    assert line["transfer_id"] == record.pk
    assert (line["user_id"], line["to_org"], line["tokens"]) == (people.manager.pk, "ORG-DEST", 2)
    assert line["logger"] == "inventory.transfers"


def test_a_refused_transfer_logs_that_nothing_moved(people, capsys):
    factories.make_tokens(people.org, 1, prefix="STAY")
    capsys.readouterr()

    with pytest.raises(TransferRefused):
        transfer_tokens(user=people.manager, serials=["STAY-000000", "NOPE"], to_org="ORG-ACME")

    [line] = of_event(logged(capsys), "transfer")
    assert line["outcome"] == "refused"
    assert line["tokens"] == 2
    assert line["problems"] == 2
    assert "transfer_id" not in line


def test_an_import_logs_its_file_and_counts(db, tmp_path, capsys):
    path = write_csv(tmp_path, [unapplied(token_sn="LOG-1"), unapplied(token_sn="LOG-2")])
    capsys.readouterr()

    import_tokens(path=path)

    [line] = of_event(logged(capsys), "import")
    assert (line["outcome"], line["file"], line["tokens"], line["tokens_created"]) == (
        "written",
        "tokens.csv",
        2,
        2,
    )
    assert line["logger"] == "inventory.imports"


def test_a_refused_import_logs_how_many_problems(db, tmp_path, capsys):
    path = write_csv(tmp_path, [token_row(token_sn="BAD", status="Lost")])
    capsys.readouterr()

    with pytest.raises(ImportFailed):
        import_tokens(path=path)

    [line] = of_event(logged(capsys), "import")
    assert (line["outcome"], line["problems"]) == ("refused", 1)
