"""OAuth `state` values for Slack installs (slack_sdk's OAuthStateStore), in the database.

A state is issued when someone opens /slack/install and must come back on the redirect: it
can be used once (consuming deletes it) and only until it expires, so a forged or replayed
redirect is refused.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable

import sqlite_utils
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.store.database import transaction

log = logging.getLogger(__name__)

DEFAULT_EXPIRATION_SECONDS = 600


class SlackOAuthStates(OAuthStateStore):
    """Single-use, expiring OAuth states in `slack_oauth_states`."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        *,
        expiration_seconds: int = DEFAULT_EXPIRATION_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.expiration_seconds = expiration_seconds
        self.clock = clock
        self._lock = threading.Lock()

    @property
    def logger(self) -> logging.Logger:
        """The logger slack_sdk expects a store to have."""
        return log

    def issue(self, *args: object, **kwargs: object) -> str:
        """A new random state, valid for `expiration_seconds`; expired ones are purged."""
        state = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock, transaction(self.db):
            self.db.execute("DELETE FROM slack_oauth_states WHERE expire_at <= ?", [now])
            self.db.execute(
                "INSERT INTO slack_oauth_states (state, expire_at) VALUES (?, ?)",
                [state, now + self.expiration_seconds],
            )
        return state

    def consume(self, state: str) -> bool:
        """True once for a state that was issued and has not expired; False otherwise."""
        if not state:
            return False
        with self._lock, transaction(self.db):
            cursor = self.db.execute(
                "DELETE FROM slack_oauth_states WHERE state = ? AND expire_at > ?",
                [state, self.clock()],
            )
        return cursor.rowcount == 1
