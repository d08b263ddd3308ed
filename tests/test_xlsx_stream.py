"""The import's streamed XLSX reader (`importing/xlsx_stream`) reads any sheet as
openpyxl reads it back: arbitrary text (shared strings, XML-special and non-ASCII
characters, spaces at either end), whole and fractional numbers, booleans, date and
time cells, empty cells and empty rows, on one sheet or several."""

import zipfile
from datetime import datetime, timedelta

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from inventory.importing.xlsx_stream import Workbook

#: Text openpyxl can write as text. Without "_x": openpyxl's shared-string reader deletes
#: "x005F_" where Excel (and the streamed reader) decode `_xHHHH_` (test_import_files.py
#: checks that decoding on its own). Not starting with "=": openpyxl writes that as a
#: formula, and a workbook with formulas is read by openpyxl, never streamed.
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30).filter(
    lambda text: (
        not ILLEGAL_CHARACTERS_RE.search(text) and "_x" not in text and not text.startswith("=")
    )
)
MOMENT = st.datetimes(datetime(1900, 3, 1), datetime(9999, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)
CELL = st.one_of(
    st.none(),
    TEXT,
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False, width=64).filter(lambda x: x != int(x)),
    st.booleans(),
    MOMENT,
)
SHEET = st.lists(st.lists(CELL, max_size=8), max_size=12)


def written(tmp_path, sheets: list[list[list]]):
    workbook = openpyxl.Workbook()
    for number, rows in enumerate(sheets):
        sheet = workbook.active if number == 0 else workbook.create_sheet()
        for row in rows:
            sheet.append(row)
    path = tmp_path / "written.xlsx"
    workbook.save(path)
    return path


def trimmed(rows) -> list[tuple]:
    """Rows of (type, value) cells, without the empty cells at their ends and the empty
    rows at the end (readers differ only in how far they pad). The type counts: 5 and
    5.0 are equal in Python but not the same cell."""
    typed = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        typed.append(tuple((type(value).__name__, value) for value in row))
    while typed and not typed[-1]:
        typed.pop()
    return typed


def openpyxl_rows(path) -> list[list[tuple]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return [trimmed(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]
    finally:
        workbook.close()


def streamed_rows(path) -> list[list[tuple]]:
    with zipfile.ZipFile(path) as archive:
        workbook = Workbook(archive)
        return [trimmed(workbook.rows(part)) for _, part in workbook.sheets]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sheets=st.lists(SHEET, min_size=1, max_size=3))
def test_the_streamed_reader_reads_any_sheet_as_openpyxl_reads_it(tmp_path, sheets):
    path = written(tmp_path, sheets)

    assert streamed_rows(path) == openpyxl_rows(path)


def test_a_date_cell_reads_to_the_second_and_a_time_of_day_alone_as_a_time(tmp_path):
    moment = datetime(2025, 7, 15, 10, 30, 59)
    path = written(tmp_path, [[[moment, moment.time(), timedelta(hours=30)]]])

    assert streamed_rows(path) == openpyxl_rows(path)
    assert streamed_rows(path)[0][0][0] == ("datetime", moment)
