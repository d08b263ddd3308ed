"""The quick search `q=`: its words, and what is wrong with a search that cannot be used.

A search is split into words on white space; a "quoted phrase" stays one word. A row
matches when every word is contained, case-insensitively, in at least one of its text
columns: that condition is `inventory.filtering.search_condition`. `inventory.viewstate`
reads `q` with `read_search` into the view state.
"""

import re

from inventory.dbfunctions import fold_text

MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 10

#: A "quoted phrase" (an unclosed quote runs to the end) or a run of non-space characters.
_WORD = re.compile(r'"([^"]*)(?:"|$)|(\S+)')


def search_words(text: str) -> list[str]:
    """The words of a search: split on white space, a "quoted phrase" one word (its
    inner white space kept as single spaces); empty phrases and repeats (ignoring case)
    dropped."""
    words: dict[str, str] = {}
    for phrase, bare in _WORD.findall(text):
        word = " ".join(phrase.split()) if phrase else bare
        if word:
            words.setdefault(fold_text(word), word)
    return list(words.values())


def search_text(words: list[str]) -> str:
    """The words written back as a search that gives the same words."""
    return " ".join(f'"{word}"' if " " in word else word for word in words)


def read_search(raw: str) -> tuple[list[str], str | None]:
    """The words of `q` as given, and a message when some or all of it is ignored: a
    search with a NUL character or longer than MAX_SEARCH_LENGTH is ignored; past
    MAX_SEARCH_WORDS words the rest are."""
    if "\x00" in raw:
        return [], "Search ignored: it contains a NUL character."
    raw = raw.strip()
    if len(raw) > MAX_SEARCH_LENGTH:
        return [], f"Search ignored: it is longer than {MAX_SEARCH_LENGTH} characters."
    words = search_words(raw)
    if len(words) <= MAX_SEARCH_WORDS:
        return words, None
    ignored = search_text(words[MAX_SEARCH_WORDS:])
    return words[:MAX_SEARCH_WORDS], (
        f"Only the first {MAX_SEARCH_WORDS} words of the search are used; {ignored[:80]} ignored."
    )
