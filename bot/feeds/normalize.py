"""Pure helpers that turn hostile feed values into clean, bounded data.

Shared by the RSS/Atom/RDF parser and the Federal Register JSON parser: HTML to plain text,
safe absolute links, UTC datetimes and tidy titles. Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from bot.common.text_safety import ELLIPSIS, truncate_at_word

TITLE_LIMIT = 500
TEXT_LIMIT = 20_000
MAX_URL_LENGTH = 4096
UNTITLED = "(untitled)"


# Elements whose content is never readable text.
_SKIPPED_ELEMENTS = frozenset({"script", "style", "template", "noscript", "head", "title"})
# Elements that separate words visually: a space goes where they start or end.
_BLOCK_ELEMENTS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip
# Markup left in text after one pass means the publisher escaped its HTML twice.
_LEFTOVER_MARKUP = re.compile(
    r"</?(?:a|b|blockquote|br|div|em|h[1-6]|i|img|li|ol|p|span|strong|table|td|tr|u|ul)\b[^<>]{0,300}>"
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});",
)
_HTML_FEED_CHUNK = 16_384
# Characters of HTML read per character of text wanted: generous even for Word-exported HTML.
_MARKUP_RATIO = 20


class _TextCollector(HTMLParser):
    """Collects the readable text of an HTML fragment with whitespace already collapsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self._skip_depth = 0
        self._space_pending = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skip_depth += 1
        elif tag in _BLOCK_ELEMENTS:
            self._space_pending = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_ELEMENTS:
            self._space_pending = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_ELEMENTS:
            self._space_pending = True

    def handle_data(self, data: str) -> None:
        if self._skip_depth or not data:
            return
        if data[0].isspace():
            self._space_pending = True
        words = data.split()
        if words:
            if self.parts and self._space_pending:
                self._append(" ")
            self._append(" ".join(words))
            self._space_pending = data[-1].isspace()

    def _append(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)

    def text(self) -> str:
        """The collected text."""
        return "".join(self.parts)


# A "<" with no ">" before the next "<" cannot open a tag: kept as text. Without this,
# html.parser rescans such an unclosed tag on every chunk (quadratic time on hostile input).
_UNCLOSED_LT = re.compile(r"<(?![^<>]*>)")


def _strip_markup_once(html: str, limit: int) -> str:
    """One HTML-to-text pass that stops reading once `limit` characters of text are collected.

    Only the first `limit * _MARKUP_RATIO` characters are read at all: html.parser rescans an
    unclosed tag on every chunk, so a multi-megabyte hostile fragment would take quadratic time.
    """
    readable = html[: limit * _MARKUP_RATIO + _HTML_FEED_CHUNK]
    complete = len(readable) == len(html)
    if not complete and readable.rfind("<") > readable.rfind(">"):
        readable = readable[: readable.rfind("<")]  # a tag cut in half by the cap is dropped
    readable = _UNCLOSED_LT.sub("&lt;", readable)
    collector = _TextCollector()
    for start in range(0, len(readable), _HTML_FEED_CHUNK):
        collector.feed(readable[start : start + _HTML_FEED_CHUNK])
        if collector.length > limit:
            break
    else:
        if complete:  # a cut-off tail is dropped, not flushed as text
            collector.close()
    return collector.text()


def html_to_text(html: str, limit: int = TEXT_LIMIT) -> str:
    """Readable plain text from an HTML fragment: no tags, scripts or styles, entities decoded.

    Whitespace is collapsed and the result holds at most `limit` characters. HTML that was
    escaped twice (so that one decoding still shows "<p>" or "&amp;") gets a second pass.
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:  # plain text: only whitespace to tidy
        return truncate_at_word(" ".join(html[: limit * 2 + 1024].split()), limit)
    text = _strip_markup_once(html, limit)
    if _LEFTOVER_MARKUP.search(text):
        text = _strip_markup_once(text, limit)
    return truncate_at_word(text.strip(), limit)


def clean_title(raw: str | None, limit: int = TITLE_LIMIT) -> str:
    """A one-line plain-text title, at most `limit` characters; "(untitled)" when empty."""
    title = html_to_text(raw or "", limit)
    return title or UNTITLED


TITLE_WORDS = 12


def title_from_text(text: str, words: int = TITLE_WORDS, limit: int = TITLE_LIMIT) -> str:
    """A title for an untitled entry: the first `words` words of its plain text, "…" when cut.

    RSS 2.0 allows an item with a description and no title; it is still worth an alert.
    """
    parts = text.split()
    if not parts:
        return UNTITLED
    title = " ".join(parts[:words])
    cut = len(parts) > words
    if len(title) > limit - 1:
        title, cut = title[: limit - 1].rstrip(), True
    return title + ELLIPSIS if cut else title


# Whitespace of any kind (after spaces became %20) and control characters make a URL unusable.
_UNSAFE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")


def resolve_link(href: str | None, base: str) -> str | None:
    """An absolute http(s) URL for `href` resolved against `base`, or None when unsafe or absent.

    javascript:, data:, mailto: and other schemes are refused, as are URLs without a host and
    absurdly long ones.
    """
    if not href or not isinstance(href, str):
        return None
    href = href.strip()
    if not href or len(href) > MAX_URL_LENGTH:
        return None
    try:
        # Most feed links are already absolute: urljoin would return them unchanged.
        plain = href.startswith(("http://", "https://")) and "/." not in href
        absolute = urljoin(base, href) if base and not plain else href
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    absolute = absolute.replace(" ", "%20")
    if _UNSAFE_IN_URL.search(absolute):
        return None
    return absolute


def looks_relative(reference: str) -> bool:
    """True for a path-like reference ("/node/12345", "./a", "../b") that needs a base URL."""
    return reference.startswith(("/", "./", "../"))


def to_utc(value: dt.datetime) -> dt.datetime:
    """The same instant as an aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def struct_time_to_utc(value: time.struct_time | None) -> dt.datetime | None:
    """An aware UTC datetime from feedparser's UTC `struct_time`, or None when absent or invalid."""
    if value is None:
        return None
    try:
        return dt.datetime(*value[:6], tzinfo=dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_date_text(raw: str | None) -> dt.datetime | None:
    """An aware UTC datetime from an RFC 822 or ISO 8601 date string, or None.

    The fallback for dates feedparser could not read. RFC 822 two-digit years follow the
    RFC 2822 rule ("26" is 2026, "99" is 1999).
    """
    if not raw or not isinstance(raw, str):
        return None
    raw = raw.strip()[:100]
    try:
        return to_utc(email.utils.parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        return to_utc(dt.datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        return None


def date_to_utc_midnight(value: dt.date) -> dt.datetime:
    """Midnight UTC at the start of `value` (for day-precision dates such as FR publication)."""
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def parse_iso_day(raw: object) -> dt.date | None:
    """A date from a "YYYY-MM-DD" string, or None when absent or malformed."""
    if not isinstance(raw, str):
        return None
    try:
        return dt.date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return None
