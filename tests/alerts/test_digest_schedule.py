"""Digest schedule: next local time of day, in the configured zone, as UTC."""

import datetime as dt

import pytest

from bot.alerts.digest_schedule import DigestSchedule
from bot.errors import ConfigError


def test_next_digest_is_today_or_tomorrow_in_local_time():
    schedule = DigestSchedule.parse("08:30", "America/New_York")
    before = dt.datetime(2025, 11, 21, 12, 0, tzinfo=dt.UTC)  # 07:00 in New York
    after = dt.datetime(2025, 11, 21, 14, 0, tzinfo=dt.UTC)  # 09:00 in New York
    assert schedule.next_after(before) == dt.datetime(2025, 11, 21, 13, 30, tzinfo=dt.UTC)
    assert schedule.next_after(after) == dt.datetime(2025, 11, 22, 13, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("time", "zone", "needle"),
    [
        ("8am", "UTC", "CALEA_BOT_DIGEST_TIME"),
        ("25:00", "UTC", "CALEA_BOT_DIGEST_TIME"),
        ("08:00", "Mars/Olympus", "CALEA_BOT_TIMEZONE"),
    ],
)
def test_bad_settings_name_the_variable(time, zone, needle):
    with pytest.raises(ConfigError, match=needle):
        DigestSchedule.parse(time, zone)
