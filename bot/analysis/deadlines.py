"""Deadlines as data (pure): what an item says about a deadline, and how it merges.

A deadline is (subject, kind): the document (or docket) it belongs to and comments / reply
comments / effective / compliance / petition for reconsideration. `candidates` reads an
analysed item's high-confidence dates; `merge` folds a candidate into the stored deadline:
the Federal Register API's dates are authoritative, a relative "N days after FR publication"
becomes concrete when the FR document appears, and an extension or correction replaces the
date and bumps `version` (reminders are keyed by it). Filing deadlines falling on a weekend or
federal holiday run to the next business day (47 CFR 1.4(j)): `due_date` vs `stated_date`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from bot.common.business_days import roll_forward
from bot.models import AnalyzedItem

KIND_OF_DATE = {
    "comments_close": "comments",
    "reply_comments_close": "reply_comments",
    "effective": "effective",
    "compliance": "compliance",
}
KIND_LABELS = {
    "comments": "Comments due",
    "reply_comments": "Reply comments due",
    "effective": "Effective",
    "compliance": "Compliance date",
    "petition_for_reconsideration": "Petitions for reconsideration due",
    "other": "Deadline",
}
KIND_DATE = {kind: key for key, kind in KIND_OF_DATE.items()}
#: Filing periods: § 1.4 moves them past weekends and holidays (a rule's effective date is not).
FILING_KINDS = frozenset({"comments", "reply_comments", "petition_for_reconsideration"})
#: 47 CFR 1.429(d): petitions for reconsideration of a rule, 30 days after FR publication.
RECONSIDERATION_DAYS = 30
AUTHORITATIVE = "federal_register"

_CHANGE = re.compile(
    r"\b(?:extend(?:s|ed|ing)?|extension|postpone[sd]?|correct(?:s|ed|ion|ing)?|revised"
    r"|delay(?:s|ed)?)\b",
    re.IGNORECASE,
)
_CHANGE_SCAN = 3000


@dataclass(frozen=True)
class Candidate:
    """One deadline an item states: a date (or N days after FR publication) and its basis."""

    kind: str
    stated: dt.date | None
    basis: str  # "federal_register" (API field) | "text" | "relative" | "rule"
    relative_days: int | None = None
    change: bool = False  # an extension or correction: replaces the stored date


@dataclass(frozen=True)
class DeadlineSource:
    """A stored item as deadline evidence: where it points and what it states."""

    item_id: int
    event_id: int
    title: str
    link: str | None
    published: dt.date | None
    refs: tuple[str, ...]  # "doc:FCC 25-81", "fr:2025-22830" — the item's documents
    own_refs: tuple[str, ...]  # the document the item *is*
    dockets: tuple[str, ...]
    topics: tuple[str, ...]
    matters: tuple[str, ...]
    fr_publication: bool
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Deadline:
    """A deadline as stored and shown."""

    subject: str
    kind: str
    stated_date: dt.date | None
    due_date: dt.date | None
    basis: str
    confidence: str
    title: str
    link: str | None
    event_id: int
    relative_days: int | None = None
    previous_due_date: dt.date | None = None
    version: int = 1
    dockets: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    matters: tuple[str, ...] = ()
    item_ids: tuple[int, ...] = ()
    id: int | None = None

    @property
    def label(self) -> str:
        """ "Comments due", "Effective" …"""
        return KIND_LABELS.get(self.kind, "Deadline")

    @property
    def rolled_over(self) -> bool:
        """True when § 1.4 moved the due date past a weekend or holiday."""
        return self.due_date is not None and self.due_date != self.stated_date


def due_date(kind: str, stated: dt.date) -> dt.date:
    """The effective due date: filing periods roll to the next business day (§ 1.4(j))."""
    return roll_forward(stated) if kind in FILING_KINDS else stated


def is_change(analysed: AnalyzedItem) -> bool:
    """Whether the item extends or corrects a deadline ("comment deadline extended to …")."""
    item = analysed.item
    return bool(_CHANGE.search(item.title) or _CHANGE.search(item.text[:_CHANGE_SCAN]))


def candidates(analysed: AnalyzedItem) -> tuple[Candidate, ...]:
    """The deadlines an item states (high-confidence dates only), one per kind."""
    item, ids = analysed.item, analysed.identifiers
    change = is_change(analysed)
    structured = {(d.kind, d.date) for d in item.dates}
    by_kind: dict[str, Candidate] = {}
    for key_date in ids.dates:
        kind = KIND_OF_DATE.get(key_date.kind, "other")
        basis = AUTHORITATIVE if (key_date.kind, key_date.date) in structured else "text"
        found = Candidate(kind, key_date.date, basis, change=change)
        known = by_kind.get(kind)
        # An extension names old and new dates: the later wins. Otherwise the API, then first.
        api_first = known is not None and basis == AUTHORITATIVE != known.basis
        later = known is not None and change and known.stated and key_date.date > known.stated
        if known is None or api_first or later:
            by_kind[kind] = found
    for relative in ids.relative_dates:
        kind = KIND_OF_DATE.get(relative.kind, "other")
        by_kind.setdefault(kind, Candidate(kind, None, "relative", relative_days=relative.days))
    if item.doc_type and item.doc_type.lower() == "rule" and item.published and structured:
        day = item.published.date() + dt.timedelta(days=RECONSIDERATION_DAYS)
        by_kind.setdefault(
            "petition_for_reconsideration", Candidate("petition_for_reconsideration", day, "rule")
        )
    return tuple(by_kind.values())


def document_refs(documents: tuple[str, ...]) -> tuple[str, ...]:
    """Deadline refs for document ids: FR numbers as "fr:…", the rest as "doc:…"."""
    return tuple(f"fr:{d}" if re.fullmatch(r"\d{4}-\d{4,6}", d) else f"doc:{d}" for d in documents)


def _union(a: tuple, b: tuple) -> tuple:
    return tuple(dict.fromkeys((*a, *b)))


def _confidence(basis: str) -> str:
    return "medium" if basis == "rule" else "high"


def new_deadline(subject: str, found: Candidate, source: DeadlineSource) -> Deadline:
    """A deadline first seen in `source`."""
    return Deadline(
        subject=subject,
        kind=found.kind,
        stated_date=found.stated,
        due_date=due_date(found.kind, found.stated) if found.stated else None,
        basis=found.basis,
        confidence=_confidence(found.basis) if found.stated else "pending",
        title=source.title,
        link=source.link,
        event_id=source.event_id,
        relative_days=found.relative_days,
        dockets=source.dockets,
        documents=tuple(r.split(":", 1)[1] for r in source.refs),
        topics=source.topics,
        matters=source.matters,
        item_ids=(source.item_id,),
    )


def merge(old: Deadline, found: Candidate, source: DeadlineSource) -> tuple[Deadline, bool]:
    """Fold a candidate into a stored deadline; returns (deadline, due date changed).

    The API's date beats text; an extension or correction replaces the date (version + 1);
    a pending relative deadline takes the first concrete date; other disagreements keep the
    stored date.
    """
    merged = dataclasses.replace(
        old,
        dockets=_union(old.dockets, source.dockets),
        documents=_union(old.documents, tuple(r.split(":", 1)[1] for r in source.refs)),
        topics=_union(old.topics, source.topics),
        matters=_union(old.matters, source.matters),
        item_ids=_union(old.item_ids, (source.item_id,)),
    )
    if found.stated is None or found.stated == old.stated_date:
        if found.stated is not None and found.basis == AUTHORITATIVE:
            merged = dataclasses.replace(merged, basis=AUTHORITATIVE, confidence="high")
        return merged, False
    dated = dataclasses.replace(
        merged,
        stated_date=found.stated,
        due_date=due_date(old.kind, found.stated),
        basis=found.basis,
        confidence=_confidence(found.basis),
    )
    if old.stated_date is None:
        return dated, False
    authoritative_wins = found.basis == AUTHORITATIVE and old.basis != AUTHORITATIVE
    if not (found.change or authoritative_wins):
        return merged, False
    changed = dated.due_date != old.due_date
    return dataclasses.replace(
        dated,
        previous_due_date=old.due_date if changed else old.previous_due_date,
        version=old.version + 1 if changed else old.version,
    ), changed


def resolve_relative(old: Deadline, published: dt.date, source: DeadlineSource) -> Deadline:
    """A pending "N days after FR publication" deadline, now that the FR document appeared."""
    stated = published + dt.timedelta(days=old.relative_days or 0)
    found = Candidate(old.kind, stated, "relative", relative_days=old.relative_days)
    return merge(old, found, source)[0]
