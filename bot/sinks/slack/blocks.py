"""Slack messages for alerts: one alert, a burst of alerts, a daily digest (pure, no I/O).

Every feed-supplied string is escaped (`bot.sinks.slack.mrkdwn`), carried in verbatim mrkdwn,
and linked only when its URL is http(s); every message stays inside Slack's limits
(`bot.sinks.slack.kit`). Bursts and digests too long for one message are split into parts,
so no alert is dropped. Command replies are rendered by `reply_blocks.render_reply`,
re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.models import DATE_LABELS, Alert, ListEntry
from bot.sinks.slack.kit import (
    MAX_BLOCKS,
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_BYTES,
    TITLE_LIMIT,
    actions,
    button,
    context,
    entry_text,
    escaped_list,
    fields_section,
    header,
    message_size,
    section,
    slack_date,
)
from bot.sinks.slack.mrkdwn import escape_mrkdwn, escaped, link, safe_url, single_line, tidy
from bot.sinks.slack.reply_blocks import COMMAND_ACTION, render_reply

__all__ = [
    "COMMAND_ACTION",
    "MUTE_ACTION",
    "OPEN_ACTION",
    "SlackMessage",
    "escape_mrkdwn",
    "render_alert",
    "render_alert_blocks",
    "render_alert_text",
    "render_burst",
    "render_digest",
    "render_reply",
]

SUMMARY_LIMIT = 1500
FIELD_VALUE_LIMIT = 600
MAX_MUTE_BUTTONS = 3

#: action_id of the "Mute this topic here" button (further topics: "calea_mute_1", …).
MUTE_ACTION = "calea_mute"
#: action_id of link buttons (Slack still sends an interaction, which the app acknowledges).
OPEN_ACTION = "calea_open"


@dataclass(frozen=True)
class SlackMessage:
    """One message ready for chat.postMessage: blocks, fallback text and the alerts it carries."""

    blocks: list[dict]
    text: str
    alerts: tuple[Alert, ...] = ()


# -- one alert --------------------------------------------------------------------------------


def _topic_ids(alert: Alert) -> list[str]:
    seen: list[str] = []
    for match in alert.topics:
        if match.topic not in seen:
            seen.append(match.topic)
    return seen


def _key_dates(alert: Alert) -> str:
    lines = [f"{DATE_LABELS.get(d.kind, d.kind)}: {d.date.isoformat()}" for d in alert.dates]
    return escaped("\n".join(lines), FIELD_VALUE_LIMIT)


def _alert_fields(alert: Alert) -> list[str]:
    described = [f"{m.topic} ({m.rule})" if m.rule else m.topic for m in alert.topics]
    fields = [
        ("Topics", escaped_list(described, FIELD_VALUE_LIMIT)),
        ("Dockets", escaped_list(alert.dockets, FIELD_VALUE_LIMIT)),
        ("Documents", escaped_list(alert.documents, FIELD_VALUE_LIMIT)),
        ("Dates that matter", _key_dates(alert)),
        ("Tracked matters", escaped_list(alert.matters, FIELD_VALUE_LIMIT)),
        ("Also in", escaped_list(alert.also_in, FIELD_VALUE_LIMIT)),
        ("Why", escaped(alert.reason, FIELD_VALUE_LIMIT)),
    ]
    return [f"*{label}*\n{value}" for label, value in fields if value]


def _alert_buttons(alert: Alert) -> list[dict]:
    elements = []
    url = safe_url(alert.link)
    if url is not None:
        elements.append(button("Open", OPEN_ACTION, url=url))
    topics = _topic_ids(alert)[:MAX_MUTE_BUTTONS]
    for index, topic in enumerate(topics):
        label = "Mute this topic here" if len(topics) == 1 else f"Mute {topic} here"
        action_id = MUTE_ACTION if index == 0 else f"{MUTE_ACTION}_{index}"
        elements.append(button(label, action_id, value=topic))
    return elements


def render_alert_text(alert: Alert) -> str:
    """The notification/fallback text of one alert (escaped: Slack parses it like mrkdwn)."""
    verb = {"update": "Updated", "reminder": "Deadline"}.get(alert.action, "New")
    title = single_line(alert.title) or "(untitled)"
    return escaped(f"{verb} from {single_line(alert.source_name)}: {title}", MAX_FALLBACK_TEXT)


def render_alert_blocks(alert: Alert) -> list[dict]:
    """One alert as Block Kit: source and date, linked title, summary, facts and buttons."""
    marker = f"*Updated* (revision {alert.revision})" if alert.action == "update" else "*New*"
    marker = "*Deadline*" if alert.action == "reminder" else marker
    source = escaped(single_line(alert.source_name), 200)
    blocks = [
        context(f"{marker} · {source} · {slack_date(alert.published)}"),
        section(f"*{link(alert.link, single_line(alert.title) or '(untitled)', TITLE_LIMIT)}*"),
    ]
    summary = tidy(alert.summary)
    if summary:
        blocks.append(section(escaped(summary, SUMMARY_LIMIT)))
    fields = _alert_fields(alert)
    if fields:
        blocks.append(fields_section(fields))
    elements = _alert_buttons(alert)
    if elements:
        blocks.append(actions(elements))
    return blocks


def render_alert(alert: Alert) -> SlackMessage:
    """One alert as a complete message."""
    return SlackMessage(render_alert_blocks(alert), render_alert_text(alert), (alert,))


# -- many alerts: bursts and digests ----------------------------------------------------------


def alert_entry(alert: Alert, *, with_summary: bool = True) -> dict:
    """A compact section for one alert inside a burst or digest message."""
    return section(entry_text(ListEntry.from_alert(alert), with_summary=with_summary))


@dataclass(frozen=True)
class _Entry:
    alert: Alert
    block: dict
    group: str | None = None  # entries of one group share a heading


Frame = Callable[[int, int], list[dict]]


def _pack(
    entries: Sequence[_Entry], frame: Frame, heading: Callable[[str], dict] | None = None
) -> list[tuple[list[dict], tuple[Alert, ...]]]:
    """Split entries into messages within the block and byte limits.

    Room is reserved for the blocks `frame(part, parts)` puts on top of each message. A group
    heading is repeated at the top of a part that continues a group.
    """
    block_budget = MAX_BLOCKS - 3
    byte_budget = MAX_MESSAGE_BYTES - 800
    parts: list[tuple[list[dict], list[Alert]]] = []
    blocks: list[dict] = []
    alerts: list[Alert] = []
    size = 0
    previous: str | None = None

    def with_heading(entry: _Entry, continuing: bool) -> list[dict]:
        starts_group = not continuing or entry.group != previous
        if heading is not None and entry.group is not None and starts_group:
            return [heading(entry.group), entry.block]
        return [entry.block]

    for entry in entries:
        extra = with_heading(entry, bool(blocks))
        too_many = len(blocks) + len(extra) > block_budget
        if blocks and (too_many or size + message_size(extra) > byte_budget):
            parts.append((blocks, alerts))
            blocks, alerts, size = [], [], 0
            extra = with_heading(entry, False)
        blocks.extend(extra)
        alerts.append(entry.alert)
        size += message_size(extra)
        previous = entry.group
    if blocks:
        parts.append((blocks, alerts))
    return [(frame(i + 1, len(parts)) + b, tuple(a)) for i, (b, a) in enumerate(parts)]


def _part(part: int, parts: int) -> str:
    return f" (part {part} of {parts})" if parts > 1 else ""


SUMMARISED_BURST_MAX = 10  # bursts up to this size show each alert's summary


def render_burst(alerts: Sequence[Alert]) -> list[SlackMessage]:
    """Many alerts for one channel as grouped messages (usually one) instead of a flood."""
    count = len(alerts)
    noun = "alert" if count == 1 else "alerts"

    def frame(part: int, parts: int) -> list[dict]:
        return [
            header(f"{count} new regulatory {noun}{_part(part, parts)}"),
            context("Stop a topic here with `/calea unsubscribe &lt;topic&gt;`"),
        ]

    titles = "; ".join(single_line(a.title) for a in alerts[:5])
    text = escaped(f"{count} new regulatory {noun}: {titles}", MAX_FALLBACK_TEXT)
    # A large burst drops the summaries: about twice as many alerts fit in each message.
    with_summary = count <= SUMMARISED_BURST_MAX
    entries = [_Entry(a, alert_entry(a, with_summary=with_summary)) for a in alerts]
    return [SlackMessage(blocks, text, part) for blocks, part in _pack(entries, frame)]


def _digest_topic(alert: Alert) -> str:
    ids = _topic_ids(alert)
    return ids[0] if ids else "other"


def render_digest(alerts: Sequence[Alert], *, day: dt.date | None = None) -> list[SlackMessage]:
    """A daily digest: alerts grouped under their first topic, split into parts if long."""
    count = len(alerts)
    noun = "item" if count == 1 else "items"
    when = f" for {day.isoformat()}" if day else ""

    def frame(part: int, parts: int) -> list[dict]:
        return [header(f"Daily digest{when}: {count} {noun}{_part(part, parts)}")]

    def heading(topic: str) -> dict:
        return section(f"*Topic: {escaped(single_line(topic), 200)}*")

    ordered = sorted(alerts, key=lambda a: (_digest_topic(a), a.outbox_id))
    entries = [_Entry(a, alert_entry(a), _digest_topic(a)) for a in ordered]
    text = escaped(f"Daily digest{when}: {count} {noun}", MAX_FALLBACK_TEXT)
    return [SlackMessage(b, text, part) for b, part in _pack(entries, frame, heading)]
