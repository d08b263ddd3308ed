"""Load test: administrators using the Port Tokens table at once, one of them exporting.

Run by hand (Locust, headless, bounded in users and time) against the production
configuration (gunicorn, DEBUG off) on this machine; see bench/README.md, "Load test":

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_1m \\
        .venv/bin/locust -f bench/load.py --headless -u 51 -r 10 -t 90s \\
        --host http://127.0.0.1:8000 --only-summary

`DATABASE_URL` names the database the server uses: this file signs the simulated people
in by creating their sessions there (as `Client.force_login` does; no password is needed
and no login's deliberate hashing cost lands in the numbers) and deletes those sessions
at the end. Nothing else is written but what the app writes itself (sessions, the export
log). Half the administrators see one person's six organizations (`demo`), half see
every token (`LOAD_ADMIN`, a superuser; `bench-admin` by default); the exporter is such a
superuser.

Each administrator opens the table, filters it, sorts it, pages through it and opens a
token, pausing 1 to 5 seconds between clicks. One more user exports every token as CSV
over and over, reading each file to its end. Requests go over plain HTTP with the
`X-Forwarded-Proto: https` a TLS proxy adds. At the end it prints p50/p95/p99 of the page
requests, the error count and the exports (finished, failed, rows, seconds) and exits
1 if a request failed, an export failed, or the page p95 is 500 ms or more.
"""

import os
import random
import re
import sys
import time
from pathlib import Path

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porttokens.settings")
# Only the database and session settings are used here, never DEBUG's pages.
os.environ.setdefault("DEBUG", "1")

PAGE = "/inventory/port-tokens/"
EXPORT = "/inventory/port-tokens/export/?format=csv&scope=all"
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
P95_TARGET_MS = 500
ADMIN = os.environ.get("LOAD_ADMIN", "bench-admin")
VIEWER = os.environ.get("LOAD_VIEWER", "demo")

FILTERS = [
    "status:is:Active",
    "status:is:New",
    "station_name:contains:garage",
    "cloud_plan:contains:pro",
    "org_name:contains:north",
    "plan_end_date:contains:2026",
]
SORTS = ["token_sn", "-token_sn", "plan_end_date", "-plan_start_date", "station_name", "-org_name"]
SERIAL = re.compile(r'data-token="([^"]+)"')

_sessions: dict[str, list[str]] = {ADMIN: [], VIEWER: []}
_exports = {"finished": 0, "failed": 0, "rows": [], "seconds": []}


def _session_for(username: str) -> str:
    """A new signed-in session of `username` in the server's database."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


@events.init.add_listener
def _setup_django(environment, **kwargs):
    import django

    django.setup()


@events.quitting.add_listener
def _report(environment, **kwargs):
    from django.contrib.sessions.models import Session
    from django.db import DatabaseError

    created = [key for keys in _sessions.values() for key in keys]
    try:
        Session.objects.filter(session_key__in=created).delete()
    except DatabaseError as error:  # the report matters more; they expire by themselves
        print(f"the load test's sessions were not deleted: {error}")

    stats = environment.stats
    pages = [entry for name, entry in stats.entries.items() if name[0] != "export"]
    requests = sum(entry.num_requests for entry in pages)
    failures = sum(entry.num_failures for entry in pages)
    total = stats.total
    print()
    rate = requests / _seconds(stats)
    print(f"page requests: {requests:,}, failures: {failures}, {rate:.1f}/s")
    merged = _merged(pages)
    p50, p95, p99 = (merged.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99))
    print(f"page p50 / p95 / p99: {p50:.0f} / {p95:.0f} / {p99:.0f} ms")
    for entry in sorted(pages, key=lambda e: e.name):
        print(
            f"  {entry.name:<10} {entry.num_requests:>6,} req  p50 "
            f"{entry.get_response_time_percentile(0.5):>5.0f}  p95 "
            f"{entry.get_response_time_percentile(0.95):>5.0f}  p99 "
            f"{entry.get_response_time_percentile(0.99):>5.0f} ms  failures {entry.num_failures}"
        )
    print(
        f"exports: {_exports['finished']} finished, {_exports['failed']} failed; rows "
        f"{_exports['rows']}; seconds {[round(s, 1) for s in _exports['seconds']]}"
    )
    print(f"all requests (exports included): {total.num_requests:,}, failures {total.num_failures}")
    if failures or total.num_failures or _exports["failed"] or p95 >= P95_TARGET_MS:
        environment.process_exit_code = 1


def _seconds(stats) -> float:
    return max(1.0, (stats.total.last_request_timestamp or 0) - stats.total.start_time)


def _merged(entries):
    from locust.stats import StatsEntry

    merged = StatsEntry(None, "pages", "", use_response_times_cache=False)
    for entry in entries:
        merged.extend(entry)
    return merged


class Administrator(HttpUser):
    """Opens the table, filters, sorts, pages, opens a token."""

    weight = 50
    wait_time = between(1, 5)

    def on_start(self):
        username = ADMIN if len(_sessions[ADMIN]) <= len(_sessions[VIEWER]) else VIEWER
        key = _session_for(username)
        _sessions[username].append(key)
        self.client.headers.update(PROXY_HEADERS)
        self.client.headers["Cookie"] = f"sessionid={key}"
        self.serials: list[str] = []
        self.query: dict[str, str] = {}

    def _table(self, name: str, **query):
        self.query = query
        # A redirect (to the login page, if the session was not accepted) is a failure,
        # not the 200 of the page it leads to.
        with self.client.get(
            PAGE, params=query, name=name, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            found = SERIAL.findall(response.text)
            if found:
                self.serials = found

    @task(3)
    def open_table(self):
        self._table("table")

    @task(3)
    def filter(self):
        self._table("filter", filter=random.choice(FILTERS))

    @task(2)
    def sort(self):
        self._table("sort", **{**self.query, "sort": random.choice(SORTS)})

    @task(3)
    def page(self):
        self._table("page", **{**self.query, "page": str(random.randint(2, 40))})

    @task(2)
    def open_token(self):
        if not self.serials:
            self.open_table()
            return
        serial = random.choice(self.serials)
        with self.client.get(
            f"{PAGE}{serial}/", name="token", catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")


class Exporter(HttpUser):
    """Exports every token it may see as CSV, reading each file to the end."""

    fixed_count = 1
    wait_time = between(1, 2)

    def on_start(self):
        key = _session_for(ADMIN)
        _sessions[ADMIN].append(key)
        self.client.headers.update(PROXY_HEADERS)
        self.client.headers["Cookie"] = f"sessionid={key}"

    @task
    def export(self):
        started = time.monotonic()
        lines = 0
        with self.client.get(
            EXPORT, name="export", stream=True, catch_response=True, allow_redirects=False
        ) as response:
            try:
                if response.status_code != 200:
                    raise ValueError(f"status {response.status_code}")
                for chunk in response.iter_content(chunk_size=1 << 16):
                    lines += chunk.count(b"\n")
            except Exception as error:  # an interrupted download is a failed export
                _exports["failed"] += 1
                response.failure(f"export failed: {error}")
                return
        _exports["finished"] += 1
        _exports["rows"].append(lines - 1)  # less the header row
        _exports["seconds"].append(time.monotonic() - started)
