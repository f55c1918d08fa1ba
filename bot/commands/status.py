"""`status [matter|topic]`: where a proceeding stands, plus source health and delivery state.

With no argument it shows the CALEA proceeding (the first matter whose topics include "calea",
else the first matter). Every view ends with the same footer: source health in one line,
paused destinations and this channel's subscriptions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.analysis.matters import TRACKING, MatterStatus
from bot.commands.arguments import CommandError, did_you_mean, shown
from bot.commands.compose import compose
from bot.commands.context import CommandContext, CommandServices
from bot.commands.docket_status import docket_status
from bot.commands.feeds import source_names, status_report
from bot.commands.help import usage_of
from bot.commands.item_refs import item_ref, one_per_event
from bot.commands.reply import Block, Facts, Heading, Paragraph, Reply
from bot.commands.subscriptions import (
    RECENT_DAYS,
    channel_subscriptions,
    subscriptions_line,
)
from bot.config import Config
from bot.models import Matter, MatterEvent, Topic
from bot.reports.status import StatusReport
from bot.store import StoredItem
from bot.store.topic_counts import recent_topic_count

DEFAULT_TOPIC = "calea"
TIMELINE_SHOWN = 6
UPCOMING_SHOWN = 5
MATTER_ITEMS_SHOWN = 3
TOPIC_ITEMS_SHOWN = 5
LABEL_CHARS = 220


def default_matter(config: Config) -> Matter | None:
    """The CALEA proceeding: the first matter tagged "calea", else the first matter."""
    for matter in config.matters:
        if DEFAULT_TOPIC in matter.topics:
            return matter
    return config.matters[0] if config.matters else None


def status_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """The default proceeding, a named matter, or a topic; closest match for unknown names.

    Only the timelines a view shows are read (a matter's timeline grows with every item that
    cites it).
    """
    usage = usage_of("status")
    if args and args[0].lower() == "docket":
        return docket_status(args[1:], ctx, services)
    if len(args) > 1:
        raise CommandError("Give one matter or topic id.", usage)
    config = services.config
    if not args:
        matter = default_matter(config)
        if matter is None:
            return _overview(status_report(services, ctx, matters=()), ctx, services)
        return _matter_view(matter, ctx, services)
    wanted = args[0].lower()
    matter = next((m for m in config.matters if m.id == wanted), None)
    if matter is not None:
        return _matter_view(matter, ctx, services)
    topic = next((t for t in config.topics if t.id == wanted), None)
    if topic is not None:
        related = [m for m in config.matters if topic.id in m.topics]
        return _topic_view(topic, status_report(services, ctx, matters=related), ctx, services)
    matter_ids = [m.id for m in config.matters]
    topic_ids = list(config.topic_ids())
    raise CommandError(
        f"No matter or topic is called “{shown(args[0])}”."
        f"{did_you_mean(wanted, [*matter_ids, *topic_ids])} "
        f"Matters: {', '.join(matter_ids) or 'none'}. Topics: {', '.join(topic_ids) or 'none'}.",
        usage,
    )


# -- views -------------------------------------------------------------------------------------


def _matter_view(matter: Matter, ctx: CommandContext, services: CommandServices) -> Reply:
    report = status_report(services, ctx, matters=[matter])
    status = report.matters[0]
    today = ctx.now.date()
    blocks: list[Block] = [
        Heading(f"Status: {matter.id}"),
        Facts(
            (
                ("Proceeding", matter.title),
                ("State", _state_text(status)),
                ("Dockets", ", ".join(matter.dockets) or "none"),
            )
        ),
    ]
    past = [event for event in status.timeline if event.date < today]
    blocks.append(Heading("Timeline"))
    if past:
        shown_events = past[-TIMELINE_SHOWN:]
        if len(past) > len(shown_events):
            blocks.append(Paragraph(f"{len(past) - len(shown_events)} earlier events not shown."))
        blocks.append(Facts(tuple((e.date.isoformat(), _event_text(e)) for e in shown_events)))
    else:
        blocks.append(Paragraph("No dated events yet."))
    blocks.append(Heading("Coming up"))
    if status.upcoming:
        upcoming = status.upcoming[:UPCOMING_SHOWN]
        blocks.append(Facts(tuple((e.date.isoformat(), _event_text(e)) for e in upcoming)))
    else:
        blocks.append(Paragraph("No upcoming dates known."))
    stored = services.store.queries.matter_items(matter.id, limit=MATTER_ITEMS_SHOWN * 3)
    blocks += _latest_items(
        stored, MATTER_ITEMS_SHOWN, services, "No stored item cites this proceeding yet."
    )
    blocks += _footer(report, ctx, services)
    return compose(*blocks)


def _topic_view(
    topic: Topic, report: StatusReport, ctx: CommandContext, services: CommandServices
) -> Reply:
    since = ctx.now - dt.timedelta(days=RECENT_DAYS)
    count = recent_topic_count(services.store.db, since, topic.id)
    modes = {s.topic: s.mode for s in channel_subscriptions(ctx, services)}
    mode = modes.get(topic.id) or modes.get("*")
    blocks: list[Block] = [
        Heading(f"Status: {topic.id}"),
        Facts(
            (
                ("Topic", topic.title),
                (f"Last {RECENT_DAYS} days", f"{count} item{'s' if count != 1 else ''}"),
                ("This channel", f"subscribed ({mode})" if mode else "not subscribed"),
            )
        ),
    ]
    related = [s for s in report.matters if topic.id in s.matter.topics]
    if related:
        blocks.append(Heading("Proceedings"))
        blocks.append(
            Facts(tuple((s.matter.id, f"{_state_text(s)} — {s.matter.title}") for s in related))
        )
        upcoming = sorted(
            ((event, s.matter.id) for s in related for event in s.upcoming),
            key=lambda pair: pair[0].date,
        )[:UPCOMING_SHOWN]
        if upcoming:
            blocks.append(Heading("Coming up"))
            blocks.append(
                Facts(
                    tuple(
                        (event.date.isoformat(), f"{matter_id}: {_event_text(event)}")
                        for event, matter_id in upcoming
                    )
                )
            )
    stored = services.store.queries.latest(topic=topic.id, limit=TOPIC_ITEMS_SHOWN * 3)
    blocks += _latest_items(
        stored, TOPIC_ITEMS_SHOWN, services, "No stored items in this topic yet."
    )
    blocks += _footer(report, ctx, services)
    return compose(*blocks)


def _latest_items(
    stored: Sequence[StoredItem], shown: int, services: CommandServices, empty: str
) -> list[Block]:
    """A "Latest items" heading and one entry per event (or `empty`)."""
    items = one_per_event(stored, shown)
    if not items:
        return [Heading("Latest items"), Paragraph(empty)]
    names = source_names(services)
    return [Heading("Latest items"), *(item_ref(item, names) for item in items)]


def _overview(report: StatusReport, ctx: CommandContext, services: CommandServices) -> Reply:
    """Used when feeds.yaml tracks no matter."""
    blocks: list[Block] = [
        Heading("Status"),
        Paragraph("No proceedings are tracked in feeds.yaml."),
    ]
    items = one_per_event(
        services.store.queries.latest(limit=TOPIC_ITEMS_SHOWN * 3), TOPIC_ITEMS_SHOWN
    )
    if items:
        names = source_names(services)
        blocks += [Heading("Latest items"), *(item_ref(item, names) for item in items)]
    blocks += _footer(report, ctx, services)
    return compose(*blocks)


# -- pieces ------------------------------------------------------------------------------------


def _footer(report: StatusReport, ctx: CommandContext, services: CommandServices) -> list[Block]:
    """Source health in one line, paused destinations, this channel's subscriptions."""
    return [
        Heading("Sources and delivery"),
        Paragraph(f"Sources: {report.health_line()}", untrusted=True),
        *_delivery_blocks(ctx, services),
        Paragraph(
            subscriptions_line(channel_subscriptions(ctx, services), services.config.topics),
            untrusted=True,
        ),
    ]


def _delivery_blocks(ctx: CommandContext, services: CommandServices) -> list[Block]:
    """Paused destinations with their reasons (other channels' names only for admins)."""
    destinations = services.store.subscriptions.destinations(workspace=ctx.scope)
    paused = [d for d in destinations if d.paused_reason]
    if not paused:
        return [Paragraph("Delivery: no destination is paused.")]
    here = [d for d in paused if (d.platform, d.address) == (ctx.platform, ctx.channel)]
    others = [d for d in paused if d not in here]
    blocks: list[Block] = [
        Paragraph(
            f"Delivery to this channel is paused: {d.paused_reason}. Alerts are kept and sent "
            "once it resumes.",
            untrusted=True,
        )
        for d in here
    ]
    if others and ctx.is_admin:
        pairs = tuple(
            (f"Paused ({d.platform})", f"{d.name or d.address}: {d.paused_reason}") for d in others
        )
        blocks.append(Facts(pairs))
    elif others:
        count = len(others)
        blocks.append(
            Paragraph(
                f"Delivery is paused for {count} other destination{'s' if count != 1 else ''}; "
                "an admin can see why with status."
            )
        )
    return blocks


def _state_text(status: MatterStatus) -> str:
    if status.state == TRACKING or status.as_of is None:
        return f"{status.state} (no decision recorded yet)"
    return f"{status.state} since {status.as_of.isoformat()}"


def _event_text(event: MatterEvent) -> str:
    label = " ".join(event.label.split())
    if len(label) > LABEL_CHARS:
        label = label[: LABEL_CHARS - 1] + "…"
    if event.document and event.document not in label:
        label += f" [{event.document}]"
    if event.state:
        label += f" → {event.state}"
    return label
