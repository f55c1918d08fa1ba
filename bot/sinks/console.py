"""The console sink: prints alerts as readable text (the default with no chat configured)."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.alerts.planner import GroupingRules, Message
from bot.common.text_safety import one_line
from bot.models import DATE_LABELS, Alert, ClaimedAlert, DeliveryOutcome, SendResult
from bot.pipeline.sink import Pace

#: The console never groups: every alert prints on its own, unpaced.
CONSOLE_RULES = GroupingRules(burst_threshold=10**9)


def render_console_alert(alert: Alert) -> str:
    """A multi-line, plain-text rendering of one alert."""
    marker = {"update": "UPDATED", "reminder": "DEADLINE"}.get(alert.action, "NEW")
    published = alert.published.strftime("%Y-%m-%d %H:%M UTC") if alert.published else "undated"
    lines = [
        f"[{marker}] {one_line(alert.source_name)} · {published}",
        f"  {one_line(alert.title)}",
    ]
    if alert.topics:
        lines.append(
            "  topics: " + ", ".join(f"{m.topic} ({one_line(m.rule)})" for m in alert.topics)
        )
    references = [*alert.dockets, *alert.documents]
    if references:
        lines.append("  refs: " + ", ".join(one_line(r) for r in references))
    if alert.dates:
        lines.append(
            "  dates: "
            + ", ".join(
                f"{DATE_LABELS.get(d.kind, d.kind)} {d.date.isoformat()}" for d in alert.dates
            )
        )
    if alert.matters:
        lines.append("  tracked: " + ", ".join(one_line(m) for m in alert.matters))
    if alert.summary:
        lines.append(f"  {one_line(alert.summary)}")
    if alert.also_in:
        lines.append("  also in: " + ", ".join(one_line(s) for s in alert.also_in))
    if alert.reason:
        lines.append(f"  why: {one_line(alert.reason)}")
    if alert.link:
        lines.append(f"  {one_line(alert.link)}")
    return "\n".join(lines)


class ConsoleSink:
    """Writes each alert to a text stream (stdout by default), one block of lines each."""

    platform = "console"
    rules = CONSOLE_RULES

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Message, pace: Pace) -> SendResult:
        """Print the message's alerts; a broken stream means retry later, not loss."""
        stream = self.stream or sys.stdout
        try:
            with pace():
                stream.write("".join(render_console_alert(a) + "\n\n" for a in message.alerts))
                stream.flush()
        except OSError as exc:
            return SendResult("retry", f"console write failed: {exc}")
        return SendResult("sent")

    def send_notice(self, address: str, text: str, pace: Pace) -> SendResult:
        """Print an admin notice."""
        stream = self.stream or sys.stdout
        try:
            with pace():
                stream.write(f"[admin] {one_line(text)}\n\n")
                stream.flush()
        except OSError as exc:
            return SendResult("retry", f"console write failed: {exc}")
        return SendResult("sent")

    def confirm_outcome(self, claimed: ClaimedAlert) -> DeliveryOutcome | None:
        """A terminal keeps no record: an alert cut off by a crash is printed again."""
        return None

    def close(self) -> None:
        """The stream belongs to the caller."""
