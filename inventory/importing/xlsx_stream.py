"""A workbook without formulas read as a stream: each worksheet's XML parsed by expat as
it is unzipped, a few rows at a time, so memory stays flat however long the sheet.

Readers that load a whole sheet first (calamine holds about 216 MB for 100,000 rows of
25 columns) put an import over its memory budget; openpyxl's streaming reader is flat
but builds an object per cell and takes three times as long (bench/import.py).

The rows are what openpyxl's reader gives: from row 1 and column A, a missing cell and
an empty one as None; text from the shared-string table or inline (its runs joined,
phonetic guides left out, each `<t>`'s `_xHHHH_` escapes decoded as Excel and calamine
decode them); whole numbers as int, others as float; a number in a date format as a
datetime (a time of day as a time, a duration format as a timedelta), by the workbook's
1900 or 1904 calendar; booleans as bool; an error cell as its text ("#N/A").
"""

import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from posixpath import dirname, join, normpath
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

#: Unzipped XML handed to the parser at a time.
CHUNK_BYTES = 1 << 16
#: The last row a worksheet can have: a row numbered past it is refused, not walked to.
LAST_ROW = 1_048_576
#: Date cells worked out and kept for the cells below them.
MOMENTS_KEPT = 65536

#: The `_xHHHH_` escape of OOXML strings (ST_Xstring), as Excel and calamine decode it.
_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


class Workbook:
    """The parts of an XLSX that its worksheets' cells refer to, read on opening."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self._moments: dict[tuple[str, bool], object] = {}
        workbook_path = _office_document(archive)
        relations = _relations(archive, workbook_path)
        self.sheets: list[tuple[str, str]] = []  # (name, path of its XML) of each worksheet
        self.epoch = CALENDAR_WINDOWS_1900
        for local, attributes in _elements(archive, workbook_path):
            if local == "workbookPr" and attributes.get("date1904") in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904
            elif local == "sheet":
                kind, target = relations.get(_relation_id(attributes), ("", ""))
                if kind == "worksheet":
                    self.sheets.append((attributes.get("name", ""), target))
        kinds = {kind: target for kind, target in relations.values()}
        self.shared_strings = (
            _shared_strings(archive, kinds["sharedStrings"]) if "sharedStrings" in kinds else []
        )
        self.date_styles, self.duration_styles = (
            _date_styles(archive, kinds["styles"]) if "styles" in kinds else (set(), set())
        )

    def rows(self, path: str) -> Iterator[tuple]:
        """The worksheet's rows, from row 1 (rows without cells as empty tuples)."""
        rows: list[tuple[int | None, list]] = []
        row: list = []
        row_number: int | None = None
        cell: dict = {}
        value: str | None = None  # the cell's <v>
        text: list[str] | None = None  # collecting the text of a <v> or an inline <t>
        inline: list[str] | None = None  # the <t> texts of an inline string
        in_phonetic = False
        local_names = _LocalNames()

        def start(name, attributes):
            nonlocal row, row_number, cell, value, text, inline, in_phonetic
            local = local_names[name]
            if local == "c":
                cell, value = attributes, None
            elif local == "v" or local == "t" and inline is not None and not in_phonetic:
                text = []
            elif local == "row":
                row, row_number = [], attributes.get("r")
            elif local == "is":
                inline = []
            elif local == "rPh":
                in_phonetic = True

        def end(name):
            nonlocal value, text, inline, in_phonetic
            local = local_names[name]
            if local == "c":
                reference = cell.get("r")
                index = _column_index(reference) if reference else len(row)
                if index >= len(row):
                    row.extend([None] * (index - len(row)))
                    row.append(self._value(cell, value, inline))
                else:
                    row[index] = self._value(cell, value, inline)
                inline = None
            elif local == "v":
                value, text = "".join(text), None
            elif local == "t" and text is not None:
                inline.append(_unescape("".join(text)))
                text = None
            elif local == "row":
                rows.append((row_number, row))
            elif local == "rPh":
                in_phonetic = False

        def characters(data):
            if text is not None:
                text.append(data)

        parser = _parser(start, end, characters)
        line = 0
        with self.archive.open(path) as stream:
            while True:
                chunk = stream.read(CHUNK_BYTES)
                parser.Parse(chunk, not chunk)
                for number, cells in rows:
                    number = int(number) if number else line + 1
                    if number <= line:
                        raise ValueError(f"row {number} comes after row {line}")
                    if number > LAST_ROW:
                        raise ValueError(f"row {number:,} is past a worksheet's last, {LAST_ROW:,}")
                    for _ in range(line + 1, number):
                        yield ()
                    line = number
                    yield tuple(cells)
                rows.clear()
                if not chunk:
                    return

    def _value(self, cell: dict, value: str | None, inline: list[str] | None):
        """The value of the cell of these attributes, `<v>` and inline string texts."""
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return ("".join(inline) or None) if inline is not None else None
        if value is None or value == "":
            return None
        if kind == "n":
            style = cell.get("s")
            if style is not None and (style := int(style)) in self.date_styles:
                return self._moment(value, style in self.duration_styles)
            if "." in value or "E" in value or "e" in value:
                return float(value)
            return int(value)
        if kind == "s":
            return self.shared_strings[int(value)] or None
        if kind == "b":
            return value not in ("0", "false")
        if kind == "d":
            return datetime.fromisoformat(value.removesuffix("Z"))
        return _unescape(value)  # "str" (a formula's text) and "e" (an error such as #N/A)

    def _moment(self, value: str, duration: bool):
        """A date cell's number as a datetime (a time, a timedelta): the same few
        thousand moments repeat down a sheet, so each is worked out once."""
        key = (value, duration)
        moment = self._moments.get(key)
        if moment is None:
            if len(self._moments) > MOMENTS_KEPT:
                self._moments.clear()
            try:
                moment = from_excel(float(value), self.epoch, timedelta=duration)
            except (OverflowError, ValueError):
                moment = float(value)  # out of the calendar: reported as not a time
            self._moments[key] = moment
        return moment


def _parser(start: Callable, end: Callable, characters: Callable):
    # Elements are told by their local name (a prefixed `x:c` is a cell too, and strict
    # OOXML's namespace reads alike). No entity is defined: expat refuses an entity
    # definition here (billion laughs).
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.EntityDeclHandler = _refuse_entities
    return parser


def _refuse_entities(*_):
    raise ValueError("the XML declares entities, which a workbook never does")


class _LocalNames(dict):
    """Element name -> its local name ("x:c" -> "c"), looked up as `names[name]`: a
    dictionary look-up is what a parse of millions of elements can afford. One per
    parse, so that the names a file makes up are forgotten with it."""

    def __missing__(self, name: str) -> str:
        local = self[name] = _local_name(name)
        return local


def _local_name(name: str) -> str:
    return name.rpartition(":")[2]


_COLUMN_INDEXES: dict[str, int] = {}


def _column_index(reference: str) -> int:
    """The 0-based column of a cell reference such as "AB12"."""
    letters = reference.rstrip("0123456789")
    index = _COLUMN_INDEXES.get(letters)
    if index is None:
        # Refused past ZZZ (18,278 columns): a row never grows without bound.
        index = _COLUMN_INDEXES[letters] = column_index_from_string(letters) - 1
    return index


def _elements(archive: zipfile.ZipFile, path: str) -> Iterator[tuple[str, dict]]:
    """(local name, attributes) of every element of a small XML part, in order."""
    found: list[tuple[str, dict]] = []
    parser = _parser(
        lambda name, attributes: found.append((_local_name(name), attributes)),
        lambda name: None,
        lambda data: None,
    )
    parser.Parse(archive.read(path), True)
    return iter(found)


def _office_document(archive: zipfile.ZipFile) -> str:
    for kind, target in _relations(archive, "").values():
        if kind == "officeDocument":
            return target
    return "xl/workbook.xml"


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (kind, path in the zip) of a part ("" for the package's own)."""
    folder = dirname(part)
    rels = join(folder, "_rels", part.rpartition("/")[2] + ".rels")
    if rels not in archive.NameToInfo:
        return {}
    relations = {}
    for local, attributes in _elements(archive, rels):
        if local != "Relationship" or attributes.get("TargetMode") == "External":
            continue
        target = attributes.get("Target", "")
        path = target[1:] if target.startswith("/") else normpath(join(folder, target))
        kind = attributes.get("Type", "").rpartition("/")[2]
        relations[attributes.get("Id", "")] = (kind, path)
    return relations


def _relation_id(attributes: dict) -> str:
    for key, value in attributes.items():
        if _local_name(key) == "id":
            return value
    return ""


def _shared_strings(archive: zipfile.ZipFile, path: str) -> list[str]:
    """The shared-string table: each item's runs joined, phonetic guides left out."""
    strings: list[str] = []
    item: list[str] = []
    text: list[str] | None = None
    in_phonetic = False
    local_names = _LocalNames()

    def start(name, attributes):
        nonlocal item, text, in_phonetic
        local = local_names[name]
        if local == "si":
            item = []
        elif local == "t" and not in_phonetic:
            text = []
        elif local == "rPh":
            in_phonetic = True

    def end(name):
        nonlocal text, in_phonetic
        local = local_names[name]
        if local == "si":
            strings.append("".join(item))
        elif local == "t" and text is not None:
            item.append(_unescape("".join(text)))
            text = None
        elif local == "rPh":
            in_phonetic = False

    def characters(data):
        if text is not None:
            text.append(data)

    parser = _parser(start, end, characters)
    with archive.open(path) as stream:
        parser.ParseFile(stream)
    return strings


def _date_styles(archive: zipfile.ZipFile, path: str) -> tuple[set[int], set[int]]:
    """The cell styles (indexes into cellXfs) whose number format shows a date or time,
    and those of them that show a duration ([h]:mm)."""
    formats = dict(BUILTIN_FORMATS)
    dates, durations = set(), set()
    index, in_cell_styles = 0, False
    for local, attributes in _elements(archive, path):
        if local == "numFmt":
            formats[int(attributes.get("numFmtId", -1))] = attributes.get("formatCode", "")
        elif local == "cellXfs":
            in_cell_styles = True
        elif local in ("cellStyleXfs", "cellStyles", "dxfs"):
            in_cell_styles = False
        elif local == "xf" and in_cell_styles:
            code = formats.get(int(attributes.get("numFmtId", 0)), "")
            if is_date_format(code):
                dates.add(index)
                if is_timedelta_format(code):
                    durations.add(index)
            index += 1
    return dates, durations
