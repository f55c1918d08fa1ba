"""Turn a fetched response body into normalised feed items.

RSS 2.0, Atom and RDF/RSS 1.0 go through feedparser (always given bytes, never a URL); Federal
Register JSON goes through its own parser. Pages that are not feeds (bot challenges, empty or
broken documents) raise `FeedParseError` with the matching `Health`, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any
from xml.sax import SAXParseException

import feedparser

from bot.analysis.extract import own_documents_from_link
from bot.errors import FeedParseError
from bot.feeds.ecfs import ECFS_KIND, parse_filings
from bot.feeds.federal_register import parse_documents_json
from bot.feeds.normalize import (
    TEXT_LIMIT,
    TITLE_LIMIT,
    UNTITLED,
    clean_title,
    html_to_text,
    looks_relative,
    parse_date_text,
    resolve_link,
    struct_time_to_utc,
    title_from_text,
)
from bot.feeds.public_inspection import parse_public_inspection_json
from bot.models import Health, ParsedFeed, ParsedItem, Source

FEDERAL_REGISTER_KIND = "federal_register_json"
PUBLIC_INSPECTION_KIND = "federal_register_public_inspection"
MAX_GUID_LENGTH = 1000
MAX_NAMES = 50  # authors or categories kept per item
_DEFAULT_CONTENT_TYPE = "application/xml"
_SNIFF_BYTES = 4096
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_FIRST_TAG = re.compile(rb"<(?!\?)(!doctype\s+html\b|html\b|head\b|body\b)?", re.IGNORECASE)
_HTML_MARKERS = re.compile(rb"<(?:!doctype\s+html|html|head|body|script|meta|div)\b", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z]")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_SUBSET_END = re.compile(rb"\]\s*>")  # the end of a DOCTYPE's internal subset
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)

HTML_PAGE_MESSAGE = "got an HTML page instead of a feed (likely a bot challenge)"


def parse_feed(
    body: bytes, *, source: Source, base_url: str, content_type: str | None = None
) -> ParsedFeed:
    """Parse a response body from `source` into a `ParsedFeed`.

    `base_url` (the final URL after redirects) resolves relative links and GUIDs.
    Raises FeedParseError(NOT_A_FEED) for HTML pages and feeds without entries, and
    FeedParseError(PARSE_ERROR) for malformed documents that yield no entries.
    """
    if not body or body.isspace():
        raise FeedParseError(Health.NOT_A_FEED, "the response is empty")
    if source.kind == ECFS_KIND and source.docket:
        return parse_filings(body, docket=source.docket)
    if source.kind == PUBLIC_INSPECTION_KIND:
        return parse_public_inspection_json(body, base_url=base_url)
    if source.kind == FEDERAL_REGISTER_KIND or _looks_like_json(body):
        return parse_documents_json(body, base_url=base_url)
    if _looks_like_html_page(body):
        raise FeedParseError(Health.NOT_A_FEED, HTML_PAGE_MESSAGE)

    body = _without_entity_declarations(body)
    # No content-location header: feedparser would then resolve every GUID it believes is a
    # permalink ("g42" → "https://host/g42"), making opaque GUIDs change when a feed moves, and
    # it costs ~40% of the parse time. Links and relative GUIDs are resolved here instead.
    # sanitize_html and resolve_relative_uris are off because html_to_text drops all markup.
    parsed = feedparser.parse(
        body,
        response_headers={"content-type": _xml_content_type(content_type)},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    entries = parsed.get("entries") or []
    problem = _bozo_message(parsed)
    if not entries:
        _raise_for_empty(parsed, problem, body)

    parsed_items = [_item_from_entry(entry, base_url) for entry in entries]
    items = tuple(item for item in parsed_items if _has_substance(item))
    warnings = [problem] if problem else []
    if len(items) < len(parsed_items):
        dropped = len(parsed_items) - len(items)
        warnings.append(f"skipped {dropped} entries with no title, link, id or text")
    if not items:
        _raise_for_empty(parsed, problem or "no usable entries", body)
    feed_title = html_to_text(parsed.get("feed", {}).get("title") or "", TITLE_LIMIT)
    return ParsedFeed(title=feed_title or source.name, items=items, warnings=tuple(warnings))


def _has_substance(item: ParsedItem) -> bool:
    """An entry a loose parser conjured from debris has nothing a person could read."""
    return bool(item.link or item.guid or item.text or item.title != UNTITLED)


def _xml_content_type(content_type: str | None) -> str:
    """The Content-Type to give feedparser: application/xml, keeping the server's charset.

    Servers label feeds text/html, text/xml or octet-stream; feedparser would then apply
    RFC 3023 rules (text/xml without charset means us-ascii) and warn on every poll. HTML
    pages are already recognised by sniffing, so only the charset is worth passing on.
    """
    charset = _CHARSET.search(content_type or "")
    return (
        f"{_DEFAULT_CONTENT_TYPE}; charset={charset.group(1)}" if charset else _DEFAULT_CONTENT_TYPE
    )


def _looks_like_json(body: bytes) -> bool:
    """True when the first non-whitespace byte (after any BOM) opens a JSON object."""
    return body[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _looks_like_html_page(body: bytes) -> bool:
    """True when the document's first element is an HTML page (<!doctype html>, <html>, <body>)."""
    head = _COMMENT.sub(b"", body[:_SNIFF_BYTES])
    first = _FIRST_TAG.search(head)
    return bool(first and first.group(1))


def _without_entity_declarations(body: bytes) -> bytes:
    """`body` without a DOCTYPE internal subset that declares entities.

    Feeds have no use for them, and they are how entity-expansion bombs ("billion laughs")
    work. feedparser strips them only when each declaration starts a line, and expat's own
    amplification limit depends on the expat version, so the parser never sees them. References
    to the removed entities stay unexpanded.
    """
    first_element = _FIRST_ELEMENT.search(body)
    end = first_element.start() if first_element else len(body)
    prolog = body[:end]
    if not _ENTITY_DECLARATION.search(prolog):
        return body
    doctype = _DOCTYPE.search(prolog)
    if doctype is None:
        return body  # entity declarations outside a DOCTYPE are not XML: expat rejects them
    closing = _SUBSET_END.search(prolog, doctype.end())
    cut = closing.end() if closing else len(prolog)  # an unclosed subset swallows the prolog
    return prolog[: doctype.start()] + prolog[cut:] + body[end:]


def _bozo_message(parsed: Any) -> str:
    """feedparser's bozo exception as one short line, or "" when the document was clean."""
    if not parsed.get("bozo"):
        return ""
    exc = parsed.get("bozo_exception")
    if isinstance(exc, SAXParseException):
        where = f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
        return f"XML error at {where}: {str(exc.getMessage())[:200]}"
    name = type(exc).__name__ if exc is not None else "error"
    return f"{name}: {str(exc)[:200]}"


def _raise_for_empty(parsed: Any, problem: str, body: bytes) -> None:
    """Explain why a document produced no entries, as the matching Health."""
    recognised = bool(parsed.get("version"))
    if not recognised and _HTML_MARKERS.search(body[:_SNIFF_BYTES]):
        raise FeedParseError(Health.NOT_A_FEED, HTML_PAGE_MESSAGE)
    if problem:
        raise FeedParseError(Health.PARSE_ERROR, f"malformed feed ({problem})")
    if not recognised:
        raise FeedParseError(Health.NOT_A_FEED, "the response is not an RSS, Atom or RDF feed")
    raise FeedParseError(Health.NOT_A_FEED, "feed has no entries")


def _entry_base(entry: Any, base_url: str) -> str:
    """The base URL in force for an entry: its xml:base, else the feed URL."""
    for key in ("title_detail", "summary_detail"):
        base = (entry.get(key) or {}).get("base")
        if base:
            return base_url if base == base_url else _absolute_base(base, base_url)
    return base_url


@functools.lru_cache(maxsize=64)
def _absolute_base(base: str, base_url: str) -> str:
    """An xml:base made absolute against the feed URL (feeds repeat the same few bases)."""
    return resolve_link(base, base_url) or base_url


def _entry_text(entry: Any) -> str:
    """Plain text of the fullest body an entry has (content, else summary)."""
    for content in entry.get("content") or []:
        value = content.get("value") if isinstance(content, dict) else None
        if value:
            return html_to_text(value, TEXT_LIMIT)
    return html_to_text(entry.get("summary") or "", TEXT_LIMIT)


def _entry_guid(entry: Any, base: str) -> str | None:
    """The entry id, made absolute when it is a relative path such as "/node/12345"."""
    guid = entry.get("id")
    if not isinstance(guid, str):
        return None
    guid = guid.strip()[:MAX_GUID_LENGTH]
    if guid and looks_relative(guid):
        return resolve_link(guid, base) or guid
    return guid or None


def _names(values: list[Any] | None, *keys: str) -> tuple[str, ...]:
    """Distinct clean names from feedparser's author or tag dicts (first non-empty key wins)."""
    names: dict[str, None] = {}
    for value in values or []:
        if not isinstance(value, dict):
            continue
        raw = next(
            (value[key] for key in keys if isinstance(value.get(key), str) and value[key]), ""
        )
        name = html_to_text(raw, 200)
        if name:
            names.setdefault(name, None)
        if len(names) >= MAX_NAMES:
            break
    return tuple(names)


def _entry_time(entry: Any, field: str) -> dt.datetime | None:
    """A UTC datetime for `published` or `updated`: feedparser's, else our own date parsing.

    Read with dict.get: feedparser's own lookup answers `updated` with `published` when the
    entry has no update time (a deprecated fallback that would make every item look updated).
    """
    parsed = struct_time_to_utc(dict.get(entry, f"{field}_parsed"))
    return parsed or parse_date_text(dict.get(entry, field))


def _item_from_entry(entry: Any, base_url: str) -> ParsedItem:
    """One feedparser entry as a normalised ParsedItem."""
    base = _entry_base(entry, base_url)
    link = resolve_link(entry.get("link"), base)
    updated = _entry_time(entry, "updated")
    text = _entry_text(entry)
    title = clean_title(entry.get("title"))
    if title == UNTITLED and text:  # valid RSS 2.0: a description and no title
        title = title_from_text(text)
    return ParsedItem(
        title=title,
        link=link,
        guid=_entry_guid(entry, base),
        text=text,
        published=_entry_time(entry, "published") or updated,
        updated=updated,
        authors=_names(entry.get("authors"), "name", "email"),
        categories=_names(entry.get("tags"), "label", "term"),
        own_documents=own_documents_from_link(link),
    )
