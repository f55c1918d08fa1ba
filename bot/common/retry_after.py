"""Retry-After headers (delay-seconds or HTTP-date) as seconds to wait, clamped and safe."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime

from bot.common.clock import as_utc

MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
_DELAY_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date), or None.

    The result is clamped to 0 ≤ seconds ≤ 24 h; a date in the past means "now" (0). Garbage,
    negative numbers and missing headers give None. `now` should be timezone-aware; a naive
    value is taken as UTC.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _DELAY_SECONDS.fullmatch(text):
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        seconds = (as_utc(when) - as_utc(now)).total_seconds()
    return min(max(0.0, seconds), MAX_RETRY_AFTER_SECONDS)
