"""Tracked matters (proceedings followed for months): which an item concerns, where each stands.

Pure functions. A matter's timeline is its seed events from feeds.yaml plus events derived from
stored items; its current state is the state of the latest event (on or before today) that
carries one, and its upcoming dates are the events from today on. `infer_event_state` reads an
item's title and opening text for what the document did ("rescinds" → "rescinded").
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bot.models import Identifiers, KeyDate, Matter, MatterEvent, ParsedItem

#: The state of a matter whose timeline has no event with a state.
TRACKING = "tracking"
#: How much of an item's text `infer_event_state` reads: the opening says what a document does.
OPENING_CHARS = 600

KEY_DATE_LABELS = {
    "comments_close": "Comments due",
    "reply_comments_close": "Reply comments due",
    "effective": "Takes effect",
    "compliance": "Compliance date",
}


@dataclass(frozen=True)
class MatterStatus:
    """Where a matter stands on a given day."""

    matter: Matter
    state: str  # TRACKING when no event on or before `today` carries a state
    as_of: dt.date | None  # the date of the event that set the state
    timeline: tuple[MatterEvent, ...]  # every event, merged and sorted by date
    upcoming: tuple[MatterEvent, ...]  # events dated today or later, soonest first


def document_key(reference: str) -> str:
    """Compare document references loosely: "fcc-25-81" and "FCC 25-81" are the same."""
    text = " ".join(reference.split()).upper()
    match = re.fullmatch(r"(FCC|DA)[\s-]*(\d{2})-(\d+)", text)
    return f"{match.group(1)} {match.group(2)}-{match.group(3)}" if match else text


def related_matters(
    identifiers: Identifiers,
    matters: Sequence[Matter],
    own_documents: Sequence[str] = (),
) -> tuple[str, ...]:
    """Ids of the matters whose dockets or documents the item cites or is, in matter order."""
    if not (identifiers.dockets or own_documents or identifiers.documents()):
        return ()
    return _index_for(matters).related(identifiers, own_documents)


class _MatterIndex:
    """Dockets and documents → matters, built once per set of matters."""

    def __init__(self, matters: Sequence[Matter]) -> None:
        self._ids = tuple(matter.id for matter in matters)
        self._by_docket: dict[str, set[int]] = {}
        self._by_document: dict[str, set[int]] = {}
        for i, matter in enumerate(matters):
            for docket in matter.dockets:
                self._by_docket.setdefault(docket, set()).add(i)
            documents = [*matter.documents, *(e.document for e in matter.timeline if e.document)]
            for document in documents:
                self._by_document.setdefault(document_key(document), set()).add(i)

    def related(self, identifiers: Identifiers, own_documents: Sequence[str]) -> tuple[str, ...]:
        """Matter ids the identifiers point at, in matter order."""
        found: set[int] = set()
        for docket in identifiers.dockets:
            found.update(self._by_docket.get(docket, ()))
        for document in (*identifiers.documents(), *own_documents):
            found.update(self._by_document.get(document_key(document), ()))
        return tuple(self._ids[i] for i in sorted(found))


@functools.lru_cache(maxsize=8)
def _build_index(matters: tuple[Matter, ...]) -> _MatterIndex:
    return _MatterIndex(matters)


_last_index: tuple[tuple[Matter, ...], _MatterIndex] | None = None


def _index_for(matters: Sequence[Matter]) -> _MatterIndex:
    """The index for these matters. The same tuple passed again skips hashing every matter."""
    global _last_index
    last = _last_index
    if last is not None and last[0] is matters:
        return last[1]
    index = _build_index(tuple(matters))
    if isinstance(matters, tuple):  # immutable, so identity is enough next time
        _last_index = (matters, index)
    return index


def merge_timeline(*groups: Iterable[MatterEvent]) -> tuple[MatterEvent, ...]:
    """All events sorted by date (stable: earlier groups first on the same day), duplicates
    collapsed. Duplicates are the same date and document, the same date and key-date kind
    ("Comments due …"), or the same date and label; the first is kept and fills its blanks
    from the others."""
    kept: dict[tuple[dt.date, str], MatterEvent] = {}
    for group in groups:
        for event in group:
            key = _identity(event)
            first = kept.get(key)
            kept[key] = event if first is None else _fill_blanks(first, event)
    return tuple(sorted(kept.values(), key=lambda event: event.date))


# What kind of key date a label names, checked in this order (replies before comments).
_KEY_DATE_KINDS = (
    (re.compile(r"\breply\s+comments?\s+(?:are\s+)?due\b", re.IGNORECASE), "reply_comments"),
    (re.compile(r"\bcomments?\s+(?:are\s+)?due\b", re.IGNORECASE), "comments"),
    (re.compile(r"\btakes?\s+effect\b|\beffective\s+date\b", re.IGNORECASE), "effective"),
    (re.compile(r"\bcompliance\s+date\b", re.IGNORECASE), "compliance"),
)


def _identity(event: MatterEvent) -> tuple[dt.date, str]:
    if event.document:
        return event.date, "doc:" + document_key(event.document)
    label = " ".join(event.label.casefold().split())
    # "Comments due on the FNPRM" (seeded) and "Comments due — FCC 25-49: …" (from each item
    # that states the date) are one real event: one row per key date per day.
    kind = next((k for regex, k in _KEY_DATE_KINDS if regex.search(label)), None)
    return event.date, ("due:" + kind) if kind else ("label:" + label)


def _fill_blanks(first: MatterEvent, other: MatterEvent) -> MatterEvent:
    return replace(
        first,
        state=first.state or other.state,
        url=first.url or other.url,
        item_id=first.item_id if first.item_id is not None else other.item_id,
    )


def matter_status(matter: Matter, events: Sequence[MatterEvent], today: dt.date) -> MatterStatus:
    """The matter's state on `today`, from its seed timeline plus `events` (e.g. from items)."""
    timeline = merge_timeline(matter.timeline, events)
    state, as_of = TRACKING, None
    for event in timeline:
        if event.date > today:
            break
        if event.state:
            state, as_of = event.state, event.date
    upcoming = tuple(event for event in timeline if event.date >= today)
    return MatterStatus(
        matter=matter, state=state, as_of=as_of, timeline=timeline, upcoming=upcoming
    )


def item_events(
    item: ParsedItem, identifiers: Identifiers, item_id: int | None = None
) -> tuple[MatterEvent, ...]:
    """The timeline events an item adds to the matters it relates to.

    One event for the item itself (dated by publication, with the inferred state and its own
    document number) and one per key date it announces (comments due, takes effect …). An item
    without a publication date adds only its key dates.
    """
    document = next(iter((*item.own_documents, *identifiers.fcc_numbers)), None)
    title = " ".join(item.title.split()) or "(untitled)"
    events = []
    if item.published is not None:
        events.append(
            MatterEvent(
                date=item.published.astimezone(dt.UTC).date(),
                label=title,
                state=infer_event_state(item.title, item.text),
                document=document,
                url=item.link,
                item_id=item_id,
            )
        )
    for key_date in dict.fromkeys((*item.dates, *identifiers.dates)):
        events.append(_key_date_event(key_date, title, document, item.link, item_id))
    return tuple(events)


def _key_date_event(
    key_date: KeyDate, title: str, document: str | None, url: str | None, item_id: int | None
) -> MatterEvent:
    what = KEY_DATE_LABELS.get(key_date.kind, key_date.kind.replace("_", " ").capitalize())
    about = f"{document}: {title}" if document else title
    # No document on purpose: several dates of one document must not collapse into one event.
    return MatterEvent(date=key_date.date, label=f"{what} — {about}", url=url, item_id=item_id)


# ---------------------------------------------------------------------------------------------
# What a document did, from its wording.

# Decisive outcomes: found in the title or the opening text they win over the document type.
_OUTCOMES = (
    (re.compile(r"\b(?:rescind\w*|rescission\w*|repeal\w*)", re.IGNORECASE), "rescinded"),
    (re.compile(r"\b(?:vacat(?:e|es|ed|ing|ur))\b", re.IGNORECASE), "vacated"),
)
# Words shortly before an outcome that make it a proposal or a request, not the outcome itself.
# "petition to rescind" is a request, but "grants a petition for reconsideration and rescinds"
# is the outcome: the petition form hedges only the word right after it.
_HEDGE = re.compile(
    r"(?:\b(?:propos\w*|seek\w*|sought|declin\w*|refus\w*|not|whether|asks?|asking|urg\w*|"
    r"request\w*|plan\w*|consider\w*|should|would|could|(?-i:may)|might|calls?\s+(?:on|for)|if)"
    r"(?:[^\w.;:!?]+\w+){0,3}[^\w.;:!?]+$)"
    r"|(?:\bpetition\w*\s+(?:to|for|seeking)\s+$)",
    re.IGNORECASE,
)
_DRAFT = re.compile(r"\bdraft\b", re.IGNORECASE)
# Document types, strongest first (used in this order for titles).
_DOCUMENT_TYPES = tuple(
    (re.compile(pattern, re.IGNORECASE), state)
    for pattern, state in (
        (r"\bwithdr[ae]w(?:s|n|al|ing)?\b", "withdrawn"),
        (r"\border\s+on\s+reconsideration\b", "reconsidered"),
        (r"\bpetitions?\s+for\s+reconsideration\b", "petitioned"),
        (
            r"\b(?:announcement\s+of\s+(?:the\s+)?effective\s+date|"
            r"announc\w*\s+(?:the\s+)?effective\s+date|takes\s+effect|now\s+in\s+effect)\b",
            "in force",
        ),
        (
            r"\b(?:report\s+and\s+order|declaratory\s+ruling|final\s+rules?|"
            r"memorandum\s+opinion\s+and\s+order|adopt(?:s|ed)|final\s+action)\b",
            "adopted",
        ),
        (
            r"\b(?:(?:further\s+)?notice\s+of\s+proposed\s+rule\s*making|f?nprm|"
            r"proposed\s+rules?|propos(?:es|ed)\s+(?:to\s+\w+|(?:new\s+)?rules?))\b",
            "proposed",
        ),
        (r"\bnotice\s+of\s+inquiry\b", "inquiry"),
        (r"\b(?:comments?\s+(?:sought|requested)|seeks?\s+comments?)\b", "comment sought"),
    )
)


_ANY_DOCUMENT_TYPE = re.compile(
    "|".join(f"(?P<t{index}>{regex.pattern})" for index, (regex, _) in enumerate(_DOCUMENT_TYPES)),
    re.IGNORECASE,
)
# Each document type's pattern needs one of these lower-case stems: a cheap test first.
_DOCUMENT_TYPE_STEMS = (
    ("withdr",),
    ("reconsideration",),
    ("reconsideration",),
    ("effect",),
    ("order", "declaratory", "final", "adopt"),
    ("proposed", "nprm", "propos", "rule"),
    ("inquiry",),
    ("comment",),
)
# Every decisive outcome word contains one of these (lower-case) stems.
_OUTCOME_STEMS = ("rescind", "rescission", "repeal", "vacat")


def infer_event_state(title: str, text: str) -> str | None:
    """What a document did to its proceeding, from its title and opening text, or None.

    "Order on Reconsideration … rescinds the Declaratory Ruling" → "rescinded";
    "Notice of Proposed Rulemaking" → "proposed"; "Report and Order" → "adopted";
    "Order on Reconsideration" → "reconsidered". An outcome that is only proposed or asked for
    ("proposes to rescind", "petition to rescind") does not count, and a draft changes nothing.
    """
    if _DRAFT.search(title):
        return None  # a draft circulated for a vote changes nothing yet
    opening = text[:OPENING_CHARS]
    for source in (title, opening):
        lowered = source.lower()
        if any(stem in lowered for stem in _OUTCOME_STEMS):
            for regex, state in _OUTCOMES:
                if _unhedged(regex, source):
                    return state
    lowered_title = title.lower()
    for (regex, state), stems in zip(_DOCUMENT_TYPES, _DOCUMENT_TYPE_STEMS, strict=True):
        if any(stem in lowered_title for stem in stems) and regex.search(title):
            return state
    # The earliest document type named in the opening text (ties: the stronger type), found
    # in one pass: the alternation lists the types strongest first.
    lowered_opening = opening.lower()
    if not any(stem in lowered_opening for stems in _DOCUMENT_TYPE_STEMS for stem in stems):
        return None
    match = _ANY_DOCUMENT_TYPE.search(opening)
    return _DOCUMENT_TYPES[int(match.lastgroup[1:])][1] if match and match.lastgroup else None


def _unhedged(regex: re.Pattern[str], text: str) -> bool:
    """True when `regex` occurs in `text` at least once without a hedge just before it."""
    for match in regex.finditer(text):
        if not _HEDGE.search(text, max(0, match.start() - 60), match.start()):
            return True
    return False
