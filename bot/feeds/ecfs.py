"""FCC ECFS (docket filings): one polled source per docket, and its JSON parsed into items.

GET {FCC_ECFS_URL}?api_key=KEY&proceedings.name=22-329&sort=date_disseminated,DESC&limit=25
answers {"filing": [...]} (some deployments say "filings"); each filing has id_submission,
date_received, date_disseminated, filers[].name, submissiontype (a string or an object with a
description) and documents[].src. The key travels in the query: fetch logs strip queries and
nothing else ever shows the URL. Pure apart from building the source.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import urlencode

from bot.errors import FeedParseError
from bot.feeds.normalize import TEXT_LIMIT, clean_title, html_to_text, resolve_link, to_utc
from bot.models import Health, ParsedFeed, ParsedItem, Source
from bot.settings import EcfsSettings

ECFS_KIND = "ecfs"
FILING_DOC_TYPE = "ECFS filing"  # as bot.store.ingest routes it: to watchers only
FILINGS_PER_POLL = 25
FILING_PAGE = "https://www.fcc.gov/ecfs/search/search-filings/filing/{id}"
DEMO_MARK = " (DEMO_KEY: rate-limited; set FCC_API_KEY)"
DEMO_LIMIT_NOTE = "DEMO_KEY's rate limit was hit; set FCC_API_KEY (free at api.data.gov/signup)"
_SAFE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_EX_PARTE = re.compile(r"ex\s*-?\s*parte", re.IGNORECASE)


def proceeding_name(docket: str) -> str:
    """ECFS names proceedings without the bureau prefix: "PS 22-329" → "22-329"."""
    return docket.split(" ", 1)[-1]


def ecfs_source(docket: str, settings: EcfsSettings) -> Source:
    """The polled source for one docket's filings (the name says when DEMO_KEY is used)."""
    query = urlencode(
        {
            "api_key": settings.api_key,
            "proceedings.name": proceeding_name(docket),
            "sort": "date_disseminated,DESC",
            "limit": FILINGS_PER_POLL,
        }
    )
    slug = re.sub(r"[^a-z0-9]+", "-", docket.lower()).strip("-")
    demo = DEMO_MARK if settings.demo else ""
    return Source(
        id=f"ecfs-{slug}",
        name=f"ECFS filings {docket}{demo}",
        url=f"{settings.url}?{query}",
        kind=ECFS_KIND,
        interval_seconds=settings.interval,
        docket=docket,
    )


def health_message(source: Source, health: Health, message: str) -> str:
    """The poll's message, saying so when the shared DEMO_KEY ran out."""
    if source.kind == ECFS_KIND and health is Health.RATE_LIMITED and DEMO_MARK in source.name:
        return f"{message} — {DEMO_LIMIT_NOTE}"
    return message


def display_source(source_id: str) -> Source | None:
    """An ECFS source as status lists it from its stored state ("ecfs-ps-22-329")."""
    parts = source_id.split("-")
    if len(parts) == 3 and parts[:2] == ["ecfs", "rm"]:
        docket = f"RM-{parts[2]}"
    elif len(parts) == 4 and parts[0] == "ecfs":
        docket = f"{parts[1].upper()} {parts[2]}-{parts[3]}"
    else:
        return None
    return Source(
        id=source_id, name=f"ECFS filings {docket}", url="", kind=ECFS_KIND, docket=docket
    )


def parse_filings(body: bytes, *, docket: str) -> ParsedFeed:
    """Filings as items of their own kind; PARSE_ERROR / NOT_A_FEED for unusable bodies.

    No filings is a valid, empty answer (a quiet docket).
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FeedParseError(Health.PARSE_ERROR, f"invalid JSON: {str(exc)[:200]}") from None
    filings = None
    if isinstance(data, dict):
        filings = data.get("filing", data.get("filings"))
    if not isinstance(filings, list):
        raise FeedParseError(Health.NOT_A_FEED, "JSON without a 'filing' list (not ECFS)")
    items = tuple(
        _item(filing, docket) for filing in filings[:FILINGS_PER_POLL] if isinstance(filing, dict)
    )
    return ParsedFeed(title=f"ECFS filings {docket}", items=tuple(i for i in items if i))


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _submission_type(filing: dict[str, Any]) -> str:
    kind = filing.get("submissiontype")
    if isinstance(kind, dict):
        kind = kind.get("description") or kind.get("short")
    return _text(kind)[:80] or "FILING"


def _moment(raw: object) -> dt.datetime | None:
    text = _text(raw)[:40].replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return to_utc(moment) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _filers(filing: dict[str, Any]) -> list[str]:
    filers = filing.get("filers")
    names = [_text(f.get("name")) for f in filers[:10] if isinstance(f, dict)] if isinstance(
        filers, list
    ) else []  # fmt: skip
    return [name[:120] for name in names if name]


def _document_link(filing: dict[str, Any], page: str) -> str | None:
    documents = filing.get("documents")
    if isinstance(documents, list):
        for document in documents[:5]:
            if isinstance(document, dict):
                link = resolve_link(_text(document.get("src")), page)
                if link:
                    return link
    return page


def _item(filing: dict[str, Any], docket: str) -> ParsedItem | None:
    submission = _text(filing.get("id_submission"))
    if not _SAFE_ID.fullmatch(submission):
        return None
    kind = _submission_type(filing)
    ex_parte = bool(_EX_PARTE.search(kind.replace("EXPARTE", "EX PARTE")))
    filers = _filers(filing) or ["unnamed filer"]
    received = _moment(filing.get("date_received"))
    page = FILING_PAGE.format(id=submission)
    label = "Ex parte" if ex_parte else kind.capitalize()
    title = clean_title(f"{label} by {', '.join(filers)} in {docket}")
    when = received.date().isoformat() if received else "unknown"
    text = f"{kind} filed by {', '.join(filers)} in {docket}; received {when}."
    brief = html_to_text(_text(filing.get("brief_comment_summary")), TEXT_LIMIT // 4)
    return ParsedItem(
        title=title,
        link=_document_link(filing, page),
        guid=f"ecfs:{submission}",
        text=f"{text} {brief}".strip(),
        published=_moment(filing.get("date_disseminated")) or received,
        authors=tuple(filers),
        categories=(kind,) + (("ex parte",) if ex_parte else ()),
        dockets=(docket,),
        doc_type=FILING_DOC_TYPE,
    )
