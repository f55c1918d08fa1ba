"""`deadlines`, `remind` and `calendar`: a channel's deadlines, reminders and calendar feed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.alerts.reminders import days_left_text, due_text, parse_offsets
from bot.analysis.deadlines import KIND_DATE
from bot.analysis.extract import normalize_docket
from bot.commands.arguments import CommandError, shown
from bot.commands.compose import compose
from bot.commands.context import CommandContext, CommandServices
from bot.commands.help import usage_of
from bot.commands.reply import Heading, ItemRef, Paragraph, Reply
from bot.commands.subscriptions import channel_destination, ensure_channel_destination
from bot.models import KeyDate

MAX_SHOWN = 10


def deadlines_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """Upcoming deadlines, soonest first: of a topic, matter or docket, else this channel's."""
    store, today = services.store, ctx.now.date()
    wanted = " ".join(args)
    topics: tuple[str, ...] = ()
    matter = docket = None
    if not wanted:
        destination = channel_destination(ctx, services)
        subs = store.subscriptions.of(destination.id) if destination else []
        topics = tuple(s.topic for s in subs)
        scope = "this channel's topics" if topics else "every topic"
    elif wanted.lower() in {t.id for t in services.config.topics}:
        topics, scope = (wanted.lower(),), f"topic {wanted.lower()}"
    elif wanted.lower() in {m.id for m in services.config.matters}:
        matter, scope = wanted.lower(), f"matter {wanted.lower()}"
    else:
        docket = normalize_docket(wanted)
        if docket is None:
            raise CommandError(
                f"“{shown(wanted)}” is not a topic, a tracked matter or a docket (e.g. PS 22-329).",
                usage_of("deadlines"),
            )
        scope = f"docket {docket}"
    found = store.deadlines.upcoming(
        today, topics=topics, matter=matter, docket=docket, limit=MAX_SHOWN
    )
    if not found:
        return compose(Heading("Deadlines"), Paragraph(f"No upcoming deadlines for {scope}."))
    entries = [
        ItemRef(
            title=d.title,
            link=d.link,
            source=d.label,
            references=(*d.dockets, *d.documents)[:6],
            summary=f"{d.label} {due_text(d)} — {days_left_text(d, today)}.",
            dates=(KeyDate(KIND_DATE.get(d.kind, d.kind), d.due_date),) if d.due_date else (),
        )
        for d in found
    ]
    return compose(Heading(f"Upcoming deadlines ({scope}), soonest first"), *entries)


def remind_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """Choose when this channel is reminded of deadlines (business days before), or off."""
    try:
        offsets = parse_offsets(args)
    except ValueError as exc:
        raise CommandError(f"remind: {exc}.", usage_of("remind")) from None
    store = services.store
    destination = ensure_channel_destination(ctx, services)
    with store.transaction():
        store.deadlines.set_offsets(destination.id, offsets, ctx.now)
    if not offsets:
        text = "Deadline reminders are off in this channel. remind 7 1 turns them back on."
    else:
        days = ", ".join(f"T-{o}" for o in offsets)
        text = f"This channel will be reminded of deadlines at {days} (business days)."
    return compose(Heading("Reminders"), Paragraph(text), changed=True)


def calendar_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """This channel's iCalendar feed URL (shown only to the asker: the URL is a secret)."""
    if args:
        raise CommandError("calendar takes no arguments.", usage_of("calendar"))
    store = services.store
    destination = ensure_channel_destination(ctx, services)
    with store.transaction():
        token = store.deadlines.calendar_token(destination.id, ctx.now)
    path = f"/calendar/{token}.ics"
    blocks = [Heading("Deadline calendar")]
    if services.public_url:
        blocks.append(
            Paragraph(
                f"Subscribe to {services.public_url}{path} in Outlook or "
                "Google Calendar. Anyone with this link can read it."
            )
        )
    else:
        blocks.append(
            Paragraph(
                f"This channel's calendar is served at {path} on the bot's "
                "web server; ask the operator to set CALEA_BOT_PUBLIC_URL so "
                "the full link shows here."
            )
        )
    return compose(*blocks)
