"""Who changed which channel's subscriptions, and when (`/calea audit`, `calea-bot audit`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from bot.store.database import from_iso, iso


@dataclass(frozen=True)
class AuditEntry:
    """One subscription change."""

    at: dt.datetime
    platform: str
    channel: str
    channel_name: str
    user_id: str
    user_name: str
    action: str  # "subscribe" | "unsubscribe"
    topics: tuple[str, ...]
    mode: str | None = None
    workspace: str = ""  # Slack team id; '' elsewhere

    def to_json(self) -> dict:
        """JSON-ready view."""
        return {
            "at": iso(self.at),
            "platform": self.platform,
            "channel": self.channel,
            "channel_name": self.channel_name,
            "user_id": self.user_id,
            "user_name": self.user_name,
            "action": self.action,
            "topics": list(self.topics),
            "mode": self.mode,
            "workspace": self.workspace,
        }


class SubscriptionAudit:
    """Append-only log of subscription changes."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def record(self, entry: AuditEntry) -> None:
        """Append one change."""
        self.db.execute(
            "INSERT INTO subscription_audit (at, platform, channel, channel_name, user_id, "
            "user_name, action, topics, mode, workspace) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                iso(entry.at),
                entry.platform,
                entry.channel,
                entry.channel_name,
                entry.user_id,
                entry.user_name,
                entry.action,
                json.dumps(list(entry.topics)),
                entry.mode,
                entry.workspace,
            ],
        )

    def recent(
        self, limit: int = 20, *, platform: str | None = None, workspace: str | None = None
    ) -> Sequence[AuditEntry]:
        """The newest changes first (of one platform and workspace, if given)."""
        where, args = [], []
        if platform:
            where.append("platform = ?")
            args.append(platform)
        if workspace is not None:
            where.append("workspace = ?")
            args.append(workspace)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.db.query(
            f"SELECT * FROM subscription_audit {clause} ORDER BY id DESC LIMIT ?", [*args, limit]
        )
        return [
            AuditEntry(
                at=from_iso(row["at"]),
                platform=row["platform"],
                channel=row["channel"],
                channel_name=row["channel_name"] or "",
                user_id=row["user_id"] or "",
                user_name=row["user_name"] or "",
                action=row["action"],
                topics=tuple(json.loads(row["topics"])),
                mode=row["mode"],
                workspace=row["workspace"] or "",
            )
            for row in rows
        ]
