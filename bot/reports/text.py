"""Plain-text renderings of reports for the terminal (status, poll summary, search, probes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.common.text_safety import one_line
from bot.models import CycleReport
from bot.reports.status import StatusReport
from bot.store import StoredItem


def ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    """'5m ago', 'in 3m', 'never'."""
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    suffix = "ago" if seconds >= 0 else ""
    prefix = "" if seconds >= 0 else "in "
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{prefix}{int(seconds // size)}{unit} {suffix}".strip()
    return f"{prefix}{int(seconds)}s {suffix}".strip()


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A left-aligned text table."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(lines)


def render_cycle(report: CycleReport) -> str:
    """The one-line summary of a poll cycle, then one line per failing source."""
    polled = report.feeds_ok + report.feeds_not_modified + report.feeds_failed
    line = (
        f"polled {polled} feeds: {report.feeds_ok} ok, {report.feeds_not_modified} not modified, "
        f"{report.feeds_failed} failed; items: {report.items_new} new, "
        f"{report.items_updated} updated, {report.items_seen} seen; "
        f"{report.alerts_queued} alerts queued"
    )
    if report.feeds_skipped:
        line += f" ({report.feeds_skipped} not due)"
    details = [f"  {sid}: {one_line(msg)}" for sid, msg in sorted(report.failures.items())]
    return "\n".join([line, *details])


def render_status(report: StatusReport) -> str:
    """Source health table, then each tracked matter with its timeline."""
    now = report.generated_at
    rows = []
    for r in report.sources:
        s = r.state
        rows.append(
            [
                r.source.id,
                r.health,
                ago(s.last_success_at, now),
                str(s.consecutive_failures),
                ago(s.next_poll_at, now) if r.source.enabled else "-",
                ago(s.last_new_item_at, now),
                f"{s.not_modified_share:.0%}" if s.polls else "-",
                one_line(f"{s.last_error_kind}: {s.last_error_message}")
                if s.last_error_kind
                else "",
            ]
        )
    parts = [
        f"Sources — {report.health_line()}",
        table(
            ["source", "health", "last ok", "fails", "next poll", "last new", "304s", "last error"],
            rows,
        ),
        "",
        f"Items stored: {report.items_stored}; outbox: "
        + (", ".join(f"{k} {v}" for k, v in sorted(report.outbox.items())) or "empty"),
    ]
    if report.poll_leader is not None:
        leader = report.poll_leader
        parts.append(
            f"Polling: {one_line(leader)} (leader)"
            if leader != "none"
            else "Polling: no replica holds the leader lock — is any `calea-bot run` up?"
        )
    for destination in report.paused:
        name = one_line(destination.name or destination.address)
        parts.append(
            f"Paused: {destination.platform} {name} — {one_line(destination.paused_reason or '')}"
        )
    for status in report.matters:
        dockets = ", ".join(status.matter.dockets)
        as_of = f" (as of {status.as_of.isoformat()})" if status.as_of else ""
        parts += ["", f"{status.matter.title} [{dockets}] — {status.state}{as_of}"]
        for event in status.timeline:
            doc = f" [{event.document}]" if event.document else ""
            parts.append(f"  {event.date.isoformat()}  {one_line(event.label)}{doc}")
    return "\n".join(parts)


def render_search(items: Sequence[StoredItem]) -> str:
    """Search results, newest first, one block per item."""
    if not items:
        return "no stored items match"
    lines = []
    for item in items:
        when = (item.published or item.first_seen_at).date().isoformat()
        topics = f" [{', '.join(item.topics)}]" if item.topics else ""
        lines.append(f"{when}  {item.source_id}  {one_line(item.title)}{topics}")
        if item.link:
            lines.append(f"            {one_line(item.link)}")
    return "\n".join(lines)
