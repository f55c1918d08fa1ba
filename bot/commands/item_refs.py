"""Stored items as reply entries (`ItemRef`), one per real-world event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.commands.reply import ItemRef
from bot.store import StoredItem


def item_ref(item: StoredItem, source_names: Mapping[str, str]) -> ItemRef:
    """An item as a list entry: title, link, source name, date, topics, references, summary."""
    return ItemRef(
        title=item.title,
        link=item.link,
        source=source_names.get(item.source_id, item.source_id),
        published=item.published or item.first_seen_at,
        topics=item.topics,
        references=(*item.dockets, *item.documents),
        summary=item.summary,
    )


def one_per_event(items: Iterable[StoredItem], limit: int) -> list[StoredItem]:
    """The first item of each event (a document reported by two sources shows once)."""
    kept: list[StoredItem] = []
    seen: set[int] = set()
    for item in items:
        if item.event_id in seen:
            continue
        seen.add(item.event_id)
        kept.append(item)
        if len(kept) == limit:
            break
    return kept
