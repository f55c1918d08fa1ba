"""Parse a Federal Register API documents response (/api/v1/documents.json) into feed items.

The JSON API carries what RSS cannot: the FR document number, docket ids and the real comment
and effective dates. Pure: bytes in, `ParsedFeed` out, `FeedParseError` when nothing is usable.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.analysis.extract import find_dockets, normalize_docket
from bot.errors import FeedParseError
from bot.feeds.normalize import (
    TEXT_LIMIT,
    TITLE_LIMIT,
    clean_title,
    date_to_utc_midnight,
    html_to_text,
    parse_iso_day,
    resolve_link,
)
from bot.models import Health, KeyDate, ParsedFeed, ParsedItem

DEFAULT_FEED_TITLE = "Federal Register documents"
_DOCUMENT_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")
_FCC_DOCUMENT_IN_DOCKET_IDS = re.compile(
    r"^\s{0,3}(?P<kind>FCC|DA)[\s-]{1,3}(?P<number>\d{2}-\d{1,4})\s{0,3}$"
)
_MAX_DOCKET_IDS = 50
_MAX_WARNINGS = 20


def load_results(body: bytes, what: str) -> tuple[dict, list]:
    """A Federal Register API response and its "results" list (FeedParseError otherwise).

    PARSE_ERROR for invalid JSON, NOT_A_FEED when there is no "results" list; `what` names the
    expected response in that message.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FeedParseError(Health.PARSE_ERROR, f"invalid JSON: {str(exc)[:200]}") from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise FeedParseError(Health.NOT_A_FEED, f"JSON without a 'results' list (not {what})")
    return data, results


def parse_documents_json(body: bytes, *, base_url: str) -> ParsedFeed:
    """Items from a Federal Register documents.json response.

    Raises FeedParseError: PARSE_ERROR for invalid JSON, NOT_A_FEED when there is no "results"
    list or it is empty. Results that are not JSON objects are skipped with a warning.
    """
    data, results = load_results(body, "a Federal Register documents response")
    if not results:
        raise FeedParseError(Health.NOT_A_FEED, "no documents in the Federal Register response")

    items: list[ParsedItem] = []
    warnings: list[str] = []
    for index, result in enumerate(results):
        if isinstance(result, dict):
            items.append(_item_from_document(result, base_url))
        elif len(warnings) < _MAX_WARNINGS:
            warnings.append(f"result #{index} is a {type(result).__name__}, not an object: skipped")
    if not items:
        raise FeedParseError(
            Health.NOT_A_FEED, "no usable documents in the Federal Register response"
        )
    description = data.get("description")
    title = html_to_text(description, TITLE_LIMIT) if isinstance(description, str) else ""
    return ParsedFeed(
        title=title or DEFAULT_FEED_TITLE, items=tuple(items), warnings=tuple(warnings)
    )


def _text_field(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    return value if isinstance(value, str) else ""


def _item_from_document(document: dict[str, Any], base_url: str) -> ParsedItem:
    """One FR document as a ParsedItem: identity, dockets and key dates from structured fields."""
    number = _text_field(document, "document_number").strip()
    number = number if _DOCUMENT_NUMBER.fullmatch(number) else ""
    link = resolve_link(_text_field(document, "html_url"), base_url)
    dockets, fcc_documents = _dockets_and_documents(document.get("docket_ids"))
    published_day = parse_iso_day(document.get("publication_date"))
    doc_type = _text_field(document, "type").strip()[:100]
    return ParsedItem(
        title=clean_title(_text_field(document, "title")),
        link=link,
        guid=number or link,
        text=html_to_text(_text_field(document, "abstract"), TEXT_LIMIT),
        published=date_to_utc_midnight(published_day) if published_day else None,
        own_documents=((number,) if number else ()) + fcc_documents,
        dockets=dockets,
        dates=_key_dates(document),
        doc_type=doc_type or None,
    )


def _dockets_and_documents(docket_ids: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Normalised dockets from FR docket_ids, plus the FCC document numbers FR lists there too."""
    if not isinstance(docket_ids, list):
        return (), ()
    dockets: dict[str, None] = {}
    documents: dict[str, None] = {}
    for raw in docket_ids[:_MAX_DOCKET_IDS]:
        if not isinstance(raw, str):
            continue
        fcc_document = _FCC_DOCUMENT_IN_DOCKET_IDS.match(raw)
        if fcc_document:
            documents.setdefault(f"{fcc_document['kind']} {fcc_document['number']}", None)
            continue
        found = find_dockets(raw[:1000]) or (normalize_docket(raw),)
        dockets.update((docket, None) for docket in found if docket)
    return tuple(dockets), tuple(documents)


def _key_dates(document: dict[str, Any]) -> tuple[KeyDate, ...]:
    """Comment-close and effective dates the API states explicitly."""
    dates = []
    for key, kind in (("comments_close_on", "comments_close"), ("effective_on", "effective")):
        day = parse_iso_day(document.get(key))
        if day is not None:
            dates.append(KeyDate(kind, day))
    return tuple(dates)


dockets_and_documents = _dockets_and_documents  # shared with the public-inspection parser
