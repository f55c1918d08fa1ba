"""Parse Federal Register public-inspection JSON (/api/v1/public-inspection-documents…).

Documents go on public inspection about a business day before they are published. Only FCC
documents are kept. The document number is the one the published document carries, so both
share an identity key ("doc:2025-22830") and are one event. Pure: bytes in, `ParsedFeed` out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.feeds.federal_register import _DOCUMENT_NUMBER, dockets_and_documents, load_results
from bot.feeds.normalize import (
    TEXT_LIMIT,
    clean_title,
    date_to_utc_midnight,
    html_to_text,
    parse_iso_day,
    resolve_link,
    to_utc,
)
from bot.models import ParsedFeed, ParsedItem

FCC_SLUG = "federal-communications-commission"
FCC_NAME = "federal communications commission"
PUBLIC_INSPECTION_TYPE = "public inspection"  # doc_type prefix: a published copy supersedes it
WITHDRAWN = "withdrawn"


def parse_public_inspection_json(body: bytes, *, base_url: str) -> ParsedFeed:
    """FCC items from a public-inspection response; NOT_A_FEED without a results list.

    A list with no FCC document is a valid, empty answer (most days have none).
    """
    _, results = load_results(body, "a public-inspection response")
    items = tuple(
        _item(document, base_url)
        for document in results
        if isinstance(document, dict) and _is_fcc(document)
    )
    return ParsedFeed(title="Federal Register public inspection (FCC)", items=items)


def _is_fcc(document: dict[str, Any]) -> bool:
    agencies = document.get("agencies")
    if not isinstance(agencies, list):
        return False
    for agency in agencies:
        if isinstance(agency, dict):
            slug, name = agency.get("slug"), agency.get("name") or agency.get("raw_name")
            if slug == FCC_SLUG or (isinstance(name, str) and name.lower() == FCC_NAME):
                return True
    return False


def _text(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    return value if isinstance(value, str) else ""


def _filed_at(raw: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(raw.strip()[:40])
    except ValueError:
        return None
    return to_utc(moment) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def is_withdrawn(document: dict[str, Any]) -> bool:
    """The API marks withdrawn documents in the editorial note (or a `withdrawn` flag)."""
    note = _text(document, "editorial_note").lower()
    return document.get("withdrawn") is True or WITHDRAWN in note


def _item(document: dict[str, Any], base_url: str) -> ParsedItem:
    number = _text(document, "document_number").strip()
    number = number if _DOCUMENT_NUMBER.fullmatch(number) else ""
    link = resolve_link(_text(document, "html_url") or _text(document, "pdf_url"), base_url)
    dockets, fcc_documents = dockets_and_documents(document.get("docket_numbers"))
    publishes = parse_iso_day(document.get("publication_date"))
    filed = _filed_at(_text(document, "filed_at"))
    special = document.get("special_filing") is True or _text(document, "filing_type") == "special"
    withdrawn = is_withdrawn(document)
    lead = "Withdrawn from public inspection" if withdrawn else "On public inspection"
    lead += f" — publishes {publishes.isoformat()}" if publishes and not withdrawn else ""
    parts = [lead + ".", "Special filing." if special else ""]
    if dockets:
        parts.append(f"Dockets: {', '.join(dockets)}.")
    if fcc_documents:  # cited, not its identity: only the FR number ties it to publication
        parts.append(f"Documents: {', '.join(fcc_documents)}.")
    parts.append(html_to_text(_text(document, "editorial_note"), TEXT_LIMIT // 4))
    title = clean_title(_text(document, "title") or _text(document, "toc_subject"))
    doc_type = f"{PUBLIC_INSPECTION_TYPE} ({_text(document, 'type')[:60] or 'document'})"
    return ParsedItem(
        title=title,
        link=link,
        guid=f"public-inspection:{number}" if number else link,
        text=" ".join(part for part in parts if part),
        published=filed or (date_to_utc_midnight(publishes) if publishes else None),
        own_documents=(number,) if number else (),
        dockets=dockets,
        doc_type=doc_type + (f" {WITHDRAWN}" if withdrawn else ""),
    )
