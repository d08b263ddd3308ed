"""The transfer service: who may move which tokens where, all or nothing, and the history."""

from dataclasses import dataclass

import pytest
from django.db import IntegrityError, transaction

from inventory.models import (
    HistoryIsAppendOnly,
    Membership,
    Organization,
    PortToken,
    Transfer,
    TransferItem,
)
from inventory.selectors import visible_tokens
from inventory.transfer_history import success_message
from inventory.transfers import (
    MAX_NOTE_LENGTH,
    MAX_TOKENS,
    UNKNOWN_TOKEN,
    TransferRefused,
    parse_serials,
    review_transfer,
    transfer_tokens,
)
from tests import factories
from tests.helpers import org_of

MANAGER = Membership.Role.MANAGER
VIEWER = Membership.Role.VIEWER


@dataclass
class Scene:
    west: Organization
    east: Organization
    manager: object  # manages west and east


@pytest.fixture
def scene(db) -> Scene:
    west = factories.make_organization("ORG-WEST", "Acme West")
    east = factories.make_organization("ORG-EAST", "Acme East")
    manager = factories.make_user("mover")
    factories.grant(manager, west, MANAGER)
    factories.grant(manager, east, MANAGER)
    return Scene(west, east, manager)


def refused(**arguments) -> TransferRefused:
    with pytest.raises(TransferRefused) as caught:
        transfer_tokens(**arguments)
    return caught.value


def problems_by_serial(review) -> dict[str, str]:
    return {problem.serial: problem.reason for problem in review.problems}


# --- moving ---------------------------------------------------------------------------


def test_manager_of_source_and_destination_moves_the_tokens(scene):
    first = factories.make_token(scene.west, "TKN-1")
    second = factories.make_token(scene.west, "TKN-2", status=PortToken.Status.AVAILABLE)

    record = transfer_tokens(
        user=scene.manager, serials=["TKN-1", "TKN-2"], to_org="ORG-EAST", note="Rebalance"
    )

    assert org_of(first) == org_of(second) == "ORG-EAST"
    assert record.to_organization == scene.east
    assert record.created_by == scene.manager
    assert record.note == "Rebalance"
    assert record.token_count == 2


def test_only_the_organization_changes(scene):
    order = factories.make_order()
    start, end = factories.utc(2026, 1, 1, 8), factories.utc(2027, 1, 1, 8)
    token = factories.make_token(
        scene.west,
        "TKN-1",
        status=PortToken.Status.AVAILABLE,
        order=order,
        plan_start_date=start,
        plan_end_date=end,
        renewal_owner="ops@example.com",
    )

    transfer_tokens(user=scene.manager, serials=["TKN-1"], to_org=scene.east)

    token.refresh_from_db()
    assert (token.status, token.order, token.plan_start_date, token.plan_end_date) == (
        PortToken.Status.AVAILABLE,
        order,
        start,
        end,
    )
    assert token.renewal_owner == "ops@example.com"
    assert token.organization == scene.east


def test_history_has_one_item_per_token_with_its_source(scene):
    north = factories.make_organization("ORG-NORTH", "Acme North")
    factories.grant(scene.manager, north, MANAGER)
    factories.make_token(scene.west, "TKN-W")
    factories.make_token(north, "TKN-N")

    record = transfer_tokens(user=scene.manager, serials=["TKN-W", "TKN-N"], to_org="ORG-EAST")

    items = TransferItem.objects.filter(transfer=record).order_by("token__serial")
    assert [(item.token.serial, item.from_organization.org_id) for item in items] == [
        ("TKN-N", "ORG-NORTH"),
        ("TKN-W", "ORG-WEST"),
    ]


def test_moved_tokens_are_visible_to_a_member_of_the_destination_only(scene):
    factories.make_token(scene.west, "TKN-1")
    east_viewer = factories.make_user("east-viewer")
    factories.grant(east_viewer, scene.east, VIEWER)
    assert not visible_tokens(east_viewer).filter(serial="TKN-1").exists()

    transfer_tokens(user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST")

    assert visible_tokens(east_viewer).filter(serial="TKN-1").exists()


def test_superuser_moves_tokens_of_any_organization(scene):
    factories.make_token(scene.west, "TKN-1")
    admin = factories.make_superuser()

    transfer_tokens(user=admin, serials=["TKN-1"], to_org="ORG-EAST")

    assert PortToken.objects.get(serial="TKN-1").organization == scene.east


def test_moves_up_to_10000_tokens_at_once(scene):
    factories.make_tokens(scene.west, MAX_TOKENS, prefix="MANY")
    serials = [f"MANY-{n:06d}" for n in range(MAX_TOKENS)]

    record = transfer_tokens(user=scene.manager, serials=serials, to_org="ORG-EAST")

    assert record.token_count == MAX_TOKENS
    assert PortToken.objects.filter(organization=scene.east).count() == MAX_TOKENS
    assert TransferItem.objects.filter(transfer=record).count() == MAX_TOKENS


# --- who ------------------------------------------------------------------------------


def test_viewer_of_the_source_cannot_move_its_tokens(scene):
    viewer = factories.make_user("west-viewer")
    factories.grant(viewer, scene.west, VIEWER)
    factories.grant(viewer, scene.east, MANAGER)
    factories.make_token(scene.west, "TKN-1")

    error = refused(user=viewer, serials=["TKN-1"], to_org="ORG-EAST")

    assert problems_by_serial(error.review) == {
        "TKN-1": "You are not a manager of Acme West (ORG-WEST), where this token is."
    }
    assert PortToken.objects.get(serial="TKN-1").organization == scene.west


def test_manager_of_the_source_only_cannot_choose_a_destination_they_do_not_manage(scene):
    source_manager = factories.make_user("west-only")
    factories.grant(source_manager, scene.west, MANAGER)
    factories.grant(source_manager, scene.east, VIEWER)
    factories.make_token(scene.west, "TKN-1")

    error = refused(user=source_manager, serials=["TKN-1"], to_org="ORG-EAST")

    assert error.review.errors["to_org"] == [
        "Org ID “ORG-EAST” is not an organization you manage; choose one from the list."
    ]
    assert PortToken.objects.get(serial="TKN-1").organization == scene.west


def test_manager_of_the_destination_only_cannot_take_tokens_from_the_source(scene):
    destination_manager = factories.make_user("east-only")
    factories.grant(destination_manager, scene.east, MANAGER)
    factories.make_token(scene.west, "TKN-1")

    error = refused(user=destination_manager, serials=["TKN-1"], to_org="ORG-EAST")

    assert problems_by_serial(error.review) == {"TKN-1": UNKNOWN_TOKEN}
    assert PortToken.objects.get(serial="TKN-1").organization == scene.west


def test_inactive_user_cannot_move_anything(scene):
    factories.make_token(scene.west, "TKN-1")
    scene.manager.is_active = False
    scene.manager.save()

    error = refused(user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST")

    assert problems_by_serial(error.review) == {"TKN-1": UNKNOWN_TOKEN}


# --- what -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [PortToken.Status.ACTIVE, PortToken.Status.EXPIRED])
def test_active_and_expired_tokens_cannot_move(scene, status):
    factories.make_token(scene.west, "TKN-1", status=status)

    error = refused(user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST")

    assert problems_by_serial(error.review) == {
        "TKN-1": f"Status is {status}; only New or Available tokens can move."
    }


def test_token_applied_to_an_evse_cannot_move_even_when_new(scene):
    evse = factories.make_evse(organization=scene.west, evse_id="EVSE-9")
    factories.make_token(scene.west, "TKN-1", evse=evse)

    error = refused(user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST")

    assert problems_by_serial(error.review) == {
        "TKN-1": "Applied to EVSE EVSE-9; only tokens applied to no EVSE can move."
    }


def test_unknown_and_foreign_serials_get_the_same_message(scene):
    elsewhere = factories.make_organization("ORG-ELSE", "Someone Else")
    factories.make_token(elsewhere, "TKN-FOREIGN")

    error = refused(user=scene.manager, serials=["TKN-NOPE", "TKN-FOREIGN"], to_org="ORG-EAST")

    assert problems_by_serial(error.review) == {
        "TKN-NOPE": UNKNOWN_TOKEN,
        "TKN-FOREIGN": UNKNOWN_TOKEN,
    }


def test_serials_that_could_never_exist_are_simply_unknown(scene):
    too_long = "X" * 65

    error = refused(user=scene.manager, serials=["TKN\x00NUL", too_long], to_org="ORG-EAST")

    assert problems_by_serial(error.review) == {
        "TKN\x00NUL": UNKNOWN_TOKEN,
        too_long: UNKNOWN_TOKEN,
    }


def test_token_already_in_the_destination_is_refused(scene):
    factories.make_token(scene.east, "TKN-1")

    error = refused(user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST")

    assert problems_by_serial(error.review) == {"TKN-1": "Already in Acme East."}


def test_serial_listed_twice_is_refused(scene):
    factories.make_token(scene.west, "TKN-1")

    error = refused(user=scene.manager, serials=["TKN-1", "TKN-1"], to_org="ORG-EAST")

    assert problems_by_serial(error.review) == {"TKN-1": "Listed 2 times; list each token once."}


def test_every_problem_is_reported_in_the_order_listed(scene):
    factories.make_token(scene.west, "TKN-OK")
    factories.make_token(scene.west, "TKN-ACTIVE", status=PortToken.Status.ACTIVE)

    error = refused(
        user=scene.manager, serials=["TKN-NOPE", "TKN-OK", "TKN-ACTIVE"], to_org="ORG-EAST"
    )

    assert [problem.serial for problem in error.review.problems] == ["TKN-NOPE", "TKN-ACTIVE"]
    assert [token.serial for token in error.review.movable] == ["TKN-OK"]


def test_empty_list_is_refused(scene):
    error = refused(user=scene.manager, serials=["", "  "], to_org="ORG-EAST")

    assert error.review.errors["token_sns"] == ["List at least one Token S/N."]


def test_more_than_10000_serials_are_refused(scene):
    serials = [f"TKN-{n}" for n in range(MAX_TOKENS + 1)]

    error = refused(user=scene.manager, serials=serials, to_org="ORG-EAST")

    assert error.review.errors["token_sns"] == [
        "10,001 Token S/Ns listed; at most 10,000 can move in one transfer. "
        "Split the list into several transfers."
    ]


@pytest.mark.parametrize("to_org", ["ORG-NOWHERE", "ORG-ELSE"])
def test_unknown_destination_and_unmanaged_destination_read_alike(scene, to_org):
    factories.make_organization("ORG-ELSE", "Someone Else")
    factories.make_token(scene.west, "TKN-1")

    error = refused(user=scene.manager, serials=["TKN-1"], to_org=to_org)

    assert error.review.errors["to_org"] == [
        f"Org ID “{to_org}” is not an organization you manage; choose one from the list."
    ]


def test_missing_destination_is_refused(scene):
    factories.make_token(scene.west, "TKN-1")

    error = refused(user=scene.manager, serials=["TKN-1"], to_org="")

    assert error.review.errors["to_org"] == ["Choose the organization the tokens go to."]


def test_note_longer_than_500_characters_is_refused(scene):
    factories.make_token(scene.west, "TKN-1")

    error = refused(
        user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST", note="n" * (MAX_NOTE_LENGTH + 1)
    )

    assert error.review.errors["note"] == ["The note has 501 characters; at most 500 are allowed."]


def test_note_of_exactly_500_characters_is_kept(scene):
    factories.make_token(scene.west, "TKN-1")

    record = transfer_tokens(
        user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST", note="n" * MAX_NOTE_LENGTH
    )

    assert len(Transfer.objects.get(pk=record.pk).note) == MAX_NOTE_LENGTH


# --- all or nothing -------------------------------------------------------------------


def test_one_bad_token_stops_the_whole_transfer(scene):
    factories.make_token(scene.west, "TKN-1")
    factories.make_token(scene.west, "TKN-2", status=PortToken.Status.ACTIVE)

    refused(user=scene.manager, serials=["TKN-1", "TKN-2"], to_org="ORG-EAST")

    assert PortToken.objects.filter(organization=scene.east).count() == 0
    assert not Transfer.objects.exists()
    assert not TransferItem.objects.exists()


def test_review_says_what_would_move_and_changes_nothing(scene):
    factories.make_token(scene.west, "TKN-1", part=factories.make_part(cloud_plan="Fleet Plan"))

    review = review_transfer(user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST")

    assert review.ok
    assert [(t.serial, t.cloud_plan, t.status, t.from_name) for t in review.movable] == [
        ("TKN-1", "Fleet Plan", "New", "Acme West")
    ]
    assert review.sources == [("ORG-WEST", "Acme West")]
    assert PortToken.objects.get(serial="TKN-1").organization == scene.west
    assert not Transfer.objects.exists()


def test_token_moved_since_the_review_is_refused(scene):
    north = factories.make_organization("ORG-NORTH", "Acme North")
    factories.grant(scene.manager, north, MANAGER)
    factories.make_token(scene.west, "TKN-1")
    reviewed = review_transfer(user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST")
    transfer_tokens(user=scene.manager, serials=["TKN-1"], to_org="ORG-NORTH")

    error = refused(
        user=scene.manager,
        serials=["TKN-1"],
        to_org="ORG-EAST",
        reviewed_sources=[org_id for org_id, _ in reviewed.sources],
    )

    assert problems_by_serial(error.review) == {
        "TKN-1": "Now in Acme North (ORG-NORTH), not where it was when you reviewed; review again."
    }
    assert Transfer.objects.count() == 1


# --- pasted serials -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "TKN-1 TKN-2  TKN-3",
        "TKN-1,TKN-2, TKN-3",
        "TKN-1\nTKN-2\nTKN-3\n",
        "TKN-1\r\nTKN-2\r\nTKN-3\r\n",
        "TKN-1\tTKN-2\tTKN-3",
        "  TKN-1;TKN-2 ,\r\n\tTKN-3  ",
    ],
)
def test_pasted_serials_split_on_spaces_commas_new_lines_and_tabs(text):
    assert parse_serials(text) == ["TKN-1", "TKN-2", "TKN-3"]


def test_pasted_duplicates_are_kept_so_they_can_be_refused():
    assert parse_serials("TKN-1\nTKN-1") == ["TKN-1", "TKN-1"]


# --- success message ------------------------------------------------------------------


def test_success_message_names_one_source(scene):
    factories.make_tokens(scene.west, 3, prefix="W")

    record = transfer_tokens(
        user=scene.manager, serials=["W-000000", "W-000001", "W-000002"], to_org="ORG-EAST"
    )

    assert success_message(record) == "Moved 3 tokens from Acme West to Acme East"


def test_success_message_names_two_sources(scene):
    north = factories.make_organization("ORG-NORTH", "Acme North")
    factories.grant(scene.manager, north, MANAGER)
    factories.make_token(north, "TKN-N")
    factories.make_token(scene.west, "TKN-W")

    record = transfer_tokens(user=scene.manager, serials=["TKN-N", "TKN-W"], to_org="ORG-EAST")

    assert success_message(record) == "Moved 2 tokens from Acme North and Acme West to Acme East"


def test_success_message_counts_three_or_more_sources(scene):
    serials = []
    for name in ["Acme North", "Acme South", "Acme Central"]:
        org = factories.make_organization(name=name)
        factories.grant(scene.manager, org, MANAGER)
        serials.append(factories.make_token(org).serial)

    record = transfer_tokens(user=scene.manager, serials=serials, to_org="ORG-EAST")

    assert success_message(record) == "Moved 3 tokens from 3 organizations to Acme East"


def test_success_message_says_token_for_one(scene):
    factories.make_token(scene.west, "TKN-1")

    record = transfer_tokens(user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST")

    assert success_message(record) == "Moved 1 token from Acme West to Acme East"


# --- append-only history --------------------------------------------------------------


@pytest.fixture
def record(scene):
    factories.make_token(scene.west, "TKN-1")
    return transfer_tokens(user=scene.manager, serials=["TKN-1"], to_org="ORG-EAST")


def test_saved_transfer_cannot_be_changed(record):
    record.note = "rewritten"
    with pytest.raises(HistoryIsAppendOnly):
        record.save()
    assert Transfer.objects.get(pk=record.pk).note == ""


def test_transfer_item_cannot_be_changed(record, scene):
    item = TransferItem.objects.get(transfer=record)
    item.from_organization = scene.east
    with pytest.raises(HistoryIsAppendOnly):
        item.save()


def test_new_object_with_an_existing_id_cannot_overwrite_history(record, scene):
    impostor = Transfer(
        pk=record.pk, created_by=scene.manager, to_organization=scene.west, token_count=9
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        impostor.save()
    assert Transfer.objects.get(pk=record.pk).to_organization == scene.east


@pytest.mark.parametrize("model", [Transfer, TransferItem])
def test_history_cannot_be_updated_or_deleted_in_bulk(record, model):
    with pytest.raises(HistoryIsAppendOnly):
        model.objects.all().update(pk=0)
    with pytest.raises(HistoryIsAppendOnly):
        model.objects.all().delete()
    with pytest.raises(HistoryIsAppendOnly):
        model.objects.first().delete()
    assert model.objects.count() == 1
