"""Who polls: one instance per SQLite file (a lease), or one leader among PostgreSQL replicas.

SQLite: a second `run` on the same file is refused (bot.store.lease). PostgreSQL: every replica
serves chat and drains the outbox, and exactly one — the holder of an advisory lock
(bot.store.leader) — polls, queues reminders and prunes; a standby takes over within
CALEA_BOT_LEADER_RETRY seconds of the leader's session ending (kill -9 included).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.settings import Settings
from bot.store.lease import InstanceLease
from bot.store.postgres import is_postgres_url

log = logging.getLogger(__name__)


class Coordination:
    """This process's role among the bots sharing its database."""

    def __init__(self, target, settings: Settings) -> None:
        self.target = target
        self.settings = settings
        self.replicated = is_postgres_url(target)
        self._lease: InstanceLease | None = None
        self._election = None
        self._on_elected: list[Callable[[], object]] = []

    def start(self) -> Coordination:
        """Take the SQLite lease (LeaseHeldError if another bot runs) or join the election."""
        if not self.replicated:
            self._lease = InstanceLease(
                self.target, ttl=self.settings.lease_ttl, heartbeat=self.settings.lease_heartbeat
            ).acquire()
            return self
        from bot.store.leader import PgLeaderElection

        self._election = PgLeaderElection(
            str(self.target),
            retry_seconds=self.settings.leader_retry,
            on_elected=self._elected,
            on_demoted=lambda: log.warning("no longer the polling leader; delivering only"),
        ).start()
        if not self._election.is_leader:
            leader = self._election.current_leader()
            log.info("standby: %s polls; this replica delivers and answers chat", leader)
        return self

    def is_leader(self) -> bool:
        """True when this process should poll (always, for a single SQLite instance)."""
        return self._election.is_leader if self._election is not None else True

    def when_elected(self, callback: Callable[[], object]) -> None:
        """Call `callback` (from another thread) each time this replica becomes the leader."""
        self._on_elected.append(callback)

    def role(self) -> str:
        """One word for the start-up banner and status."""
        if not self.replicated:
            return "single instance"
        return "leader (polls)" if self.is_leader() else "standby (delivers, answers chat)"

    def release(self) -> None:
        """Give up the lease or the leadership (clean shutdown)."""
        if self._lease is not None:
            self._lease.release()
        if self._election is not None:
            self._election.release()

    def _elected(self) -> None:
        log.info("this replica is now the polling leader")
        for callback in self._on_elected:
            callback()
