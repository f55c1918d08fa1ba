"""Cleaning and checking what users type: limits, odd characters, names with a closest match.

Every problem raises `CommandError`, which the dispatcher turns into an error reply. Text that
did not pass a check is only ever echoed through `shown`, which keeps letters, digits and a few
punctuation marks, so a reply can never carry markup or a mention (`<!channel>`) back.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence

from bot.models import Topic

#: Longer input is refused outright.
MAX_INPUT_CHARS = 1000
#: "all" and "*" mean every topic.
ALL_TOPICS = "*"
ALL_WORDS = ("all", "*")

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))  # dropped silently
_WHITESPACE_CONTROLS = "\t\n\r"
_REFUSED_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn")  # controls, format (bidi), unassigned
_SHOWN = re.compile(r"[^\w.\-/:+ ]")


class CommandError(Exception):
    """Bad input: `message` says what was wrong, `usage` how to use the command."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


def clean_input(text: str | None) -> str:
    """Command text with whitespace collapsed and compatibility characters folded (NFKC).

    Refuses text over `MAX_INPUT_CHARS` and text with control, bidi or other invisible
    formatting characters (zero-width spaces are dropped silently).
    """
    if not text:
        return ""
    if len(text) > MAX_INPUT_CHARS:
        raise CommandError(
            f"That command is too long ({len(text):,} characters; the limit is "
            f"{MAX_INPUT_CHARS:,}). Shorten it and try again."
        )
    text = text.translate(_INVISIBLE)
    for char in text:
        if char not in _WHITESPACE_CONTROLS and unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise CommandError(
                f"That command contains a control or invisible character (U+{ord(char):04X}). "
                "Retype it without pasting formatted text."
            )
    text = unicodedata.normalize("NFKC", text)
    if len(text) > MAX_INPUT_CHARS:
        raise CommandError(
            f"That command is too long once normalised (the limit is {MAX_INPUT_CHARS:,} "
            "characters). Shorten it and try again."
        )
    return " ".join(text.split())


def shown(value: str, limit: int = 40) -> str:
    """User text safe to echo in a reply: markup characters become '?', long text is cut."""
    value = _SHOWN.sub("?", value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word` (difflib), or None when nothing is close."""
    matches = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' Did you mean “x”?' or ''."""
    match = closest(word, choices)
    return f" Did you mean “{match}”?" if match else ""


def resolve_topics(
    words: Sequence[str],
    topics: Sequence[Topic],
    *,
    usage: str,
    also_known: Iterable[str] = (),
) -> list[str]:
    """Topic ids from user words (case-insensitive, deduplicated); "all"/"*" → `ALL_TOPICS`.

    `also_known` admits ids that are not configured topics (e.g. a channel's stale
    subscription it wants to drop). Raises CommandError naming the closest topic.
    """
    known = [topic.id for topic in topics]
    accepted = set(known) | set(also_known)
    resolved: list[str] = []
    for word in words:
        lowered = word.lower()
        topic = ALL_TOPICS if lowered in ALL_WORDS else lowered
        if topic != ALL_TOPICS and topic not in accepted:
            raise CommandError(
                f"“{shown(word)}” is not a topic.{did_you_mean(lowered, known)} "
                f"Topics: {', '.join(known) or 'none are configured'}.",
                usage,
            )
        if topic not in resolved:
            resolved.append(topic)
    return resolved


def parse_count(word: str) -> int | None:
    """The integer a word spells ("5", "+5", "-1"), or None when it is not a number."""
    return int(word) if re.fullmatch(r"[+-]?\d{1,9}", word) else None
