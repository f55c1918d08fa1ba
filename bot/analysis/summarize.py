"""Short extractive summaries of feed items: no network, no model, whole sentences.

`Summarizer` is the seam for a better summariser later; `extractive_summary` is the default.
It keeps the lead sentence and the sentences that carry regulatory signal (adopt, rescind,
comment, effective, deadline, docket…) in their original order, within a character limit.
"""

from __future__ import annotations

import re
from typing import Protocol

from bot.common.text_safety import truncate_at_word

DEFAULT_LIMIT = 400
MAX_INPUT_CHARS = 50_000  # longer texts are read only this far
MAX_SENTENCES = 400

# Lower-cased words that end with a period without ending a sentence ("No. 22-329").
_ABBREVIATIONS = frozenset(
    {
        "no", "nos", "inc", "corp", "co", "ltd", "mr", "mrs", "ms", "dr", "jr", "sr", "st",
        "vs", "v", "cf", "al", "sec", "secs", "para", "paras", "p", "pp", "vol", "fed", "reg",
        "dkt", "dept", "gen", "gov", "sen", "rep", "cong", "stat", "pub", "approx", "est",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "comm'n", "comm’n",
    }
)  # fmt: skip
_CLOSERS = "\"'”’)]"
_OPENERS = "\"'“‘(["
# A token that may end a sentence: ".", "!" or "?", then closing quotes/brackets, then a space.
_CANDIDATE_END = re.compile(r"[.!?][\"'”’)\]]* ")
_SIGNAL = re.compile(
    r"\b(?:adopt|rescind|rescission|withdr[ae]w|comment|effective|deadline|docket|due\b"
    r"|complian|comply|requir|vot(?:e|ed|es|ing)\b|propos|petition)",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[a-z0-9]+")
_TITLE_SEPARATORS = " .:;,-–—|"


class Summarizer(Protocol):
    """Anything that turns an item's title and text into a summary of at most `limit` chars."""

    def __call__(self, title: str, text: str, limit: int = DEFAULT_LIMIT) -> str:
        """Return the summary."""
        ...


def _is_abbreviation(token: str) -> bool:
    """True when a token ending in "." is an abbreviation, an initial or a dotted acronym."""
    word = token.rstrip(_CLOSERS).rstrip(".").lstrip(_OPENERS)
    lowered = word.lower()
    if lowered in _ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. Smith"
    parts = lowered.split(".")
    return len(parts) > 1 and all(0 < len(part) <= 2 for part in parts)  # "U.S.", "e.g."


def _ends_sentence(token: str, next_token: str) -> bool:
    """True when the text breaks into a new sentence between `token` and `next_token`."""
    stripped = token.rstrip(_CLOSERS)
    if not stripped or stripped[-1] not in ".!?":
        return False
    following = next_token.lstrip(_OPENERS)
    if not following or not following[0].isupper():
        return False
    return stripped[-1] != "." or not _is_abbreviation(token)


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, whitespace collapsed; abbreviations such as "No." do not split.

    Only the places where a token ends in ".", "!" or "?" (and any closing quotes or brackets)
    are examined, so plain words cost nothing.
    """
    words = " ".join(text[:MAX_INPUT_CHARS].split())
    sentences: list[str] = []
    start = 0
    for boundary in _CANDIDATE_END.finditer(words):
        space = boundary.end() - 1
        token = words[max(words.rfind(" ", start, space) + 1, start) : space]
        following_end = words.find(" ", space + 1)
        following = words[space + 1 : following_end if following_end >= 0 else len(words)]
        if _ends_sentence(token, following):
            sentences.append(words[start:space])
            start = space + 1
            if len(sentences) >= MAX_SENTENCES:
                return sentences
    if start < len(words):
        sentences.append(words[start:])
    return sentences


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def _without_title(title: str, text: str) -> str:
    """`text` without a leading repeat of `title` (common in press releases and RSS bodies)."""
    title = " ".join(title.split())
    if title and text.casefold().startswith(title.casefold()):
        return text[len(title) :].lstrip(_TITLE_SEPARATORS)
    return text


def _repeats_title(sentence: str, title: str) -> bool:
    """True when a sentence says little more than the title does."""
    sentence_words, title_words = _words(sentence), set(_words(title))
    if not sentence_words or not title_words:
        return False
    shared = sum(1 for word in sentence_words if word in title_words)
    return shared / len(sentence_words) >= 0.8 and len(sentence_words) <= len(title_words) + 3


def extractive_summary(title: str, text: str, limit: int = DEFAULT_LIMIT) -> str:
    """A summary of at most `limit` characters built from whole sentences of `text`.

    The lead sentence comes first, then sentences with regulatory signal words, then the rest,
    each added only if it fits; the chosen sentences keep their original order. A lead sentence
    longer than the limit is cut at a word boundary with "…". Empty text gives "".
    """
    if limit <= 0 or not text:
        return ""
    body = _without_title(title, " ".join(text[:MAX_INPUT_CHARS].split()))
    if len(body) <= limit:
        return _short_body(title, body)
    sentences = split_sentences(body)
    if sentences and _repeats_title(sentences[0], title):
        sentences = sentences[1:]
    if not sentences:
        return ""
    if len(sentences[0]) > limit:
        return truncate_at_word(sentences[0], limit)

    rest = range(1, len(sentences))
    signal = [i for i in rest if _SIGNAL.search(sentences[i])]
    signal_set = set(signal)
    by_priority = [0, *signal, *(i for i in rest if i not in signal_set)]
    chosen: set[int] = set()
    used = -1  # the joining space before the first sentence does not count
    for index in by_priority:
        cost = len(sentences[index]) + 1
        if used + cost <= limit:
            chosen.add(index)
            used += cost
    return " ".join(sentences[i] for i in sorted(chosen))


def _short_body(title: str, body: str) -> str:
    """The summary of a text that fits whole: all of it, minus a first sentence that only
    repeats the title (the common case, so sentence-splitting the whole text is skipped)."""
    head = split_sentences(body[: len(title) + 80])
    if len(head) > 1 and _repeats_title(head[0], title):
        return body[len(head[0]) :].lstrip()
    if len(head) == 1 and len(head[0]) == len(body) and _repeats_title(body, title):
        return ""
    return body
