"""Business days at the FCC (47 CFR 1.4): not a weekend, not a U.S. federal legal holiday.

Holidays come from the `holidays` package (federal holidays as observed), not a hand list.
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays


@functools.lru_cache(maxsize=64)
def _federal_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("US", years=year).keys())


def holiday_name(day: dt.date) -> str | None:
    """The federal holiday on `day`, if any (e.g. "Thanksgiving Day")."""
    return holidays.country_holidays("US", years=day.year).get(day)


def is_business_day(day: dt.date) -> bool:
    """True on weekdays that are not federal holidays."""
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def roll_forward(day: dt.date) -> dt.date:
    """§ 1.4(j): a period ending on a weekend or holiday runs to the next business day."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def business_days_before(day: dt.date, count: int) -> dt.date:
    """The business day `count` business days before `day` (count 0: `day` itself)."""
    while count > 0:
        day -= dt.timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_business_day(day)
    return count
