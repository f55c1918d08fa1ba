"""Grouping one destination's due alerts into chat messages (pure, platform-free).

The outbox hands the deliverer every due alert of a destination; `plan_messages` decides what
the channel sees, in order:
- an *update* of an alert posted earlier, where the platform can edit, edits that post;
- more fresh alerts than `burst_threshold` become one grouped *burst* message, split every
  `max_alerts_per_message`; otherwise each is a *single* message, threaded under its
  proceeding if known — except docket filings of one proceeding, grouped in one message;
- *digest* rows (daily subscribers) come next, as one digest split likewise;
- deadline *reminders* (bot.alerts.reminders) last, one message each.
Sinks only render and send what the plan says; pacing belongs to the deliverer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.models import Alert, ClaimedAlert, Destination

MessageKind = Literal["single", "update", "burst", "digest", "reminder"]


@dataclass(frozen=True)
class GroupingRules:
    """What a platform allows: when to group, how many alerts per message, edits, pacing."""

    burst_threshold: int = 3  # more fresh alerts than this in one round → a grouped message
    max_alerts_per_message: int | None = None  # None: the renderer splits by size itself
    can_edit: bool = False  # an update edits the earlier post (else it is posted anew)
    min_interval_seconds: float = 0.0  # between two posts to the same destination
    concurrent_destinations: int = 1  # destinations served at once (each paced on its own)


@dataclass(frozen=True)
class Message:
    """One message to one destination: the claimed alerts it carries and how to show them."""

    kind: MessageKind
    entries: tuple[ClaimedAlert, ...]
    edit_ref: str | None = None  # "update": the platform reference of the post to edit
    thread_ref: str | None = None  # "single": post as a reply in this thread

    @property
    def destination(self) -> Destination:
        """Where the message goes (every entry shares it)."""
        return self.entries[0].destination

    @property
    def alerts(self) -> list[Alert]:
        """The alerts, in plan order."""
        return [entry.alert for entry in self.entries]

    @property
    def thread_key(self) -> str | None:
        """The proceeding a single alert belongs to (its thread), None for grouped messages."""
        return self.entries[0].alert.thread_key if self.kind == "single" else None

    @property
    def keeps_ref(self) -> bool:
        """True when the post stands for one alert, so its reference can be edited later."""
        return self.kind in ("single", "update")


def plan_messages(entries: Sequence[ClaimedAlert], rules: GroupingRules) -> list[Message]:
    """The messages that deliver one destination's claimed alerts (see the module)."""
    reminders = [e for e in entries if e.alert.action == "reminder"]
    entries = [e for e in entries if e.alert.action != "reminder"]
    edits = [e for e in entries if rules.can_edit and e.alert.action == "update" and e.ref]
    edited = {e.alert.outbox_id for e in edits}
    digest = [e for e in entries if e.digest and e.alert.outbox_id not in edited]
    fresh = [e for e in entries if not e.digest and e.alert.outbox_id not in edited]
    plan = [Message("update", (e,), edit_ref=e.ref) for e in edits]
    if len(fresh) > rules.burst_threshold:
        plan.extend(_grouped("burst", fresh, rules.max_alerts_per_message))
    else:
        filings = _filings_per_docket(fresh)
        grouped = {e.alert.outbox_id for group in filings for e in group}
        plan.extend(
            Message("single", (e,), thread_ref=e.thread_ref)
            for e in fresh
            if e.alert.outbox_id not in grouped
        )
        plan.extend(Message("burst", group) for group in filings)
    plan.extend(_grouped("digest", digest, rules.max_alerts_per_message))
    plan.extend(Message("reminder", (e,)) for e in reminders)  # deadline reminders, unthreaded
    return plan


def _filings_per_docket(entries: Sequence[ClaimedAlert]) -> list[tuple[ClaimedAlert, ...]]:
    """Docket filings arriving together, one group per proceeding (groups of two or more)."""
    groups: dict[str | None, list[ClaimedAlert]] = {}
    for entry in entries:
        if entry.alert.filing:
            groups.setdefault(entry.alert.thread_key, []).append(entry)
    return [tuple(group) for group in groups.values() if len(group) > 1]


def _grouped(kind: MessageKind, entries: Sequence[ClaimedAlert], size: int | None) -> list[Message]:
    if not entries:
        return []
    step = size or len(entries)
    return [
        Message(kind, tuple(entries[start : start + step]))
        for start in range(0, len(entries), step)
    ]
