"""Token counts (`TokenCount`, tokens per organization, part and status) stay exact through
everything that writes tokens: seeding, imports, transfers and direct edits. The status
summary and the Organizations page read them, so they must always equal a count of the
tokens themselves."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum

from inventory.models import PortToken, TokenCount
from inventory.transfers import transfer_tokens
from tests import factories
from tests.import_helpers import run_import, token_row, unapplied, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def kept() -> dict[tuple, int]:
    """The kept counts, leaving out groups that have dropped to zero."""
    rows = TokenCount.objects.values_list("organization_id", "part_id", "status").annotate(
        n=Sum("tokens")
    )
    return {(org, part, status): n for org, part, status, n in rows if n}


def counted() -> dict[tuple, int]:
    """The same numbers counted from the tokens."""
    rows = PortToken.objects.values_list("organization_id", "part_id", "status").annotate(
        n=Count("pk")
    )
    return {(org, part, status): n for org, part, status, n in rows}


def assert_exact():
    assert kept() == counted()
    assert not TokenCount.objects.filter(tokens__lt=0).exists()


def test_counts_follow_tokens_created_changed_and_deleted_one_by_one(people):
    token = factories.make_token(people.org, "T-1")
    factories.make_token(people.org, "T-2", status="Active")
    assert_exact()
    assert kept()[(people.org.pk, token.part_id, "New")] == 1

    token.status = "Available"
    token.save()
    assert_exact()

    token.organization = people.other_org
    token.part = factories.make_part()
    token.save()
    assert_exact()

    token.renewal_owner = "someone@example.com"  # a change that moves no count
    token.save()
    assert_exact()

    token.delete()
    assert_exact()
    assert sum(kept().values()) == 1


def test_counts_follow_bulk_inserts_updates_and_deletes(people):
    part = factories.make_part()
    factories.make_tokens(people.org, 30, part=part)
    factories.make_tokens(people.other_org, 20, prefix="OTHER", part=part, status="Expired")
    assert kept() == {
        (people.org.pk, part.pk, "New"): 30,
        (people.other_org.pk, part.pk, "Expired"): 20,
    }

    PortToken.objects.filter(serial__lt="BULK-000010").update(status="Active")
    assert_exact()
    PortToken.objects.filter(organization=people.other_org).update(organization=people.org)
    assert_exact()
    PortToken.objects.filter(status="Active").delete()
    assert_exact()
    assert sum(kept().values()) == 40


def test_counts_follow_a_transfer(people):
    factories.make_tokens(people.org, 12, status="Available")
    factories.make_tokens(people.other_org, 3, prefix="STAY")
    factories.grant(people.manager, people.other_org, role="manager")
    moving = [f"BULK-{n:06d}" for n in range(5)]

    transfer_tokens(user=people.manager, serials=moving, to_org=people.other_org)

    assert_exact()
    held = {}
    for (org, _, _), n in kept().items():
        held[org] = held.get(org, 0) + n
    assert held == {people.org.pk: 7, people.other_org.pk: 8}


def test_counts_follow_imports_that_create_update_and_move(tmp_path):
    factories.make_user("operator")
    first = write_csv(
        tmp_path,
        [
            token_row(token_sn="T-1"),
            unapplied(token_sn="T-2"),
            unapplied(token_sn="T-3", org_id="ORG-WEST", org_name="West"),
        ],
    )
    run_import(first)
    assert_exact()
    assert sum(kept().values()) == 3

    changed = write_xlsx(
        tmp_path,
        [
            token_row(token_sn="T-1", status="Expired"),
            unapplied(token_sn="T-2", status="Available"),
            unapplied(token_sn="T-3"),  # moves to ORG-ACME
            unapplied(token_sn="T-4", part_no="CPCLD-09L2-2YN", term_years="2"),
        ],
    )
    run_import(changed, "--transfer-as", "operator")
    assert_exact()
    assert sum(kept().values()) == 4


def test_counts_follow_the_demo_seed():
    call_command("seed_demo", "--tokens", "300", stdout=None)

    assert_exact()
    assert sum(kept().values()) == 300


def test_counts_go_on_after_the_demo_seed():
    # The seed writes the counts at its end rather than on each insert (PostgreSQL).
    call_command("seed_demo", "--tokens", "300", stdout=None)

    factories.make_tokens(factories.make_organization(), 3)

    assert_exact()
    assert sum(kept().values()) == 303


@pytest.mark.django_db(transaction=True)
def test_counts_are_emptied_with_the_tokens():
    organization = factories.make_organization()
    factories.make_tokens(organization, 5)
    assert_exact()

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE inventory_porttoken CASCADE")
        else:
            cursor.execute("DELETE FROM inventory_porttoken")

    assert kept() == {}
    assert_exact()


def test_the_status_summary_reads_the_same_numbers_as_a_count_of_the_tokens(viewer_client, people):
    fleet = factories.make_part(cloud_plan="Fleet Cloud Plan")
    factories.make_tokens(people.org, 4, part=fleet, status="Available")
    factories.make_tokens(people.org, 3, prefix="ACT", status="Active")
    factories.make_tokens(people.other_org, 9, prefix="HIDDEN", part=fleet)

    summary = viewer_client.get("/inventory/port-tokens/?filter=cloud_plan:contains:fleet")
    by_token_column = viewer_client.get(
        "/inventory/port-tokens/?filter=token_sn:contains:bulk&filter=cloud_plan:contains:fleet"
    )

    assert summary.context["total_display"] == "4"
    assert by_token_column.context["total_display"] == "4"
    assert [tile["count"] for tile in summary.context["status_summary"]["statuses"]] == [
        tile["count"] for tile in by_token_column.context["status_summary"]["statuses"]
    ]
