"""What Teams shows: alert, burst and digest cards, and command replies (pure functions).

Every field that came from a feed or a user goes through `inert_markdown` (see markdown.py),
every link through `safe_link` (http(s) only). Cards stay within Adaptive Cards 1.4 and under
`MAX_PAYLOAD_BYTES`: long fields are shortened, and lists (bursts, digests, search results)
drop their last entries behind an "…and N more" line rather than fail. `compact=True` renders
a smaller version, used when Teams still answers 413.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.commands.reply import Button, Facts, Heading, ItemRef, Paragraph, Reply
from bot.models import Alert, KeyDate, ListEntry
from bot.sinks.teams.elements import (
    MAX_ACTIONS,
    MAX_PAYLOAD_BYTES,
    Element,
    adaptive_card,
    container,
    fact_set,
    message_payload,
    open_url,
    payload_size,
    text_block,
)
from bot.sinks.teams.markdown import code_span, inert_markdown, shorten, trusted_markdown
from bot.sinks.teams.urls import safe_link

DATE_LABELS = {
    "comments_close": "Comments due",
    "reply_comments_close": "Reply comments due",
    "effective": "Effective",
    "compliance": "Compliance date",
}
MAX_MESSAGE_TEXT = 20_000  # characters of a plain-text reply


@dataclass(frozen=True)
class Limits:
    """How much of each field a card shows."""

    title: int
    summary: int
    list_entries: int  # dockets, documents, topics … per fact
    entry_chars: int
    max_items: int  # entries in a burst, digest or reply list
    item_summary: int  # summary characters of a list entry (0 = none)


FULL = Limits(
    title=300, summary=1500, list_entries=15, entry_chars=80, max_items=25, item_summary=280
)
COMPACT = Limits(
    title=160, summary=300, list_entries=5, entry_chars=60, max_items=10, item_summary=0
)


def limits_for(compact: bool) -> Limits:
    """The full or the compact limits."""
    return COMPACT if compact else FULL


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "undated"
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _joined(values: Sequence[str], limits: Limits) -> str:
    """Untrusted list values, shortened and escaped, with "+N more" past the limit."""
    shown = [inert_markdown(v, limits.entry_chars) for v in values[: limits.list_entries]]
    hidden = len(values) - len(shown)
    return ", ".join(shown) + (f" +{hidden} more" if hidden > 0 else "")


def _dates_text(dates: Sequence[KeyDate]) -> str:
    return "; ".join(f"{DATE_LABELS.get(d.kind, 'Date')} {d.date.isoformat()}" for d in dates)


def _title_block(title: str, link: str | None, limit: int, **style: object) -> Element:
    """The title as a markdown link to the item (when its link is http(s))."""
    text = inert_markdown(title, limit) or "(untitled)"
    url = safe_link(link)
    return text_block(f"[{text}]({url})" if url else text, **style)


def _meta_line(entry: ListEntry) -> str:
    parts = [entry.marker] if entry.marker else []
    parts += [inert_markdown(entry.source, 80) or "unknown source", _when(entry.published)]
    return " · ".join(parts)


# -- one alert -----------------------------------------------------------------------------


def alert_card(alert: Alert, *, compact: bool = False) -> Element:
    """One alert: source, linked title, date, topics, references, dates, summary, Open button."""
    limits = limits_for(compact)
    entry = ListEntry.from_alert(alert)
    body: list[Element] = [
        text_block(_meta_line(entry), size="small", isSubtle=True),
        _title_block(alert.title, alert.link, limits.title, size="medium", weight="bolder"),
    ]
    facts: list[tuple[str, str]] = []
    if alert.topics:
        facts.append(("Topics", _joined(entry.topics, limits)))
    if alert.dockets:
        facts.append(("Dockets", _joined(alert.dockets, limits)))
    if alert.documents:
        facts.append(("Documents", _joined(alert.documents, limits)))
    for key_date in alert.dates[: limits.list_entries]:
        facts.append((DATE_LABELS.get(key_date.kind, "Date"), key_date.date.isoformat()))
    if alert.matters:
        facts.append(("Tracked matters", _joined(alert.matters, limits)))
    if alert.also_in:
        facts.append(("Also in", _joined(alert.also_in, limits)))
    if alert.reason:
        facts.append(("Why", _joined((alert.reason,), limits)))
    if facts:
        body.append(fact_set(facts))
    if alert.summary:
        body.append(text_block(inert_markdown(alert.summary, limits.summary), spacing="medium"))
    link = safe_link(alert.link)
    actions = [open_url("Open", link)] if link else []
    return adaptive_card(body, actions, fallback_text=inert_markdown(alert.title, 200))


# -- lists: bursts, digests ------------------------------------------------------------------


def _entry_container(entry: ListEntry, limits: Limits) -> Element:
    items: list[Element] = [
        text_block(_meta_line(entry), size="small", isSubtle=True),
        _title_block(entry.title, entry.link, limits.title, weight="bolder", spacing="none"),
    ]
    details = []
    if entry.topics:
        details.append("Topics: " + _joined(entry.topics, limits))
    if entry.references:
        details.append(_joined(entry.references, limits))
    if entry.dates:
        details.append(_dates_text(entry.dates[: limits.list_entries]))
    if entry.reason:
        details.append("Why: " + _joined((entry.reason,), limits))
    if details:
        items.append(text_block(" · ".join(details), size="small", spacing="none"))
    if entry.summary and limits.item_summary:
        summary = inert_markdown(entry.summary, limits.item_summary)
        items.append(text_block(summary, size="small", isSubtle=True, spacing="small"))
    return container(items, separator=True, spacing="medium")


def _more_line(hidden: int, what: str) -> Element:
    noun = what if hidden == 1 else what + "s"
    return text_block(
        f"…and {hidden} more {noun} not shown here. Ask the bot for “latest” to see them.",
        isSubtle=True,
        separator=True,
    )


def fit_list(
    build: Callable[[int], Element], total: int, *, max_items: int, max_bytes: int
) -> Element:
    """The card from `build(shown)` with as many of `total` entries as fit in `max_bytes`."""
    shown = min(total, max_items)
    while True:
        card = build(shown)
        size = payload_size(message_payload(card))
        if size <= max_bytes or shown <= 1:
            return card
        shown = max(1, min(shown - 1, shown * max_bytes // size))


def _topic_counts(entries: Sequence[ListEntry]) -> str:
    counts: dict[str, int] = {}
    for entry in entries:
        for topic in entry.topics:
            counts[topic] = counts.get(topic, 0) + 1
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return " · ".join(f"{inert_markdown(t, 40)} {n}" for t, n in ranked[:10])


def burst_card(
    alerts: Sequence[Alert], *, compact: bool = False, max_bytes: int = MAX_PAYLOAD_BYTES
) -> Element:
    """Many alerts at once (a burst) as one grouped card; extra entries become "…and N more"."""
    limits = limits_for(compact)
    entries = [ListEntry.from_alert(a) for a in alerts]
    updated = sum(1 for a in alerts if a.action == "update")
    heading = f"{len(alerts)} regulatory alerts"
    if updated:
        heading += f" ({len(alerts) - updated} new, {updated} updated)"
    topics_line = _topic_counts(entries)

    def build(shown: int) -> Element:
        body = [text_block(heading, size="medium", weight="bolder")]
        if topics_line:
            body.append(text_block(topics_line, size="small", isSubtle=True, spacing="none"))
        body += [_entry_container(entry, limits) for entry in entries[:shown]]
        if shown < len(entries):
            body.append(_more_line(len(entries) - shown, "alert"))
        return adaptive_card(body, fallback_text=heading)

    return fit_list(build, len(entries), max_items=limits.max_items, max_bytes=max_bytes)


def digest_card(
    alerts: Sequence[Alert], *, compact: bool = False, max_bytes: int = MAX_PAYLOAD_BYTES
) -> Element:
    """A daily digest: the day's alerts grouped under their first topic."""
    limits = limits_for(compact)
    groups: dict[str, list[ListEntry]] = {}
    for alert in alerts:
        entry = ListEntry.from_alert(alert)
        groups.setdefault(entry.topics[0] if entry.topics else "", []).append(entry)
    ordered = sorted(groups.items(), key=lambda pair: (pair[0] == "", pair[0]))
    flat = [(topic, entry) for topic, entries in ordered for entry in entries]
    heading = f"Daily digest: {len(flat)} alert{'s' if len(flat) != 1 else ''}"

    def build(shown: int) -> Element:
        body = [text_block(heading, size="medium", weight="bolder")]
        current: str | None = None
        for topic, entry in flat[:shown]:
            if topic != current:
                current = topic
                title = inert_markdown(topic, 60) if topic else "Other"
                count = len(groups[topic])
                body.append(text_block(f"{title} ({count})", weight="bolder", spacing="large"))
            body.append(_entry_container(entry, limits))
        if shown < len(flat):
            body.append(_more_line(len(flat) - shown, "alert"))
        if not flat:
            body.append(text_block("No alerts today."))
        return adaptive_card(body, fallback_text=heading)

    return fit_list(build, len(flat), max_items=limits.max_items * 2, max_bytes=max_bytes)


def connection_test_card(channel_name: str, moment: dt.datetime) -> Element:
    """The card `calea-bot teams test` posts to prove a webhook works."""
    name = inert_markdown(channel_name, 80)
    return adaptive_card(
        [
            text_block("calea-bot test message", size="medium", weight="bolder"),
            text_block(f"Regulatory alerts for **{name}** will appear in this channel."),
            text_block(f"Sent {_when(moment)}.", size="small", isSubtle=True),
        ],
        fallback_text="calea-bot test message",
    )


# -- command replies -------------------------------------------------------------------------


def _paragraph_text(block: Paragraph) -> str:
    return inert_markdown(block.text) if block.untrusted else trusted_markdown(block.text)


def _command_hint(button: Button) -> str:
    label = trusted_markdown(button.label)
    return f"{label}: mention the bot with {code_span(button.command or '')}"


def reply_card(reply: Reply, *, max_bytes: int = MAX_PAYLOAD_BYTES) -> Element:
    """A command reply as an Adaptive Card (only Action.OpenUrl buttons)."""
    items = [block for block in reply.blocks if isinstance(block, ItemRef)]

    def build(shown: int) -> Element:
        body: list[Element] = []
        actions: list[Element] = []
        seen_items = 0
        for block in reply.blocks:
            if isinstance(block, Heading):
                body.append(
                    text_block(trusted_markdown(block.text), size="medium", weight="bolder")
                )
            elif isinstance(block, Paragraph):
                body.append(text_block(_paragraph_text(block)))
            elif isinstance(block, Facts):
                pairs = [(trusted_markdown(k), inert_markdown(v, 500)) for k, v in block.pairs]
                body.append(fact_set(pairs))
            elif isinstance(block, ItemRef):
                seen_items += 1
                if seen_items <= shown:
                    body.append(_entry_container(block, FULL))
                elif seen_items == shown + 1:
                    body.append(_more_line(len(items) - shown, "result"))
            elif isinstance(block, Button):
                url = safe_link(block.url)
                if url and len(actions) < MAX_ACTIONS:
                    actions.append(open_url(shorten(block.label, 40), url))
                elif block.command:
                    body.append(text_block(_command_hint(block), isSubtle=True))
        if not body:
            body.append(text_block(inert_markdown(reply.text) or "Done."))
        return adaptive_card(body, actions, fallback_text=inert_markdown(reply.text, 300))

    return fit_list(build, len(items), max_items=FULL.max_items, max_bytes=max_bytes)


def _is_plain(reply: Reply) -> bool:
    return all(isinstance(block, Heading | Paragraph) for block in reply.blocks)


def reply_text(reply: Reply) -> str:
    """A reply made only of headings and paragraphs, as (inert) message markdown."""
    if not reply.blocks:
        return shorten(inert_markdown(reply.text), MAX_MESSAGE_TEXT) or "Done."
    parts = []
    for block in reply.blocks:
        if isinstance(block, Heading):
            parts.append(f"**{trusted_markdown(block.text)}**")
        elif isinstance(block, Paragraph):
            parts.append(_paragraph_text(block))
    return shorten("\n\n".join(parts), MAX_MESSAGE_TEXT)


def reply_message(reply: Reply) -> Element:
    """The outgoing-webhook answer: plain text when that is enough, else a card attachment."""
    if _is_plain(reply):
        return {"type": "message", "text": reply_text(reply)}
    return message_payload(reply_card(reply))
