"""XLSX cells: one stored value -> one `<c>` element of sheet XML, by the column's kind.

Timestamps are date cells holding the Pacific wall time to the minute (what the table
shows), dates are date cells, Term (Years) a number, the rest inline strings; a date
before March 1900 (which Excel's day count gets wrong) is written as its shown text.
Every cell carries its reference (`r="B7"`): Gnumeric reads no cell without one. A text
longer than a cell may hold is cut with a visible mark (`fit_cell_text`); text that looks
like an XML escape is written so that every reader keeps it (see `ESCAPE_LOOKALIKE`).
Text cells are always string cells, never formulas, and carry the same formula-safety
`'` as the CSV (`inventory.spreadsheet`). `inventory.exports.postgres` writes the same
cells in SQL, byte for byte; the constants it shares live here.
"""

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial

from inventory.columns import Column, Kind
from inventory.dbfunctions import PACIFIC, date_text, timestamp_text
from inventory.spreadsheet import DANGEROUS_LEADING, neutralize

#: Day 0 of Excel's serial numbers.
EXCEL_EPOCH = datetime(1899, 12, 30)
EXCEL_EPOCH_DATE = EXCEL_EPOCH.date()
#: Excel's serial numbers count 1900 as a leap year; from March 1900 on they are right.
FIRST_SERIAL_DATE = date(1900, 3, 1)
_ONE_MINUTE = timedelta(minutes=1)
#: Cell style indexes in the workbook's styles part (`inventory.exports.xlsx`).
STYLE_HEADER, STYLE_TIMESTAMP, STYLE_DATE = 1, 2, 3
#: Cells are written before their row number is known (the row may start a further
#: sheet, and on PostgreSQL the query writes them): each reference ends in this stand-in,
#: replaced when the row is placed. No cell can hold it: it is a control character,
#: removed from every text.
ROW_STAND_IN = "\x01"

#: The characters one XLSX cell may hold (Excel's limit). Excel counts UTF-16 code units,
#: so a character outside the Basic Multilingual Plane (an emoji) counts two; so do we.
CELL_MAX_CHARACTERS = 32_767
#: Ends a text cut to fit a cell, so that nobody takes the cut text for the whole.
TRUNCATED_MARK = " [truncated]"
#: No text of at most this many characters can exceed the limit, even if every character
#: counts two: the common case skips counting.
SURELY_FITS = CELL_MAX_CHARACTERS // 2

# Characters XML 1.0 cannot hold (so neither can XLSX) are dropped; `&<>` are escaped; a
# carriage return is written as a character reference because XML readers turn a literal
# one into a line feed, and tab and line feed too, as the PostgreSQL path must.
XML_SPECIAL = re.compile("[&<>\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
XML_REFERENCES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\t": "&#9;",
    "\n": "&#10;",
    "\r": "&#13;",
}
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Text that looks like an XML escape of the OOXML string type (ST_Xstring: `_x000D_` is a
# carriage return) is not read back the same by every reader. Tried on a cell holding
# `a_x000D_b`, written literally and escaped as `a_x005F_x000D_b`, in an inline string
# and in the shared-string table:
# - calamine (python-calamine 0.9) decodes every `_xHHHH_` in every string, inline or
#   shared, as Excel does (and LibreOffice, by the report that found this): the literal
#   reads as "a\rb", the escape reads back right.
# - openpyxl 3.1 decodes nothing in inline strings, so the escape reads as written
#   (`a_x005F_x000D_b`); in shared strings it only deletes every "x005F_", even in text
#   that was never escaped.
# - Gnumeric 1.12 (ssconvert) decodes nothing anywhere: the escape reads as written.
# So no spelling of the text in one piece reads back right everywhere, and a shared-string
# table would not help. What does is never letting the pattern appear within one `<t>`:
# the escape is defined per `<t>` element, so the cell becomes an inline string of runs
# (`<r><t>`) broken after each `_` that begins the pattern. Readers decode each run on its
# own and join the runs; no run holds an escape, so openpyxl, calamine and Gnumeric all
# read `a_x000D_b` (tests/test_xlsx_readers.py). It streams: nothing to hold in memory.
# The pattern is matched loosely (either case of x) and overlapping occurrences all
# break: a break too many costs nothing. (openpyxl's optional rich_text mode deletes
# "x005F_" in every run, a fault no spelling avoids.)
ESCAPE_LOOKALIKE = re.compile("_(?=[xX][0-9A-Fa-f]{4}_)")
#: Opens text whose spaces at either end must be kept.
PRESERVED_TEXT_START = '<t xml:space="preserve">'
RUN_START = "<r>" + PRESERVED_TEXT_START
RUN_END = "</t></r>"
#: What replaces the `_` that begins a look-alike: it, then a new run.
RUN_BREAK = "_" + RUN_END + RUN_START


def _xml_reference(match: re.Match) -> str:
    return XML_REFERENCES.get(match.group(), "")


def xml_escaped(text: str) -> str:
    """`&<>`, tab, line feed and carriage return as references; what XML forbids dropped."""
    return XML_SPECIAL.sub(_xml_reference, text)


def xlsx_text(text: str) -> str:
    """Text as an XLSX cell holds it: without the control characters XML forbids."""
    return _XML_FORBIDDEN.sub("", text)


def fit_cell_text(text: str) -> str:
    """`text` as one XLSX cell can hold it: a text over CELL_MAX_CHARACTERS (counted as
    Excel counts) is cut so that, with TRUNCATED_MARK after it, it fills the cell exactly
    or one short (a character that counts two is never cut in half). The text must hold
    no lone surrogate (`xlsx_text` removes them). CSV keeps the whole text."""
    if len(text) <= SURELY_FITS:
        return text
    encoded = text.encode("utf-16-le")
    if len(encoded) <= 2 * CELL_MAX_CHARACTERS:
        return text
    room = 2 * (CELL_MAX_CHARACTERS - len(TRUNCATED_MARK))
    # A surrogate pair cut in half is an incomplete last character: "ignore" drops it.
    return encoded[:room].decode("utf-16-le", errors="ignore") + TRUNCATED_MARK


def column_letter(number: int) -> str:
    """Column `number` (from 1) as a sheet names it: A, B, ..., Z, AA, ..."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_ref(number: int) -> str:
    """Column `number`'s cell reference with the row left to fill in: 'B' + ROW_STAND_IN."""
    return column_letter(number) + ROW_STAND_IN


def header_text(label: str) -> str:
    """A header cell's `<t>` content: the label neutralized, cleaned and escaped."""
    return xml_escaped(neutralize(xlsx_text(label)))


def text_cell(ref: str, value) -> str:
    if value is None or value == "":
        return f'<c r="{ref}"/>'
    text = str(value)
    if _is_plain(text):
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
    return f'<c r="{ref}" t="inlineStr"><is>{_inline_text(text)}</is></c>'


#: First characters that send text the long way: neutralized, or may be, or a space.
NOT_PLAIN_FIRST = DANGEROUS_LEADING | {"'", " "}


def _is_plain(text: str) -> bool:
    """True when text goes into a cell as it is: nothing to escape, remove, neutralize,
    cut or split (see `_inline_text`), no space at either end (which would need
    xml:space="preserve")."""
    return (
        text[0] not in NOT_PLAIN_FIRST
        and text[-1] != " "
        and len(text) <= SURELY_FITS
        and XML_SPECIAL.search(text) is None
        and ("_" not in text or ESCAPE_LOOKALIKE.search(text) is None)
    )


def _inline_text(text: str) -> str:
    """The `<is>` content of a text cell that is not plain: neutralized, cleaned, cut to
    fit, escaped, in runs when it holds an escape look-alike."""
    cleaned = xlsx_text(text)
    escaped = xml_escaped(fit_cell_text(neutralize(cleaned)))
    if ESCAPE_LOOKALIKE.search(cleaned) is None:
        return f"{PRESERVED_TEXT_START}{escaped}</t>"
    return RUN_START + ESCAPE_LOOKALIKE.sub(RUN_BREAK, escaped) + RUN_END


def number_cell(ref: str, value) -> str:
    return f'<c r="{ref}"/>' if value is None else f'<c r="{ref}"><v>{value}</v></c>'


def timestamp_cell(ref: str, value) -> str:
    if value is None:
        return f'<c r="{ref}"/>'
    # The Pacific wall time the table shows, to the minute, as Excel's day count.
    local = value.astimezone(PACIFIC).replace(tzinfo=None)
    if local.date() < FIRST_SERIAL_DATE:
        return text_cell(ref, timestamp_text(value))
    minutes = (local - EXCEL_EPOCH) // _ONE_MINUTE
    return f'<c r="{ref}" s="{STYLE_TIMESTAMP}"><v>{minutes / 1440!r}</v></c>'


def date_cell(ref: str, value) -> str:
    if value is None:
        return f'<c r="{ref}"/>'
    if isinstance(value, datetime):
        value = value.date()
    if value < FIRST_SERIAL_DATE:
        return text_cell(ref, date_text(value))
    return f'<c r="{ref}" s="{STYLE_DATE}"><v>{(value - EXCEL_EPOCH_DATE).days}</v></c>'


_CELL_WRITERS = {
    Kind.TEXT: text_cell,
    Kind.NUMBER: number_cell,
    Kind.TIMESTAMP: timestamp_cell,
    Kind.DATE: date_cell,
}


def cell_writers(columns: list[Column]) -> list[Callable[[object], str]]:
    """One function per column: value -> that column's cell XML (row left to fill in)."""
    return [
        partial(_CELL_WRITERS[column.kind], cell_ref(number))
        for number, column in enumerate(columns, start=1)
    ]
