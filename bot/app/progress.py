"""A progress counter for long commands ("polled 7/15 sources…"), on a terminal only.

It writes to stderr with carriage returns, only when stderr is a TTY and the command is not
printing --json, so piped or machine-readable output never contains it.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO


class Progress:
    """Counts finished units of work and redraws one line: '{verb} 7/15 sources…'."""

    def __init__(self, stream: TextIO, verb: str, total: int = 0) -> None:
        self.stream = stream
        self.verb = verb
        self.total = total
        self.done = 0
        self._lock = threading.Lock()
        self._width = 0

    @classmethod
    def on_terminal(cls, verb: str, *, quiet: bool = False, stream: TextIO | None = None):
        """A Progress on stderr when it is a terminal and `quiet` is false, else None."""
        stream = stream if stream is not None else sys.stderr
        if quiet or not _isatty(stream):
            return None
        return cls(stream, verb)

    def start(self, total: int) -> None:
        """Set the number of units and draw '0/total'."""
        self.total = total
        self._draw()

    def step(self, *_: Any) -> None:
        """One unit finished (accepts and ignores whatever the caller reports)."""
        with self._lock:
            self.done += 1
            self._draw()

    def finish(self) -> None:
        """Erase the line so the command's own output starts clean."""
        with self._lock:
            if self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
                self._width = 0

    def _draw(self) -> None:
        text = f"{self.verb} {self.done}/{self.total} sources…"
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = max(self._width, len(text))


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
