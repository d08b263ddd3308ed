"""The import service behind `import_tokens`: a CSV or XLSX file of the 25 columns in.

The file's header row holds the 25 labels of `columns.py` in any order. Every data row
describes one token completely, so an empty cell means "empty" (NULL), not "keep". Rows
are upserted by Token S/N, together with the organizations, customers, orders, parts,
stations and EVSEs they name.

All or nothing: the whole file is read and checked first; if any row is bad nothing is
written and `ImportFailed` carries one `line N: reason` per problem (the header is line 1,
counted as a spreadsheet counts rows). Rows that name the same Org ID, Customer ID, Sales
Order, Part No., Station S/N or EVSE ID must agree on its details: a disagreement is an
error, not "last row wins", because the export repeats those details on every row and a
difference means the file is inconsistent. The file is the truth for what it names: a
station takes the organization of the tokens on it, an EVSE the station named with it.
A workbook may continue on further sheets, each starting with the header row (as the
export does past Excel's row limit); problems there say `sheet 'Name' line N`.

An import never moves a token silently: a row giving an existing token another
organization is a bad row, unless the caller names a user (`transfer_as`); then each move
is recorded in the transfer history by that user, in the import's transaction.

The file is distrusted as a whole too: a workbook that would unpack to far more than its
size is refused before it is opened, a formula cell must carry the result its program
saved (else the row is bad, not silently empty), and a CSV cell too long for the CSV
reader stops the reading at its line.

The parts, in the order an import runs them:

- `read`: the file into sheets of raw rows (CSV, XLSX, the zip-bomb check, formula cells);
- `cells`: each cell into its stored value (text, numbers, Pacific timestamps, dates);
- `plan`: the rows checked and gathered (header, row rules, agreement across rows, the
  checks against the database);
- `write`: the upserts, in one transaction, and the moves recorded as transfers;
- `result`: `ImportResult` and `ImportFailed`, with the texts for a person.
"""

import logging
import time
from pathlib import Path

from django.db import DatabaseError, transaction

from inventory.importing.cells import pacific_to_utc
from inventory.importing.plan import (
    check_active_evses_against_database,
    check_moves_against_database,
    read_plan,
)
from inventory.importing.read import sheets
from inventory.importing.result import Counts, ImportFailed, ImportResult
from inventory.importing.write import write_plan

__all__ = ["Counts", "ImportFailed", "ImportResult", "import_tokens", "pacific_to_utc"]

#: One line per import (written or refused), for the logs.
logger = logging.getLogger("inventory.imports")


def import_tokens(*, path: str | Path, transfer_as=None) -> ImportResult:
    """Import the CSV or XLSX file at `path` (by its extension) all or nothing.

    A row that gives an existing token another organization is a bad row, unless
    `transfer_as` (a user) is given: then every such move is recorded as a transfer by
    that user, noted with the file's name, in the same transaction. No role is checked:
    the import is an operator's tool, and the history says who the operator named.

    Raises `ImportFailed` when the file cannot be read or any row is bad; then nothing
    has been written.
    """
    path = Path(path)
    started = time.monotonic()
    try:
        result = _import(path, transfer_as)
    except ImportFailed as failed:
        logger.info(
            "Import of %s refused",
            path.name,
            extra={
                "event": "import",
                "outcome": "refused",
                "file": path.name,
                "problems": len(failed.problems),
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        raise
    tokens = result.tokens
    logger.info(
        "Import of %s",
        path.name,
        extra={
            "event": "import",
            "outcome": "written",
            "file": path.name,
            "tokens": tokens.total,
            "tokens_created": tokens.created,
            "tokens_updated": tokens.updated,
            "tokens_unchanged": tokens.unchanged,
            "transfer_ids": [record.pk for record in result.transfers],
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    return result


def _import(path: Path, transfer_as) -> ImportResult:
    plan = read_plan(sheets(path))
    check_active_evses_against_database(plan)
    if transfer_as is None:
        check_moves_against_database(plan)
    if plan.problems:
        raise ImportFailed([problem.text for problem in sorted(plan.problems)])
    try:
        with transaction.atomic():
            return write_plan(plan, transfer_as=transfer_as, note=f"Imported from {path.name}")
    except DatabaseError as error:
        # The rules were checked above, so this is a change someone else made meanwhile
        # (or a database outage): report it, nothing was written.
        raise ImportFailed.file(
            f"The database refused the import, nothing was written: {error}"
        ) from None
