"""The bot's state as data: source health, tracked matters, outbox — for CLI and chat alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.analysis.matters import MatterStatus, matter_status
from bot.config import Config
from bot.feeds.ecfs import display_source
from bot.models import Destination, Source
from bot.store import SourceState, Store
from bot.store.database import iso

NAMED_FAILURES = 3  # the summary line names at most this many failing sources


@dataclass(frozen=True)
class SourceHealthRow:
    """One source's configuration and remembered state."""

    source: Source
    state: SourceState

    @property
    def health(self) -> str:
        """The health state name, 'disabled' or 'never polled'."""
        if not self.source.enabled:
            return "disabled"
        return self.state.health.value if self.state.health else "never polled"

    @property
    def failing(self) -> bool:
        """True when the latest poll failed."""
        return self.state.health is not None and not self.state.health.is_success

    def to_json(self) -> dict:
        """JSON-ready view."""
        s = self.state
        return {
            "id": self.source.id,
            "name": self.source.name,
            "enabled": self.source.enabled,
            "health": self.health,
            "message": s.message,
            "explanation": s.health.explanation if s.health else None,
            "last_success_at": iso(s.last_success_at),
            "last_error_kind": s.last_error_kind,
            "last_error_message": s.last_error_message,
            "last_error_at": iso(s.last_error_at),
            "consecutive_failures": s.consecutive_failures,
            "next_poll_at": iso(s.next_poll_at),
            "last_new_item_at": iso(s.last_new_item_at),
            "polls": s.polls,
            "not_modified_share": round(s.not_modified_share, 3),
            "items_total": s.items_total,
        }


@dataclass(frozen=True)
class StatusReport:
    """Everything `status` shows."""

    generated_at: dt.datetime
    sources: tuple[SourceHealthRow, ...]
    matters: tuple[MatterStatus, ...]
    outbox: dict[str, int]
    items_stored: int
    paused: tuple[Destination, ...] = ()  # destinations the bot stopped posting to, and why
    poll_leader: str | None = None  # PostgreSQL replicas: which one polls ("none": nobody)

    def health_line(self) -> str:
        """'11 sources ok, 2 failing: FCC headlines (blocked), NTIA (timeout)'.

        At most three failing sources are named ("…and N more"); the table lists them all.
        """
        enabled = [r for r in self.sources if r.source.enabled]
        failing = [r for r in enabled if r.failing]
        healthy = sum(1 for r in enabled if r.state.health and r.state.health.is_success)
        line = f"{healthy} sources ok"
        never = sum(1 for r in enabled if r.state.health is None)
        if never:
            line += f", {never} not polled yet"
        if failing:
            names = ", ".join(f"{r.source.name} ({r.health})" for r in failing[:NAMED_FAILURES])
            more = len(failing) - NAMED_FAILURES
            line += f", {len(failing)} failing: {names}" + (
                f" …and {more} more" if more > 0 else ""
            )
        return line

    def to_json(self) -> dict:
        """JSON-ready view for `status --json`."""
        return {
            "generated_at": iso(self.generated_at),
            "summary": self.health_line(),
            "items_stored": self.items_stored,
            "outbox": self.outbox,
            "sources": [r.to_json() for r in self.sources],
            "matters": [matter_to_json(m) for m in self.matters],
            "poll_leader": self.poll_leader,
            "paused": [
                {"platform": d.platform, "name": d.name or d.address, "reason": d.paused_reason}
                for d in self.paused
            ],
        }


def matter_to_json(status: MatterStatus) -> dict:
    """JSON-ready view of a matter's state and timeline."""
    return {
        "id": status.matter.id,
        "title": status.matter.title,
        "dockets": list(status.matter.dockets),
        "state": status.state,
        "as_of": status.as_of.isoformat() if status.as_of else None,
        "timeline": [
            {
                "date": e.date.isoformat(),
                "label": e.label,
                "state": e.state,
                "document": e.document,
                "url": e.url,
            }
            for e in status.timeline
        ],
    }


def _ecfs_rows(config: Config, store: Store, states: dict) -> tuple[SourceHealthRow, ...]:
    """ECFS dockets `run` polls (watched or tracked), from their stored state."""
    known = {s.id for s in config.sources}
    wanted = set(store.watches.watched_dockets())
    wanted.update(d for matter in config.matters for d in matter.dockets)
    rows = []
    for source_id in sorted(states):
        source = None if source_id in known else display_source(source_id)
        if source is not None and source.docket in wanted:
            rows.append(SourceHealthRow(source, states[source_id]))
    return tuple(rows)


def build_status(config: Config, store: Store, now: dt.datetime) -> StatusReport:
    """Collect source health, matter states and outbox counts."""
    states = store.sources.all()
    rows = tuple(
        SourceHealthRow(s, states.get(s.id, SourceState(source_id=s.id))) for s in config.sources
    )
    rows += _ecfs_rows(config, store, states)
    matters = tuple(
        matter_status(m, store.queries.matter_events(m.id), now.date()) for m in config.matters
    )
    return StatusReport(
        generated_at=now,
        sources=rows,
        matters=matters,
        outbox=store.outbox.counts(),
        items_stored=store.queries.item_count(),
        paused=tuple(d for d in store.subscriptions.destinations() if d.paused_reason),
        poll_leader=store.health.poll_leader(),
    )
