"""Benchmark of `import_tokens` on a 100,000-row CSV, run by hand (not in CI).

    DATABASE_URL=sqlite:////tmp/import_bench.sqlite3 .venv/bin/python bench/import.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pt_bench_import .venv/bin/python \\
        bench/import.py [--tokens 100000] [--files /tmp/import_bench_files]

The files are made once and reused (`--files`): `seed_demo --tokens N` in a throwaway
SQLite database, written out as CSV with the 25 labels and the shown text of every
column (formula-looking text neutralized, as the export does): `tokens.csv`, and
`changed.csv`, the same tokens with every Renewal Owner and Station Name changed; and the
same two as XLSX (`tokens.xlsx`, `changed.xlsx`), written by the app's own XLSX export.

Then, for each series (CSV; XLSX streamed, the import's reader for a workbook without
formulas; XLSX read by calamine, which loads each sheet whole; XLSX read by openpyxl, the
reader for one with formulas), three imports
into the configured database (created if it is a missing PostgreSQL
database, migrated, its inventory emptied first; it must hold no transfer history), each
in a fresh child process so that its peak memory is its own:

- create: `tokens.csv` into the empty inventory (every row inserted);
- update: `changed.csv` (every token and station updated);
- unchanged: `changed.csv` again (every row read and compared, nothing written).

Printed per import: rows, seconds, rows/s, the CPU seconds of the importing process (on
SQLite the database's work too; other programs on a shared machine inflate only the wall
time) and its peak resident set size (ru_maxrss: C buffers included, no slowdown as with
tracemalloc).
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porttokens.settings")
os.environ.setdefault("DEBUG", "1")

IMPORTS = [("create", "tokens"), ("update", "changed"), ("unchanged", "changed")]
#: (label, file suffix, reader forced): each series starts from an empty inventory.
SERIES = [
    ("CSV", ".csv", None),
    ("XLSX, streamed", ".xlsx", None),
    ("XLSX, calamine", ".xlsx", "calamine"),
    ("XLSX, openpyxl", ".xlsx", "openpyxl"),
]


def setup_django() -> None:
    import django

    django.setup()


def ensure_database() -> None:
    """Create the configured PostgreSQL database when it does not exist yet."""
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    name = connection.settings_dict["NAME"]
    # The server's maintenance database, which Django's test runner creates databases from.
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
            print(f"created database {name}")


# --- the files: seeded in a throwaway SQLite database, written as the export shows them --


def write_files(tokens: int, folder: Path) -> None:
    """Runs in a child whose DATABASE_URL is a throwaway SQLite file."""
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from inventory.columns import COLUMNS
    from inventory.demo import seed_demo
    from inventory.models import PortToken
    from inventory.spreadsheet import neutralize

    call_command("migrate", verbosity=0)
    seed_demo(tokens=tokens)
    rows = PortToken.objects.order_by("serial").values_list(*(c.path for c in COLUMNS))
    keys = [column.key for column in COLUMNS]
    with (
        open(folder / "tokens.csv", "w", newline="", encoding="utf-8") as original,
        open(folder / "changed.csv", "w", newline="", encoding="utf-8") as changed,
    ):
        writers = csv.writer(original), csv.writer(changed)
        for writer in writers:
            writer.writerow([column.label for column in COLUMNS])
        for row in rows.iterator(chunk_size=5000):
            shown = {
                key: neutralize(column.format(value))
                for key, column, value in zip(keys, COLUMNS, row, strict=True)
            }
            writers[0].writerow(shown.values())
            shown["renewal_owner"] = f"renewals+{shown['token_sn']}@example.com"
            if shown["station_sn"]:
                shown["station_name"] = f"Renamed {shown['station_sn']}"
            writers[1].writerow(shown.values())
    # The same rows as XLSX, written by the export itself; then the changes, and again.
    write_xlsx(folder / "tokens.xlsx")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_porttoken SET renewal_owner = 'renewals+' || serial || '@example.com'"
        )
        cursor.execute("UPDATE inventory_station SET name = 'Renamed ' || serial")
    write_xlsx(folder / "changed.xlsx")


def write_xlsx(path: Path) -> None:
    from inventory.columns import COLUMNS
    from inventory.exports.xlsx import python_xlsx_rows, xlsx_pieces
    from inventory.models import PortToken

    tokens = PortToken.objects.order_by("serial")
    with open(path, "wb") as file:
        for piece in xlsx_pieces(python_xlsx_rows(tokens, list(COLUMNS)), list(COLUMNS)):
            file.write(piece)


def ensure_files(tokens: int, folder: Path) -> None:
    names = [name + suffix for _, name in IMPORTS for _, suffix, _ in SERIES]
    if all((folder / name).exists() for name in names):
        print(f"reusing the files in {folder}")
        return
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="import-bench-source-") as scratch:
        environment = {**os.environ, "DATABASE_URL": f"sqlite:///{scratch}/source.sqlite3"}
        command = [sys.executable, __file__, "--write-files", str(folder), "--tokens", str(tokens)]
        subprocess.run(command, env=environment, check=True)
    print(f"wrote {tokens:,} rows to {folder} in {time.perf_counter() - started:.0f} s")


# --- the database: emptied before the first import ----------------------------------------


def empty_inventory() -> None:
    setup_django()
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if apps.get_model("inventory", "Transfer").objects.exists():
        sys.exit("The database holds a transfer history (append-only): use another database.")
    # Referencing tables first; plain DELETE, as the history's triggers refuse TRUNCATE.
    names = [
        "PortToken",
        "TokenCount",
        "Evse",
        "Station",
        "Order",
        "Customer",
        "CloudPlanPart",
        "Organization",
    ]
    with connection.cursor() as cursor:
        for name in names:
            table = apps.get_model("inventory", name)._meta.db_table
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    vacuum()


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "VACUUM")


# --- one import, in a child ----------------------------------------------------------------


def measure_import(path: Path, reader: str | None) -> None:
    setup_django()
    from django.conf import settings

    from inventory.importing import import_tokens, read

    if reader == "openpyxl":
        # As a workbook with formulas is read: openpyxl, saved results and formulas.
        read._streamed_sheets = read._openpyxl_sheets
    elif reader == "calamine":
        read._streamed_sheets = calamine_sheets

    # As in production: with DEBUG on, Django keeps the text of every query it runs.
    settings.DEBUG = False

    started, started_cpu = time.perf_counter(), time.process_time()
    result = import_tokens(path=path)
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    vacuum()  # the next import starts from a tidy table, as it would a day later
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tokens = result.tokens
    print(
        json.dumps(
            {
                "rows": tokens.total,
                "seconds": seconds,
                "cpu": cpu,
                "peak_mb": peak,
                "created": tokens.created,
                "updated": tokens.updated,
                "unchanged": tokens.unchanged,
            }
        )
    )


def calamine_sheets(path: Path):
    """The sheets as python-calamine reads them (each worksheet whole, then its rows), the
    import's reader for a workbook without formulas before the streamed one; measured
    beside it."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    from inventory.importing.read import Sheet

    def from_first_cell(worksheet):
        first_row, first_column = worksheet.start or (0, 0)
        yield from [()] * first_row
        before = (None,) * first_column
        for row in worksheet.iter_rows():
            yield before + tuple(None if value == "" else value for value in row)

    workbook = CalamineWorkbook.from_path(str(path))
    names = [s.name for s in workbook.sheets_metadata if s.typ == SheetTypeEnum.WorkSheet]
    for index, name in enumerate(names):
        rows = from_first_cell(workbook.get_sheet_by_name(name))
        yield Sheet(index, name if len(names) > 1 else None, enumerate(rows, start=1))


def run_child(*arguments: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, *arguments], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--files", type=Path, default=Path("/tmp/import_bench_files"))
    parser.add_argument("--write-files", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--empty", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reader", help=argparse.SUPPRESS)
    parser.add_argument(
        "--only", help="series to run, by label: csv, streamed, calamine, openpyxl (default all)"
    )
    options = parser.parse_args()
    if options.write_files:
        return write_files(options.tokens, options.write_files)
    if options.measure:
        return measure_import(options.measure, options.reader)
    if options.empty:
        return empty_inventory()

    ensure_files(options.tokens, options.files)
    ensure_database()
    wanted = options.only.split(",") if options.only else None
    for label, suffix, reader in SERIES:
        if wanted and not any(word in label.lower() for word in wanted):
            continue
        subprocess.run([sys.executable, __file__, "--empty"], check=True)
        print(f"\n{label}")
        print(
            f"{'import':<10} {'rows':>9} {'s':>7} {'rows/s':>8} {'cpu s':>7} {'peak MB':>8}  tokens"
        )
        for name, file_name in IMPORTS:
            arguments = ["--measure", str(options.files / (file_name + suffix))]
            line = run_child(*arguments, *(["--reader", reader] if reader else []))
            print(
                f"{name:<10} {line['rows']:>9,} {line['seconds']:>7.1f} "
                f"{line['rows'] / line['seconds']:>8,.0f} {line['cpu']:>7.1f} "
                f"{line['peak_mb']:>8.0f}  {line['created']:,} created, "
                f"{line['updated']:,} updated, {line['unchanged']:,} unchanged"
            )


if __name__ == "__main__":
    main()
