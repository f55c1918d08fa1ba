"""The command list, each command's usage line, and the `help` replies built from them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.arguments import CommandError, did_you_mean, shown
from bot.commands.compose import compose
from bot.commands.reply import Heading, Paragraph, Reply


@dataclass(frozen=True)
class CommandHelp:
    """What one subcommand does and how to call it."""

    name: str
    usage: str
    summary: str
    details: str = ""
    admin_only: str = ""  # which part needs an admin, if any


HELP: dict[str, CommandHelp] = {
    spec.name: spec
    for spec in (
        CommandHelp(
            "status",
            "status [matter|topic]",
            "Where the CALEA proceeding stands (or another matter or topic), source health, "
            "paused deliveries and this channel's subscriptions.",
            "With no argument: the CALEA proceeding. Give a matter id (e.g. "
            "calea-network-security) or a topic id (e.g. robocalls) to narrow it; a matter wins "
            "when a matter and a topic share an id. status docket PS 22-329 shows what the "
            "bot knows about any docket: items, dates, ECFS filings, tracked matters.",
        ),
        CommandHelp(
            "subscribe",
            "subscribe <topic…> [realtime|daily]",
            "Post alerts for these topics in this channel.",
            "realtime (the default) posts each alert as it arrives; daily posts one digest a day "
            "at {digest_time}. Use all for every topic. Subscribing again changes the mode. "
            "Example: subscribe calea robocalls daily",
        ),
        CommandHelp(
            "unsubscribe",
            "unsubscribe <topic…|all>",
            "Stop posting alerts for these topics (or all of them) in this channel.",
        ),
        CommandHelp(
            "subscriptions",
            "subscriptions",
            "This channel's topics and how they are delivered.",
        ),
        CommandHelp(
            "topics",
            "topics",
            "Every topic you can subscribe to, with how many items it had in the last 30 days.",
        ),
        CommandHelp(
            "latest",
            "latest [topic] [n]",
            "The newest stored items, optionally in one topic (n up to 20, default 5).",
            "Example: latest calea 10",
        ),
        CommandHelp(
            "search",
            "search <words> [--page N]",
            "Full-text search of stored items, newest first, 5 per page.",
            "Every word must appear. Example: search lawful intercept",
        ),
        CommandHelp(
            "feeds",
            "feeds | feeds add <url> [topic…] | feeds remove <id>",
            "Health of every polled feed; admins can add or remove feeds.",
            "feeds add checks that the URL is a public http(s) feed before polling it; its "
            "items also get the topics you list. feeds remove only removes feeds added from "
            "chat: feeds.yaml's are edited in the file.",
            admin_only="feeds add and feeds remove",
        ),
        CommandHelp(
            "deadlines",
            "deadlines [topic|matter|docket]",
            "Upcoming deadlines, soonest first, with days left, the document and its link.",
            "With no argument: this channel's topics. A filing deadline on a weekend or federal "
            "holiday shows its stated date and the next business day (47 CFR 1.4). "
            "Example: deadlines PS 22-329",
        ),
        CommandHelp(
            "remind",
            "remind <business days…> | remind off",
            "When this channel is reminded of its deadlines (default T-7 and T-1 business days).",
            "Example: remind 14 7 1. A changed deadline (extension) is announced at once.",
        ),
        CommandHelp(
            "calendar",
            "calendar",
            "This channel's deadline calendar (iCalendar) link, shown only to you.",
        ),
        CommandHelp(
            "audit",
            "audit [n]",
            "Admins: the latest subscription changes on this platform — who, what, when.",
            "n up to 50, default 10. `calea-bot audit --json` prints the whole log.",
            admin_only="audit",
        ),
        CommandHelp(
            "watch",
            'watch docket <docket> | watch matter <id> | watch "<phrase>" [realtime|daily]',
            "Post alerts here for a docket, a tracked matter or a phrase, like a topic.",
            "Dockets in any usual spelling (PS 22-329, PS Docket No. 22-329); a docket no "
            "source has mentioned yet is accepted. A phrase matches whole words in any case "
            "(at most 80 characters). ECFS filings reach only channels watching their docket or "
            "matter. At most 50 watches per channel. Example: watch docket PS 22-329 daily",
        ),
        CommandHelp(
            "unwatch",
            'unwatch docket <docket> | unwatch matter <id> | unwatch "<phrase>" | unwatch all',
            "Stop one of this channel's watches (or all of them).",
        ),
        CommandHelp("watches", "watches", "This channel's watches and how they are delivered."),
        CommandHelp("help", "help [command]", "This list, or the details of one command."),
    )
}


def usage_of(name: str) -> str:
    """The usage line of a command (raises KeyError for an unknown one)."""
    return HELP[name].usage


def help_reply(digest_time: str) -> Reply:
    """Every command with its usage and one line on what it does."""
    blocks = [Heading("calea-bot commands")]
    for spec in HELP.values():
        admin = f" (admins: {spec.admin_only})" if spec.admin_only else ""
        blocks.append(Paragraph(f"{spec.usage} — {spec.summary}{admin}"))
    blocks.append(
        Paragraph(
            f"Daily digests are posted at {digest_time}. Type help <command> for details "
            "and examples."
        )
    )
    return compose(*blocks)


def command_help_reply(name: str, digest_time: str) -> Reply:
    """One command's usage, what it does, details and who may run it."""
    spec = HELP.get(name.lower())
    if spec is None:
        raise CommandError(
            f"There is no command “{shown(name)}”.{did_you_mean(name, HELP)} "
            f"Commands: {', '.join(HELP)}.",
            usage_of("help"),
        )
    blocks = [Heading(spec.name), Paragraph(f"Usage: {spec.usage}"), Paragraph(spec.summary)]
    if spec.details:
        blocks.append(Paragraph(spec.details.format(digest_time=digest_time)))
    if spec.admin_only:
        blocks.append(Paragraph(f"Only admins can run {spec.admin_only}."))
    return compose(*blocks)
