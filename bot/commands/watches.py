"""`watch`, `unwatch` and `watches`: this channel's dockets, tracked matters and phrases.

watch docket PS 22-329 · watch matter <id> · watch "network security" · … [realtime|daily]
A watch alerts exactly like a topic subscription; bad input changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.alerts.watches import MAX_PHRASE_CHARS, MAX_PHRASE_WORDS, phrase_words
from bot.analysis.extract import find_dockets, normalize_docket
from bot.commands.arguments import CommandError, did_you_mean, shown
from bot.commands.compose import compose
from bot.commands.context import CommandContext, CommandServices
from bot.commands.help import usage_of
from bot.commands.reply import Facts, Heading, Paragraph, Reply
from bot.commands.subscriptions import channel_destination, ensure_channel_destination, mode_label
from bot.models import Watch

MAX_WATCHES_PER_CHANNEL = 50
MIN_PHRASE_LETTERS = 3
MODES = ("realtime", "daily")
_QUOTES = "\"'“”‘’«»"
_LETTER = re.compile(r"[^\W\d_]")
_DOCKET_NUMBER = re.compile(r"\d{2}\s*[-\u2010-\u2015\u2212]\s*\d{1,5}")


def parse_watch(args: Sequence[str], services: CommandServices, usage: str) -> tuple[str, str]:
    """(kind, value) from `docket …`, `matter <id>`, `phrase …` or a (quoted) phrase."""
    if not args:
        raise CommandError("Say what to watch: a docket, a matter or a phrase.", usage)
    head = args[0].lower()
    if head == "docket":
        return "docket", parse_docket(" ".join(args[1:]), usage)
    if head == "matter":
        return "matter", _matter(args[1:], services, usage)
    words = args[1:] if head == "phrase" else args
    return "phrase", _phrase(" ".join(words), usage)


def parse_docket(text: str, usage: str) -> str:
    """The normalised docket the text names, or a CommandError saying how to write one."""
    if not text.strip():
        raise CommandError("Name the docket, e.g. docket PS 22-329.", usage)
    docket = normalize_docket(text)
    if docket is None or len(find_dockets(text)) > 1 or len(_DOCKET_NUMBER.findall(text)) > 1:
        raise CommandError(
            f"“{shown(text)}” is not one docket. Write a bureau prefix and number, e.g. "
            "PS 22-329, PS Docket No. 22-329 or RM-11991.",
            usage,
        )
    return docket


def _matter(words: Sequence[str], services: CommandServices, usage: str) -> str:
    ids = [m.id for m in services.config.matters]
    if len(words) != 1:
        raise CommandError(f"Name one tracked matter: {', '.join(ids) or 'none'}.", usage)
    wanted = words[0].lower()
    if wanted not in ids:
        raise CommandError(
            f"No tracked matter is called “{shown(words[0])}”.{did_you_mean(wanted, ids)} "
            f"Matters: {', '.join(ids) or 'none'}.",
            usage,
        )
    return wanted


#: Words too common to watch on their own ("watch all" would match almost every item).
_COMMON_WORDS = frozenset({
    "a", "all", "an", "and", "any", "are", "as", "at", "be", "by", "every", "everything", "for",
    "from", "in", "is", "it", "of", "on", "or", "the", "this", "that", "to", "was", "were", "with",
})  # fmt: skip


def _phrase(text: str, usage: str) -> str:
    phrase = " ".join(text.strip().strip(_QUOTES).split())
    if len(phrase) > MAX_PHRASE_CHARS:
        raise CommandError(
            f"That phrase is too long ({len(phrase)} characters; at most {MAX_PHRASE_CHARS}).",
            usage,
        )
    words = phrase_words(phrase)
    if len(_LETTER.findall(phrase)) < MIN_PHRASE_LETTERS or not words:
        raise CommandError(
            f'A phrase needs at least {MIN_PHRASE_LETTERS} letters, e.g. "network security".',
            usage,
        )
    if len(words) > MAX_PHRASE_WORDS:
        raise CommandError(f"A phrase has at most {MAX_PHRASE_WORDS} words.", usage)
    if all(word in _COMMON_WORDS for word in words):
        raise CommandError(
            f'"{shown(phrase)}" is only common words: it would match almost every item. Name '
            'something specific, e.g. "network security" (for everything: subscribe all).',
            usage,
        )
    return phrase


def _split_mode(args: Sequence[str]) -> tuple[list[str], str | None]:
    """The arguments without a trailing realtime/daily, and that mode."""
    words = list(args)
    if words and words[-1].lower() in MODES:
        return words[:-1], words.pop().lower()
    return words, None


def watch_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """Add a watch to this channel (or change its mode)."""
    usage = usage_of("watch")
    words, mode = _split_mode(args)
    kind, value = parse_watch(words, services, usage)
    store = services.store
    destination = channel_destination(ctx, services)
    watch_store = store.watches
    existing = watch_store.of(destination.id) if destination else []
    watch = Watch(destination.id if destination else 0, kind, value, mode or "realtime")
    same = next((w for w in existing if _same(w, watch)), None)
    if same is None and len(existing) >= MAX_WATCHES_PER_CHANNEL:
        raise CommandError(
            f"This channel already has {MAX_WATCHES_PER_CHANNEL} watches, the limit. "
            "Remove one with unwatch first (see watches).",
            usage,
        )
    if same is not None and (mode is None or mode == same.mode):
        return compose(Paragraph(f"This channel already watches {same.label} ({same.mode})."))
    if destination is None:
        destination = ensure_channel_destination(ctx, services)
        watch = Watch(destination.id, kind, value, mode or "realtime")
    watch_store.add(watch, by=ctx.user_id, now=ctx.now)
    blocks = [
        Paragraph(
            f"{ctx.user_name} set this channel to watch {watch.label}: "
            f"{mode_label(watch.mode, services.digest_time)}.",
            untrusted=True,
        )
    ]
    if same is not None:
        blocks.append(Paragraph(f"Changed from {same.mode} to {watch.mode}."))
    if kind == "docket" and not watch_store.docket_mentioned(value):
        blocks.append(
            Paragraph(
                f"No source has mentioned {value} yet; you will hear when one does "
                "(and of its ECFS filings)."
            )
        )
    used = len(existing) + (same is None)
    blocks.append(Paragraph(f"{used} of {MAX_WATCHES_PER_CHANNEL} watches used."))
    return compose(*blocks, in_channel=True, changed=True)


def _same(a: Watch, b: Watch) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "phrase":
        return phrase_words(a.value) == phrase_words(b.value)
    return a.value == b.value


def unwatch_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """Remove one of this channel's watches, or all of them."""
    usage = usage_of("unwatch")
    destination = channel_destination(ctx, services)
    if len(args) == 1 and args[0].lower() == "all":
        removed = services.store.watches.remove(destination.id, None, None) if destination else 0
        if not removed:
            return compose(Paragraph("This channel has no watches; nothing to remove."))
        return compose(
            Paragraph(f"{ctx.user_name} removed this channel's {removed} watches.", True),
            in_channel=True,
            changed=True,
        )
    words, _ = _split_mode(args)
    kind, value = parse_watch(words, services, usage)
    existing = services.store.watches.of(destination.id) if destination else []
    target = next((w for w in existing if _same(w, Watch(0, kind, value))), None)
    if target is None:
        listed = ", ".join(w.label for w in existing) or "none"
        raise CommandError(
            f"This channel does not watch {Watch(0, kind, value).label}. Its watches: {listed}.",
            usage,
        )
    services.store.watches.remove(destination.id, kind, target.value)
    return compose(
        Paragraph(f"{ctx.user_name} stopped watching {target.label} here.", untrusted=True),
        in_channel=True,
        changed=True,
    )


def watches_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """List this channel's watches and how they are delivered."""
    if args:
        raise CommandError("watches takes no arguments.", usage_of("watches"))
    destination = channel_destination(ctx, services)
    current = services.store.watches.of(destination.id) if destination else []
    if not current:
        return compose(
            Heading("Watches"),
            Paragraph(
                'This channel watches nothing. Try: watch docket PS 22-329, watch "network '
                'security" or watch matter <id>.'
            ),
        )
    pairs = tuple(
        (w.kind, f"{w.value} · {mode_label(w.mode, services.digest_time)}") for w in current
    )
    return compose(
        Heading("Watches"),
        Facts(pairs),
        Paragraph(f"{len(current)} of {MAX_WATCHES_PER_CHANNEL} watches used."),
    )
