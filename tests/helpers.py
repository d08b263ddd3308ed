"""Helpers the page's tests share: fetching the Port Tokens page with a view state, and
reading what a person sees on it (the table's headers and cells, the Token S/Ns of its
rows, links by their text, a link's query)."""

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

from inventory.models import PortToken

PAGE = "/inventory/port-tokens/"
#: The most rows a page shows: enough for every row of a test's few tokens.
MOST_ROWS_PER_PAGE = 250


def get(client, *filters, **params):
    """The Port Tokens page with these `filter=` values and other query parameters."""
    items = [("filter", f) for f in filters] + [(k, str(v)) for k, v in params.items()]
    return client.get(f"{PAGE}?{urlencode(items)}" if items else PAGE)


def get_all(client, *filters, **params):
    """The page with these filters, every matching row of a test's few tokens on it."""
    return get(client, *filters, per_page=MOST_ROWS_PER_PAGE, **params)


def shown_serials(response) -> list[str]:
    """Token S/Ns of the table rows, in the order shown."""
    assert response.status_code == 200
    return re.findall(r'<tr[^>]*data-token="([^"]+)"', response.content.decode())


def matching_serials(client, *filters: str) -> list[str]:
    """Token S/Ns the table shows for these filters, in the order shown."""
    return shown_serials(get_all(client, *filters))


class _TableReader(HTMLParser):
    """Header labels, cell texts and cell links of one table (the first with the class
    `table_class`), as a person reads them."""

    def __init__(self, table_class: str = "token-table"):
        super().__init__()
        self.table_class = table_class
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self.hrefs: list[list[str | None]] = []
        self._in_table = False
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and self.table_class in (attrs.get("class") or "").split():
            self._in_table = True
        elif self._in_table and tag == "thead":
            self._in_head = True
        elif self._in_table and tag == "tr" and not self._in_head:
            self.rows.append([])
            self.hrefs.append([])
        elif self._in_table and tag in ("th", "td"):
            self._cell = []
            if not self._in_head:
                self.hrefs[-1].append(None)
        elif self._cell is not None and tag == "a" and not self._in_head:
            self.hrefs[-1][-1] = attrs.get("href")

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag == "thead":
            self._in_head = False
        elif self._in_table and tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.headers if self._in_head else self.rows[-1]).append(text)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read_table(response) -> tuple[list[str], list[list[str]]]:
    """(header labels, rows of cell texts) without the selection column."""
    assert response.status_code == 200
    reader = _TableReader()
    reader.feed(response.content.decode())
    return [h.replace("▲", "").replace("▼", "").strip() for h in reader.headers[1:]], [
        row[1:] for row in reader.rows
    ]


def read_data_table(response, table_class: str) -> _TableReader:
    """The table with this class on the page: `headers`, `rows` (cell texts, footer rows
    included) and `hrefs` (each cell's link, or None), as a person reads them."""
    assert response.status_code == 200
    reader = _TableReader(table_class)
    reader.feed(response.content.decode())
    return reader


def page_html(response) -> str:
    """The page's HTML with entities decoded, as text to search."""
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def query_of(url: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a URL's query, in order, empty values kept."""
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def links(response, text: str) -> list[str]:
    """hrefs of the links whose text (tags stripped) is `text`."""
    found = []
    for href, inner in re.findall(
        r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', response.content.decode(), re.S
    ):
        if " ".join(re.sub(r"<[^>]+>", "", html.unescape(inner)).split()) == text:
            found.append(html.unescape(href))
    return found


def org_of(token: PortToken | str) -> str:
    """The Org ID of the organization a token (or a Token S/N) belongs to now, read
    afresh from the database."""
    serial = token if isinstance(token, str) else token.serial
    return PortToken.objects.get(serial=serial).organization.org_id


def breadcrumb(response) -> list[tuple[str, str | None]]:
    """The page's breadcrumb as (text, href) pairs; the current page has no href."""
    text = page_html(response)
    trail = re.search(r'<nav class="breadcrumb" aria-label="Breadcrumb">(.*?)</nav>', text, re.S)
    return [
        (label, href or None)
        for href, label in re.findall(
            r'<li>\s*(?:<a href="([^"]*)">|<span aria-current="page">)([^<]+)<', trail.group(1)
        )
    ]
