"""Cell safety rules shared by the exports and the import.

Formula safety: a spreadsheet runs text that begins with `=`, `+`, `-`, `@`, tab or
carriage return as a formula. Every exported text cell that begins so gets a leading `'`
(OWASP's advice for CSV; XLSX text cells carry the same mark, so both formats hold the
same text and one rule undoes it). To keep the round trip lossless, text that already
starts with apostrophes followed by such a character gets one more `'`:
`restore_neutralized`, which the import applies, undoes exactly what `neutralize` did.
"""

#: First characters that a spreadsheet would run as a formula.
DANGEROUS_LEADING = frozenset("=+-@\t\r")


def neutralize(text: str) -> str:
    """Prefix `'` to text a spreadsheet would run as a formula."""
    # A set, not a string: the empty text after all-apostrophes must not match.
    if text.lstrip("'")[:1] in DANGEROUS_LEADING:
        return "'" + text
    return text


def restore_neutralized(text: str) -> str:
    """Undo `neutralize`: the import's inverse, so an export re-imports unchanged."""
    if text[:1] == "'":
        rest = text[1:].lstrip("'")
        if rest and rest[0] in DANGEROUS_LEADING:
            return text[1:]
    return text
