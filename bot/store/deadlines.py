"""Deadlines, their reminders and calendar tokens in SQLite (see bot.analysis.deadlines).

`record` runs inside the poll's transaction (bot.pipeline.poll.store_items): the items, the
deadlines they state and the reminders announcing a changed date are written together.
A reminder is a `reminders` row, unique per deadline × destination × offset × version, plus
one outbox row (action 'reminder'): the outbox delivers it exactly once, paced like alerts.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Sequence

import sqlite_utils

from bot.alerts.reminders import ReminderDue, reminder_text
from bot.analysis.deadlines import (
    KIND_DATE,
    Deadline,
    DeadlineSource,
    merge,
    new_deadline,
    resolve_relative,
)
from bot.models import Alert, Destination, KeyDate, TopicMatch
from bot.store.database import iso
from bot.store.subscriptions import destination_from_row

_JSON_COLUMNS = ("dockets", "documents", "topics", "matters", "item_ids")
_DATE_COLUMNS = ("stated_date", "due_date", "previous_due_date")
_COLUMNS = (
    "subject", "kind", "stated_date", "due_date", "previous_due_date", "relative_days", "basis",
    "confidence", "version", "event_id", "title", "link", *_JSON_COLUMNS,
)  # fmt: skip


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def deadline_from_row(row: dict) -> Deadline:
    """A Deadline from a `deadlines` row."""
    values = {name: row[name] for name in _COLUMNS}
    values.update({name: _day(row[name]) for name in _DATE_COLUMNS})
    values.update({name: tuple(json.loads(row[name])) for name in _JSON_COLUMNS})
    return Deadline(id=row["id"], **values)


def _values(deadline: Deadline) -> list:
    out = []
    for name in _COLUMNS:
        value = getattr(deadline, name)
        if name in _DATE_COLUMNS:
            value = value.isoformat() if value else None
        elif name in _JSON_COLUMNS:
            value = json.dumps(list(value), ensure_ascii=False)
        out.append(value)
    return out


class Deadlines:
    """Reads and writes deadlines, reminder settings, reminders and calendar tokens."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # -- deriving (inside the poll's transaction) ----------------------------------------

    def changed_items(self, source_id: str, keys: Sequence[str], stamp: dt.datetime) -> dict:
        """key → (item id, event id) of this source's items stored or changed at `stamp`."""
        found: dict[str, tuple[int, int]] = {}
        for start in range(0, len(keys), 400):
            chunk = list(keys[start : start + 400])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT k.key, i.id, i.event_id FROM item_keys k JOIN items i ON i.id = k.item_id "
                f"WHERE k.source_id = ? AND k.key IN ({marks}) AND i.last_changed_at = ?",
                [source_id, *chunk, iso(stamp)],
            )
            found.update((key, (item_id, event_id)) for key, item_id, event_id in rows)
        return found

    def record(self, sources: Iterable[DeadlineSource], now: dt.datetime) -> list[Deadline]:
        """Merge what items state into the stored deadlines; return those whose date changed."""
        changed: list[Deadline] = []
        for source in sources:
            if source.fr_publication and source.published:
                for pending in self._pending(source.own_refs):
                    self._save(resolve_relative(pending, source.published, source), now)
            for found in source.candidates:
                refs = source.refs + (_docket_refs(source.dockets) if found.change else ())
                old = self._match(found.kind, refs, f"event:{source.event_id}", found.change)
                if old is None:
                    subject = (*source.own_refs, *refs, f"event:{source.event_id}")[0]
                    self._save(new_deadline(subject, found, source), now)
                    continue
                merged, date_changed = merge(old, found, source)
                saved = self._save(merged, now)
                if date_changed:
                    self._cancel_older_reminders(saved)
                    changed.append(saved)
        return changed

    def _pending(self, refs: Sequence[str]) -> list[Deadline]:
        if not refs:
            return []
        marks = ",".join("?" * len(refs))
        return [
            deadline_from_row(row)
            for row in self.db.query(
                "SELECT DISTINCT d.* FROM deadlines d JOIN deadline_refs r ON r.deadline_id = d.id "
                f"WHERE r.ref IN ({marks}) AND d.due_date IS NULL AND d.relative_days IS NOT NULL",
                list(refs),
            )
        ]

    def _match(self, kind: str, refs: Sequence[str], subject: str, latest: bool):
        """The stored deadline of this kind sharing a ref (or the subject); two index look-ups."""
        marks = ",".join("?" * len(refs)) or "NULL"
        order = "due_date DESC, id" if latest else "id"
        rows = list(
            self.db.query(
                "SELECT * FROM deadlines WHERE kind = ? AND (id IN (SELECT deadline_id FROM "
                f"deadline_refs WHERE ref IN ({marks})) OR id IN (SELECT id FROM deadlines "
                f"WHERE subject = ? AND kind = ?)) ORDER BY {order} LIMIT 1",
                [kind, *refs, subject, kind],
            )
        )
        return deadline_from_row(rows[0]) if rows else None

    def _save(self, deadline: Deadline, now: dt.datetime) -> Deadline:
        values = _values(deadline)
        if deadline.id is None:
            deadline_id = self.db.execute(
                f"INSERT INTO deadlines ({', '.join(_COLUMNS)}, created_at, updated_at) "
                f"VALUES ({', '.join('?' * len(_COLUMNS))}, ?, ?) RETURNING id",
                [*values, iso(now), iso(now)],
            ).fetchone()[0]
        else:
            deadline_id = deadline.id
            assignments = ", ".join(f"{name} = ?" for name in _COLUMNS)
            self.db.execute(
                f"UPDATE deadlines SET {assignments}, updated_at = ? WHERE id = ?",
                [*values, iso(now), deadline_id],
            )
        refs = (
            *(f"fr:{d}" if _is_fr(d) else f"doc:{d}" for d in deadline.documents),
            *_docket_refs(deadline.dockets),
            deadline.subject,
        )
        self.db.executemany(
            "INSERT INTO deadline_refs (ref, deadline_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(ref, deadline_id) for ref in dict.fromkeys(refs)],
        )
        return Deadline(**{**deadline.__dict__, "id": deadline_id})

    def _cancel_older_reminders(self, deadline: Deadline) -> None:
        """A changed date: reminders of the earlier versions not yet sent are cancelled."""
        self.db.execute(
            "UPDATE outbox SET state = 'cancelled', last_error = 'deadline changed' "
            "WHERE state = 'pending' AND reminder_id IN "
            "(SELECT id FROM reminders WHERE deadline_id = ? AND version < ?)",
            [deadline.id, deadline.version],
        )

    # -- reading ------------------------------------------------------------------------

    def upcoming(
        self,
        today: dt.date,
        *,
        days: int | None = None,
        topics: Sequence[str] = (),
        matter: str | None = None,
        docket: str | None = None,
        limit: int = 200,
    ) -> list[Deadline]:
        """Dated deadlines due from `today` on, soonest first; optionally filtered.

        `topics` keeps deadlines in any of them ("*" = all), or citing a matter of that name.
        """
        until = (today + dt.timedelta(days=days)).isoformat() if days is not None else "9999"
        where, params = ["due_date >= ?", "due_date <= ?"], [today.isoformat(), until]
        if topics and "*" not in topics:
            ors = []
            for topic in topics:
                ors.append("instr(topics, ?) > 0 OR instr(matters, ?) > 0")
                params += [json.dumps(topic), json.dumps(topic)]
            where.append("(" + " OR ".join(ors) + ")")
        if matter:
            where.append("instr(matters, ?) > 0")
            params.append(json.dumps(matter))
        if docket:
            where.append("id IN (SELECT deadline_id FROM deadline_refs WHERE ref = ?)")
            params.append(f"docket:{docket}")
        rows = self.db.query(
            f"SELECT * FROM deadlines WHERE {' AND '.join(where)} ORDER BY due_date, id LIMIT ?",
            [*params, limit],
        )
        return [deadline_from_row(row) for row in rows]

    def all_dated(self, topics: Sequence[str] = (), limit: int = 2000) -> list[Deadline]:
        """Every dated deadline (past ones too), for calendars."""
        return self.upcoming(dt.date.min, topics=topics, limit=limit)

    def get(self, deadline_id: int) -> Deadline:
        """One deadline by id (KeyError when absent)."""
        rows = list(self.db.query("SELECT * FROM deadlines WHERE id = ?", [deadline_id]))
        if not rows:
            raise KeyError(deadline_id)
        return deadline_from_row(rows[0])

    # -- reminders ----------------------------------------------------------------------

    def offsets(self) -> dict[int, tuple[int, ...]]:
        """Destination → its reminder offsets (business days), where it chose them."""
        rows = self.db.execute("SELECT destination_id, offsets FROM reminder_settings")
        return {dest: tuple(json.loads(offsets)) for dest, offsets in rows}

    def set_offsets(self, destination_id: int, offsets: Sequence[int], now: dt.datetime) -> None:
        """Choose a destination's reminder offsets (empty: reminders off)."""
        self.db.execute(
            "INSERT INTO reminder_settings (destination_id, offsets, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (destination_id) DO UPDATE SET offsets = excluded.offsets, "
            "updated_at = excluded.updated_at",
            [destination_id, json.dumps(sorted(set(offsets), reverse=True)), iso(now)],
        )

    def queue_reminders(self, dues: Sequence[ReminderDue], now: dt.datetime) -> int:
        """Queue reminders not queued before (call inside a transaction); return how many."""
        queued = 0
        for due in dues:
            row = self.db.execute(
                "INSERT INTO reminders "
                "(deadline_id, destination_id, offset_days, version, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                [due.deadline_id, due.destination_id, due.offset, due.version, iso(now)],
            ).fetchone()
            if row is None:
                continue
            reminder_id = row[0]
            # revision = -reminder id keeps the outbox's UNIQUE (event, destination, revision).
            self.db.execute(
                "INSERT INTO outbox (event_id, destination_id, action, revision, "
                "next_attempt_at, created_at, reminder_id) VALUES (?, ?, 'reminder', ?, ?, ?, ?)",
                [due.event_id, due.destination_id, -reminder_id, iso(now), iso(now), reminder_id],
            )
            queued += 1
        return queued

    def reminder_alert(self, reminder_id: int, outbox_id: int, today: dt.date) -> Alert:
        """The Alert a sink renders for one reminder (or a changed-date announcement)."""
        row = next(self.db.query("SELECT * FROM reminders WHERE id = ?", [reminder_id]))
        deadline = self.get(row["deadline_id"])
        title, summary = reminder_text(deadline, row["offset_days"], today)
        return Alert(
            outbox_id=outbox_id,
            event_id=deadline.event_id,
            action="reminder",
            revision=deadline.version,
            source_name="calea-bot deadlines",
            title=title,
            link=deadline.link,
            published=None,
            topics=tuple(TopicMatch(t, "deadline") for t in deadline.topics),
            dockets=deadline.dockets,
            documents=deadline.documents,
            dates=(KeyDate(KIND_DATE.get(deadline.kind, deadline.kind), deadline.due_date),)
            if deadline.due_date
            else (),
            summary=summary,
            matters=deadline.matters,
        )

    # -- calendar -----------------------------------------------------------------------

    def calendar_token(self, destination_id: int, now: dt.datetime) -> str:
        """The destination's calendar token, created (unguessable, 192 bits) on first use."""
        self.db.execute(
            "INSERT INTO calendar_tokens (destination_id, token, created_at) "
            "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [destination_id, secrets.token_urlsafe(24), iso(now)],
        )
        return self.db.execute(
            "SELECT token FROM calendar_tokens WHERE destination_id = ?", [destination_id]
        ).fetchone()[0]

    def destination_for_token(self, token: str) -> Destination | None:
        """The destination whose calendar token this is, else None."""
        rows = list(
            self.db.query(
                "SELECT d.* FROM calendar_tokens c JOIN destinations d ON d.id = c.destination_id "
                "WHERE c.token = ?",
                [token],
            )
        )
        return destination_from_row(rows[0]) if rows else None


def _is_fr(document: str) -> bool:
    head, _, tail = document.partition("-")
    return len(head) == 4 and head.isdigit() and tail.isdigit()


def _docket_refs(dockets: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"docket:{d}" for d in dockets)
