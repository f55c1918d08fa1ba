"""Pull regulatory identifiers out of an item: dockets, FCC and Federal Register documents, dates.

Pure and defensive: feed text is hostile, so every pattern is bounded (no nested open-ended
repetition), the scanned text is capped and each kind keeps at most `MAX_PER_KIND` values.
Values come back normalised ("PS 22-329", "FCC 25-81", "DOC-415455A1", "2025-22830",
"90 FR 12345") in order of first appearance, structured fields first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Generic, TypeVar

from bot.models import Identifiers, KeyDate, ParsedItem

MAX_PER_KIND = 50
SCAN_LIMIT = 100_000

# FCC bureau and office prefixes used in docket designations ("PS Docket No. 22-329").
BUREAU_PREFIXES = (
    "AU", "CC", "CG", "CS", "EB", "ET", "GC", "GN", "IB", "MB", "MD", "MM", "OI", "PR", "PS",
    "SB", "WC", "WT",
)  # fmt: skip
_PREFIX = "|".join(BUREAU_PREFIXES)
_DOCKET_NUMBER = r"\d{2}-\d{1,5}(?!\d)"
_LIST_SEPARATOR = r"(?:\s{0,3}[,;&]\s{0,3}(?:and\s{1,3})?|\s{1,3}and\s{1,3})"
_DOCKET_IN_TEXT = re.compile(
    rf"\b(?P<prefix>{_PREFIX})\s{{1,3}}(?i:dockets?)\s{{0,3}}"
    rf"(?:(?i:nos?)\.?\s{{0,3}}|(?i:numbers?)\s{{1,3}}|#\s{{0,3}})?"
    rf"(?P<numbers>{_DOCKET_NUMBER}(?:{_LIST_SEPARATOR}{_DOCKET_NUMBER}){{0,20}})"
)
_DOCKET_REFERENCE = re.compile(
    rf"\s{{0,5}}(?P<prefix>(?i:{_PREFIX}))[\s-]{{0,3}}(?:(?i:dockets?)\s{{0,3}})?"
    rf"(?:(?i:nos?)\.?\s{{0,3}}|#\s{{0,3}})?(?P<number>{_DOCKET_NUMBER})"
)
_NUMBER = re.compile(_DOCKET_NUMBER)
_RULEMAKING_PETITION = re.compile(r"\bRM[-\s]?(?P<number>\d{4,5})(?!\d)")

_FCC_NUMBER = re.compile(
    r"\b(?P<kind>FCC|DA)(?:-|\s{1,3}(?:No\.\s{0,3})?)(?P<year>\d{2})-(?P<number>\d{1,4})(?!\d)"
)
_DOC_ID = re.compile(r"\bDOC-(?P<number>\d{5,7})(?P<attachment>A\d{1,2})?(?!\d)")
_FR_NUMBER_SHAPE = r"(?:19|20)\d{2}-\d{4,6}(?!\d)"
_FR_DOC_NUMBER = re.compile(
    r"(?:\bFR\s{0,3}Doc\.?\s{0,3}(?:No\.?\s{0,3})?:?\s{0,3}"
    r"|\bDocument\s{1,3}Number:?\s{0,3}"
    r"|federalregister\.gov/(?:documents|d)/(?:\d{4}/\d{2}/\d{2}/)?"
    r"|/FR-\d{4}-\d{2}-\d{2}/(?:pdf|html)/)"
    rf"(?P<number>{_FR_NUMBER_SHAPE})",
    re.IGNORECASE,
)
_FR_DOC_HINT = re.compile(r"fr\s{0,3}doc|document\s{1,3}number")
_BARE_FR_NUMBER = re.compile(rf"\s{{0,5}}(?P<number>{_FR_NUMBER_SHAPE})\s{{0,5}}")
_FR_CITATION = re.compile(
    r"\b(?P<volume>\d{1,3})\s{1,3}(?:FR|Fed\.\s{0,2}Reg\.)\s{1,3}(?P<page>\d{1,3}(?:,\d{3})?|\d{1,6})(?!,?\d)"
)
_FCC_ATTACHMENT_LINK = re.compile(
    r"^https?://docs\.fcc\.gov/public/attachments/"
    r"(?P<name>DOC-\d{5,7}A\d{1,2}|(?:FCC|DA)-\d{2}-\d{1,4}A\d{1,2})\.(?:pdf|txt|docx?)$",
    re.IGNORECASE,
)
_FR_DOCUMENT_LINK = re.compile(
    rf"^https?://(?:www\.)?federalregister\.gov/(?:documents|d)/(?:\d{{4}}/\d{{2}}/\d{{2}}/)?"
    rf"(?P<number>{_FR_NUMBER_SHAPE})(?:[/?#]|$)",
    re.IGNORECASE,
)

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_DATE = (
    r"(?:(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?\s{1,3}"
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s{1,3}(?P<year>(?:19|20)\d{2})(?!\d)"
    r"|(?P<iso>(?:19|20)\d{2}-\d{2}-\d{2})(?!\d))"
)
# Words allowed between a deadline keyword and its date ("are due on or before").
_FILLER = (
    r"(?:[\s:,]{1,3}(?:are|is|will|be|shall|must|now|were|was|due|on|or|before|by|no|later|than"
    r"|as|of|the|date|deadline|received|submitted|filed|close|closes|closed|end|ends|until"
    r"|required|become|becomes|this|rule|rules|order|regulation|regulations|amendments?)\b){0,10}"
)
_DATE_KEYWORDS = (
    ("reply_comments_close", r"\breply[\s-]{1,2}comments?\b"),
    ("comments_close", r"(?<!reply )(?<!reply-)\b(?:initial\s{1,3})?comments?\b"),
    ("effective", r"(?<![-\w])effective\b|\btakes?\s{1,3}effect\b|\btook\s{1,3}effect\b"),
    ("compliance", r"\bcompliance\b|\bcomply\b"),
)
_DATE_PATTERNS = {
    kind: re.compile(rf"(?:{keyword}){_FILLER}[\s:,]{{1,3}}{_DATE}", re.IGNORECASE)
    for kind, keyword in _DATE_KEYWORDS
}
# Every date keyword contains one of these stems; each stem wakes only its own patterns.
_DATE_STEMS = (
    ("comment", tuple((k, _DATE_PATTERNS[k]) for k in ("reply_comments_close", "comments_close"))),
    ("effect", (("effective", _DATE_PATTERNS["effective"]),)),
    ("complian", (("compliance", _DATE_PATTERNS["compliance"]),)),
    ("comply", (("compliance", _DATE_PATTERNS["compliance"]),)),
)
_WINDOW_BEFORE = 16  # room for "reply ", "takes ", "initial " before the stem
_WINDOW_AFTER = 240  # keyword, up to ten filler words, then the date


_Value = TypeVar("_Value")


class _OrderedCap(Generic[_Value]):
    """An insertion-ordered set that silently stops growing at `MAX_PER_KIND` values."""

    def __init__(self) -> None:
        self._values: dict[_Value, None] = {}

    def add(self, value: _Value | None) -> None:
        if value is not None and len(self._values) < MAX_PER_KIND:
            self._values.setdefault(value, None)

    def extend(self, values: Iterable[_Value | None]) -> None:
        for value in values:
            self.add(value)

    def values(self) -> tuple[_Value, ...]:
        return tuple(self._values)


def normalize_docket(text: str) -> str | None:
    """The normalised docket a short reference names, e.g. "PS Docket No. 22-329" → "PS 22-329".

    Accepts already-normalised values ("ps 22-329") and rulemaking petitions ("RM-11991").
    Returns the first docket when the text names several, None when it names none.
    """
    if not isinstance(text, str) or not text:
        return None
    text = text[:1000]
    found = find_dockets(text)
    if found:
        return found[0]
    reference = _DOCKET_REFERENCE.match(text)
    if reference:
        return f"{reference['prefix'].upper()} {reference['number']}"
    petition = _RULEMAKING_PETITION.search(text)
    return f"RM-{petition['number']}" if petition else None


def find_dockets(text: str) -> tuple[str, ...]:
    """Every docket named in free text, normalised, including "Nos." lists and RM petitions."""
    found: _OrderedCap[str] = _OrderedCap()
    for match in _DOCKET_IN_TEXT.finditer(text):
        prefix = match["prefix"]
        found.extend(f"{prefix} {number}" for number in _NUMBER.findall(match["numbers"]))
    found.extend(f"RM-{m['number']}" for m in _RULEMAKING_PETITION.finditer(text))
    return found.values()


def _fcc_numbers(text: str) -> Iterable[str]:
    for match in _FCC_NUMBER.finditer(text):
        yield f"{match['kind']} {match['year']}-{match['number']}"


def _doc_ids(text: str) -> Iterable[str]:
    for match in _DOC_ID.finditer(text):
        yield f"DOC-{match['number']}{match['attachment'] or ''}"


def _fr_numbers(text: str) -> Iterable[str]:
    for match in _FR_DOC_NUMBER.finditer(text):
        yield match["number"]


def _fr_citations(text: str) -> Iterable[str]:
    for match in _FR_CITATION.finditer(text):
        yield f"{int(match['volume'])} FR {int(match['page'].replace(',', ''))}"


def _date_from_match(match: re.Match[str]) -> dt.date | None:
    try:
        if match["iso"]:
            return dt.date.fromisoformat(match["iso"])
        month = _MONTHS[match["month"][:3].lower()]
        return dt.date(int(match["year"]), month, int(match["day"]))
    except (KeyError, ValueError):
        return None


def find_key_dates(text: str) -> tuple[KeyDate, ...]:
    """Comment, reply-comment, effective and compliance dates stated in free text, in text order.

    The date patterns run only in a short window around each keyword ("comment", "effect" …):
    scanning whole texts with them costs more than everything else extraction does.
    """
    lowered = text.lower()
    positioned: dict[tuple[int, str], KeyDate] = {}
    for stem, patterns in _DATE_STEMS:
        hit = lowered.find(stem)
        while hit != -1 and len(positioned) < 4 * MAX_PER_KIND:
            low = max(0, hit - _WINDOW_BEFORE)
            window = text[low : hit + _WINDOW_AFTER]
            for kind, pattern in patterns:
                for match in pattern.finditer(window):
                    day = _date_from_match(match)
                    if day is not None:
                        positioned[(low + match.start(), kind)] = KeyDate(kind, day)
            hit = lowered.find(stem, hit + len(stem))
    found: _OrderedCap[KeyDate] = _OrderedCap()
    found.extend(positioned[key] for key in sorted(positioned))
    return found.values()


def own_documents_from_link(link: str | None) -> tuple[str, ...]:
    """The document a link points at, when the URL itself names it.

    "https://docs.fcc.gov/public/attachments/DOC-415455A1.pdf" → ("DOC-415455A1",),
    ".../FCC-25-81A1.pdf" → ("FCC 25-81",), a federalregister.gov document page → ("2025-22830",).
    """
    if not link:
        return ()
    attachment = _FCC_ATTACHMENT_LINK.match(link)
    if attachment:
        name = attachment["name"].upper()
        return tuple(_doc_ids(name)) or tuple(_fcc_numbers(name))
    fr_page = _FR_DOCUMENT_LINK.match(link)
    return (fr_page["number"],) if fr_page else ()


def _classify_documents(
    references: Iterable[str],
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Split structured document references into FCC numbers, DOC ids, FR numbers, citations."""
    fcc, doc, fr, citations = [], [], [], []
    for reference in references:
        if not isinstance(reference, str):
            continue
        reference = reference[:200]
        bare_fr = _BARE_FR_NUMBER.fullmatch(reference)
        if bare_fr:
            fr.append(bare_fr["number"])
            continue
        fcc.extend(_fcc_numbers(reference))
        doc.extend(_doc_ids(reference))
        fr.extend(_fr_numbers(reference))
        citations.extend(_fr_citations(reference))
    return fcc, doc, fr, citations


def extract_identifiers(item: ParsedItem) -> Identifiers:
    """Every docket, document and key date an item names, normalised and deduplicated.

    Structured fields the parser filled (dockets, own documents, dates) come first, then what
    the title, the text and the link mention.
    """
    dockets: _OrderedCap[str] = _OrderedCap()
    fcc: _OrderedCap[str] = _OrderedCap()
    doc_ids: _OrderedCap[str] = _OrderedCap()
    fr: _OrderedCap[str] = _OrderedCap()
    citations: _OrderedCap[str] = _OrderedCap()
    dates: _OrderedCap[KeyDate] = _OrderedCap()
    dockets.extend(normalize_docket(docket) for docket in item.dockets)
    own_fcc, own_doc, own_fr, own_citations = _classify_documents(item.own_documents)
    fcc.extend(own_fcc)
    doc_ids.extend(own_doc)
    fr.extend(own_fr)
    citations.extend(own_citations)
    dates.extend(item.dates)

    for text in (item.title[:SCAN_LIMIT], item.text[:SCAN_LIMIT]):
        # Cheap substring checks first: most items name few identifiers, and a pattern that
        # cannot match is the costliest kind to run over every item of every feed.
        lowered = text.lower()
        if "docket" in lowered or "RM" in text:
            dockets.extend(find_dockets(text))
        if "FCC" in text or "DA" in text:
            fcc.extend(_fcc_numbers(text))
        if "DOC-" in text:
            doc_ids.extend(_doc_ids(text))
        if "federalregister" in lowered or "/fr-" in lowered or _FR_DOC_HINT.search(lowered):
            fr.extend(_fr_numbers(text))
        if "FR" in text or "Fed." in text:
            citations.extend(_fr_citations(text))
        dates.extend(find_key_dates(text))
    link = (item.link or "")[:4096]
    fcc.extend(_fcc_numbers(link))
    doc_ids.extend(_doc_ids(link))
    fr.extend(_fr_numbers(link))

    return Identifiers(
        dockets=dockets.values(),
        fcc_numbers=fcc.values(),
        doc_ids=doc_ids.values(),
        fr_numbers=fr.values(),
        fr_citations=citations.values(),
        dates=dates.values(),
    )
