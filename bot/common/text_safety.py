"""Feed and user text made inert for a terminal or a log line, and shortened at a word."""

from __future__ import annotations

import re

# C0/C1 controls (ANSI escapes, carriage returns that overwrite lines) except newline and tab.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    """Feed text made safe for a terminal: no escape sequences or bidi overrides."""
    return _CONTROL.sub("", text)


def one_line(text: str) -> str:
    """`inert`, folded to one line: a field cannot forge a "[NEW] …" line of its own."""
    return " ".join(inert(text).split())


ELLIPSIS = "…"


def truncate_at_word(text: str, limit: int) -> str:
    """Shorten `text` to at most `limit` characters, cutting at a word boundary and adding "…"."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():
        space = cut.rfind(" ")
        if space > 0:
            cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS
