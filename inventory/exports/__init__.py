"""Streamed CSV and XLSX exports of the Port Tokens table: exactly what the table shows.

Nothing is held in memory: rows are read in chunks and bytes leave as they are made, so a
million tokens start downloading at once and never sit in the server. The views and
commands use the names below; each job has its module:

- `request`: the query string -> `ExportRequest`, the file name, `start_export`;
- `log`: the export log (a row and a JSON line per export, finished or failed);
- `streaming`: reading rows from the database (ORM chunks or COPY), piece sizes;
- `csv_stream`: the CSV file; `xlsx`: the XLSX package and zip; `xlsx_cells`: its cells;
- `postgres`: the COPY statements with which PostgreSQL writes CSV fields and cell XML.

Formula safety follows `inventory.spreadsheet` (shared with the import).
"""

from inventory.exports.request import (
    Export,
    ExportError,
    ExportRequest,
    export_filename,
    export_queryset,
    parse_export_request,
    start_export,
)
from inventory.exports.xlsx_cells import CELL_MAX_CHARACTERS, fit_cell_text

__all__ = [
    "CELL_MAX_CHARACTERS",
    "Export",
    "ExportError",
    "ExportRequest",
    "export_filename",
    "export_queryset",
    "fit_cell_text",
    "parse_export_request",
    "start_export",
]
