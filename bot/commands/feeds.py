"""`feeds`, `feeds add <url> [topic…]`, `feeds remove <id>`: the polled sources and their health.

Feeds added from chat are stored by `Store.user_sources` and polled like feeds.yaml's. An added
URL must be http(s) and resolve only to public addresses (`check_public_url`), so chat cannot
point the bot at loopback, private networks or a cloud metadata endpoint. The fetcher must
repeat that check on every redirect and connection; this module only guards the front door.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from bot.commands.arguments import CommandError, closest, did_you_mean, resolve_topics, shown
from bot.commands.compose import compose
from bot.commands.context import CommandContext, CommandServices
from bot.commands.help import usage_of
from bot.commands.reply import Block, Facts, Heading, Paragraph, Reply
from bot.feeds.guard import check_public_url
from bot.models import Health, Matter, Source
from bot.pipeline.analyze import canonical_url
from bot.pipeline.probe import ProbeResult
from bot.reports.status import SourceHealthRow, StatusReport, build_status
from bot.reports.text import ago
from bot.store.user_sources import DuplicateSourceError, with_user_sources

USER_SOURCE_PREFIX = "user-"
USER_SOURCE_INTERVAL_SECONDS = 30 * 60
MAX_URL_CHARS = 500
PROBE_GRACE_SECONDS = 15.0
_ID_CHARS = re.compile(r"[^a-z0-9]+")
_SLACK_LINK = re.compile(r"^<([^<>|]+)(?:\|[^<>]*)?>$")


# -- shared look-ups ---------------------------------------------------------------------------


def known_sources(services: CommandServices) -> tuple[Source, ...]:
    """feeds.yaml's sources, then the feeds added from chat."""
    return with_user_sources(services.config, services.store).sources


def source_names(services: CommandServices) -> dict[str, str]:
    """Source id → display name, for every known source."""
    return {source.id: source.name for source in known_sources(services)}


def status_report(
    services: CommandServices, ctx: CommandContext, matters: Sequence[Matter] | None = None
) -> StatusReport:
    """`bot.reports.status.build_status` over feeds.yaml's sources and the feeds added from chat.

    `matters` narrows the tracked matters whose timelines are read (each reads every event
    stored items added to it); None means all of them.
    """
    config = with_user_sources(services.config, services.store)
    if matters is not None:
        config = dataclasses.replace(config, matters=tuple(matters))
    return build_status(config, services.store, ctx.now)


# -- the command -------------------------------------------------------------------------------


def feeds_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """`feeds` lists health; `feeds add` and `feeds remove` (admins) change what is polled."""
    if not args:
        return _feeds_table(ctx, services)
    action, rest = args[0].lower(), args[1:]
    if action == "add":
        return _add_feed(rest, ctx, services)
    if action in ("remove", "rm", "delete"):
        return _remove_feed(rest, ctx, services)
    if action == "list" and not rest:
        return _feeds_table(ctx, services)
    raise CommandError(
        f"feeds has no action “{shown(action)}”.{did_you_mean(action, ('add', 'remove'))}",
        usage_of("feeds"),
    )


def _feeds_table(ctx: CommandContext, services: CommandServices) -> Reply:
    report = status_report(services, ctx, matters=())
    user_ids = {record.source.id for record in services.store.user_sources.records()}
    configured = [row for row in report.sources if row.source.id not in user_ids]
    added = [row for row in report.sources if row.source.id in user_ids]
    blocks: list[Block] = [
        Heading("Feeds"),
        Paragraph(report.health_line(), untrusted=True),
        Facts(tuple((row.source.id, _health_text(row, report)) for row in configured)),
        Heading("Added from chat"),
    ]
    if added:
        blocks.append(Facts(tuple((row.source.id, _health_text(row, report)) for row in added)))
    else:
        blocks.append(Paragraph("None. Admins can add one with: feeds add <url> [topic…]"))
    return compose(*blocks)


def _health_text(row: SourceHealthRow, report: StatusReport) -> str:
    """'FCC EDOCS – all releases · ok · last success 5m ago' and friends."""
    state, now = row.state, report.generated_at
    parts = [row.source.name]
    if not row.source.enabled:
        parts.append("disabled in feeds.yaml")
    elif state.health is None:
        parts.append("not polled yet")
    elif not row.failing:
        parts += ["ok", f"last success {ago(state.last_success_at, now)}"]
        if state.last_new_item_at:
            parts.append(f"last new item {ago(state.last_new_item_at, now)}")
    else:
        failures = state.consecutive_failures
        parts += [
            f"{row.health} ({failures} failed poll{'s' if failures != 1 else ''})",
            state.health.explanation,
            f"last success {ago(state.last_success_at, now)}",
        ]
        if state.message:
            parts.append(state.message[:120])
    return " · ".join(parts)


# -- feeds add ---------------------------------------------------------------------------------


def _require_admin(ctx: CommandContext, action: str) -> None:
    if not ctx.is_admin:
        raise CommandError(
            f"Only admins can {action} feeds. Ask a workspace admin, or edit feeds.yaml.",
            usage_of("feeds"),
        )


def _add_feed(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    usage = "feeds add <url> [topic…]"
    _require_admin(ctx, "add")
    if not args:
        raise CommandError("Give the feed's URL.", usage)
    url = _feed_url(args[0], usage)
    topics = resolve_topics(args[1:], services.config.topics, usage=usage)
    if "*" in topics:
        raise CommandError("List the topics to give this feed's items, not all.", usage)
    sources = known_sources(services)
    wanted = canonical_url(url)
    for source in sources:
        if source.url == url or canonical_url(source.url) == wanted:
            raise CommandError(f"That feed is already polled as {source.id}.", usage)
    with services.outside_lock():  # DNS and the probe can take a minute: block nobody else
        refusal = check_public_url(url, services.resolve_host)
        if refusal:
            raise CommandError(refusal, usage)
        if services.probe_url is not None:
            _check_probe(url, services)

    source = Source(
        id=user_source_id(url, {s.id for s in sources}),
        name=_display_name(url),
        url=url,
        interval_seconds=USER_SOURCE_INTERVAL_SECONDS,
        topics=tuple(topics),
    )
    try:
        services.store.user_sources.add(
            source,
            added_by=ctx.user_id,
            added_by_name=ctx.user_name,
            platform=ctx.platform,
            now=ctx.now,
        )
    except DuplicateSourceError:
        raise CommandError("That feed was just added by someone else.", usage) from None
    topic_note = f" Its items also get the topics {', '.join(topics)}." if topics else ""
    return compose(
        Heading("Feed added"),
        Facts(((source.id, f"{source.name} · {url}"),)),
        Paragraph(
            f"It is polled every {USER_SOURCE_INTERVAL_SECONDS // 60} minutes; its current "
            f"items are stored quietly on the first poll, later ones are alerted.{topic_note} "
            f"Remove it with: feeds remove {source.id}"
        ),
        changed=True,
    )


def _feed_url(word: str, usage: str) -> str:
    """The URL argument, unwrapped from Slack's <url|label> form and checked for shape."""
    link = _SLACK_LINK.match(word)
    url = link.group(1) if link else word
    if len(url) > MAX_URL_CHARS:
        raise CommandError(
            f"That URL is too long (the limit is {MAX_URL_CHARS} characters).", usage
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise CommandError(f"“{shown(url, 80)}” is not a valid URL.", usage) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise CommandError(
            f"“{shown(url, 80)}” is not an http:// or https:// URL with a host.", usage
        )
    if any(char in url for char in "<>\"'`\\{}|^") or not url.isprintable():
        raise CommandError("That URL contains characters a URL cannot hold.", usage)
    return url


def _check_probe(url: str, services: CommandServices) -> None:
    """Fetch the URL once through the adapter's probe; CommandError unless it is a feed."""
    timeout = services.config.fetch.total_timeout + PROBE_GRACE_SECONDS
    try:
        result = run_probe(services.probe_url, url, timeout)
    except Exception as exc:  # any probe failure is reported, never raised to the adapter
        raise CommandError(
            f"Could not check that feed ({type(exc).__name__}). Nothing was added."
        ) from None
    if not result.health.is_success or (result.health is Health.OK and result.items == 0):
        detail = f": {result.message[:200]}" if result.message else ""
        raise CommandError(
            f"That URL did not answer as a feed ({result.health.value}{detail}). Nothing was added."
        )


def run_probe(
    probe: Callable[[str], Awaitable[ProbeResult]], url: str, timeout: float
) -> ProbeResult:
    """Await `probe(url)` from synchronous code, with a time limit.

    On a thread without an event loop it runs on a fresh loop here; inside a running loop it
    runs on a fresh loop in a helper thread (so the probe must not depend on the caller's loop).
    """

    async def call() -> ProbeResult:
        return await asyncio.wait_for(probe(url), timeout)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(call())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, call()).result()


def user_source_id(url: str, taken: set[str]) -> str:
    """'user-<slug of host and path>', at most 64 characters, not in `taken`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    path = re.sub(r"\.(?:xml|rss|atom|json)$", "", parts.path, flags=re.IGNORECASE)
    slug = _ID_CHARS.sub("-", f"{host} {path}".lower()).strip("-") or "feed"
    base = (USER_SOURCE_PREFIX + slug)[:60].rstrip("-")
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _display_name(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    path = parts.path.rstrip("/")
    return f"{host}{path}"[:80]


# -- feeds remove ------------------------------------------------------------------------------


def _remove_feed(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    usage = "feeds remove <id>"
    _require_admin(ctx, "remove")
    if len(args) != 1:
        raise CommandError("Give the id of one feed added from chat (see feeds).", usage)
    wanted = args[0].lower()
    if wanted in services.config.source_ids():
        raise CommandError(
            f"{wanted} comes from feeds.yaml: edit that file to remove it (feeds remove only "
            "removes feeds added from chat).",
            usage,
        )
    record = services.store.user_sources.get(wanted)
    if record is None or not services.store.user_sources.remove(wanted):
        added = [source.id for source in services.store.user_sources.all()]
        match = closest(wanted, [*added, *services.config.source_ids()])
        hint = f" Did you mean “{match}”?" if match else ""
        listing = ", ".join(added) if added else "none"
        raise CommandError(
            f"No feed added from chat has the id “{shown(wanted)}”.{hint} "
            f"Feeds added from chat: {listing}.",
            usage,
        )
    return compose(
        Paragraph(
            f"Removed {wanted} ({record.source.name}); it is no longer polled. Its items stay "
            "searchable.",
            untrusted=True,
        ),
        changed=True,
    )
