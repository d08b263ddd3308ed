"""The PostgreSQL plans behind the Port Tokens page, for each view state of
`bench/list_page.py`. Run by hand against a seeded database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_1m .venv/bin/python bench/explain.py
    ... bench/explain.py --user demo --state "last page"       # one user, one state

For each state it runs what the page asks of the database for its tokens (the summary:
status counts, "ends within" and "select all", in one pass where the kept counts do not
answer; the page's ids; the page's rows), exactly as the page builds them, then prints
`EXPLAIN (ANALYZE, BUFFERS)` of each statement with its time, so a plan that reads the
whole table where an index could answer shows at once.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porttokens.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from inventory.columns import COLUMNS  # noqa: E402
from inventory.demo import DEMO_USERNAME  # noqa: E402
from inventory.selectors import visible_token_count  # noqa: E402
from inventory.summary import view_summary  # noqa: E402
from inventory.tables import page_of_tokens  # noqa: E402
from inventory.viewstate import DEFAULT_PER_PAGE, parse_view_state  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from list_page import STATES  # noqa: E402


def page_statements(user, query: str) -> list[str]:
    """The SQL of the page's token queries for `query`, as the page runs them."""
    state = parse_view_state(QueryDict(query))
    with CaptureQueriesContext(connection) as captured:
        summary = view_summary(user, state, count_movable=True)
        page_of_tokens(
            summary.page_tokens(user, state),
            state,
            user,
            count=summary.total,
            sort_matches=summary.few_matches,
        )
    return [query["sql"] for query in captured.captured_queries]


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--user", choices=["demo", "superuser", "both"], default="both")
    parser.add_argument("--state", help="one state of bench/list_page.py, by its name")
    parser.add_argument("--sql", action="store_true", help="print each statement too")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The plans are PostgreSQL's: set DATABASE_URL to a PostgreSQL database.")
    User = get_user_model()
    users = []
    if args.user in ("demo", "both"):
        users.append(("demo user", User.objects.get(username=DEMO_USERNAME)))
    if args.user in ("superuser", "both"):
        admin, _ = User.objects.get_or_create(
            username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
        )
        users.append(("superuser", admin))
    all_columns = ",".join(column.key for column in COLUMNS)
    for label, user in users:
        for name, query in STATES:
            if args.state and name != args.state:
                continue
            if "LAST" in query:
                last = -(-visible_token_count(user) // DEFAULT_PER_PAGE)
                query = query.replace("LAST", str(last))
            query = query.replace("ALL", all_columns)
            print(f"\n=== {label}: {name} ({query or 'no query'})")
            for sql in page_statements(user, query):
                if args.sql:
                    print(f"\n{sql}")
                print()
                print(explain(sql))


if __name__ == "__main__":
    main()
