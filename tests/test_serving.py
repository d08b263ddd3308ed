"""The production configuration as `make serve` and a deployment run it: gunicorn with
gunicorn.conf.py, DEBUG off, static files collected by `collectstatic` under hashed names
with compressed copies and served by WhiteNoise with a year-long immutable cache, the
security headers on them too, the health check and one JSON log line per request on
stdout. And `make serve` refuses DEBUG and a missing SECRET_KEY."""

import gzip
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
#: Longest wait for gunicorn to answer after it starts.
START_SECONDS = 60
#: Headers a TLS-terminating reverse proxy sets on what it forwards.
PROXIED = {"X-Forwarded-Proto": "https", "Host": "localhost"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, url: str, static_root: Path, log: Path):
        self.url, self.static_root, self.log = url, static_root, log

    def get(self, path: str, headers: dict | None = None):
        """(status, headers, body) of a GET, redirects not followed."""
        request = urllib.request.Request(self.url + path, headers=headers or {})
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def log_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn on a free local port with the production settings and a fresh SQLite
    database; its stdout (the JSON log) in a file."""
    folder = tmp_path_factory.mktemp("serving")
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "STATIC_ROOT": str(folder / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    manage = [sys.executable, "manage.py"]
    # The app's own files; the admin's and the API docs' take a minute to compress and
    # are collected in full by CI's deploy check.
    third_party = ["-i", "admin", "-i", "rest_framework", "-i", "drf_spectacular_sidecar"]
    commands = (
        ["migrate", "--no-input"],
        ["createcachetable"],
        ["collectstatic", "--no-input", *third_party],
    )
    for command in commands:
        subprocess.run(
            manage + command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
        )
    log = folder / "stdout.log"
    with open(log, "wb") as stdout, open(folder / "stderr.log", "wb") as stderr:
        process = subprocess.Popen(
            [BIN / "gunicorn", "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    running = Server(f"http://127.0.0.1:{port}", folder / "static", log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if running.get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + (folder / "stderr.log").read_text())
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert "Serving Port Tokens (production settings)" in (folder / "stderr.log").read_text()


def hashed_name(server: Server, name: str) -> str:
    manifest = json.loads((server.static_root / "staticfiles.json").read_text())
    return manifest["paths"][name]


def test_the_stylesheet_is_served_under_its_hashed_name_compressed_and_cached_for_a_year(
    server,
):
    css = hashed_name(server, "inventory.css")
    assert css != "inventory.css"

    status, headers, body = server.get(f"/static/{css}", {**PROXIED, "Accept-Encoding": "gzip"})

    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (ROOT / "static" / "inventory.css").read_bytes()
    cache = {part.strip() for part in headers["Cache-Control"].split(",")}
    assert "immutable" in cache
    assert int(next(p for p in cache if p.startswith("max-age=")).split("=")[1]) >= 31536000
    # The security headers reach static files too.
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]


def test_pages_link_the_hashed_files(server):
    status, _, body = server.get("/accounts/login/", PROXIED)

    assert status == 200
    assert f'/static/{hashed_name(server, "inventory.css")}"' in body.decode()


def test_plain_http_from_outside_the_proxy_is_sent_to_https(server):
    status, headers, _ = server.get("/accounts/login/", {"Host": "localhost"})

    assert status == 301
    assert headers["Location"] == "https://localhost/accounts/login/"


def test_a_load_balancer_probe_by_address_is_answered(server):
    status, _, body = server.get("/healthz", {"Host": "10.0.0.7"})

    assert (status, json.loads(body)) == (200, {"status": "ok"})


def test_each_request_is_one_json_line_on_stdout(server):
    _, headers, _ = server.get("/accounts/login/", {**PROXIED, "X-Request-ID": "probe-42"})

    deadline = time.monotonic() + START_SECONDS
    while not [line for line in server.log_lines() if line.get("request_id") == "probe-42"]:
        assert time.monotonic() < deadline, "no log line for the request"
        time.sleep(0.1)
    [line] = [line for line in server.log_lines() if line.get("request_id") == "probe-42"]
    assert headers["X-Request-ID"] == "probe-42"
    assert (line["event"], line["method"], line["path"], line["status"]) == (
        "request",
        "GET",
        "/accounts/login/",
        200,
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    ("env", "refusal"),
    [
        ({"DEBUG": "1", "SECRET_KEY": "x" * 50}, "DEBUG must be off"),
        ({"DEBUG": "true", "SECRET_KEY": "x" * 50}, "DEBUG must be off"),
        ({"SECRET_KEY": ""}, "needs a SECRET_KEY"),
    ],
)
def test_make_serve_refuses_debug_and_a_missing_secret_key(env, refusal):
    base = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "MAKEFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert refusal in result.stderr
