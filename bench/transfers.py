"""Server time of one transfer of 10,000 tokens (the most one transfer may move) in a
seeded database. Run by hand:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_1m .venv/bin/python bench/transfers.py

It picks the first 10,000 movable tokens (New or Available, applied to no EVSE; from many
organizations) and moves them into one organization with
`inventory.transfers.transfer_tokens` as a superuser (review, locks, the update, the
history, the token counts), `BENCH_RUNS` times (default 3). Each run is rolled back, so
the database is left as it was: before the rollback the deferred checks (a transfer's
token count equals its rows) are run, so the time includes everything a commit would do.
Target: under 2 s at a million tokens.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porttokens.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from inventory.models import Organization, PortToken  # noqa: E402
from inventory.transfers import MAX_TOKENS, transfer_tokens  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TARGET_SECONDS = 2.0


class RolledBack(Exception):
    pass


def one_transfer(user, serials: list[str], destination: Organization) -> float:
    started = time.perf_counter()
    try:
        with transaction.atomic():
            transfer_tokens(user=user, serials=serials, to_org=destination, note="bench")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            elapsed = time.perf_counter() - started
            raise RolledBack
    except RolledBack:
        return elapsed


def main() -> None:
    # As in production: with DEBUG on, Django keeps the text of every query it runs.
    settings.DEBUG = False
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    destination = Organization.objects.order_by("pk").first()
    # The first 10,000 movable tokens by Token S/N: from many organizations, as moving
    # the tokens of a filtered view would be.
    serials = list(
        PortToken.objects.filter(status__in=PortToken.TRANSFERABLE_STATUSES, evse=None)
        .exclude(organization=destination)
        .order_by("serial")
        .values_list("serial", flat=True)[:MAX_TOKENS]
    )
    print(
        f"{PortToken.objects.count():,} tokens; moving {len(serials):,} into "
        f"{destination.org_id}, {RUNS} runs, each rolled back"
    )
    times = [one_transfer(admin, serials, destination) for _ in range(RUNS)]
    median = statistics.median(times)
    print(
        f"transfer of {len(serials):,} tokens: median {median:.2f} s, worst {max(times):.2f} s"
        + ("" if median < TARGET_SECONDS else "  OVER TARGET")
    )
    sys.exit(0 if median < TARGET_SECONDS else 1)


if __name__ == "__main__":
    main()
