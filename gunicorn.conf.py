"""Gunicorn's configuration for production (`make serve`, or `gunicorn` in this folder,
which reads this file by itself).

Each worker process runs GUNICORN_THREADS threads (the gthread worker). A thread that
streams a long export does not hold a whole process, and the worker's heartbeat is sent by
its main loop, not by the request: a million-row export that streams for minutes is never
killed by GUNICORN_TIMEOUT, which only restarts a worker whose main loop is stuck. How long
a page's query may run is the application's REQUEST_STATEMENT_TIMEOUT.

Every value comes from the environment; a malformed one stops the start with its name:

    GUNICORN_BIND              address:port to listen on           127.0.0.1:8000
    GUNICORN_WORKERS           worker processes                    CPU cores + 1
    GUNICORN_THREADS           threads per worker                  4
    GUNICORN_TIMEOUT           seconds before a silent worker is restarted     30
    GUNICORN_GRACEFUL_TIMEOUT  seconds a stopping worker finishes its requests 120
    GUNICORN_KEEPALIVE         seconds an idle client connection is kept       75

Every worker thread keeps its own database connection(s): plan the database's
max_connections for workers x threads x app servers (x 2 with a read replica).
"""

import os
from urllib.parse import urlsplit


def _whole_number(name: str, default: int, *, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, not {raw!r}")
    return int(raw)


wsgi_app = "porttokens.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
# A process per core (the threads of one process share a core), one more to cover pauses.
workers = _whole_number("GUNICORN_WORKERS", (os.cpu_count() or 1) + 1, minimum=1)
threads = _whole_number("GUNICORN_THREADS", 4, minimum=1)
timeout = _whole_number("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = _whole_number("GUNICORN_GRACEFUL_TIMEOUT", 120, minimum=1)
# Longer than the reverse proxy keeps an idle connection to us (nginx: 60 s), so the proxy
# closes idle connections, never gunicorn: a request sent as gunicorn closed its
# connection would fail with "connection reset".
keepalive = _whole_number("GUNICORN_KEEPALIVE", 75, minimum=1)
# The application logs one JSON line per request on stdout; gunicorn's own messages
# (start, stop, a restarted worker) go to stderr.
accesslog = None
errorlog = "-"
loglevel = "info"
# No control socket in the home folder: several servers may run on one host, and the
# service manager (systemd, the container runtime) sends the signals.
control_socket_disable = True
# The heartbeat file in memory, not on a disk a container may not have.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def _database(url: str) -> str:
    """The database a URL names, without its user and password."""
    if not url:
        return "SQLite file db.sqlite3 (DATABASE_URL unset)"
    parts = urlsplit(url)
    where = parts.hostname or ""
    if parts.port:
        where += f":{parts.port}"
    return f"{parts.scheme}://{where}{parts.path}"


def when_ready(server):
    replica = os.environ.get("DATABASE_REPLICA_URL", "").strip()
    lines = [
        f"Serving Port Tokens (production settings) on http://{bind}/",
        f"  {workers} worker(s) x {threads} thread(s), worker timeout {timeout} s",
        f"  database: {_database(os.environ.get('DATABASE_URL', '').strip())}",
        f"  read replica: {_database(replica) if replica else 'none (all reads on the primary)'}",
        f"  static files: {os.environ.get('STATIC_ROOT', 'staticfiles/')} (hashed, compressed)",
        "  health check: /healthz; logs: one JSON line per request on stdout",
    ]
    for line in lines:
        server.log.info(line)
