"""Which watches an event matches (pure): dockets, tracked matters and phrases.

A phrase matches whole words, case-insensitively, in order (punctuation and spacing between
the words do not matter): "network security" matches "Network-Security rules" but not
"networks security". No user regex is ever compiled. `WatchIndex` is built once per set of
watches, so matching an event costs one tokenisation and a few dict/set look-ups, whatever
the number of watches.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from bot.models import Watch

# Punctuation and symbols separate words (ASCII and the common Unicode dashes, quotes, bullets).
_SEPARATORS = str.maketrans(
    dict.fromkeys(string.punctuation + "\u2010\u2011\u2012\u2013\u2014\u2015\u2018\u2019"
                  "\u201c\u201d\u00ab\u00bb\u2026\u2022\u00a7\u00b7\u00a0", " ")
)  # fmt: skip
MAX_PHRASE_CHARS = 80
MAX_PHRASE_WORDS = 8


def phrase_words(phrase: str) -> tuple[str, ...]:
    """The words a phrase matches on, lower-cased: 'Network-Security' → ('network', 'security')."""
    return tuple(_words(phrase))


def _words(text: str) -> list[str]:
    """Lower-cased words: one tokeniser for phrases and items alike (str.translate is fast)."""
    return text.lower().translate(_SEPARATORS).split()


class WatchHit(NamedTuple):
    """A destination a matching event goes to: digest only when every match is daily."""

    daily: bool
    reason: str  # "watch: docket PS 22-329; watch: \"network security\""


class _Entry(NamedTuple):
    """A watch ready for matching: its channel, whether it is daily, why it would match."""

    destination_id: int
    daily: bool
    reason: str  # "watch: docket PS 22-329"
    needle: str | None = None  # phrases of several words: " w1 w2 " in the item's words


@dataclass
class WatchIndex:
    """Watches grouped for matching: by docket, by matter and by a phrase's first word."""

    by_docket: dict[str, list[_Entry]] = field(default_factory=dict)
    by_matter: dict[str, list[_Entry]] = field(default_factory=dict)
    by_first_word: dict[str, list[_Entry]] = field(default_factory=dict)
    first_words: frozenset[str] = frozenset()
    size: int = 0

    @classmethod
    def build(cls, watches: Iterable[Watch]) -> WatchIndex:
        """An index of these watches."""
        index = cls()
        for watch in watches:
            index.size += 1
            entry = _Entry(watch.destination_id, watch.mode == "daily", f"watch: {watch.label}")
            if watch.kind == "docket":
                index.by_docket.setdefault(watch.value, []).append(entry)
            elif watch.kind == "matter":
                index.by_matter.setdefault(watch.value, []).append(entry)
            elif watch.kind == "phrase":
                words = phrase_words(watch.value)
                if words:  # one word: a set hit is enough (needle None)
                    needle = f" {' '.join(words)} " if len(words) > 1 else None
                    entry = entry._replace(needle=needle)
                    index.by_first_word.setdefault(words[0], []).append(entry)
        index.first_words = frozenset(index.by_first_word)
        return index

    def matching(self, dockets: Sequence[str], matters: Sequence[str], text: str) -> list[_Entry]:
        """Every watch an item with these dockets, matters and text matches."""
        found: list[_Entry] = []
        for docket in dockets:
            found.extend(self.by_docket.get(docket, ()))
        for matter in matters:
            found.extend(self.by_matter.get(matter, ()))
        if self.first_words and text:
            words = _words(text)
            first = self.first_words.intersection(words)
            joined = None
            for word in first:
                for entry in self.by_first_word[word]:
                    if entry.needle is not None:
                        if joined is None:  # needles are " w1 w2 ": whole words only
                            joined = f" {' '.join(words)} "
                        if entry.needle not in joined:
                            continue
                    found.append(entry)
        return found

    def audience(
        self,
        dockets: Sequence[str],
        matters: Sequence[str],
        text: str,
        docket_matters: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[int, WatchHit]:
        """Destination → how it gets the item and why ("watch: docket PS 22-329").

        `docket_matters` (docket → tracked matters) lets a matter watch match an item that
        cites one of the matter's dockets."""
        if not self.size:
            return {}
        if self.by_matter and docket_matters:
            extra = [m for d in dockets for m in docket_matters.get(d, ()) if m not in matters]
            matters = (*matters, *dict.fromkeys(extra))
        hits: dict[int, WatchHit] = {}
        for entry in self.matching(dockets, matters, text):
            before = hits.get(entry.destination_id)
            if before is None:
                hits[entry.destination_id] = WatchHit(entry.daily, entry.reason)
            elif entry.reason not in before.reason.split("; "):
                hits[entry.destination_id] = WatchHit(
                    entry.daily and before.daily, f"{before.reason}; {entry.reason}"
                )
            elif not entry.daily:
                hits[entry.destination_id] = before._replace(daily=False)
        return hits
