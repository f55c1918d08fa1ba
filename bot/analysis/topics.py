"""Put items into topics: by the dockets they cite, their keywords, patterns, or the source.

Pure and deterministic: the same item and topics always give the same matches in the same order
(the order of topics in feeds.yaml). Each topic matches at most once, with its strongest rule:
docket > keyword > pattern > source default. The rule is kept as readable text
(`docket PS 22-329`, `keyword "CALEA"`, `pattern /stir\\/shaken/`, `source default`) so an alert
can say why it was routed where it was.

Keywords match case-insensitively on word boundaries; a space or hyphen inside a keyword matches
any run of spaces and hyphens ("rip and replace" finds "rip-and-replace"). Patterns are regular
expressions matched case-insensitively. Title, text and the feed's categories are searched.

Speed: Python's regex engine costs tens of nanoseconds per character, so running ~10 topic
regexes over every item is too slow for a backfill. Rules are compiled once; each item is then
split into words in one C-level pass, and a topic's keyword regex runs only when one of its
"anchor" words is present, a pattern only when a literal it cannot match without is present.
Both filters are exact (they never hide a match), so the result is the same as running every rule.
The classifier remembers which words contain pattern literals (bounded); answers never change.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.models import Identifiers, ParsedItem, Topic, TopicMatch

try:  # private, but stable since 3.11; used only to speed up patterns, never for their meaning
    from re import _parser as _regex_parser
except ImportError:  # pragma: no cover - a future Python: patterns simply always run
    _regex_parser = None

#: Text beyond this many characters is not searched (a hostile feed can send megabytes).
MAX_SEARCHED_CHARS = 100_000
SOURCE_DEFAULT_RULE = "source default"
#: Distinct words whose pattern-literal check is remembered (bounds memory).
MAX_REMEMBERED_WORDS = 200_000

_GAP = re.compile(r"[\s\-]+")
_GAP_REGEX = r"[\s\-]+"
_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"[0-9a-z_]+")
# Bytes that are word characters stay; everything else (and '?' from non-ASCII) splits words.
_SPLIT_TABLE = bytes(b if (chr(b).isalnum() or b == ord("_")) else 0x20 for b in range(256))
# Frequent words make poor anchors: prefer a rarer word of the keyword when there is one.
_COMMON_WORDS = frozenset(
    b"a an and act for in of on or the to by with law public data service services network "
    b"networks national federal communications commission program programs information".split()
)


def fold_case(text: str) -> str:
    """Case-fold text the way case-insensitive regexes compare it (dotted/dotless i included)."""
    if not text.isascii() and ("\u0130" in text or "\u0131" in text):
        text = text.replace("\u0130", "i").replace("\u0131", "i")
    return text.casefold()


def keyword_regex(keyword: str) -> str:
    """The regular expression (without boundaries) that finds a case-folded keyword."""
    parts = [re.escape(part) for part in _GAP.split(fold_case(keyword).strip()) if part]
    return _GAP_REGEX.join(parts)


def _keyword_key(text: str) -> str:
    """Matched text and keywords compare equal after folding case and collapsing gaps."""
    return _GAP.sub(" ", fold_case(text)).strip()


def _word_set(folded: str) -> set[bytes]:
    """The ASCII words of case-folded text, in one C-level pass (non-ASCII splits words)."""
    return set(folded.encode("ascii", "replace").translate(_SPLIT_TABLE).split())


def _anchor(words: frozenset[bytes]) -> bytes | None:
    """The word to look a keyword up by: its longest uncommon ASCII word, or None."""
    if not words:
        return None
    rare = [w for w in words if w not in _COMMON_WORDS] or list(words)
    return max(rare, key=lambda w: (len(w), w))


def _describe_pattern(pattern: str) -> str:
    """`pattern /stir\\/shaken/`: slashes escaped so the delimiters stay readable."""
    return "pattern /" + re.sub(r"(?<!\\)/", r"\/", pattern) + "/"


def _is_word_char(char: str) -> bool:
    """What `\\w` matches in a str regex."""
    return char.isalnum() or char == "_"


@dataclass(frozen=True)
class _Keyword:
    """One keyword of one topic, compiled on its own so the regex engine can skip ahead."""

    topic: int  # index into the classifier's topics
    order: int  # position among all keywords: the last tie-breaker
    length: int
    rule: str  # 'keyword "CALEA"'
    regex: re.Pattern[str]  # searches case-folded text
    words: frozenset[bytes]  # the ASCII words it cannot match without

    @classmethod
    def build(cls, topic: int, order: int, keyword: str) -> _Keyword:
        """Compile one keyword; its leading boundary is checked in `first_match`."""
        words = [w for w in _WORD.findall(fold_case(keyword)) if w.isascii()]
        return cls(
            topic=topic,
            order=order,
            length=len(keyword),
            rule=f'keyword "{keyword}"',
            regex=re.compile(keyword_regex(keyword) + r"(?!\w)"),
            words=frozenset(w.encode("ascii") for w in words),
        )

    def first_match(self, folded: str) -> int | None:
        """Where the keyword first occurs on a word boundary in case-folded text, or None."""
        position = 0
        while (match := self.regex.search(folded, position)) is not None:
            start = match.start()
            if start == 0 or not _is_word_char(folded[start - 1]):
                return start
            position = start + 1
        return None


@dataclass(frozen=True)
class _Pattern:
    """One pattern of one topic, with the literals it cannot match without."""

    topic: int
    rule: str  # 'pattern /stir\\/shaken/'
    regex: re.Pattern[str]  # case-insensitive, searches the original text
    literals: tuple[str, ...] | None  # case-folded; None = always run the regex


class _LiteralFilter:
    """Which pattern literals occur in a text, remembered per word (feed vocabulary repeats).

    A literal made of word characters can only occur inside one word, so each distinct word is
    checked once and the answer kept; other literals are looked for in the whole text.
    """

    def __init__(self, literals: Iterable[str]) -> None:
        literals = tuple(literals)
        self._in_words = tuple(lit.encode() for lit in literals if _ASCII_WORD.fullmatch(lit))
        self._in_text = tuple(lit for lit in literals if not _ASCII_WORD.fullmatch(lit))
        self._clean: set[bytes] = set()  # words containing no literal
        self._hits: dict[bytes, frozenset[str]] = {}

    def present(self, folded: str, words: set[bytes]) -> set[str]:
        """The literals that occur in `folded` (whose ASCII words are `words`)."""
        found = {literal for literal in self._in_text if literal in folded}
        for word in words.difference(self._clean):
            hits = self._hits.get(word)
            if hits is None:
                hits = frozenset(lit.decode() for lit in self._in_words if lit in word)
                if len(self._clean) + len(self._hits) >= MAX_REMEMBERED_WORDS:
                    self._clean.clear()  # bound memory against feeds of random words
                    self._hits.clear()
                if hits:
                    self._hits[word] = hits
                else:
                    self._clean.add(word)
            found.update(hits)
        return found


class TopicClassifier:
    """Topics compiled once; `classify` is then cheap enough to run on every item."""

    def __init__(self, topics: Sequence[Topic]) -> None:
        self._topics = tuple(topics)
        self._index: dict[str, int] = {}
        self._docket_topics: dict[str, list[int]] = {}
        keywords: list[_Keyword] = []
        self._patterns: list[_Pattern] = []
        for t, topic in enumerate(self._topics):
            self._index.setdefault(topic.id, t)
            for docket in dict.fromkeys(topic.dockets):
                self._docket_topics.setdefault(docket, []).append(t)
            seen: set[str] = set()
            for keyword in topic.keywords:
                key = _keyword_key(keyword)
                if key and key not in seen:  # "" would match everywhere
                    seen.add(key)
                    keywords.append(_Keyword.build(t, len(keywords), keyword))
            for pattern in topic.patterns:
                regex = re.compile(pattern, re.IGNORECASE)
                literals = required_literals(pattern)
                self._patterns.append(_Pattern(t, _describe_pattern(pattern), regex, literals))
        # Keywords are looked up by their rarest-looking word; patterns by their literals.
        self._keywords_by_anchor: dict[bytes, list[_Keyword]] = {}
        self._unanchored: list[_Keyword] = []
        for keyword in keywords:
            anchor = _anchor(keyword.words)
            if anchor is None:
                self._unanchored.append(keyword)
            else:
                self._keywords_by_anchor.setdefault(anchor, []).append(keyword)
        self._anchors = frozenset(self._keywords_by_anchor)
        self._patterns_by_literal: dict[str, list[int]] = {}
        self._unfiltered_patterns: list[int] = []
        for i, pattern in enumerate(self._patterns):
            if pattern.literals is None:
                self._unfiltered_patterns.append(i)
            for literal in pattern.literals or ():
                self._patterns_by_literal.setdefault(literal, []).append(i)
        self._literal_filter = _LiteralFilter(self._patterns_by_literal)

    @property
    def topic_ids(self) -> tuple[str, ...]:
        """The topic ids, in the order matches are returned."""
        return tuple(topic.id for topic in self._topics)

    def classify(
        self,
        item: ParsedItem,
        identifiers: Identifiers,
        source_topics: Sequence[str] = (),
    ) -> tuple[TopicMatch, ...]:
        """The topics this item belongs to, one match per topic, in topic order.

        A topic in `source_topics` that no rule matched is added as `source default`; ids that
        are not among the configured topics are ignored.
        """
        text = searchable_text(item)
        folded = fold_case(text)
        words = _word_set(folded)
        found: dict[int, str] = {}
        for docket in identifiers.dockets:
            for t in self._docket_topics.get(docket, ()):
                found.setdefault(t, f"docket {docket}")
        found.update(self._keyword_rules(folded, words, found))
        found.update(self._pattern_rules(text, folded, words, found))
        for topic_id in source_topics:
            t = self._index.get(topic_id)
            if t is not None:
                found.setdefault(t, SOURCE_DEFAULT_RULE)
        return tuple(TopicMatch(self._topics[t].id, found[t]) for t in sorted(found))

    def _keyword_rules(
        self, folded: str, words: set[bytes], found: dict[int, str]
    ) -> dict[int, str]:
        """Per topic not yet found: its keyword occurring first (longest on a tie)."""
        candidates = list(self._unanchored)
        for anchor in self._anchors.intersection(words):
            candidates.extend(self._keywords_by_anchor[anchor])
        best: dict[int, tuple[int, int, int, str]] = {}
        for keyword in candidates:
            if keyword.topic in found or not keyword.words <= words:
                continue
            position = keyword.first_match(folded)
            if position is None:
                continue
            rank = (position, -keyword.length, keyword.order, keyword.rule)
            if keyword.topic not in best or rank < best[keyword.topic]:
                best[keyword.topic] = rank
        return {t: rank[3] for t, rank in best.items()}

    def _pattern_rules(
        self, text: str, folded: str, words: set[bytes], found: dict[int, str]
    ) -> dict[int, str]:
        """Per topic not yet found: its first pattern (in config order) that matches."""
        candidates = set(self._unfiltered_patterns)
        for literal in self._literal_filter.present(folded, words):
            candidates.update(self._patterns_by_literal[literal])
        rules: dict[int, str] = {}
        for i in sorted(candidates):
            pattern = self._patterns[i]
            if pattern.topic in found or pattern.topic in rules:
                continue
            if pattern.regex.search(text) is not None:
                rules[pattern.topic] = pattern.rule
        return rules


def searchable_text(item: ParsedItem) -> str:
    """Title, text and categories on separate lines, capped at `MAX_SEARCHED_CHARS`."""
    parts = [item.title, item.text, " · ".join(item.categories)]
    return "\n".join(part for part in parts if part)[:MAX_SEARCHED_CHARS]


@functools.lru_cache(maxsize=16)
def _classifier_for(topics: tuple[Topic, ...]) -> TopicClassifier:
    return TopicClassifier(topics)


_last_classifier: tuple[tuple[Topic, ...], TopicClassifier] | None = None


def classify(
    item: ParsedItem,
    identifiers: Identifiers,
    topics: Sequence[Topic],
    source_topics: Sequence[str] = (),
) -> tuple[TopicMatch, ...]:
    """Function form of `TopicClassifier.classify`; compiled rules are cached per topic set."""
    global _last_classifier
    last = _last_classifier
    if last is not None and last[0] is topics:  # the same tuple again: skip hashing every topic
        classifier = last[1]
    else:
        classifier = _classifier_for(tuple(topics))
        if isinstance(topics, tuple):  # immutable, so identity is enough next time
            _last_classifier = (topics, classifier)
    return classifier.classify(item, identifiers, source_topics)


# ---------------------------------------------------------------------------------------------
# Literals a regular expression cannot match without: a cheap, exact pre-check.


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Case-folded ASCII strings of which every match of `pattern` contains at least one.

    None when nothing useful can be said (the regex then always runs). Reads the parse tree of
    the standard `re` module; if that private API changes, the answer is simply None.
    """
    if _regex_parser is None:
        return None
    try:
        found = _sequence_literals(_regex_parser.parse(pattern))
    except Exception:  # any surprise means "no pre-check", never a wrong answer
        return None
    if not found or min(len(literal) for literal in found) < 2:
        return None
    return tuple(sorted(found))


def _sequence_literals(items: Iterable[tuple[object, object]]) -> frozenset[str] | None:
    """For a sequence of regex nodes: the best set of which one member must appear."""
    best: frozenset[str] | None = None

    def offer(candidate: frozenset[str] | None) -> None:
        nonlocal best
        if candidate and (best is None or _strength(candidate) > _strength(best)):
            best = candidate

    run: list[str] = []
    for op, value in items:
        name = getattr(op, "name", "")
        if name == "LITERAL" and isinstance(value, int) and value < 128:
            run.append(chr(value).casefold())
            continue
        offer(frozenset({"".join(run)}) if run else None)
        run = []
        if name == "SUBPATTERN":
            offer(_sequence_literals(value[-1]))  # type: ignore[index]
        elif name == "ATOMIC_GROUP":
            offer(_sequence_literals(value))  # type: ignore[arg-type]
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and value[0] >= 1:  # type: ignore[index]
            offer(_sequence_literals(value[2]))  # type: ignore[index]
        elif name == "BRANCH":
            branches = [_sequence_literals(branch) for branch in value[1]]  # type: ignore[index]
            if all(branches):
                offer(frozenset().union(*branches))  # type: ignore[arg-type]
    offer(frozenset({"".join(run)}) if run else None)
    return best


def _strength(literals: frozenset[str]) -> int:
    """A set of literals filters better the longer its shortest member."""
    return min(len(literal) for literal in literals)
