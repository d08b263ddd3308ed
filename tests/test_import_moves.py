"""`import_tokens FILE`: a row giving a token another organization is refused, unless
`--transfer-as` records each move in the transfer history."""

import pytest

from inventory import importing
from inventory.models import PortToken, Transfer
from inventory.transfers import transfer_tokens
from tests import factories
from tests.import_helpers import import_problems, run_import, unapplied, write_csv

pytestmark = pytest.mark.django_db


# Moving tokens between organizations ------------------------------------------------------


@pytest.fixture
def moved_scene():
    """T1 and T2 in ORG-WEST, T3 in ORG-NORTH, T5 in ORG-ACME; an operator and a file
    moving T1 and T3 into ORG-ACME and T2 into ORG-OTHER, creating T4, keeping T5."""
    west = factories.make_organization("ORG-WEST", "Acme West")
    north = factories.make_organization("ORG-NORTH", "Acme North")
    acme = factories.make_organization("ORG-ACME", "Acme Charging")
    for serial, organization in (("T1", west), ("T2", west), ("T3", north), ("T5", acme)):
        factories.make_token(organization, serial, status="Available")
    factories.make_user("operator")
    other = {"org_id": "ORG-OTHER", "org_name": "Other Networks"}
    return [
        unapplied(token_sn="T1"),
        unapplied(token_sn="T2", **other),
        unapplied(token_sn="T3"),
        unapplied(token_sn="T4"),
        unapplied(token_sn="T5"),
    ]


def owners() -> dict[str, str]:
    return dict(PortToken.objects.values_list("serial", "organization__org_id"))


def test_a_row_that_would_move_a_token_is_a_bad_row_naming_its_line(tmp_path, moved_scene):
    problems = import_problems(write_csv(tmp_path, moved_scene))

    advice = (
        "Move it with a transfer, or import with --transfer-as USERNAME to record the move "
        "in the transfer history."
    )
    assert problems == [
        "Nothing was imported: 3 problems found.",
        f"line 2: Token S/N T1 belongs to ORG-WEST; importing it into ORG-ACME would move it. "
        f"{advice}",
        f"line 3: Token S/N T2 belongs to ORG-WEST; importing it into ORG-OTHER would move it. "
        f"{advice}",
        f"line 4: Token S/N T3 belongs to ORG-NORTH; importing it into ORG-ACME would move it. "
        f"{advice}",
    ]
    assert owners() == {"T1": "ORG-WEST", "T2": "ORG-WEST", "T3": "ORG-NORTH", "T5": "ORG-ACME"}
    assert not Transfer.objects.exists()


def test_with_transfer_as_each_move_is_recorded_as_a_transfer_by_that_user(tmp_path, moved_scene):
    output = run_import(
        write_csv(tmp_path, moved_scene, name="moves.csv"), "--transfer-as", "operator"
    )

    assert owners() == {
        "T1": "ORG-ACME",
        "T2": "ORG-OTHER",
        "T3": "ORG-ACME",
        "T4": "ORG-ACME",
        "T5": "ORG-ACME",
    }
    recorded = [
        (
            record.created_by.username,
            record.to_organization.org_id,
            record.note,
            record.token_count,
            sorted(record.items.values_list("token__serial", "from_organization__org_id")),
        )
        for record in Transfer.objects.order_by("pk")
    ]
    assert recorded == [
        (
            "operator",
            "ORG-ACME",
            "Imported from moves.csv",
            2,
            [("T1", "ORG-WEST"), ("T3", "ORG-NORTH")],
        ),
        ("operator", "ORG-OTHER", "Imported from moves.csv", 1, [("T2", "ORG-WEST")]),
    ]
    first, second = Transfer.objects.order_by("pk")
    assert f"Transfer #{first.pk} by operator: 2 tokens moved into ORG-ACME." in output
    assert f"Transfer #{second.pk} by operator: 1 token moved into ORG-OTHER." in output


def test_the_recorded_moves_show_in_the_transfer_history(client, tmp_path, moved_scene):
    run_import(write_csv(tmp_path, moved_scene, name="moves.csv"), "--transfer-as", "operator")
    client.force_login(factories.make_superuser())

    page = client.get("/inventory/transfers/")

    assert page.status_code == 200
    assert page.content.decode().count("Imported from moves.csv") == 2


def test_moves_are_all_or_nothing_with_the_rest_of_the_file(tmp_path, moved_scene):
    rows = [*moved_scene, unapplied(token_sn="T6", status="Lost")]

    problems = import_problems(write_csv(tmp_path, rows), "--transfer-as", "operator")

    assert problems[1:] == [
        "line 7: Status: unknown status 'Lost': use New, Available, Active or Expired."
    ]
    assert owners() == {"T1": "ORG-WEST", "T2": "ORG-WEST", "T3": "ORG-NORTH", "T5": "ORG-ACME"}
    assert not Transfer.objects.exists()


def test_without_moves_transfer_as_records_nothing(tmp_path, moved_scene):
    run_import(write_csv(tmp_path, moved_scene[3:]), "--transfer-as", "operator")

    assert owners()["T4"] == "ORG-ACME"
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("nobody", "--transfer-as: no user is named 'nobody'; nothing was imported."),
        ("retired", "--transfer-as: user 'retired' is inactive; nothing was imported."),
    ],
)
def test_transfer_as_names_an_active_user(tmp_path, moved_scene, username, message):
    factories.make_user("retired", is_active=False)

    problems = import_problems(write_csv(tmp_path, moved_scene), "--transfer-as", username)

    assert problems == [message]
    assert not Transfer.objects.exists()
    assert "T4" not in owners()


def test_manage_py_refuses_an_unknown_transfer_as_user_in_one_line(run_manage_py, tmp_path):
    assert run_manage_py("migrate", "--verbosity", "0").returncode == 0
    path = write_csv(tmp_path, [unapplied()])

    result = run_manage_py("import_tokens", str(path), "--transfer-as", "nobody")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "CommandError: --transfer-as: no user is named 'nobody'; nothing was imported."
    ]


def test_a_token_transferred_while_the_file_is_checked_is_not_moved_back(tmp_path, monkeypatch):
    west = factories.make_organization("ORG-ACME", "Acme Charging")
    factories.make_organization("ORG-EAST", "Acme East")
    factories.make_token(west, "T1", status="Available")
    check = importing.check_moves_against_database

    def check_then_transfer_meanwhile(plan):
        check(plan)
        transfer_tokens(user=factories.make_superuser(), serials=["T1"], to_org="ORG-EAST")

    monkeypatch.setattr(importing, "check_moves_against_database", check_then_transfer_meanwhile)

    problems = import_problems(write_csv(tmp_path, [unapplied(token_sn="T1", status="New")]))

    assert problems[1:] == [
        "line 2: Token S/N T1 was moved to another organization while the file was being "
        "checked; import it again."
    ]
    assert owners() == {"T1": "ORG-EAST"}
    assert PortToken.objects.get().status == "Available"


def test_tokens_transferred_meanwhile_are_reported_in_the_files_order(tmp_path, monkeypatch):
    # The stored tokens are compared in primary-key order, a chunk (here one) at a time;
    # the problems still follow the file.
    monkeypatch.setattr(importing.plan, "LOOKUP_CHUNK", 1)
    west = factories.make_organization("ORG-ACME", "Acme Charging")
    factories.make_organization("ORG-EAST", "Acme East")
    for serial in ("T1", "T2"):
        factories.make_token(west, serial, status="Available")
    check = importing.check_moves_against_database

    def check_then_transfer_meanwhile(plan):
        check(plan)
        transfer_tokens(user=factories.make_superuser(), serials=["T1", "T2"], to_org="ORG-EAST")

    monkeypatch.setattr(importing, "check_moves_against_database", check_then_transfer_meanwhile)
    rows = [unapplied(token_sn="T2"), unapplied(token_sn="T1")]

    problems = import_problems(write_csv(tmp_path, rows))

    meanwhile = "was moved to another organization while the file was being checked"
    assert problems[1:] == [
        f"line 2: Token S/N T2 {meanwhile}; import it again.",
        f"line 3: Token S/N T1 {meanwhile}; import it again.",
    ]
    assert owners() == {"T1": "ORG-EAST", "T2": "ORG-EAST"}
