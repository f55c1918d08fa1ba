"""When to poll a source next: the normal interval, exponential backoff, and Retry-After.

Pure functions, no I/O and no clock of their own: the caller passes `now` and, in tests, a
seeded `random.Random`. Jitter spreads polls out so sources configured with the same interval
do not all hit the network in the same second.
"""

from __future__ import annotations

import random

from bot.common.retry_after import MAX_RETRY_AFTER_SECONDS
from bot.models import FetchSettings

#: The longest Retry-After we honour; a site asking for more is polled again after a day.
#: Jitter applied to the normal interval when a source is healthy (±10 %).
INTERVAL_JITTER = 0.10
# 2**60 seconds is far beyond any backoff cap; stops 2**n from overflowing a float.
_MAX_BACKOFF_EXPONENT = 60
_default_rng = random.Random()


def next_poll_delay(
    interval_seconds: float,
    consecutive_failures: int,
    retry_after_seconds: float | None,
    settings: FetchSettings,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before polling a source again.

    Healthy (0 failures): the interval with ±10 % jitter. After n failures: a random delay
    between the interval and min(backoff_max, max(interval, backoff_base * 2**(n-1))), so a
    failing source is never polled more often than a healthy one. A Retry-After from the
    server wins when it asks for a longer wait.
    """
    rng = rng if rng is not None else _default_rng
    interval = max(0.0, float(interval_seconds))
    failures = max(0, consecutive_failures)
    if failures == 0:
        delay = interval * rng.uniform(1.0 - INTERVAL_JITTER, 1.0 + INTERVAL_JITTER)
    else:
        exponent = min(failures - 1, _MAX_BACKOFF_EXPONENT)
        backoff = settings.backoff_base_seconds * 2.0**exponent
        ceiling = min(settings.backoff_max_seconds, max(interval, backoff))
        # A backoff_max below the interval must not make a failing source poll faster.
        delay = rng.uniform(interval, max(interval, ceiling))
    if retry_after_seconds is not None:
        delay = max(delay, min(max(0.0, retry_after_seconds), MAX_RETRY_AFTER_SECONDS))
    return delay
