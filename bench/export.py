"""Benchmark of the Port Tokens exports, run by hand (not in CI).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/porttokens_bench DEBUG=1 \\
        .venv/bin/python bench/export.py [--tokens 100000] [--reference-rows 50000] \\
        [--only view-csv,copy,...] [--repeat 2]

Creates the PostgreSQL database if it does not exist, migrates it and seeds `--tokens`
demo tokens with `inventory.demo.seed_demo` (only into an empty database; a database
already holding exactly that many tokens is reused). Then every measurement runs in a
fresh child process, so its peak memory is its own:

- our CSV and XLSX through the real view: a logged-in superuser's test Client reading the
  streamed body, scope=all (25 columns), the default sort or `--sort`, every token;
- references on the same query in the same run: PostgreSQL `COPY (query) TO STDOUT CSV`
  with the 25 display expressions, read through psycopg; the ORM + csv.writer path the
  export uses on SQLite; openpyxl write-only; django-tables2's TableExport (CSV and XLSX)
  over a simple 25-column table; the slow ones on the first `--reference-rows` rows only;
- XLSX writers side by side on the same rows already in memory (openpyxl write-only,
  xlsxwriter constant_memory, PyExcelerate, ours), to show the writer alone.

The references need `pip install tablib xlsxwriter pyexcelerate` (a missing one is
reported as skipped). `--repeat N` runs the measurements N times, interleaved, and shows
the fastest of each: on a shared machine other work slows any single run.

Reported per line: rows, seconds, rows/s, time to first byte and to the first rows
(seconds from the request, or from the start for references), output size, and memory:
the child's peak resident set size (ru_maxrss) and its growth over the resident size
just before the measurement started (RSS, not tracemalloc: it counts C buffers too and
does not slow Python down).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porttokens.settings")
os.environ.setdefault("DEBUG", "1")

BENCH_USERNAME = "bench-exporter"


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_database() -> None:
    """Create the configured PostgreSQL database when it does not exist yet."""
    import dj_database_url
    import psycopg

    settings = dj_database_url.parse(os.environ.get("DATABASE_URL", "sqlite:///db.sqlite3"))
    if "postgresql" not in settings["ENGINE"]:
        return
    name = settings["NAME"]
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def setup_django():
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test Client's host through ALLOWED_HOSTS


# --- the parent: prepare the data, run each measurement in a child ---------------------


def prepare(tokens: int) -> None:
    ensure_database()
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from inventory.demo import seed_demo
    from inventory.models import PortToken

    call_command("migrate", verbosity=0)
    existing = PortToken.objects.count()
    if existing == 0:
        started = time.perf_counter()
        seed_demo(tokens=tokens)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(f"seeded {tokens:,} tokens in {time.perf_counter() - started:.0f} s")
    elif existing != tokens:
        sys.exit(
            f"The database holds {existing:,} tokens, not {tokens:,}: use another database "
            "name (DATABASE_URL) or the same --tokens."
        )
    user, _ = get_user_model().objects.get_or_create(username=BENCH_USERNAME)
    user.is_superuser = user.is_staff = True
    user.save()
    print(f"{connection.vendor}, {existing or tokens:,} tokens, {os.cpu_count()} cores")


def run_child(name: str, args) -> dict:
    command = [sys.executable, __file__, "--child", name]
    command += ["--reference-rows", str(args.reference_rows), "--tokens", str(args.tokens)]
    command += [f"--sort={args.sort}"]
    result = subprocess.run(command, capture_output=True, text=True, env=os.environ)
    if result.returncode != 0:
        return {"name": name, "error": (result.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def print_table(results: list[dict]) -> None:
    header = (
        f"{'measurement':44} {'rows':>9} {'s':>7} {'rows/s':>9} {'1st byte':>8} "
        f"{'1st rows':>8} {'MB out':>7} {'peak MB':>7} {'+MB':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if "error" in r:
            print(f"{r['name']:44} failed or skipped: {r['error']}")
            continue

        def seconds(key, r=r):
            return "" if r.get(key) is None else f"{r[key]:.3f}"

        print(
            f"{r['label']:44} {r['rows']:>9,} {r['seconds']:>7.1f} "
            f"{r['rows'] / r['seconds']:>9,.0f} {seconds('first_byte'):>8} "
            f"{seconds('first_rows'):>8} {r['bytes'] / 2**20:>7.1f} "
            f"{r['peak_mb']:>7.0f} {r['peak_mb'] - r['start_mb']:>6.0f}"
        )


# --- the children: one measurement each ----------------------------------------------


def export_queryset():
    from django.contrib.auth import get_user_model
    from django.http import QueryDict

    from inventory.exports import export_queryset as build
    from inventory.exports import parse_export_request

    user = get_user_model().objects.get(username=BENCH_USERNAME)
    return build(user, parse_export_request(QueryDict("format=csv&scope=all")))


def through_view(file_format: str, sort: str = "") -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from inventory.models import ExportLog

    client = Client()
    client.force_login(get_user_model().objects.get(username=BENCH_USERNAME))
    started = time.perf_counter()
    params = {"format": file_format, "scope": "all", **({"sort": sort} if sort else {})}
    response = client.get("/inventory/port-tokens/export/", params)
    first_byte = first_rows = None
    size = 0
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        elif first_rows is None:
            first_rows = time.perf_counter() - started
        size += len(chunk)
    seconds = time.perf_counter() - started
    rows = ExportLog.objects.order_by("-pk").values_list("row_count", flat=True).first()
    label = f"ours: {file_format.upper()} through the view" + (f", sort={sort}" if sort else "")
    return dict(label=label, rows=rows, seconds=seconds, first_byte=first_byte,
                first_rows=first_rows, bytes=size)  # fmt: skip


def copy_reference() -> dict:
    from django.db import connection

    from inventory.columns import COLUMNS

    queryset = export_queryset()
    names = [f"c{index}" for index in range(len(COLUMNS))]
    shown = {name: column.display_expression() for name, column in zip(names, COLUMNS, strict=True)}
    sql, params = queryset.annotate(**shown).values_list(*names).query.sql_with_params()
    statement = f"COPY ({connection.ops.compose_sql(sql, params)}) TO STDOUT WITH (FORMAT csv)"
    started = time.perf_counter()
    first = None
    size = 0
    with connection.cursor() as cursor:
        with cursor.copy(statement) as copy:
            for block in copy:
                if first is None:
                    first = time.perf_counter() - started
                size += len(block)
        rows = cursor.rowcount
    return dict(label="reference: PostgreSQL COPY ... TO STDOUT CSV", rows=rows,
                seconds=time.perf_counter() - started, first_byte=first, first_rows=first,
                bytes=size)  # fmt: skip


def python_csv_reference() -> dict:
    from inventory.columns import COLUMNS
    from inventory.exports.csv_stream import python_csv_rows

    started = time.perf_counter()
    size = 0
    generator = python_csv_rows(export_queryset(), list(COLUMNS))
    first = None
    while True:
        try:
            chunk = next(generator)
        except StopIteration as stop:
            rows = stop.value
            break
        first = first or time.perf_counter() - started
        size += len(chunk)
    return dict(label="reference: ORM iterator + csv.writer (SQLite path)", rows=rows,
                seconds=time.perf_counter() - started, first_byte=first, first_rows=first,
                bytes=size)  # fmt: skip


def shown_values(limit: int):
    """The first `limit` rows as Excel writers take them: Pacific wall times, no zone."""
    from inventory.columns import COLUMNS, Kind
    from inventory.dbfunctions import PACIFIC

    queryset = export_queryset().values_list(*[column.path for column in COLUMNS])[:limit]
    kinds = [column.kind for column in COLUMNS]
    for values in queryset.iterator(chunk_size=2000):
        yield [
            value.astimezone(PACIFIC).replace(tzinfo=None, second=0, microsecond=0)
            if kind is Kind.TIMESTAMP and value is not None
            else value
            for kind, value in zip(kinds, values, strict=True)
        ]


def openpyxl_reference(limit: int) -> dict:
    import io

    from openpyxl import Workbook

    from inventory.columns import COLUMNS

    started = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Port Tokens")
    sheet.append([column.label for column in COLUMNS])
    rows = 0
    for values in shown_values(limit):
        sheet.append(values)
        rows += 1
    output = io.BytesIO()
    book.save(output)
    seconds = time.perf_counter() - started
    return dict(label="reference: openpyxl write-only (ORM rows)", rows=rows, seconds=seconds,
                first_byte=seconds, first_rows=seconds, bytes=len(output.getvalue()))  # fmt: skip


def tables2_reference(file_format: str, limit: int) -> dict:
    import django_tables2 as tables
    from django_tables2.export import TableExport

    from inventory.columns import COLUMNS

    class ShownColumn(tables.Column):
        def __init__(self, column, **kwargs):
            super().__init__(accessor=column.path, verbose_name=column.label, **kwargs)
            self.shown = column

        def value(self, value, **kwargs):
            return self.shown.format(value)

    table_class = type(
        "PortTokenExportTable",
        (tables.Table,),
        {column.key: ShownColumn(column) for column in COLUMNS},
    )
    # The table orders its data itself, which a sliced queryset refuses: cut by serial.
    queryset = export_queryset()
    last = queryset.values_list("serial", flat=True)[limit - 1 : limit].first()
    if last is not None:
        queryset = queryset.filter(serial__lte=last)
    queryset = queryset.select_related("part", "organization", "evse__station", "order__customer")
    started = time.perf_counter()
    data = TableExport(file_format, table_class(queryset)).export()
    seconds = time.perf_counter() - started
    return dict(label=f"reference: django-tables2 TableExport {file_format.upper()}",
                rows=queryset.count(), seconds=seconds, first_byte=seconds,
                first_rows=seconds, bytes=len(data))  # fmt: skip


def writer_candidate(name: str, limit: int) -> dict:
    """An XLSX writer alone, on rows fetched into memory before the clock starts."""
    import io
    import tempfile

    from inventory.columns import COLUMNS
    from inventory.exports.xlsx import xlsx_pieces
    from inventory.exports.xlsx_cells import cell_writers

    labels = [column.label for column in COLUMNS]
    if name == "ours":
        rows = list(export_queryset().values_list(*[c.path for c in COLUMNS])[:limit])
    else:
        rows = list(shown_values(limit))
    started = time.perf_counter()
    if name == "openpyxl":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Port Tokens")
        sheet.append(labels)
        for row in rows:
            sheet.append(row)
        output = io.BytesIO()
        book.save(output)
        size = len(output.getvalue())
    elif name == "xlsxwriter":
        import xlsxwriter

        with tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
            book = xlsxwriter.Workbook(target.name, {"constant_memory": True})
            sheet = book.add_worksheet("Port Tokens")
            stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
            sheet.write_row(0, 0, labels)
            for number, row in enumerate(rows, start=1):
                for column, value in enumerate(row):
                    if hasattr(value, "hour"):
                        sheet.write_datetime(number, column, value, stamp)
                    elif value is not None:
                        sheet.write(number, column, value)
            book.close()
            size = os.path.getsize(target.name)
    elif name == "pyexcelerate":
        from pyexcelerate import Workbook

        book = Workbook()
        book.new_sheet("Port Tokens", data=[labels, *rows])
        output = io.BytesIO()
        book.save(output)
        size = len(output.getvalue())
    else:
        writers = cell_writers(list(COLUMNS))
        cells = (
            "".join([write(value) for write, value in zip(writers, row, strict=True)]).encode()
            for row in rows
        )
        size = sum(len(piece) for piece in xlsx_pieces(cells, list(COLUMNS)))
    seconds = time.perf_counter() - started
    return dict(label=f"writer alone, rows in memory: {name}", rows=len(rows), seconds=seconds,
                first_byte=None, first_rows=None, bytes=size)  # fmt: skip


def child(name: str, args) -> None:
    setup_django()
    start_mb = rss_mb()
    limit = args.reference_rows
    if name in ("view-csv", "view-xlsx"):
        result = through_view(name.split("-")[1], args.sort)
    elif name == "copy":
        result = copy_reference()
    elif name == "python-csv":
        result = python_csv_reference()
    elif name == "openpyxl":
        result = openpyxl_reference(limit)
    elif name.startswith("tables2-"):
        result = tables2_reference(name.split("-")[1], limit)
    else:
        result = writer_candidate(name.split("-", 1)[1], limit)
    result.update(name=name, start_mb=start_mb, peak_mb=peak_rss_mb())
    print(json.dumps(result))


MEASUREMENTS = (
    "view-csv",
    "view-xlsx",
    "copy",
    "python-csv",
    "openpyxl",
    "tables2-csv",
    "tables2-xlsx",
    "writer-openpyxl",
    "writer-xlsxwriter",
    "writer-pyexcelerate",
    "writer-ours",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument(
        "--reference-rows",
        type=int,
        default=50_000,
        help="rows for the slow references (openpyxl, TableExport) and writer comparison",
    )
    parser.add_argument(
        "--only", help=f"comma-separated measurements (default all): {', '.join(MEASUREMENTS)}"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds, interleaved; the fastest of each is shown (a shared machine is noisy)",
    )
    parser.add_argument(
        "--sort", default="", help="the exports' sort (sort= of the table), default Token S/N"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return
    names = args.only.split(",") if args.only else list(MEASUREMENTS)
    unknown = set(names) - set(MEASUREMENTS)
    if unknown:
        parser.error(f"unknown measurements: {', '.join(sorted(unknown))}")
    prepare(args.tokens)
    best: dict[str, dict] = {}
    for round_number in range(1, args.repeat + 1):
        for name in names:
            result = run_child(name, args)
            kept = best.get(name)
            if kept is None or "error" in kept or result.get("seconds", 1e9) < kept["seconds"]:
                best[name] = result
            print(f"  round {round_number}: {name}", file=sys.stderr)
    print_table([best[name] for name in names])


if __name__ == "__main__":
    main()
