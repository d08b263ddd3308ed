"""The Port Tokens page's Export menu: its links carry the view state and name the columns
shown."""

from tests import factories
from tests.helpers import PAGE, get, links, query_of


def test_export_menu_links_carry_the_view_state(viewer_client, people):
    factories.make_token(people.org)

    response = get(
        viewer_client, "org_name:contains:acme", sort="-status", columns="status,token_sn", page=1
    )

    expected = {
        "Export visible columns (CSV)": ("csv", "visible"),
        "Export visible columns (XLSX)": ("xlsx", "visible"),
        "Export all columns (CSV)": ("csv", "all"),
        "Export all columns (XLSX)": ("xlsx", "all"),
    }
    for label, (file_format, scope) in expected.items():
        (href,) = links(response, label)
        assert href.startswith("/inventory/port-tokens/export/?")
        assert query_of(href) == [
            ("format", file_format),
            ("scope", scope),
            ("filter", "org_name:contains:acme"),
            ("columns", "status,token_sn"),
            ("sort", "-status"),
        ]


def test_export_links_name_the_remembered_columns(viewer_client, people):
    viewer_client.post(PAGE, {"action": "apply", "col": ["status", "org_id"]})

    (href,) = links(viewer_client.get(PAGE), "Export visible columns (CSV)")

    assert ("columns", "status,org_id") in query_of(href)
