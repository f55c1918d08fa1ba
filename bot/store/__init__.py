"""Storage: the only package that talks to the database — SQLite (through sqlite-utils) by
default, PostgreSQL (psycopg 3) when given a `postgresql://` URL.

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
from bot.store.outbox import CLAIM_SECONDS, Outbox
from bot.store.pg_queries import PgQueries
from bot.store.postgres import describe_database
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
    "describe_database",
]


class Store:
    """The bot's database (a SQLite file or a PostgreSQL URL) and its repositories."""

    def __init__(self, target: Path | str, *, claim_seconds: float = CLAIM_SECONDS) -> None:
        self.target = target
        self.db = open_database(target)
        self.dialect = self.db.dialect
        self.sources = SourceStates(self.db)
        self.outbox = Outbox(self.db, claim_seconds=claim_seconds)
        self.items = ItemWriter(self.db)
        self.subscriptions = Subscriptions(self.db)
        self.queries = PgQueries(self.db) if self.dialect == "postgres" else Queries(self.db)
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

    @property
    def path(self) -> Path | None:
        """The SQLite file (None on PostgreSQL)."""
        return None if self.dialect == "postgres" else Path(self.target)

    def close(self) -> None:
        """Checkpoint SQLite's WAL and close the connection (PostgreSQL: give the pool back)."""
        try:
            if self.dialect == "sqlite":
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.db.close()
