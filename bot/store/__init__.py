"""Storage: the only package that talks to SQLite (through sqlite-utils).

`Store` opens the database and groups the repositories the rest of the bot uses:
`sources` (poll state), `items` (dedupe and ingest), `outbox` (delivery queue),
`subscriptions` (destinations and topics) and `queries` (search and look-ups).
"""

from __future__ import annotations

from pathlib import Path

from bot.models import ClaimedAlert
from bot.store.audit import SubscriptionAudit
from bot.store.database import open_database, transaction
from bot.store.deadlines import Deadlines
from bot.store.health import StoreHealth
from bot.store.ingest import IngestResult, ItemWriter
from bot.store.notices import Notices
from bot.store.outbox import Outbox
from bot.store.queries import Queries, StoredItem
from bot.store.replay import SeenActivities
from bot.store.sources import SourceState, SourceStates
from bot.store.subscriptions import Subscription, Subscriptions
from bot.store.user_sources import UserSources
from bot.store.watches import Watches

__all__ = [
    "ClaimedAlert",
    "IngestResult",
    "SourceState",
    "Store",
    "StoredItem",
    "Subscription",
]


class Store:
    """The bot's SQLite database and its repositories."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.db = open_database(self.path)
        self.sources = SourceStates(self.db)
        self.outbox = Outbox(self.db)
        self.items = ItemWriter(self.db)
        self.subscriptions = Subscriptions(self.db)
        self.queries = Queries(self.db)
        self.user_sources = UserSources(self.db)
        self.deadlines = Deadlines(self.db)
        self.notices = Notices(self.db)
        self.health = StoreHealth(self.db)
        self.seen_activities = SeenActivities(self.db)
        self.audit = SubscriptionAudit(self.db)
        self.watches = Watches(self.db)

    def transaction(self):
        """Context manager for one atomic write spanning several repositories."""
        return transaction(self.db)

    def close(self) -> None:
        """Checkpoint the WAL and close the connection."""
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.db.conn.close()
