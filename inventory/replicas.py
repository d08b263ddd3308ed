"""Read replicas: which reads may be answered by a streaming standby of the database.

With `DATABASE_REPLICA_URL` set (settings `READ_REPLICA`), the database alias "replica"
is a hot standby that replays the primary's changes a moment later. Everything goes to the
primary ("default") unless a view opted in:

- `reads_from_replica(view)` (applied in `inventory/urls.py`) lets a GET or HEAD of that
  view read from the replica: the table and its counts, the exports (their whole stream),
  the renewals forecast, one token's page. `replica_reads()` does the same for a block of
  code (the JSON API's reads). Lag of a moment is acceptable there.
- Writes always go to the primary, and once a request has written, the rest of its reads
  go to the primary too (it must see what it wrote). For `PIN_SECONDS` after such a
  request the same browser reads the primary (`ReplicaPinMiddleware`, a short-lived
  cookie), so the page shown after a saved column choice or a transfer is never older than
  the change. Bookkeeping writes no later read depends on (the export log, sessions,
  login attempts, the cache) do not pin.
- Reads inside a transaction on the primary stay there (a transfer's locking reads).
- Sessions, login throttling and the cache are read from the primary always.
- Transfers, the transfer review, imports, saved views, logins and every other page never
  opted in: they read the primary.

Without a replica the decorator and the block change nothing. In tests the alias
"replica" is a mirror of the test database, and `READ_REPLICA` is switched on per test.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
#: Bookkeeping read from the primary always (sessions, login throttling, the database
#: cache); its writes, like the export log's, do not pin a request to the primary.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "django_cache"})
#: API keys are read from the primary too: a key revoked a moment ago must not work. Its
#: "last used" write is bookkeeping like the export log's.
PRIMARY_ONLY_MODELS = frozenset({"inventory.apikey"})
UNPINNED_MODELS = frozenset({"inventory.exportlog", "inventory.apikey"})
#: Seconds after a request that wrote during which the same browser reads the primary.
PIN_SECONDS = 5
PIN_COOKIE = "primary_reads"


@dataclass
class _Reads:
    """The routing state of one request (or one block outside a request)."""

    replica: bool = False  # inside a view or block that reads from the replica
    pinned: bool = False  # this request wrote, or this browser did a moment ago
    wrote: bool = False


_reads: ContextVar[_Reads | None] = ContextVar("replica_reads", default=None)


def replica_configured() -> bool:
    return bool(getattr(settings, "READ_REPLICA", False))


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may go to the replica (unless this request wrote)."""
    state = _reads.get()
    if state is None:
        state = _Reads()
        _reads.set(state)
        try:
            with _replica_scope(state):
                yield
        finally:
            _reads.set(None)
        return
    with _replica_scope(state):
        yield


@contextmanager
def _replica_scope(state: _Reads) -> Iterator[None]:
    before = state.replica
    state.replica = replica_configured()
    try:
        yield
    finally:
        state.replica = before


def reads_from_replica(view: Callable) -> Callable:
    """A view whose GET and HEAD may read from the replica, streamed responses included."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or not replica_configured():
            return view(request, *args, **kwargs)
        with replica_reads():
            response = view(request, *args, **kwargs)
            state = _reads.get()
        if response.streaming:
            response.streaming_content = _ReplicaStream(response.streaming_content, state)
        return response

    return wrapped


class _ReplicaStream:
    """A streamed response's pieces, produced with the view's routing state in force (the
    export's query runs while the response streams, after the view has returned)."""

    def __init__(self, chunks, state: _Reads):
        self._chunks = iter(chunks)
        self._state = state

    def __iter__(self):
        return self

    def __next__(self):
        outside = _reads.get()
        _reads.set(self._state)
        try:
            with _replica_scope(self._state):
                return next(self._chunks)
        finally:
            _reads.set(outside)


class ReplicaRouter:
    """Sends a read to the replica only inside a replica block of a request that has not
    written; everything else to the primary."""

    def db_for_read(self, model, **hints):
        state = _reads.get()
        if (
            state is not None
            and state.replica
            and not state.pinned
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and model._meta.label_lower not in PRIMARY_ONLY_MODELS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        state = _reads.get()
        if state is not None and _pins(model):
            state.pinned = state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS


def _pins(model) -> bool:
    meta = model._meta
    if meta.app_label in PRIMARY_ONLY_APPS:
        return False
    return meta.label_lower not in UNPINNED_MODELS


class ReplicaPinMiddleware:
    """Gives each request its routing state; after a request that wrote, the browser
    reads the primary for PIN_SECONDS (a cookie, so any app server honours it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        state = _Reads(pinned=PIN_COOKIE in request.COOKIES)
        outside = _reads.get()
        _reads.set(state)
        try:
            response = self.get_response(request)
        finally:
            _reads.set(outside)
        if state.wrote:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
