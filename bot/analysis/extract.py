"""Pull regulatory identifiers out of an item: dockets, FCC and Federal Register documents, dates.

Pure and defensive: feed text is hostile, so every pattern is bounded (no nested open-ended
repetition), the scanned text is capped and each kind keeps at most `MAX_PER_KIND` values.
Values come back normalised ("PS 22-329", "FCC 25-81", "DOC-415455A1", "2025-22830",
"90 FR 12345") in order of first appearance, structured fields first.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable
from typing import Generic, TypeVar

from bot.common.business_days import roll_forward
from bot.models import Identifiers, KeyDate, ParsedItem, RelativeDate

MAX_PER_KIND = 50
SCAN_LIMIT = 100_000

# FCC bureau and office prefixes used in docket designations ("PS Docket No. 22-329"), checked
# against real usage: Federal Register FCC abstracts 2020-2025 (AU CC CG ET GN IB MB MD OI PS SB WC
# WT, github:ai-village-agents/deepseek-news), FCC releases (GC Docket No. 10-44 in FCC 11-16; GN,
# MB, AU in DA 17-134), older Federal Register text (CC, MM, CS, PR; "PP Docket 93-253" in FR Doc.
# 95-9346) and the WTB glossary ("the Bureau which initiated the docket (e.g., WT 99-266 and CC
# 87-313)", wireless.fcc.gov/wtb/index.htm?job=terms_acronyms). EB: Enforcement Bureau hearing
# dockets; GEN: the pre-1990s general docket series.
BUREAU_PREFIXES = (
    "AU", "CC", "CG", "CS", "EB", "ET", "GC", "GEN", "GN", "IB", "MB", "MD", "MM", "OI", "PP",
    "PR", "PS", "SB", "WC", "WT",
)  # fmt: skip
_PREFIX = "|".join(BUREAU_PREFIXES)
# Typography seen inside identifiers: hyphen, non-breaking hyphen, figure dash, en and em dash,
# minus sign, small and full-width hyphen-minus; PDF text adds a space or a line break after it.
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"
_DASH = f"[{_DASHES}]"
_JOIN = rf"\s{{0,2}}{_DASH}\s{{0,6}}"  # "17-97", "17 – 97", "17-\n97"
_DOCKET_NUMBER = rf"(?<!\d)\d{{2}}{_JOIN}\d{{1,5}}(?![\d{_DASHES}])"
_LIST_SEPARATOR = (
    r"(?:\s{0,3}[,;&]\s{0,6}(?:and\s{1,6})?|\s{1,6}and\s{1,6})(?:(?i:nos?)\.?\s{0,3})?"
)
_DOCKET_WORD = r"(?i:dockets?|dkts?\.?|docs?\.)"
# Matched from the docket word on (found with str.find, far cheaper than scanning with the
# prefix alternation); the prefix is checked in the few characters before it.
_DOCKET_AFTER_PREFIX = re.compile(
    rf"{_DOCKET_WORD}\s{{0,3}}"
    rf"(?:(?i:nos?)\.?\s{{0,3}}|(?i:numbers?)\s{{1,3}}|#\s{{0,3}})?"
    rf"(?P<numbers>{_DOCKET_NUMBER}(?:{_LIST_SEPARATOR}{_DOCKET_NUMBER}){{0,20}})"
)
_PREFIX_BEFORE = re.compile(rf"\b(?P<prefix>{_PREFIX})\s{{1,6}}$")
_DOCKET_WORD_STEMS = ("docket", "dkt", "doc.")
_DOCKET_REFERENCE = re.compile(
    rf"\s{{0,5}}(?P<prefix>(?i:{_PREFIX}))[\s{_DASHES}]{{0,3}}(?:{_DOCKET_WORD}\s{{0,3}})?"
    rf"(?:(?i:nos?)\.?\s{{0,3}}|#\s{{0,3}})?(?P<number>{_DOCKET_NUMBER})"
)
_NUMBER = re.compile(rf"(?P<year>\d{{2}}){_JOIN}(?P<number>\d{{1,5}})")
# "RM-11771", "RM- 11771", "RM No. 11820"; not "RM2024-9" (a Postal Regulatory Commission docket)
# nor "PRM-50-114" (NRC).
_RULEMAKING_PETITION = re.compile(
    rf"(?<![A-Za-z])RM(?:{_JOIN}|\s{{0,2}}(?:No\.|Number)\s{{0,3}}|\s?)"
    rf"(?P<number>\d{{4,5}})(?![\d{_DASHES}])"
)

# "FCC 25-81", "FCC-25-45", "FCC 24–17" (the Federal Register's en dash), "FCC 11- 161",
# "FCC Number 21-30", "DA No. 25-763", page furniture glued to a word ("CommissionFCC 11-16",
# "2024DA-24-412") and lower-cased running heads ("fcc 07-33").
_FCC_NUMBER_AFTER_KIND = re.compile(
    rf"(?:{_DASH}|\s{{1,3}}(?:(?:No\.|Number|#)\s{{0,3}})?)"
    rf"(?P<year>\d{{2}}){_JOIN}(?P<number>\d{{1,4}})(?![\d{_DASHES}])"
)
_DOC_ID = re.compile(r"\bDOC-(?P<number>\d{5,7})(?P<attachment>A\d{1,2})?(?!\d)")
_FR_NUMBER_SHAPE = r"(?:19|20)\d{2}-\d{4,6}(?!\d)"
# After an "FR Doc." introducer the number may carry any dash, a break, a two-digit year
# ("95-16200", before 1999) or the "E9-27050" form of 2008-2009.
_FR_INTRODUCED_NUMBER = rf"(?P<year>(?:19|20)\d{{2}}|\d{{2}}|E\d){_JOIN}(?P<serial>\d{{4,6}})(?!\d)"
_FR_DOC_NUMBER = re.compile(
    r"(?:\bFR\s{0,3}Doc(?:ument)?\.?\s{0,3}(?:No\.?|Number)?\s{0,3}:?\s{0,3}"
    r"|\bDocument\s{1,3}Number:?\s{0,3})"
    rf"{_FR_INTRODUCED_NUMBER}"
    r"|(?:federalregister\.gov/(?:documents|d)/(?:\d{4}/\d{2}/\d{2}/)?"
    r"|/FR-\d{4}-\d{2}-\d{2}/(?:pdf|html)/)"
    rf"(?P<linked>{_FR_NUMBER_SHAPE})",
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
_FR_ITEM_LINK = re.compile(
    r"^https?://(?:www\.)?(?:federalregister\.gov/|govinfo\.gov/content/pkg/FR-)", re.IGNORECASE
)

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_DATE = re.compile(
    r"(?:(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?\s{1,3}"
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s{1,3}(?P<year>(?:19|20)\d{2})(?!\d)"
    r"|(?P<iso>(?:19|20)\d{2}-\d{2}-\d{2})(?!\d))",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d{2}(?!\d)")  # the date pattern runs only where a year follows
_REPLY_BEFORE = re.compile(r"reply[\s-]{1,2}$")
_REPLIES_TO_OPPOSITIONS = re.compile(r"\s{1,3}to\s{1,3}(?:an?\s{1,3})?oppositions?\b")
# "comments and reply comments ... until September 17, 2018 and October 1, 2018, respectively"
_PAIRED_BEFORE = re.compile(r"\b(?:comments?|initial)\s{1,3}and\s{1,3}$", re.IGNORECASE)
_RESPECTIVELY = re.compile(
    r"\s{0,3},?\s{1,3}and\s{1,3}(?P<second>[^.;]{6,25}?),?\s{1,3}respectively\b"
)
# A party asking for a date ("CCA requests a 30-day extension of the reply comment deadline, to
# October 8, 2014") does not set it.
_REQUESTED_EXTENSION = re.compile(
    r"\b(?:requests?|requested|requesting|seeks?|asks?)\s{1,3}(?:an?\s{1,3})?"
    r"(?:\S{1,12}\s{1,3}){0,2}extension\b[^.]{0,40}$",
    re.IGNORECASE,
)
_TAKE_BEFORE = re.compile(r"\b(?:takes?|took)\s{1,3}$")


# Words allowed between a keyword and its date ("are due on or before", "is extended to").
_FILLER_WORDS = (
    r"are|is|will|be|shall|must|now|were|was|due|on|or|before|by|no|not|later|than|as|of|the"
    r"|date|dates|deadline|deadlines|period|periods|received|submitted|filed|close|closes|closed"
    r"|end|ends|until|required|become|becomes|this|rule|rules|order|regulation|regulations"
    r"|amendments?|to|extended|delayed|postponed|changed|within"
)
_STRICT_TAIL = re.compile(rf"(?:[\s:,(\[]|\b(?:{_FILLER_WORDS})\b){{0,40}}", re.IGNORECASE)
# A long tail ("comments on the <document name>, FCC 25-25, are due on") must end on a
# deadline phrase; for effective and compliance dates on a copula ("the effective date ... is").
_DUE_ENDING = re.compile(
    r"(?:\bdue|\bdeadline|\bdate|\bon\s{1,3}or\s{1,3}before|\bno\s{1,3}later\s{1,3}than"
    r"|\bnot\s{1,3}later\s{1,3}than|\bextended\s{1,3}to|\buntil)"
    r"(?:\s{1,3}(?:is|on|of|as|to))?[\s:,]{0,3}$",
    re.IGNORECASE,
)
# Comment deadlines need a deadline word: "public comment on July 26, 2022" names a publication.
_DEADLINE_WORD = re.compile(
    r":|\b(?:due|by|before|until|deadline|date|dates|close[sd]?|closing|later|than|ends?|ended"
    r"|received|submitted|filed|to|through|extended)\b",
    re.IGNORECASE,
)
# "the effective date of the January 7, 2025, final rule": a date after "the" names a document;
# "Expiration Date: June 30, 2025" labels something else.
_NOT_A_DEADLINE_ENDING = re.compile(
    r"\bthe\s{1,3}$|\b(?:expiration|expires|publication|release|adoption)\s{1,3}dates?\b[^,;]{0,20}$",
    re.IGNORECASE,
)
_COPULA_ENDING = re.compile(r"\b(?:is|was|will\s{1,3}be|shall\s{1,3}be)\s{1,3}$", re.IGNORECASE)
_DATE_NOUN = re.compile(r"\s{0,3}date\b", re.IGNORECASE)
# A caption label: "Revised Comment Date in GN Docket 18-238: September 17, 2018"
_LABEL_TAIL = re.compile(r"\s{0,3}(?:date|deadline)s?\b[^:\n]{0,60}:\s{0,3}$", re.IGNORECASE)
# A sentence ends at ". X" unless the period closes a common abbreviation ("No.", "Doc.", "Feb.").
_SENTENCE_END = re.compile(r"[.;!?]\s{1,10}(?=[A-Z\[])")
_ABBREVIATION_BEFORE = re.compile(
    r"(?:\b(?:Nos?|Dkts?|Docs?|Reg|Fed|Inc|Co|Corp|L|al|Sec|Secs|Pub|Stat|Mr|Ms|Dr|St|SW|NW|NE"
    r"|SE|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|e\.g|i\.e|v|vs)|\b[A-Z])$"
)
# Office notices about filing logistics are not rules taking effect.
_PROCEDURAL_NOTICE = re.compile(
    r"until\s{1,3}further\s{1,3}notice|\bfilings?\b|hand[-\s]deliver|messenger|\bsecretary\b"
    r"|headquarters|filing\s{1,3}window|office\s{1,3}hours",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    r"(?P<days>\d{1,3}|ten|fifteen|twenty|thirty|forty[-\s]five|sixty|ninety)\s{1,3}"
    r"(?:calendar\s{1,3})?days\s{1,3}(?:after|following|from|of)\b",
    re.IGNORECASE,
)
_LATER_REPLIES = re.compile(
    r"\b(?:reply\s{1,3}comments|replies)\s{1,3}(?:will\s{1,3}be\s{1,3}|are\s{1,3}|shall\s{1,3}be\s{1,3})?"
    r"due\s{1,3}(?P<days>\d{1,3}|ten|fifteen|twenty|thirty)\s{1,3}days\s{1,3}(?:later|thereafter)",
    re.IGNORECASE,
)
_NUMBER_WORDS = {
    "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45, "forty five": 45,
    "sixty": 60, "ninety": 90,
}  # fmt: skip
_WINDOW_AFTER = 300  # keyword, its words, then the date
_LONG_TAIL = 250


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
        return f"{reference['prefix'].upper()} {_docket_number(reference['number'])}"
    petition = _RULEMAKING_PETITION.search(text)
    return f"RM-{petition['number']}" if petition else None


def _docket_number(text: str) -> str:
    """ "17 – 97" → "17-97": the year and the serial, whatever dash and spaces joined them."""
    match = _NUMBER.search(text)
    return f"{match['year']}-{match['number']}" if match else text


def find_dockets(text: str) -> tuple[str, ...]:
    """Every docket named in free text, normalised, including "Nos." lists and RM petitions."""
    found: _OrderedCap[str] = _OrderedCap()
    lowered = text.lower()
    starts = sorted(
        hit for stem in _DOCKET_WORD_STEMS for hit in _positions(lowered, stem, 20 * MAX_PER_KIND)
    )
    for start in starts:
        prefix = _PREFIX_BEFORE.search(text, max(0, start - 10), start)
        match = prefix and _DOCKET_AFTER_PREFIX.match(text, start)
        if match:
            found.extend(
                f"{prefix['prefix']} {number['year']}-{number['number']}"
                for number in _NUMBER.finditer(match["numbers"])
            )
    if "RM" in text:
        found.extend(f"RM-{m['number']}" for m in _RULEMAKING_PETITION.finditer(text))
    return found.values()


def _positions(text: str, needle: str, limit: int) -> list[int]:
    """Where `needle` occurs in `text`, at most `limit` times."""
    found = []
    hit = text.find(needle)
    while hit != -1 and len(found) < limit:
        found.append(hit)
        hit = text.find(needle, hit + len(needle))
    return found


def _fcc_numbers(text: str) -> Iterable[str]:
    """FCC and DA numbers ("FCC 25-81", "DA 25-763") in any typography, in text order.

    Also page furniture glued to a word ("CommissionFCC 11-16", "2024DA-24-412") and lower-cased
    running heads ("fcc 07-33"); never "FDA 25-11" or "@fcc.gov".
    """
    hits = [(hit, "FCC") for hit in _positions(text.lower(), "fcc", 20 * MAX_PER_KIND)]
    hits += [(hit, "DA") for hit in _positions(text, "DA", 20 * MAX_PER_KIND)]
    for hit, kind in sorted(hits):
        before = text[hit - 1] if hit else " "
        # Glued to a word is fine for an upper-case kind after a lower-case letter only.
        glued = text[hit : hit + len(kind)] == kind and before.islower()
        if before.isascii() and before.isalpha() and not glued:
            continue
        match = _FCC_NUMBER_AFTER_KIND.match(text, hit + len(kind))
        if match:
            yield f"{kind} {match['year']}-{match['number']}"


def _doc_ids(text: str) -> Iterable[str]:
    for match in _DOC_ID.finditer(text):
        yield f"DOC-{match['number']}{match['attachment'] or ''}"


def _fr_numbers(text: str) -> Iterable[str]:
    for match in _FR_DOC_NUMBER.finditer(text):
        yield match["linked"] or f"{match['year'].upper()}-{match['serial']}"


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


def _crosses_sentence(tail: str) -> bool:
    """Whether a keyword-to-date stretch runs over a sentence end."""
    for end in _SENTENCE_END.finditer(tail):
        if tail[end.start()] != "." or not _ABBREVIATION_BEFORE.search(tail, 0, end.start()):
            return True
    return False


def _tail_fits(kind: str, tail: str) -> bool:
    """Whether the words between a keyword and a date make the date that keyword's date."""
    if _NOT_A_DEADLINE_ENDING.search(tail):
        return False
    comments = kind in ("comments_close", "reply_comments_close")
    if _STRICT_TAIL.fullmatch(tail):
        return not comments or _DEADLINE_WORD.search(tail) is not None
    if len(tail) > _LONG_TAIL or _crosses_sentence(tail):
        return False
    if comments:
        return _DUE_ENDING.search(tail) is not None or _LABEL_TAIL.match(tail) is not None
    # "The effective date for the amendments to 47 CFR 64.1200 ... is April 11, 2025."
    return _DATE_NOUN.match(tail) is not None and _COPULA_ENDING.search(tail) is not None


def _sentence_after(text: str, position: int) -> str:
    window = text[position : position + _WINDOW_AFTER]
    for end in _SENTENCE_END.finditer(window):
        if window[end.start()] != "." or not _ABBREVIATION_BEFORE.search(window, 0, end.start()):
            return window[: end.start()]
    return window


def _date_keywords(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every date keyword, in text order.

    "reply comment(s)", "comment(s)", "effective" (not "cost-effective"), "take(s)/took effect",
    "compliance", "comply". Found with str.find on a few stems: a case-insensitive regex
    alternation over every item costs several times more.
    """
    lowered = text.lower()
    found: list[tuple[int, int, str]] = []
    limit = 20 * MAX_PER_KIND

    def bounded(start: int, end: int, dash_before: bool = True) -> bool:
        before = lowered[start - 1] if start else " "
        after = lowered[end] if end < len(lowered) else " "
        if before.isalnum() or before == "_" or (not dash_before and before == "-"):
            return False
        return not (after.isalnum() or after == "_")

    for hit in _positions(lowered, "comment", limit):
        end = hit + 7 + (lowered[hit + 7 : hit + 8] == "s")
        if bounded(hit, end):
            reply = _REPLY_BEFORE.search(lowered, max(0, hit - 8), hit)
            if reply:
                found.append((reply.start(), end, "reply_comments_close"))
            else:
                found.append((hit, end, "comments_close"))
    for hit in _positions(lowered, "replies", limit):
        if bounded(hit, hit + 7) and not _REPLIES_TO_OPPOSITIONS.match(lowered, hit + 7):
            found.append((hit, hit + 7, "reply_comments_close"))
    for hit in _positions(lowered, "effect", limit):
        if lowered.startswith("effective", hit):
            if bounded(hit, hit + 9, dash_before=False):
                found.append((hit, hit + 9, "effective"))
        elif bounded(hit, hit + 6):
            take = _TAKE_BEFORE.search(lowered, max(0, hit - 9), hit)
            if take:
                found.append((take.start(), hit + 6, "effective"))
    for stem in ("compliance", "comply"):
        for hit in _positions(lowered, stem, limit):
            if bounded(hit, hit + len(stem)):
                found.append((hit, hit + len(stem), "compliance"))
    found.sort()
    return found


def _keyword_windows(text: str) -> Iterable[tuple[str, int, int, int]]:
    """Each date keyword's kind, start and end, and where its window ends (next keyword, or cap)."""
    keywords = _date_keywords(text)
    for index, (start, end, kind) in enumerate(keywords):
        limit = end + _WINDOW_AFTER
        if index + 1 < len(keywords):
            limit = min(limit, keywords[index + 1][0])
        yield kind, start, end, limit


def find_key_dates(text: str) -> tuple[KeyDate, ...]:
    """Comment, reply-comment, effective and compliance dates stated in free text, in text order.

    Each keyword ("comments", "effective" …) owns the stretch up to the next keyword; its date is
    the first one there that the words in between tie to it: only deadline words ("are due on or
    before"), or a longer same-sentence stretch ending on a deadline phrase ("comments on the
    <document>, FCC 25-25, are due on"). An effective date in an office notice about filing
    logistics comes back with confidence "low".
    """
    found: _OrderedCap[KeyDate] = _OrderedCap()
    years = [year.start() for year in _YEAR.finditer(text)]
    if not years:
        return found.values()
    for kind, keyword_start, keyword_end, limit in _keyword_windows(text):
        next_year = bisect.bisect_left(years, keyword_end)
        if next_year == len(years) or years[next_year] > limit:
            continue
        if _REQUESTED_EXTENSION.search(text, max(0, keyword_start - 120), keyword_start):
            continue
        for date in _DATE.finditer(text, keyword_end, limit):
            tail = text[keyword_end : date.start()]
            if not _tail_fits(kind, tail):
                continue
            day = _date_from_match(date)
            if day is None:
                break
            pair = _paired_dates(text, kind, keyword_start, date)
            if pair:
                found.extend(pair)
                break
            confidence = "high"
            if kind == "effective" and _PROCEDURAL_NOTICE.search(
                _sentence_after(text, keyword_end)
            ):
                confidence = "low"
            found.add(KeyDate(kind, day, confidence))
            break
    return found.values()


def _paired_dates(
    text: str, kind: str, keyword_start: int, first: re.Match[str]
) -> tuple[KeyDate, KeyDate] | None:
    """ "initial and reply comments ... until <d1> and <d2>, respectively": both deadlines."""
    if kind != "reply_comments_close":
        return None
    if not _PAIRED_BEFORE.search(text, max(0, keyword_start - 20), keyword_start):
        return None
    tail = _RESPECTIVELY.match(text, first.end())
    second = tail and _DATE.fullmatch(tail["second"].strip())
    days = (_date_from_match(first), second and _date_from_match(second))
    if days[0] is None or days[1] is None:
        return None
    return KeyDate("comments_close", days[0]), KeyDate("reply_comments_close", days[1])


def _days(word: str) -> int:
    word = word.lower()
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word.replace("\u2010", "-"), 0)


def find_relative_dates(text: str) -> tuple[RelativeDate, ...]:
    """Comment deadlines stated as "N days after publication in the Federal Register"."""
    found: _OrderedCap[RelativeDate] = _OrderedCap()
    lowered = text.lower()
    if "days" not in lowered or "federal register" not in lowered:
        return found.values()
    for kind, _keyword_start, keyword_end, limit in _keyword_windows(text):
        if kind not in ("comments_close", "reply_comments_close"):
            continue
        for relative in _RELATIVE.finditer(text, keyword_end, limit):
            tail = text[keyword_end : relative.start()]
            if not _tail_fits(kind, tail):
                break
            anchor = lowered[relative.end() : relative.end() + 90]
            if "publi" not in anchor or "federal register" not in anchor:
                break
            days = _days(relative["days"])
            if 0 < days <= 365:
                found.add(RelativeDate(kind, days))
                rest = _sentence_after(text, relative.end())
                later = _LATER_REPLIES.search(rest)
                if kind == "comments_close" and later:
                    found.add(RelativeDate("reply_comments_close", days + _days(later["days"])))
            break
    return found.values()


def resolve_relative_date(relative: RelativeDate, published: dt.date) -> KeyDate:
    """The deadline N days after an FR publication, moved past weekends and holidays (§ 1.4)."""
    return KeyDate(relative.kind, roll_forward(published + dt.timedelta(days=relative.days)))


def _is_federal_register_publication(item: ParsedItem) -> bool:
    """Whether the item is the Federal Register publication itself (its day anchors deadlines)."""
    if item.link and _FR_ITEM_LINK.match(item.link):
        return True
    return any(
        isinstance(reference, str) and _BARE_FR_NUMBER.fullmatch(reference[:200])
        for reference in item.own_documents
    )


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

    relative: _OrderedCap[RelativeDate] = _OrderedCap()
    tentative: _OrderedCap[KeyDate] = _OrderedCap()
    for text in (item.title[:SCAN_LIMIT], item.text[:SCAN_LIMIT]):
        # Cheap substring checks first: most items name few identifiers, and a pattern that
        # cannot match is the costliest kind to run over every item of every feed.
        lowered = text.lower()
        if "dock" in lowered or "dkt" in lowered or "RM" in text:
            dockets.extend(find_dockets(text))
        if "fcc" in lowered or "DA" in text:
            fcc.extend(_fcc_numbers(text))
        if "DOC-" in text:
            doc_ids.extend(_doc_ids(text))
        if "federalregister" in lowered or "/fr-" in lowered or _FR_DOC_HINT.search(lowered):
            fr.extend(_fr_numbers(text))
        if "FR" in text or "Fed." in text:
            citations.extend(_fr_citations(text))
        for key_date in find_key_dates(text):
            (dates if key_date.confidence == "high" else tentative).add(key_date)
        relative.extend(find_relative_dates(text))
    link = (item.link or "")[:4096]
    fcc.extend(_fcc_numbers(link))
    doc_ids.extend(_doc_ids(link))
    fr.extend(_fr_numbers(link))

    unresolved = relative.values()
    if unresolved and item.published is not None and _is_federal_register_publication(item):
        published = item.published.date()
        dates.extend(resolve_relative_date(r, published) for r in unresolved)
        unresolved = ()

    return Identifiers(
        dockets=dockets.values(),
        fcc_numbers=fcc.values(),
        doc_ids=doc_ids.values(),
        fr_numbers=fr.values(),
        fr_citations=citations.values(),
        dates=dates.values(),
        relative_dates=unresolved,
        tentative_dates=tentative.values(),
    )
