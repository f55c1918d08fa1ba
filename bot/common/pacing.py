"""Pacing: at most one call per interval per key (a chat channel), measured between calls."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Hashable, Iterator


class Pacer:
    """Spaces calls to the same key by `interval` seconds, from the end of one to the next.

    Each key is served by one thread at a time (the deliverer gives a destination to one
    worker), so only the bookkeeping needs the lock. `clock` and `sleep` are injectable.
    """

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def turn(self, key: Hashable) -> Iterator[None]:
        """Wait until `key` may be called again; the call made inside counts as its last."""
        with self._lock:
            last = self._last.get(key)
        if last is not None:
            wait = last + self.interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        try:
            yield
        finally:
            with self._lock:
                self._last[key] = self._clock()
