"""PostgreSQL writes the export's text: the COPY statements for CSV fields and XLSX cells.

Reading a million rows of 25 columns into Python objects alone runs at about 20,000 rows
a second here; `COPY (query) TO STDOUT` hands over finished text five times as fast. So
on PostgreSQL the query itself produces each CSV field and each XLSX row's cell XML, with
the same rules as `inventory.exports.csv_stream` and `inventory.exports.xlsx_cells` (the
tests run on both databases and compare the two paths byte for byte).

Every builder here is a function of the SQL of one value (a column reference, which the
builders may repeat) that returns the SQL of the text written for it.
"""

from collections.abc import Callable
from functools import partial

from django.db import connections
from django.db.models import F, Func, QuerySet, TextField

from inventory.columns import Column, Kind
from inventory.dbfunctions import (
    PG_DATE_FORMAT,
    PG_TIMESTAMP_FORMAT,
    pg_pacific_wall_time,
    pg_to_char,
)
from inventory.exports.xlsx_cells import (
    CELL_MAX_CHARACTERS,
    ESCAPE_LOOKALIKE,
    EXCEL_EPOCH,
    FIRST_SERIAL_DATE,
    PRESERVED_TEXT_START,
    RUN_BREAK,
    RUN_END,
    RUN_START,
    STYLE_DATE,
    STYLE_TIMESTAMP,
    SURELY_FITS,
    TRUNCATED_MARK,
    XML_REFERENCES,
    cell_ref,
)
from inventory.spreadsheet import DANGEROUS_LEADING

_DANGEROUS_CODES = ", ".join(str(ord(character)) for character in sorted(DANGEROUS_LEADING))
_APOSTROPHE, _SPACE = ord("'"), ord(" ")
# The characters `xlsx_cells.xlsx_text` removes that PostgreSQL text can hold, for
# translate() (PostgreSQL text holds no NUL and no lone surrogate).
_XML_FORBIDDEN = (
    "E'"
    + "".join(f"\\x{code:02x}" for code in [*range(1, 9), 11, 12, *range(14, 32)])
    + "\\uFFFE\\uFFFF'"
)
# Text that is not plain (see `xlsx_cells._is_plain`): markup, control characters (tab,
# line feed and carriage return included), the two non-characters, or a space at either
# end. Length and escape look-alikes are tested apart (one more branch here costs half as
# much again).
_NOT_PLAIN = "E'[&<>\\x01-\\x1f\\uFFFE\\uFFFF]|^ | $'"
# A character outside the Basic Multilingual Plane: one that Excel counts two.
_ASTRAL = r"[\U00010000-\U0010FFFF]"


def quoted(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


_LOOKALIKE = quoted(ESCAPE_LOOKALIKE.pattern)


def neutralized_sql(text: str) -> str:
    """`spreadsheet.neutralize(text)` in SQL."""
    # Comparing ascii() (the first character's code) with small numbers keeps it nearly
    # free: the first test fails at once for almost every value.
    return (
        f"CASE WHEN ascii({text}) IN ({_DANGEROUS_CODES}, {_APOSTROPHE}) "
        f"AND ascii(ltrim({text}, '''')) IN ({_DANGEROUS_CODES}) "
        f"THEN '''' || {text} ELSE {text} END"
    )


def csv_text_sql(value: str) -> str:
    """A text column's CSV field: neutralized; '' becomes NULL, which COPY writes as an
    unquoted empty field."""
    return f"NULLIF({neutralized_sql(value)}, '')"


def xlsx_cell_sql(column: Column, ref: str, value: str) -> str:
    """`xlsx_cells.cell_writers` in SQL: the cell XML of `value` in `column`."""
    if column.kind is Kind.NUMBER:
        return f"COALESCE({_value_start(ref)} || {value} || '</v></c>', {_empty(ref)})"
    if column.kind is Kind.DATE:
        return _date_cell_sql(ref, value)
    if column.kind is Kind.TIMESTAMP:
        return _timestamp_cell_sql(ref, value)
    return text_cell_sql(ref, value)


def _empty(ref: str) -> str:
    return quoted(f'<c r="{ref}"/>')


def _value_start(ref: str, style: int | None = None) -> str:
    style_attribute = "" if style is None else f' s="{style}"'
    return quoted(f'<c r="{ref}"{style_attribute}><v>')


def _date_cell_sql(ref: str, value: str) -> str:
    serial = f"({value} - DATE '{EXCEL_EPOCH.date()}')"
    shown = pg_to_char(value, PG_DATE_FORMAT)
    return (
        f"CASE WHEN {value} IS NULL THEN {_empty(ref)} "
        f"WHEN {value} < DATE '{FIRST_SERIAL_DATE}' THEN {text_cell_sql(ref, shown)} "
        f"ELSE {_value_start(ref, STYLE_DATE)} || {serial} || '</v></c>' END"
    )


def _timestamp_cell_sql(ref: str, value: str) -> str:
    local = f"date_trunc('minute', {pg_pacific_wall_time(value)})"
    # Whole minutes since Excel's epoch, divided as a float8 exactly as Python does.
    minutes = f"(extract(epoch FROM {local} - TIMESTAMP '{EXCEL_EPOCH}') / 60)::bigint"
    shown = pg_to_char(local, PG_TIMESTAMP_FORMAT)
    return (
        f"CASE WHEN {value} IS NULL THEN {_empty(ref)} "
        f"WHEN {local} < TIMESTAMP '{FIRST_SERIAL_DATE}' THEN {text_cell_sql(ref, shown)} "
        f"ELSE {_value_start(ref, STYLE_TIMESTAMP)} || ({minutes}::float8 / 1440) "
        "|| '</v></c>' END"
    )


def text_cell_sql(ref: str, value: str) -> str:
    """`xlsx_cells.text_cell` in SQL."""
    cell = f'<c r="{ref}" t="inlineStr"><is>'
    # Almost every value is plain: a few cheap tests send it straight through (the long
    # way costs twenty times more).
    plain = (
        f"{value} !~ {_NOT_PLAIN} "
        f"AND ascii({value}) NOT IN ({_DANGEROUS_CODES}, {_APOSTROPHE}, {_SPACE}) "
        f"AND length({value}) <= {SURELY_FITS} "
        f"AND (strpos({value}, '_') = 0 OR {value} !~ {_LOOKALIKE})"
    )
    return (
        f"CASE WHEN COALESCE({value}, '') = '' THEN {_empty(ref)} "
        f"WHEN {plain} THEN {quoted(cell + '<t>')} || {value} || '</t></is></c>' "
        f"ELSE {_inline_text_sql(cell, value)} END"
    )


def _inline_text_sql(cell: str, value: str) -> str:
    """`xlsx_cells._inline_text` in SQL, wrapped in `cell` and its end: a subquery per
    step, each fenced with OFFSET 0 so that PostgreSQL computes every step once instead of
    pasting its expression into the next (which would make the query many times longer,
    and slow to plan and compile)."""
    cleaned = f"SELECT translate({value}, {_XML_FORBIDDEN}, '') AS cleaned OFFSET 0"
    held = (
        f"SELECT cleaned ~ {_LOOKALIKE} AS looks, {neutralized_sql('cleaned')} AS held "
        f"FROM ({cleaned}) AS xlsx_cleaned OFFSET 0"
    )
    escaped = (
        f"SELECT looks, {_escaped_sql(_fitted_sql('held'))} AS escaped "
        f"FROM ({held}) AS xlsx_held OFFSET 0"
    )
    in_runs = (
        f"{quoted(cell + RUN_START)} || regexp_replace(escaped, {_LOOKALIKE}, "
        f"{quoted(RUN_BREAK)}, 'g') || {quoted(RUN_END + '</is></c>')}"
    )
    in_one_piece = f"{quoted(cell + PRESERVED_TEXT_START)} || escaped || '</t></is></c>'"
    return (
        f"(SELECT CASE WHEN looks THEN {in_runs} ELSE {in_one_piece} END "
        f"FROM ({escaped}) AS xlsx_escaped)"
    )


def _escaped_sql(text: str) -> str:
    """`xlsx_cells.xml_escaped` in SQL, for text already cleaned (`&` first, as there).
    Tab and line feed become references too: COPY's text format would escape them."""
    for character, reference in XML_REFERENCES.items():
        text = f"replace({text}, {_escape_string(character)}, {quoted(reference)})"
    return text


def _escape_string(character: str) -> str:
    """One character as a PostgreSQL escape string (E'\\x09'), safe for any character."""
    return f"E'\\x{ord(character):02x}'"


def _fitted_sql(text: str) -> str:
    """`xlsx_cells.fit_cell_text(text)` in SQL, for `text` a name (it is used several times).

    Characters outside the Basic Multilingual Plane are doubled so that one SQL character
    is one UTF-16 code unit; the units that fit are taken, and a character whose second
    half did not fit is left out whole, as Python does. Only a long text pays for that.
    """
    room = CELL_MAX_CHARACTERS - len(TRUNCATED_MARK)
    units = f"regexp_replace({text}, '({_ASTRAL})', '\\1\\1', 'g')"
    head = f"left({units}, {room})"
    astral_in_head = f"length({head}) - length(regexp_replace({head}, '{_ASTRAL}', '', 'g'))"
    return (
        f"CASE WHEN length({text}) <= {SURELY_FITS} THEN {text} "
        f"WHEN length({units}) <= {CELL_MAX_CHARACTERS} THEN {text} "
        f"ELSE left({text}, length({head}) - ({astral_in_head} + 1) / 2) || "
        f"{quoted(TRUNCATED_MARK)} END"
    )


class _ColumnText(Func):
    """The text `build(column_sql)` writes for one column (PostgreSQL only).

    The builders repeat the column's SQL; a column reference compiles to a name with no
    query parameters, so nothing has to be repeated with it."""

    output_field = TextField()

    def __init__(self, path: str, build: Callable[[str], str]):
        super().__init__(F(path))
        self.build = build

    def as_sql(self, compiler, connection, **extra_context):
        column_sql, params = compiler.compile(self.source_expressions[0])
        if params:
            raise ValueError(f"Export cells are built on column references, not {column_sql}.")
        return self.build(column_sql), ()


class _Joined(Func):
    """Its expressions concatenated with `||`: one text per row."""

    output_field = TextField()
    arg_joiner = " || "
    template = "%(expressions)s"


def _copy_sql(queryset: QuerySet, expressions: list, options: str) -> str:
    """`COPY (<the export query selecting these>) TO STDOUT WITH (<options>)`, parameters
    inlined by psycopg's client-side binding (COPY takes none)."""
    names = [f"export_{index}" for index in range(len(expressions))]
    query = (
        queryset.annotate(**dict(zip(names, expressions, strict=True))).values_list(*names).query
    )
    sql, params = query.sql_with_params()
    select = connections[queryset.db].ops.compose_sql(sql, params)
    return f"COPY ({select}) TO STDOUT WITH ({options})"


def copy_csv_sql(queryset: QuerySet, columns: list[Column]) -> str:
    """The COPY statement whose output is the CSV rows (without the header)."""
    fields = [
        _ColumnText(column.path, csv_text_sql)
        if column.kind is Kind.TEXT
        else column.display_expression()
        for column in columns
    ]
    return _copy_sql(queryset, fields, "FORMAT csv")


def copy_xlsx_sql(queryset: QuerySet, columns: list[Column]) -> str:
    """The COPY statement whose output is one line of cell XML per row."""
    cells = [
        _ColumnText(column.path, partial(xlsx_cell_sql, column, cell_ref(number)))
        for number, column in enumerate(columns, start=1)
    ]
    return _copy_sql(queryset, [_Joined(*cells)], "FORMAT text")
