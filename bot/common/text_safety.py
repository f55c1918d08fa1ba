"""Feed and user text made inert for a terminal or a log line."""

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
