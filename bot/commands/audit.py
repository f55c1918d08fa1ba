"""`audit [n]` (admins): the latest subscription changes on this platform — who, what, when."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.arguments import CommandError
from bot.commands.compose import compose
from bot.commands.context import CommandContext, CommandServices
from bot.commands.help import usage_of
from bot.commands.reply import Facts, Heading, Paragraph, Reply
from bot.store.audit import AuditEntry

DEFAULT_ENTRIES = 10
MAX_ENTRIES = 50


def audit_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """The newest subscription changes, admins only."""
    usage = usage_of("audit")
    if not ctx.is_admin:
        raise CommandError("Only admins can read the subscription audit log.", usage)
    if len(args) > 1 or (args and not (args[0].isdigit() and 0 < int(args[0]) <= MAX_ENTRIES)):
        raise CommandError(f"Give how many changes to show (1-{MAX_ENTRIES}).", usage)
    limit = int(args[0]) if args else DEFAULT_ENTRIES
    entries = services.store.audit.recent(limit, platform=ctx.platform, workspace=ctx.scope)
    if not entries:
        return compose(Heading("Subscription changes"), Paragraph("No changes recorded yet."))
    return compose(Heading("Subscription changes"), Facts(tuple(_fact(e) for e in entries)))


def _fact(entry: AuditEntry) -> tuple[str, str]:
    when = entry.at.strftime("%Y-%m-%d %H:%M UTC") if entry.at else "?"
    what = f"{entry.action} {', '.join(entry.topics)}" + (f" ({entry.mode})" if entry.mode else "")
    where = entry.channel_name or entry.channel
    return when, f"{entry.user_name or entry.user_id} · {what} · #{where}"
