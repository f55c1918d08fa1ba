"""Deadlines in the pipeline: derive them while storing items; queue due reminders.

`record_deadlines` runs inside `store_items`' transaction: a source's items, the deadlines
they state and the announcements of changed dates are stored together or not at all.
`queue_due_reminders` is the scheduler's job (and the demo's): it queues the reminders due by
the clock's date into the outbox; the outbox delivers each exactly once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from bot.alerts.reminders import DEFAULT_OFFSETS, MAX_OFFSET, announcements, due_reminders
from bot.analysis.deadlines import DeadlineSource, candidates, document_refs
from bot.models import AnalyzedItem, Source
from bot.store import Store
from bot.store.database import transaction

_FR_NUMBER = re.compile(r"\d{4}-\d{4,6}")
_FR_LINK = re.compile(r"^https?://(?:www\.)?federalregister\.gov/", re.IGNORECASE)
#: Reminders look this far ahead at most (the largest offset in business days, in calendar days).
LOOKAHEAD_DAYS = MAX_OFFSET * 7 // 5 + 14


def lookahead_days(offsets: dict[int, tuple[int, ...]]) -> int:
    """Calendar days covering the largest offset any channel uses (holidays included)."""
    largest = max((o for chosen in offsets.values() for o in chosen), default=0)
    return max(largest, *DEFAULT_OFFSETS) * 7 // 5 + 7


def _is_fr_publication(analysed: AnalyzedItem) -> bool:
    item = analysed.item
    own_fr = any(_FR_NUMBER.fullmatch(d) for d in item.own_documents)
    return item.published is not None and (own_fr or bool(_FR_LINK.match(item.link or "")))


def _relevant(analysed: AnalyzedItem) -> bool:
    ids = analysed.identifiers
    return bool(ids.dates or ids.relative_dates or _is_fr_publication(analysed))


def record_deadlines(
    store: Store, source: Source, items: Sequence[AnalyzedItem], *, now: dt.datetime
) -> int:
    """Derive deadlines from this poll's new and changed items; return announcements queued."""
    relevant = [a for a in items if _relevant(a)]
    if not relevant:
        return 0
    keys = [k for a in relevant for k in a.dedupe_keys]
    stored = store.deadlines.changed_items(source.id, keys, now)
    sources = []
    for analysed in relevant:
        found = next((stored[k] for k in analysed.dedupe_keys if k in stored), None)
        if found is None:
            continue  # already seen, unchanged: nothing new to learn
        item = analysed.item
        sources.append(
            DeadlineSource(
                item_id=found[0],
                event_id=found[1],
                title=item.title,
                link=item.link,
                published=item.published.date() if item.published else None,
                refs=document_refs(analysed.identifiers.documents()),
                own_refs=document_refs(item.own_documents),
                dockets=analysed.identifiers.dockets,
                topics=tuple(dict.fromkeys(m.topic for m in analysed.topics)),
                matters=analysed.matters,
                fr_publication=_is_fr_publication(analysed),
                candidates=candidates(analysed),
            )
        )
    changed = store.deadlines.record(sources, now)
    if not changed:
        return 0
    return store.deadlines.queue_reminders(announcements(changed, store.subscriptions.all()), now)


def queue_due_reminders(store: Store, *, now: dt.datetime) -> int:
    """Queue every reminder due by `now`'s date (UTC) that was not queued before."""
    with transaction(store.db):
        return queue_due_reminders_in_transaction(store, now=now)


def queue_due_reminders_in_transaction(store: Store, *, now: dt.datetime) -> int:
    """`queue_due_reminders` inside the caller's transaction."""
    today = now.date()
    offsets = store.deadlines.offsets()
    upcoming = store.deadlines.upcoming(today, days=lookahead_days(offsets), limit=100_000)
    dues = due_reminders(upcoming, store.subscriptions.all(), offsets, today)
    return store.deadlines.queue_reminders(dues, now)
