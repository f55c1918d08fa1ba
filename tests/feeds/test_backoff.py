"""Poll scheduling math: jitter, exponential backoff bounds and Retry-After parsing."""

from __future__ import annotations

import datetime as dt
import random
from email.utils import format_datetime

import pytest

from bot.common.retry_after import MAX_RETRY_AFTER_SECONDS, parse_retry_after
from bot.feeds.backoff import next_poll_delay
from bot.models import FetchSettings

SETTINGS = FetchSettings(backoff_base_seconds=60.0, backoff_max_seconds=6 * 3600.0)
NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def delays(failures: int, *, interval: float = 900.0, count: int = 300, seed: int = 7):
    """`count` delays from one seeded generator."""
    rng = random.Random(seed)
    return [next_poll_delay(interval, failures, None, SETTINGS, rng) for _ in range(count)]


def test_healthy_source_polls_at_interval_with_ten_percent_jitter():
    samples = delays(0)
    assert all(810.0 <= d <= 990.0 for d in samples)
    assert min(samples) < 850.0 and max(samples) > 950.0  # the jitter really spreads


def test_same_seed_gives_same_schedule():
    assert delays(3, seed=42) == delays(3, seed=42)
    assert delays(0, seed=1) != delays(0, seed=2)


@pytest.mark.parametrize("failures", [1, 2, 3, 4])
def test_backoff_below_the_interval_never_polls_faster_than_the_interval(failures):
    # 60 * 2**(n-1) ≤ 480 s < 900 s interval: the interval wins, exactly.
    assert set(delays(failures)) == {900.0}


def test_backoff_grows_exponentially_with_full_jitter_above_the_interval():
    assert max(delays(6)) <= 1920.0  # 60 * 2**5
    samples = delays(8)  # 60 * 2**7 = 7680 s ceiling
    assert all(900.0 <= d <= 7680.0 for d in samples)
    assert max(samples) > 7000.0 and min(samples) < 1500.0


def test_backoff_is_capped_at_backoff_max_even_for_huge_failure_counts():
    for failures in (10, 20, 1000, 10**9):
        samples = delays(failures, count=100)
        assert all(900.0 <= d <= SETTINGS.backoff_max_seconds for d in samples)
        assert max(samples) > 0.9 * SETTINGS.backoff_max_seconds


def test_interval_longer_than_backoff_max_is_still_the_floor():
    settings = FetchSettings(backoff_base_seconds=60.0, backoff_max_seconds=3600.0)
    rng = random.Random(3)
    samples = [next_poll_delay(7200.0, 5, None, settings, rng) for _ in range(50)]
    assert set(samples) == {7200.0}


def test_retry_after_longer_than_the_normal_delay_wins():
    rng = random.Random(5)
    assert next_poll_delay(900.0, 0, 5000.0, SETTINGS, rng) == 5000.0
    assert next_poll_delay(900.0, 3, 5000.0, SETTINGS, rng) == 5000.0


def test_retry_after_shorter_than_the_normal_delay_is_ignored():
    plain = next_poll_delay(900.0, 0, None, SETTINGS, random.Random(9))
    with_retry = next_poll_delay(900.0, 0, 10.0, SETTINGS, random.Random(9))
    assert with_retry == plain


def test_retry_after_is_clamped_to_a_day():
    assert next_poll_delay(900.0, 0, 10**9, SETTINGS, random.Random(1)) == MAX_RETRY_AFTER_SECONDS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("  45 ", 45.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("99999999999", MAX_RETRY_AFTER_SECONDS),
    ],
)
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "-5", "soon", "12 minutes", "inf", "NaN"])
def test_parse_retry_after_rejects_garbage(value):
    assert parse_retry_after(value, NOW) is None


def test_parse_retry_after_http_date_in_the_future():
    when = format_datetime(NOW + dt.timedelta(seconds=300), usegmt=True)
    assert parse_retry_after(when, NOW) == 300.0


def test_parse_retry_after_http_date_in_the_past_means_now():
    when = format_datetime(NOW - dt.timedelta(hours=1), usegmt=True)
    assert parse_retry_after(when, NOW) == 0.0


def test_parse_retry_after_far_future_date_is_clamped():
    assert parse_retry_after("Fri, 31 Dec 2099 23:59:59 GMT", NOW) == MAX_RETRY_AFTER_SECONDS


def test_parse_retry_after_accepts_a_naive_now_as_utc():
    when = format_datetime(NOW + dt.timedelta(seconds=60), usegmt=True)
    assert parse_retry_after(when, NOW.replace(tzinfo=None)) == 60.0
