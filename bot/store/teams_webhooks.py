"""Teams channels registered for alerts: destinations whose credential is a Workflows URL.

A Teams destination is a `destinations` row with platform "teams" and address = the channel
name the admin chose. Its `secret` column holds a small JSON object:
`{"webhook_url": "https://…logic.azure.com/…", "channel_id": "19:…@thread.tacv2" | null}` —
the webhook URL (a credential, never logged) and, optionally, the Teams channel id that links
the channel's @mention commands to this destination. Callers validate URLs first; this module
only stores them. Error messages here never contain a URL.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlite_utils

from bot.models import Destination
from bot.store.database import iso, transaction
from bot.store.dialect import json_key
from bot.store.subscriptions import destination_from_row

PLATFORM = "teams"


class TeamsWebhookConflict(ValueError):
    """A name, URL or channel id is already taken. The message says what to run instead."""


@dataclass(frozen=True)
class TeamsWebhook:
    """A registered Teams channel: its destination, webhook URL and linked channel id."""

    destination: Destination
    url: str
    channel_id: str | None = None

    @property
    def name(self) -> str:
        """The name the admin chose (the destination address)."""
        return self.destination.address


@dataclass(frozen=True)
class RemovedWebhook:
    """What removing a Teams channel deleted."""

    subscriptions: int
    queued_alerts: int


def _secret(url: str, channel_id: str | None) -> str:
    return json.dumps({"webhook_url": url, "channel_id": channel_id})


def _webhook(row: dict) -> TeamsWebhook:
    try:
        data = json.loads(row["secret"] or "{}")
    except json.JSONDecodeError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    destination = destination_from_row(row)
    return TeamsWebhook(destination, str(data.get("webhook_url") or ""), data.get("channel_id"))


class TeamsWebhooks:
    """Adds, lists, links and removes Teams destinations and their webhook URLs."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def _rows(self, where: str = "", params: list | None = None) -> list[TeamsWebhook]:
        sql = f"SELECT * FROM destinations WHERE platform = ? {where} ORDER BY address"
        return [_webhook(row) for row in self.db.query(sql, [PLATFORM, *(params or [])])]

    def list(self) -> list[TeamsWebhook]:
        """Every registered Teams channel, by name."""
        return self._rows()

    def get(self, name: str) -> TeamsWebhook | None:
        """The Teams channel registered as `name`, or None."""
        rows = self._rows("AND address = ?", [name])
        return rows[0] if rows else None

    def get_url(self, name: str) -> str | None:
        """The webhook URL of the Teams channel `name`, or None when unknown or unset."""
        webhook = self.get(name)
        return webhook.url if webhook and webhook.url else None

    def by_channel_id(self, channel_id: str) -> TeamsWebhook | None:
        """The registered channel linked to a Teams channel id, or None."""
        channel = json_key(self.db.dialect, "secret", "channel_id")
        rows = self._rows(f"AND {channel} = ?", [channel_id])
        return rows[0] if rows else None

    def _check_free(self, name: str, url: str, channel_id: str | None) -> None:
        for other in self._rows("AND address != ?", [name]):
            if other.url == url:
                raise TeamsWebhookConflict(
                    f"this webhook URL is already registered as Teams channel {other.name!r}"
                )
            if channel_id and other.channel_id == channel_id:
                raise TeamsWebhookConflict(
                    f"Teams channel id {channel_id} is already linked to {other.name!r}; "
                    f"unlink it first: calea-bot teams link {other.name!r} --unlink"
                )

    def add(
        self,
        name: str,
        url: str,
        *,
        channel_id: str | None = None,
        replace: bool = False,
        now: dt.datetime,
    ) -> TeamsWebhook:
        """Register `name` with its webhook URL (replace=True: new URL, and resume delivery).

        With replace, a missing `channel_id` keeps the existing link.
        """
        with transaction(self.db):
            existing = self.get(name)
            if existing and not replace:
                raise TeamsWebhookConflict(
                    f"a Teams channel named {name!r} is already registered; "
                    "add --replace to give it a new webhook URL"
                )
            self._check_free(name, url, channel_id)
            if existing:
                link = channel_id or existing.channel_id
                self.db.execute(
                    "UPDATE destinations SET secret = ?, paused_reason = NULL, paused_at = NULL "
                    "WHERE id = ?",
                    [_secret(url, link), existing.destination.id],
                )
            else:
                self.db.execute(
                    "INSERT INTO destinations (platform, address, name, secret, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [PLATFORM, name, name, _secret(url, channel_id), iso(now)],
                )
        webhook = self.get(name)
        assert webhook is not None
        return webhook

    def link(self, name: str, channel_id: str | None) -> TeamsWebhook:
        """Link (or with None, unlink) a Teams channel id to the registered channel `name`."""
        with transaction(self.db):
            existing = self.get(name)
            if existing is None:
                raise KeyError(name)
            self._check_free(name, existing.url, channel_id)
            self.db.execute(
                "UPDATE destinations SET secret = ? WHERE id = ?",
                [_secret(existing.url, channel_id), existing.destination.id],
            )
        webhook = self.get(name)
        assert webhook is not None
        return webhook

    def remove(self, name: str) -> RemovedWebhook | None:
        """Delete the channel, its subscriptions, threads and queued alerts; None if unknown."""
        with transaction(self.db):
            existing = self.get(name)
            if existing is None:
                return None
            destination_id = existing.destination.id
            queued = self.db.execute(
                "DELETE FROM outbox WHERE destination_id = ? AND state IN ('pending', 'sending')",
                [destination_id],
            ).rowcount
            self.db.execute("DELETE FROM outbox WHERE destination_id = ?", [destination_id])
            self.db.execute("DELETE FROM threads WHERE destination_id = ?", [destination_id])
            subscriptions = self.db.execute(
                "DELETE FROM subscriptions WHERE destination_id = ?", [destination_id]
            ).rowcount
            self.db.execute("DELETE FROM destinations WHERE id = ?", [destination_id])
        return RemovedWebhook(subscriptions=subscriptions, queued_alerts=queued)
