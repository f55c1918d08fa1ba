"""Destinations (where alerts go) and their topic subscriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlite_utils

from bot.models import Destination, Subscription
from bot.store.database import iso, transaction


def destination_from_row(row: dict, *, id_column: str = "id") -> Destination:
    """A Destination from a row of `destinations` (or a join naming its id `id_column`)."""
    return Destination(
        id=row[id_column],
        platform=row["platform"],
        address=row["address"],
        name=row["name"],
        paused_reason=row["paused_reason"],
        workspace=row.get("workspace") or "",
    )


class OtherWorkspaceChannel(Exception):
    """The channel is already a destination of another workspace (a Slack Connect channel)."""


_COLUMNS = "id, platform, address, name, paused_reason, workspace"


class Subscriptions:
    """Reads and writes destinations and subscriptions.

    `workspace` arguments: the Slack team id a destination belongs to ('' for Teams and the
    console); None in a look-up means any workspace.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def ensure_destination(
        self, platform: str, address: str, name: str = "", *, workspace: str = "", now: dt.datetime
    ) -> Destination:
        """Return the destination for (platform, address), creating it in `workspace` if needed.

        A row with no workspace yet (older than workspaces) is claimed by `workspace`; a row of
        another workspace raises OtherWorkspaceChannel (channel ids are unique per platform).
        """
        with transaction(self.db):
            self.db.execute(
                "INSERT INTO destinations (platform, address, name, workspace, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, address) DO NOTHING",
                [platform, address, name, workspace, iso(now)],
            )
            if workspace:
                self.db.execute(
                    "UPDATE destinations SET workspace = ? "
                    "WHERE platform = ? AND address = ? AND workspace = ''",
                    [workspace, platform, address],
                )
        found = self.destination(platform, address)
        if found.workspace != workspace:
            raise OtherWorkspaceChannel(f"{platform}:{address}")
        return found

    def destination(self, platform: str, address: str, workspace: str | None = None) -> Destination:
        """Look up a destination by platform and address (KeyError if absent).

        With `workspace`, only that workspace's destination counts.
        """
        sql = f"SELECT {_COLUMNS} FROM destinations WHERE platform = ? AND address = ?"
        params: list = [platform, address]
        if workspace is not None:
            sql += " AND workspace = ?"
            params.append(workspace)
        rows = list(self.db.query(sql, params))
        if not rows:
            raise KeyError(f"{platform}:{address}")
        return destination_from_row(rows[0])

    def destinations(
        self, *, workspace: str | None = None, platform: str | None = None
    ) -> list[Destination]:
        """Every destination (of one workspace and platform, if given), oldest first."""
        where, params = [], []
        if workspace is not None:
            where.append("workspace = ?")
            params.append(workspace)
        if platform is not None:
            where.append("platform = ?")
            params.append(platform)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self.db.query(f"SELECT {_COLUMNS} FROM destinations{clause} ORDER BY id", params)
        return [destination_from_row(r) for r in rows]

    def claim_unassigned(self, platform: str, workspace: str) -> int:
        """Give `workspace` every destination of `platform` that has none; return how many."""
        with transaction(self.db):
            cursor = self.db.execute(
                "UPDATE destinations SET workspace = ? WHERE platform = ? AND workspace = ''",
                [workspace, platform],
            )
        return cursor.rowcount

    def subscribe(
        self,
        destination_id: int,
        topics: list[str],
        *,
        mode: str = "realtime",
        by: str | None = None,
        now: dt.datetime,
    ) -> None:
        """Subscribe a destination to topics (re-subscribing changes the mode).

        Hand-written upsert: a re-subscription changes the mode and keeps who subscribed first
        and when (sqlite-utils' upsert would overwrite those).
        """
        with transaction(self.db):
            self.db.executemany(
                "INSERT INTO subscriptions (destination_id, topic, mode, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (destination_id, topic) "
                "DO UPDATE SET mode = excluded.mode",
                [(destination_id, t, mode, iso(now), by) for t in topics],
            )

    def unsubscribe(self, destination_id: int, topics: list[str] | None = None) -> int:
        """Remove some (or, with None, all) of a destination's subscriptions; return how many."""
        with transaction(self.db):
            if topics is None:
                cursor = self.db.execute(
                    "DELETE FROM subscriptions WHERE destination_id = ?", [destination_id]
                )
            else:
                marks = ",".join("?" * len(topics))
                cursor = self.db.execute(
                    f"DELETE FROM subscriptions WHERE destination_id = ? AND topic IN ({marks})",
                    [destination_id, *topics],
                )
        return cursor.rowcount

    def all(self) -> list[Subscription]:
        """Every subscription of every destination (the alert policy routes by them)."""
        rows = self.db.execute("SELECT destination_id, topic, mode FROM subscriptions")
        return [Subscription(*row) for row in rows.fetchall()]

    def of(self, destination_id: int) -> list[Subscription]:
        """A destination's subscriptions, by topic."""
        return [
            Subscription(r["destination_id"], r["topic"], r["mode"])
            for r in self.db.query(
                "SELECT * FROM subscriptions WHERE destination_id = ? ORDER BY topic",
                [destination_id],
            )
        ]

    def pause(self, destination_id: int, reason: str, *, now: dt.datetime) -> None:
        """Stop delivering to a destination (its alerts stay queued) and keep the reason."""
        with transaction(self.db):
            self.db.execute(
                "UPDATE destinations SET paused_reason = ?, paused_at = ? WHERE id = ?",
                [reason, iso(now), destination_id],
            )

    def resume(self, destination_id: int) -> None:
        """Deliver to a paused destination again."""
        with transaction(self.db):
            self.db.execute(
                "UPDATE destinations SET paused_reason = NULL, paused_at = NULL WHERE id = ?",
                [destination_id],
            )

    def pause_workspace(
        self, platform: str, workspace: str, reason: str, *, now: dt.datetime
    ) -> int:
        """Pause every running destination of one workspace; return how many."""
        with transaction(self.db):
            cursor = self.db.execute(
                "UPDATE destinations SET paused_reason = ?, paused_at = ? "
                "WHERE platform = ? AND workspace = ? AND paused_reason IS NULL",
                [reason, iso(now), platform, workspace],
            )
        return cursor.rowcount

    def resume_workspace(self, platform: str, workspace: str, reasons: Sequence[str]) -> int:
        """Resume a workspace's destinations paused for one of `reasons` (prefixes; e.g. an
        uninstall, not a deleted channel); return how many."""
        if not reasons:
            return 0
        likes = " OR ".join("paused_reason LIKE ?" for _ in reasons)
        with transaction(self.db):
            cursor = self.db.execute(
                "UPDATE destinations SET paused_reason = NULL, paused_at = NULL "
                f"WHERE platform = ? AND workspace = ? AND ({likes})",
                [platform, workspace, *(f"{reason}%" for reason in reasons)],
            )
        return cursor.rowcount
