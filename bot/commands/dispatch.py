"""`run_command`: chat text in, a `Reply` out. The one entry point the chat adapters call.

The text is what follows the command name (`/calea status calea` → "status calea"). It is
cleaned first (length cap, control characters), then the first word picks the subcommand. Bad
input of any kind becomes an error reply (ok=False) that changes nothing; an unexpected failure
is logged and answered with a short apology, never a traceback.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence

from bot.commands.arguments import CommandError, clean_input, did_you_mean, shown
from bot.commands.audit import audit_command
from bot.commands.context import CommandContext, CommandServices
from bot.commands.deadlines import calendar_command, deadlines_command, remind_command
from bot.commands.feeds import feeds_command
from bot.commands.help import HELP, command_help_reply, help_reply, usage_of
from bot.commands.reply import Reply, error_reply
from bot.commands.search import latest_command, search_command
from bot.commands.status import status_command
from bot.commands.subscriptions import (
    subscribe_command,
    subscriptions_command,
    topics_command,
    unsubscribe_command,
)
from bot.commands.watches import unwatch_command, watch_command, watches_command

log = logging.getLogger(__name__)

Handler = Callable[[Sequence[str], CommandContext, CommandServices], Reply]

HANDLERS: dict[str, Handler] = {
    "status": status_command,
    "subscribe": subscribe_command,
    "unsubscribe": unsubscribe_command,
    "subscriptions": subscriptions_command,
    "topics": topics_command,
    "latest": latest_command,
    "search": search_command,
    "feeds": feeds_command,
    "deadlines": deadlines_command,
    "remind": remind_command,
    "calendar": calendar_command,
    "audit": audit_command,
    "watch": watch_command,
    "unwatch": unwatch_command,
    "watches": watches_command,
}
ALIASES = {"sub": "subscribe", "unsub": "unsubscribe", "subs": "subscriptions", "feed": "feeds"}
HELP_WORDS = ("help", "--help", "-h", "?")


def run_command(text: str, ctx: CommandContext, services: CommandServices) -> Reply:
    """Run one chat command and return its reply; never raises."""
    started = time.monotonic()
    reply = _answer(text, ctx, services)
    if services.observe_command is not None:
        services.observe_command(ctx.platform, command_name(text), time.monotonic() - started)
    return reply


def command_name(text: str) -> str:
    """The subcommand a text asks for, from a fixed set ("other" for anything unknown)."""
    words = clean_input(text).split()
    name = ALIASES.get(words[0].lower(), words[0].lower()) if words else "help"
    name = "help" if name in HELP_WORDS else name
    return name if name in HANDLERS or name == "help" else "other"


#: What reply buttons may run (bot.commands.search makes "search --page N …"): read-only
#: commands only, so a forged or replayed button value cannot change anything.
FOLLOW_UP_COMMANDS = frozenset({"search", "latest", "topics", "subscriptions", "status", "help"})


def follow_up_allowed(text: str) -> bool:
    """True when a button's command text is one a reply button is made for."""
    return command_name(text) in FOLLOW_UP_COMMANDS


def _answer(text: str, ctx: CommandContext, services: CommandServices) -> Reply:
    try:
        return _run(text, ctx, services)
    except CommandError as exc:
        reply = error_reply(exc.message, usage=exc.usage)
        if exc.usage:  # the plain-text fallback says how to use the command too
            reply = dataclasses.replace(reply, text=f"{exc.message}\nUsage: {exc.usage}")
        return reply
    except Exception:
        log.exception("command failed: platform=%s channel=%s", ctx.platform, ctx.channel)
        return error_reply(
            "Sorry, that command failed because of an internal error. It has been logged; "
            "try again in a moment."
        )


def _run(text: str, ctx: CommandContext, services: CommandServices) -> Reply:
    words = clean_input(text).split()
    if not words:
        return help_reply(services.digest_time)
    name, args = words[0].lower(), words[1:]
    if name in HELP_WORDS:
        if len(args) > 1:
            raise CommandError("help takes at most one command name.", usage_of("help"))
        if args:
            topic = args[0].lower()
            topic = "help" if topic in HELP_WORDS else ALIASES.get(topic, topic)
            return command_help_reply(topic, services.digest_time)
        return help_reply(services.digest_time)
    name = ALIASES.get(name, name)
    handler = HANDLERS.get(name)
    if handler is None:
        raise CommandError(
            f"Unknown command “{shown(words[0])}”.{did_you_mean(name, HELP)} "
            f"Commands: {', '.join(HELP)}.",
            usage_of("help"),
        )
    if len(args) == 1 and args[0].lower() in HELP_WORDS:
        return command_help_reply(name, services.digest_time)
    return handler(args, ctx, services)
