"""`subscribe`, `unsubscribe`, `subscriptions` and `topics`: which alerts this channel gets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.commands.arguments import ALL_TOPICS, CommandError, resolve_topics
from bot.commands.compose import compose
from bot.commands.context import CommandContext, CommandServices
from bot.commands.help import usage_of
from bot.commands.reply import Facts, Heading, Paragraph, Reply
from bot.models import Destination, Topic
from bot.store import Subscription
from bot.store.audit import AuditEntry
from bot.store.subscriptions import OtherWorkspaceChannel
from bot.store.topic_counts import recent_topic_counts

MODES = ("realtime", "daily")
RECENT_DAYS = 30
MAX_TOPIC_WORDS = 50


OTHER_WORKSPACE_CHANNEL = (
    "This channel already gets calea-bot alerts through another Slack workspace (a shared "
    "channel); change them from there. Nothing was changed."
)


def channel_destination(ctx: CommandContext, services: CommandServices) -> Destination | None:
    """This channel's destination row, or None if it never subscribed (nothing is created).

    Only the command's own workspace's row counts when commands are isolated per workspace.
    """
    try:
        return services.store.subscriptions.destination(ctx.platform, ctx.channel, ctx.scope)
    except KeyError:
        return None


def ensure_channel_destination(ctx: CommandContext, services: CommandServices) -> Destination:
    """This channel's destination row, created in the command's workspace if needed.

    CommandError when the channel belongs to another workspace (a Slack Connect channel).
    """
    try:
        return services.store.subscriptions.ensure_destination(
            ctx.platform, ctx.channel, ctx.channel_name, workspace=ctx.workspace, now=ctx.now
        )
    except OtherWorkspaceChannel:
        raise CommandError(OTHER_WORKSPACE_CHANNEL) from None


def channel_subscriptions(ctx: CommandContext, services: CommandServices) -> list[Subscription]:
    """This channel's subscriptions (empty when it has none)."""
    destination = channel_destination(ctx, services)
    return services.store.subscriptions.of(destination.id) if destination else []


def topic_label(topic_id: str, topics: Sequence[Topic]) -> str:
    """'calea (CALEA & lawful intercept)', or 'all topics' for '*'."""
    if topic_id == ALL_TOPICS:
        return "all topics"
    title = next((t.title for t in topics if t.id == topic_id), None)
    return f"{topic_id} ({title})" if title and title != topic_id else topic_id


def _topic_title(topic_id: str, topics: Sequence[Topic]) -> str:
    if topic_id == ALL_TOPICS:
        return "all topics"
    title = next((t.title for t in topics if t.id == topic_id), None)
    return title or f"{topic_id} (no longer in feeds.yaml)"


def mode_label(mode: str, digest_time: str) -> str:
    """'realtime' or 'daily digest at 08:00'."""
    return f"daily digest at {digest_time}" if mode == "daily" else "realtime"


def subscriptions_line(subscriptions: Sequence[Subscription], topics: Sequence[Topic]) -> str:
    """One line on what this channel receives, for status."""
    if not subscriptions:
        return "This channel has no subscriptions (try: subscribe calea)."
    listed = ", ".join(f"{topic_label(s.topic, topics)} {s.mode}" for s in subscriptions)
    return f"This channel receives: {listed}."


def _paused_note(destination: Destination) -> Paragraph | None:
    if not destination.paused_reason:
        return None
    return Paragraph(
        f"Delivery to this channel is paused ({destination.paused_reason}); alerts are kept "
        "and sent once it resumes.",
        untrusted=True,
    )


def _require_admin_if_configured(ctx: CommandContext, services: CommandServices, usage: str):
    if services.subscribe_admins_only and not ctx.is_admin:
        raise CommandError(
            "Only admins can change this workspace's subscriptions "
            "(CALEA_BOT_SUBSCRIBE_ADMINS_ONLY is set).",
            usage,
        )


def _audit(ctx: CommandContext, services: CommandServices, action: str, topics, mode=None) -> None:
    services.store.audit.record(
        AuditEntry(
            at=ctx.now,
            platform=ctx.platform,
            channel=ctx.channel,
            channel_name=ctx.channel_name,
            user_id=ctx.user_id,
            user_name=ctx.user_name,
            action=action,
            topics=tuple(topics),
            mode=mode,
            workspace=ctx.workspace,
        )
    )


def _said_by(ctx: CommandContext, text: str) -> Paragraph:
    """A channel notice starting with the user's name (a mention where the platform has one)."""
    return Paragraph(f"{ctx.user_name} {text}", True, mention=(ctx.user_id, ctx.user_name))


def subscribe_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """Subscribe this channel to topics, realtime or daily; creates its destination row."""
    usage = usage_of("subscribe")
    _require_admin_if_configured(ctx, services, usage)
    modes = [word.lower() for word in args if word.lower() in MODES]
    words = [word for word in args if word.lower() not in MODES]
    if len(set(modes)) > 1:
        raise CommandError("Choose one delivery mode: realtime or daily.", usage)
    if not words:
        raise CommandError("Name at least one topic (or all).", usage)
    if len(words) > MAX_TOPIC_WORDS:
        raise CommandError(f"Too many topics (at most {MAX_TOPIC_WORDS}).", usage)
    topics = resolve_topics(words, services.config.topics, usage=usage)
    if ALL_TOPICS in topics:
        topics = [ALL_TOPICS]
    mode = modes[0] if modes else "realtime"

    store = services.store.subscriptions
    destination = ensure_channel_destination(ctx, services)
    before = {s.topic: s.mode for s in store.of(destination.id)}
    store.subscribe(destination.id, topics, mode=mode, by=ctx.user_id, now=ctx.now)
    _audit(ctx, services, "subscribe", topics, mode)

    config_topics = services.config.topics
    listed = ", ".join(topic_label(t, config_topics) for t in topics)
    changed_modes = sorted({before[t] for t in topics if t in before and before[t] != mode})
    how = (
        f"one digest a day at {services.digest_time}"
        if mode == "daily"
        else "alerts are posted as they arrive"
    )
    blocks = [_said_by(ctx, f"subscribed this channel to {listed}: {how}.")]
    if changed_modes:
        blocks.append(Paragraph(f"Changed from {', '.join(changed_modes)} to {mode}."))
    if before.get(ALL_TOPICS) and ALL_TOPICS not in topics:
        blocks.append(Paragraph("This channel already receives all topics."))
    note = _paused_note(destination)
    if note:
        blocks.append(note)
    return compose(*blocks, in_channel=True, changed=True)


def unsubscribe_command(
    args: Sequence[str], ctx: CommandContext, services: CommandServices
) -> Reply:
    """Remove some or all of this channel's subscriptions."""
    usage = usage_of("unsubscribe")
    _require_admin_if_configured(ctx, services, usage)
    if not args:
        raise CommandError("Name the topics to drop, or all.", usage)
    if len(args) > MAX_TOPIC_WORDS:
        raise CommandError(f"Too many topics (at most {MAX_TOPIC_WORDS}).", usage)
    destination = channel_destination(ctx, services)
    current = services.store.subscriptions.of(destination.id) if destination else []
    topics = resolve_topics(
        args, services.config.topics, usage=usage, also_known=[s.topic for s in current]
    )
    if not current:
        return compose(Paragraph("This channel has no subscriptions; nothing to remove."))
    subscribed = {s.topic for s in current}
    config_topics = services.config.topics
    if ALL_TOPICS in topics:
        removed = services.store.subscriptions.unsubscribe(destination.id, None)
        _audit(ctx, services, "unsubscribe", sorted(subscribed))
        return compose(
            _said_by(ctx, "unsubscribed this channel from everything."),
            in_channel=True,
            changed=removed > 0,
        )
    missing = [t for t in topics if t not in subscribed]
    present = [t for t in topics if t in subscribed]
    blocks = []
    if present:
        services.store.subscriptions.unsubscribe(destination.id, present)
        _audit(ctx, services, "unsubscribe", present)
        listed = ", ".join(topic_label(t, config_topics) for t in present)
        blocks.append(_said_by(ctx, f"unsubscribed this channel from {listed}."))
    if missing:
        blocks.append(Paragraph(f"Not subscribed to: {', '.join(missing)}."))
    if ALL_TOPICS in subscribed:
        blocks.append(
            Paragraph(
                "This channel still receives all topics. To keep only some: unsubscribe all, "
                "then subscribe to the ones you want."
            )
        )
    return compose(*blocks, in_channel=bool(present), changed=bool(present))


def subscriptions_command(
    args: Sequence[str], ctx: CommandContext, services: CommandServices
) -> Reply:
    """List this channel's subscriptions and how they are delivered."""
    if args:
        raise CommandError("subscriptions takes no arguments.", usage_of("subscriptions"))
    destination = channel_destination(ctx, services)
    current = services.store.subscriptions.of(destination.id) if destination else []
    if not current:
        return compose(
            Heading("Subscriptions"),
            Paragraph("This channel has no subscriptions. See topics, then subscribe <topic…>."),
        )
    topics = services.config.topics
    pairs = tuple(
        (
            "all" if s.topic == ALL_TOPICS else s.topic,
            f"{_topic_title(s.topic, topics)} · {mode_label(s.mode, services.digest_time)}",
        )
        for s in current
    )
    blocks = [Heading("Subscriptions"), Facts(pairs)]
    note = _paused_note(destination)
    if note:
        blocks.append(note)
    return compose(*blocks)


def topics_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """Every configured topic with its title, description and recent item count."""
    if args:
        raise CommandError("topics takes no arguments.", usage_of("topics"))
    since = ctx.now - dt.timedelta(days=RECENT_DAYS)
    counts = recent_topic_counts(services.store.db, since)
    modes = {s.topic: s.mode for s in channel_subscriptions(ctx, services)}
    blocks: list = [Heading("Topics")]
    for topic in services.config.topics:
        count = counts.get(topic.id, 0)
        items = "1 item" if count == 1 else f"{count} items"
        mode = modes.get(topic.id) or modes.get(ALL_TOPICS)
        subscribed = f" · subscribed here ({mode})" if mode else ""
        text = f"{topic.id} — {topic.title}: {items} in the last {RECENT_DAYS} days{subscribed}"
        if topic.description:
            text += f"\n{topic.description}"
        blocks.append(Paragraph(text, untrusted=True))
    if not services.config.topics:
        blocks.append(Paragraph("No topics are configured in feeds.yaml."))
    else:
        blocks.append(Paragraph("Subscribe this channel with: subscribe <topic…> [realtime|daily]"))
    return compose(*blocks)
