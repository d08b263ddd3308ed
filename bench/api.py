"""Server time of the JSON API's token list at 1,000 rows a page, at 1,000,000 tokens on
PostgreSQL. Run by hand:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/porttokens_bench DEBUG=1 \\
        .venv/bin/python bench/api.py [--tokens 1000000] [--runs 5]

The database must exist (`createdb`, or `CREATE DATABASE ... TEMPLATE` of another bench
database). It is migrated, and seeded with `inventory.demo.seed_demo` only when it holds
no token; a database already holding tokens is used as it is. Requests go through Django's
test client in this process (the whole stack: middleware, key authentication, throttling,
query, JSON), with a personal API key, as a superuser (every token) and as the demo user
(their organizations' tokens). Each view state is requested once to warm up and `--runs`
times measured; printed are the median and worst server time, the median time spent in
SQL, the rows and the size of the answer. Exits 1 if the median of a page read the
way a client walks the list (default sort, first and deep page) takes 300 ms or more.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porttokens.settings")
# The bench makes more requests a minute than a person would.
os.environ.setdefault("API_THROTTLE_RATE", "100000/minute")
# The test client's host.
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from inventory.api.keys import create_api_key  # noqa: E402
from inventory.api.pagination import Position, encode_cursor  # noqa: E402
from inventory.demo import DEMO_USERNAME, seed_demo  # noqa: E402
from inventory.models import PortToken  # noqa: E402

LIST = "/api/v1/port-tokens/"
BUDGET_MS = 300
BENCH_ADMIN = "bench-api-admin"


def middle_cursor(sort: str) -> str:
    """The cursor of the page that starts halfway down the list sorted by Token S/N."""
    total = PortToken.objects.count()
    serial = PortToken.objects.order_by("serial").values_list("serial", flat=True)[total // 2]
    return encode_cursor(Position(sort, None, serial))


#: (name, query, within the budget): the pages a client reads walking the list, and others.
def view_states(page_size: int) -> list[tuple[str, list[tuple[str, str]], bool]]:
    size = ("page_size", str(page_size))
    return [
        ("first page, default sort", [size], True),
        ("page halfway down", [size, ("cursor", middle_cursor("token_sn"))], True),
        ("status:is:Active", [size, ("filter", "status:is:Active")], True),
        ("sort=-plan_end_date", [size, ("sort", "-plan_end_date")], False),
        ("q=garage", [size, ("q", "garage")], False),
    ]


def measure(client: Client, key: str, query: list[tuple[str, str]], runs: int) -> dict:
    url = f"{LIST}?{urlencode(query)}"
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    client.get(url, **headers)  # warm up
    times, sql, rows, size = [], [], 0, 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url, **headers)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.content[:500]
        sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        rows, size = len(response.json()["results"]), len(response.content)
    return {
        "median": statistics.median(times),
        "worst": max(times),
        "sql": statistics.median(sql),
        "rows": rows,
        "kb": size / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--page-size", type=int, default=1000)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not PortToken.objects.exists():
        print(f"seeding {options.tokens:,} tokens...", flush=True)
        seed_demo(tokens=options.tokens)
    users = get_user_model().objects
    admin = users.filter(username=BENCH_ADMIN).first() or users.create_superuser(
        BENCH_ADMIN, f"{BENCH_ADMIN}@example.com", None
    )
    readers = [("superuser", admin)]
    demo = users.filter(username=DEMO_USERNAME).first()
    if demo is not None:
        readers.append(("demo user", demo))
    client = Client()
    print(f"{PortToken.objects.count():,} tokens on {connection.vendor}, {options.runs} runs each")
    print("| reader | view state | median / worst | SQL | rows | KB |")
    print("| --- | --- | --- | --- | --- | --- |")
    over = []
    for reader, user in readers:
        key = create_api_key(user=user, name="bench", expires_days=1)[1]
        for name, query, budgeted in view_states(options.page_size):
            result = measure(client, key, query, options.runs)
            print(
                f"| {reader} | {name} | {result['median']:.0f} / {result['worst']:.0f} ms "
                f"| {result['sql']:.0f} ms | {result['rows']:,} | {result['kb']:.0f} |",
                flush=True,
            )
            if budgeted and result["median"] >= BUDGET_MS:
                over.append(f"{reader}, {name}")
    if over:
        print(f"over {BUDGET_MS} ms: {'; '.join(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
