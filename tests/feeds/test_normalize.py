"""Tests for bot.feeds.normalize: HTML to text, safe links, UTC times, titles."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from bot.common.text_safety import truncate_at_word
from bot.feeds.normalize import (
    clean_title,
    date_to_utc_midnight,
    html_to_text,
    parse_date_text,
    parse_iso_day,
    resolve_link,
    struct_time_to_utc,
    to_utc,
)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Hello <b>world</b></p><p>Next</p>", "Hello world Next"),
        ("Line one<br>Line two<br/>Line three", "Line one Line two Line three"),
        ("<ul><li>One</li><li>Two</li></ul>", "One Two"),
        ("Se<b>par</b>ate", "Separate"),  # inline tags do not split words
        ("<script>alert(1)</script>Safe<style>p{}</style> text", "Safe text"),
        ("<SCRIPT type='text/javascript'>x()</SCRIPT>Upper", "Upper"),
        ("AT&amp;T &lt;3 &#8212; &eacute;t&eacute;&nbsp;2025", "AT&T <3 — été 2025"),
        ("&lt;p&gt;Escaped &amp;amp; twice&lt;/p&gt;", "Escaped & twice"),
        ("  lots \n\n of \t whitespace  ", "lots of whitespace"),
        ("5 < 6 and 7 > 3", "5 < 6 and 7 > 3"),
        ("<p>unclosed <b>tags <i>here", "unclosed tags here"),
        ("<!-- hidden --><p>shown</p>", "shown"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html, 1000) == expected


def test_html_to_text_respects_the_limit_at_a_word_boundary() -> None:
    text = html_to_text("<p>" + "word " * 10_000 + "</p>", 50)
    assert len(text) <= 50
    assert text.endswith("word…")


def test_html_to_text_stops_reading_huge_input_early() -> None:
    huge = "<div>" + "<span>filler text</span>" * 200_000 + "</div><p>TAIL-MARKER</p>"
    text = html_to_text(huge, 100)
    assert len(text) <= 100
    assert "TAIL-MARKER" not in text


def test_html_to_text_reads_only_a_bounded_prefix_of_markup() -> None:
    # html.parser rescans an unclosed tag on every chunk (quadratic): only a prefix is read.
    assert html_to_text("<b></b>" * 20_000 + "TAIL", 10) == ""
    assert html_to_text("<b></b>" * 20 + "TAIL", 10) == "TAIL"
    assert html_to_text("<a " + "b" * 4_000_000, 20_000) == ""


def test_unclosed_script_hides_the_rest_rather_than_leaking_code() -> None:
    assert html_to_text("Visible <script>var a = '<p>not text</p>';", 100) == "Visible"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("alpha beta gamma", 11, "alpha beta…"),
        ("alpha beta gamma", 12, "alpha beta…"),
        ("alpha beta, gamma", 13, "alpha beta…"),
        ("unbreakableword", 6, "unbre…"),
        ("anything", 0, ""),
        ("anything", 1, "…"),
    ],
)
def test_truncate_at_word(text: str, limit: int, expected: str) -> None:
    assert truncate_at_word(text, limit) == expected
    assert len(truncate_at_word(text, limit)) <= max(limit, 0)


def test_clean_title() -> None:
    assert clean_title("  FCC\n  Rescinds   <em>CALEA</em> Ruling ") == "FCC Rescinds CALEA Ruling"
    assert clean_title("") == "(untitled)"
    assert clean_title(None) == "(untitled)"
    assert clean_title("<script>x()</script>") == "(untitled)"
    assert len(clean_title("Docket " * 1000)) <= 500


@pytest.mark.parametrize(
    ("href", "base", "expected"),
    [
        ("https://docs.fcc.gov/a.pdf", "", "https://docs.fcc.gov/a.pdf"),
        ("/node/1", "https://www.cisa.gov/feed.xml", "https://www.cisa.gov/node/1"),
        ("item?id=2", "https://x.example/dir/feed", "https://x.example/dir/item?id=2"),
        ("//cdn.example.com/x", "https://x.example/", "https://cdn.example.com/x"),
        ("  https://x.example/a b  ", "", "https://x.example/a%20b"),
        ("HTTPS://X.EXAMPLE/", "", "HTTPS://X.EXAMPLE/"),
        ("javascript:alert(1)", "https://x.example/", None),
        ("JaVaScRiPt:alert(1)", "https://x.example/", None),
        ("java\nscript:alert(1)", "https://x.example/", None),
        ("data:text/html,<b>x</b>", "https://x.example/", None),
        ("ftp://x.example/file", "", None),
        ("mailto:a@b.c", "", None),
        ("https://", "", None),
        ("/relative/only", "", None),
        ("http://[::1", "", None),
        ("https://x.example/" + "a" * 5000, "", None),
        ("", "https://x.example/", None),
        (None, "https://x.example/", None),
    ],
)
def test_resolve_link(href: str | None, base: str, expected: str | None) -> None:
    assert resolve_link(href, base) == expected


def test_time_helpers() -> None:
    eastern = dt.timezone(dt.timedelta(hours=-5))
    assert to_utc(dt.datetime(2025, 11, 21, 17, 5, tzinfo=eastern)) == dt.datetime(
        2025, 11, 21, 22, 5, tzinfo=dt.UTC
    )
    assert to_utc(dt.datetime(2025, 1, 1)).tzinfo is dt.UTC
    assert struct_time_to_utc(time.gmtime(0)) == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert struct_time_to_utc(None) is None
    assert date_to_utc_midnight(dt.date(2025, 12, 15)) == dt.datetime(2025, 12, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Thu, 27 Aug 26 12:00:00 +0000", dt.datetime(2026, 8, 27, 12, tzinfo=dt.UTC)),
        ("Fri, 21 Nov 2025 17:05:00 -0500", dt.datetime(2025, 11, 21, 22, 5, tzinfo=dt.UTC)),
        ("2025-12-15T10:00:00Z", dt.datetime(2025, 12, 15, 10, tzinfo=dt.UTC)),
        ("2025-12-15", dt.datetime(2025, 12, 15, tzinfo=dt.UTC)),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date_text(raw: str | None, expected: dt.datetime | None) -> None:
    assert parse_date_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2025-12-15", dt.date(2025, 12, 15)), ("2025-02-30", None), (None, None), (20251215, None)],
)
def test_parse_iso_day(raw: object, expected: dt.date | None) -> None:
    assert parse_iso_day(raw) == expected


def test_unclosed_angle_brackets_are_text_and_cost_linear_time():
    hostile = "<b " * 100_000  # html.parser alone is quadratic on this (minutes at this size)
    text = html_to_text(hostile, 200)
    assert text.startswith("<b <b")
    assert html_to_text("a < b and c > d <p>para</p>", 100) == "a < b and c > d para"
