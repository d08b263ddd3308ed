"""The export history (`/inventory/exports/`): a user's own exports (everyone's for a
superuser), newest first, each saying what was exported and how it ended, with a link that
reopens the same view of the table; filters by who, format and Pacific dates."""

import re

import pytest
from django.urls import reverse

from tests import factories
from tests.factories import utc
from tests.helpers import links, page_html, query_of, read_data_table

URL = reverse("inventory:export_history")
EXPORT = reverse("inventory:port_tokens_export")
HEADERS = [
    "When (Pacific Time)",
    "Who",
    "Format",
    "Columns",
    "Rows",
    "Seconds",
    "Outcome",
    "View of the table",
]


def history(client, **params) -> list[dict[str, str]]:
    """The history's rows, each as {header: cell text}."""
    reader = read_data_table(client.get(URL, params), "export-table")
    if reader.rows:
        assert reader.headers == HEADERS
    return [dict(zip(reader.headers, row, strict=True)) for row in reader.rows]


def who(rows) -> list[str]:
    return [row["Who"] for row in rows]


@pytest.fixture
def superuser_client(client, people):
    client.force_login(factories.make_superuser("root"))
    return client


# --- visibility -----------------------------------------------------------------------


def test_a_user_sees_only_their_own_exports(viewer_client, people):
    factories.make_export_log(people.viewer, file_format="xlsx")
    factories.make_export_log(people.manager)
    factories.make_export_log(people.outsider)

    rows = history(viewer_client)

    assert who(rows) == ["viewer"]
    assert rows[0]["Format"] == "XLSX"


def test_a_superuser_sees_everyones_exports_newest_first(superuser_client, people):
    factories.make_export_log(people.viewer, created_at=utc(2026, 3, 2, 18, 0))
    factories.make_export_log(people.manager, created_at=utc(2026, 3, 3, 18, 0))
    factories.make_export_log(people.outsider, created_at=utc(2026, 3, 1, 18, 0))

    rows = history(superuser_client)

    assert who(rows) == ["manager", "viewer", "outsider"]
    assert [row["When (Pacific Time)"] for row in rows] == [
        "2026-03-03 10:00",
        "2026-03-02 10:00",
        "2026-03-01 10:00",
    ]


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_an_export_made_through_the_page_shows_in_the_history(manager_client, people):
    for serial in ("T1", "T2", "T3"):
        factories.make_token(people.org, serial)
    response = manager_client.get(
        EXPORT, {"format": "csv", "scope": "all", "filter": "token_sn:contains:t"}
    )
    b"".join(response.streaming_content)

    (row,) = history(manager_client)

    assert row["Who"] == "manager"
    assert (row["Format"], row["Columns"], row["Rows"]) == ("CSV", "All columns", "3")
    assert row["Outcome"] == "Finished"
    assert re.fullmatch(r"\d+\.\d", row["Seconds"])
    assert row["View of the table"] == "Token S/N contains t"


# --- what each row says ---------------------------------------------------------------


def test_a_finished_export_shows_its_rows_and_seconds(viewer_client, people):
    factories.make_export_log(people.viewer, row_count=12345, seconds=2.54)

    (row,) = history(viewer_client)

    assert (row["Rows"], row["Seconds"], row["Outcome"]) == ("12,345", "2.5", "Finished")


def test_a_failed_export_shows_its_reason(viewer_client, people):
    factories.make_export_log(
        people.viewer, outcome="failed", failure="the download was interrupted before its end"
    )

    (row,) = history(viewer_client)

    assert row["Outcome"] == "Failed the download was interrupted before its end"
    assert (row["Rows"], row["Seconds"]) == ("—", "—")


def test_a_running_export_has_no_rows_or_seconds_yet(viewer_client, people):
    factories.make_export_log(people.viewer, outcome="running")

    (row,) = history(viewer_client)

    assert (row["Rows"], row["Seconds"], row["Outcome"]) == ("—", "—", "Running")


def test_each_export_links_to_the_same_view_of_the_table(viewer_client, people):
    factories.make_export_log(
        people.viewer,
        scope="all",
        query_string="format=xlsx&scope=all&filter=org_name%3Acontains%3Aacme"
        "&filter=status%3Ais%3ANew&match=any&columns=token_sn%2Cstatus&sort=-status",
    )

    response = viewer_client.get(URL)

    (href,) = links(response, "Org Name contains acme or Status is New")
    assert href.startswith("/inventory/port-tokens/?")
    assert query_of(href) == [
        ("filter", "org_name:contains:acme"),
        ("filter", "status:is:New"),
        ("match", "any"),
        ("columns", "token_sn,status"),
        ("sort", "-status"),
    ]


def test_an_export_of_the_whole_table_links_to_the_table(viewer_client, people):
    factories.make_export_log(people.viewer, query_string="format=csv")

    (href,) = links(viewer_client.get(URL), "All tokens")

    assert href == "/inventory/port-tokens/"


def test_an_export_of_selected_rows_says_how_many(viewer_client, people):
    factories.make_export_log(
        people.viewer, query_string="format=csv&token=T1&token=T2&filter=status%3Ais%3ANew"
    )

    response = viewer_client.get(URL)

    (href,) = links(response, "Status is New")
    assert query_of(href) == [("filter", "status:is:New")]
    assert "(2 selected rows)" in page_html(response)


# --- filters --------------------------------------------------------------------------


def test_a_superuser_filters_by_who(superuser_client, people):
    factories.make_export_log(people.viewer)
    factories.make_export_log(people.manager)

    assert who(history(superuser_client, user="viewer")) == ["viewer"]
    # The choices are the people who exported.
    options = re.findall(r'<option value="([^"]*)"', page_html(superuser_client.get(URL)))
    assert options[:3] == ["", "manager", "viewer"]


def test_who_is_not_offered_to_others_and_is_ignored(viewer_client, people):
    factories.make_export_log(people.viewer)
    factories.make_export_log(people.manager)

    response = viewer_client.get(URL, {"user": "manager"})

    assert who(history(viewer_client, user="manager")) == ["viewer"]
    assert 'name="user"' not in page_html(response)


def test_filter_by_format(viewer_client, people):
    factories.make_export_log(people.viewer, file_format="csv")
    factories.make_export_log(people.viewer, file_format="xlsx")

    assert [row["Format"] for row in history(viewer_client, format="xlsx")] == ["XLSX"]


def test_filter_by_pacific_days_both_included(viewer_client, people):
    factories.make_export_log(people.viewer, created_at=utc(2026, 3, 1, 7, 59))  # Feb 28 PST
    factories.make_export_log(people.viewer, created_at=utc(2026, 3, 1, 8, 0))  # Mar 1 PST
    factories.make_export_log(people.viewer, created_at=utc(2026, 3, 3, 7, 59))  # Mar 2 PST
    factories.make_export_log(people.viewer, created_at=utc(2026, 3, 3, 8, 0))  # Mar 3 PST

    def when(**params):
        return [row["When (Pacific Time)"] for row in history(viewer_client, **params)]

    assert when(since="2026-03-01", until="2026-03-02") == ["2026-03-02 23:59", "2026-03-01 00:00"]
    assert when(until="2026-02-28") == ["2026-02-28 23:59"]
    assert when(since="2026-03-03") == ["2026-03-03 00:00"]
    assert when(until="9999-12-31") == when()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"format": "pdf"}, "“pdf” is not a format; showing every format."),
        ({"since": "2026-13-45"}, "Use a date like 2026-03-31; “From” ignored."),
        ({"until": "soon"}, "Use a date like 2026-03-31; “To” ignored."),
        (
            {"since": "2026-03-05", "until": "2026-03-01"},
            "“To” is before “From”; showing exports from “From” on.",
        ),
        ({"since": "\x00"}, "Use a date like 2026-03-31; “From” ignored."),
        ({"format": "x" * 5000}, "is not a format; showing every format."),
    ],
)
def test_a_bad_filter_value_is_ignored_with_a_message(viewer_client, people, params, message):
    factories.make_export_log(people.viewer, created_at=utc(2026, 3, 6, 18, 0))

    response = viewer_client.get(URL, params)

    assert response.status_code == 200
    assert message in page_html(response)
    assert who(history(viewer_client, **params)) == ["viewer"]


def test_a_bad_who_is_ignored_for_a_superuser_too(superuser_client, people):
    factories.make_export_log(people.viewer)

    response = superuser_client.get(URL, {"user": "nobody\x00"})

    assert response.status_code == 200
    assert "No exports by" in page_html(response)
    assert who(history(superuser_client, user="nobody\x00")) == ["viewer"]


# --- pages ----------------------------------------------------------------------------


def test_the_history_is_paginated_and_pages_keep_the_filters(viewer_client, people):
    for minute in range(55):
        factories.make_export_log(people.viewer, created_at=utc(2026, 3, 6, 18, minute))
    factories.make_export_log(people.viewer, file_format="xlsx")

    first = history(viewer_client, format="csv")
    second = history(viewer_client, format="csv", page=2)

    assert len(first) == 50 and len(second) == 5
    assert first[0]["When (Pacific Time)"] == "2026-03-06 10:54"
    assert second[-1]["When (Pacific Time)"] == "2026-03-06 10:00"
    response = viewer_client.get(URL, {"format": "csv"})
    (next_page,) = re.findall(r'rel="next" href="([^"]*)"', page_html(response))
    assert query_of(next_page) == [("format", "csv"), ("page", "2")]


@pytest.mark.parametrize("page", ["999", "0", "abc", "-1", "\x00"])
def test_any_page_number_shows_a_page(viewer_client, people, page):
    factories.make_export_log(people.viewer)

    assert who(history(viewer_client, page=page)) == ["viewer"]


def test_no_exports_yet_says_where_to_export(viewer_client, people):
    response = viewer_client.get(URL)

    assert "No exports yet" in page_html(response)
    assert links(response, "Port Tokens")


# --- the admin ------------------------------------------------------------------------


def test_the_admin_lists_the_log_with_outcome_and_failure_read_only(superuser_client, people):
    log = factories.make_export_log(
        people.viewer, outcome="failed", failure="the export stopped on a server error"
    )

    listing = superuser_client.get("/admin/inventory/exportlog/")
    change = superuser_client.get(f"/admin/inventory/exportlog/{log.pk}/change/")

    assert listing.status_code == 200
    assert "the export stopped on a server error" in page_html(listing)
    assert "Failed" in page_html(listing)
    assert change.status_code == 200
    assert 'name="_save"' not in page_html(change)
    assert superuser_client.get("/admin/inventory/exportlog/add/").status_code == 403
    delete = superuser_client.post(f"/admin/inventory/exportlog/{log.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
