"""Which watches an event matches (pure): dockets, tracked matters and phrases.

A phrase matches whole words, case-insensitively, in order (punctuation and spacing between
the words do not matter): "network security" matches "Network-Security rules" but not
"networks security". No user regex is ever compiled. `WatchIndex` is built once per set of
watches, so matching an event costs one tokenisation and a few dict/set look-ups, whatever
the number of watches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.models import Watch

_WORD = re.compile(r"\w+")
MAX_PHRASE_CHARS = 80
MAX_PHRASE_WORDS = 8


def phrase_words(phrase: str) -> tuple[str, ...]:
    """The words a phrase matches on, lower-cased: 'Network-Security' → ('network', 'security')."""
    return tuple(_WORD.findall(phrase.lower()))


@dataclass(frozen=True)
class WatchHit:
    """A destination a matching event goes to: digest only when every match is daily."""

    daily: bool
    reasons: tuple[str, ...]


@dataclass
class WatchIndex:
    """Watches grouped for matching: by docket, by matter and by a phrase's first word."""

    by_docket: dict[str, list[Watch]] = field(default_factory=dict)
    by_matter: dict[str, list[Watch]] = field(default_factory=dict)
    by_first_word: dict[str, list[tuple[str, Watch]]] = field(default_factory=dict)
    size: int = 0

    @classmethod
    def build(cls, watches: Iterable[Watch]) -> WatchIndex:
        """An index of these watches."""
        index = cls()
        for watch in watches:
            index.size += 1
            if watch.kind == "docket":
                index.by_docket.setdefault(watch.value, []).append(watch)
            elif watch.kind == "matter":
                index.by_matter.setdefault(watch.value, []).append(watch)
            elif watch.kind == "phrase":
                words = phrase_words(watch.value)
                if words:
                    needle = f" {' '.join(words)} "
                    index.by_first_word.setdefault(words[0], []).append((needle, watch))
        return index

    def matching(self, dockets: Sequence[str], matters: Sequence[str], text: str) -> list[Watch]:
        """Every watch an item with these dockets, matters and text matches."""
        found: list[Watch] = []
        for docket in dockets:
            found.extend(self.by_docket.get(docket, ()))
        for matter in matters:
            found.extend(self.by_matter.get(matter, ()))
        if self.by_first_word and text:
            words = _WORD.findall(text.lower())
            first = self.by_first_word.keys() & set(words)
            if first:
                joined = f" {' '.join(words)} "
                for word in first:
                    found.extend(w for needle, w in self.by_first_word[word] if needle in joined)
        return found

    def audience(
        self,
        dockets: Sequence[str],
        matters: Sequence[str],
        text: str,
        matter_dockets: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[int, WatchHit]:
        """Destination → how it gets the item and why ("watch: docket PS 22-329")."""
        if not self.size:
            return {}
        matters = list(matters)
        for matter, its_dockets in (matter_dockets or {}).items():
            if matter not in matters and set(its_dockets) & set(dockets):
                matters.append(matter)
        hits: dict[int, WatchHit] = {}
        for watch in self.matching(dockets, matters, text):
            reason = f"watch: {watch.label}"
            before = hits.get(watch.destination_id)
            daily = watch.mode == "daily" and (before is None or before.daily)
            reasons = (before.reasons if before else ()) + (
                (reason,) if not before or reason not in before.reasons else ()
            )
            hits[watch.destination_id] = WatchHit(daily, reasons)
        return hits
