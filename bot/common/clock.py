"""The bot's default clock: aware UTC datetimes (stages take a clock so tests can inject one)."""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """The same instant as an aware UTC datetime (naive values are assumed to be UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
