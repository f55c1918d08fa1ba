"""The sink's view of registered Teams channels: their webhook URLs, read when delivering.

Delivery may run in another thread than the commands, so each look-up opens its own short
connection to the database instead of sharing the command store's.
"""

from __future__ import annotations

from pathlib import Path

from bot.models import Destination
from bot.store.database import open_database
from bot.store.teams_webhooks import TeamsWebhooks


class StoredWebhookUrls:
    """Looks up a Teams destination's webhook URL in the bot's database."""

    def __init__(self, db_path: Path | str) -> None:
        self.db_path = db_path

    def __call__(self, destination: Destination) -> str | None:
        """The destination's webhook URL, or None when none is registered."""
        db = open_database(self.db_path)
        try:
            return TeamsWebhooks(db).get_url(destination.address)
        finally:
            db.close()
