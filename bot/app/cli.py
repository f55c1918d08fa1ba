"""Command-line entry points: parse arguments, build the parts, run, print.

Every user mistake (bad feeds.yaml, unreadable database, bad arguments) ends as one clear
message and a non-zero exit, never a traceback. Source failures are data, not errors.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from bot import __version__
from bot.app.build import Paths
from bot.app.cli_options import common_options
from bot.app.deadlines_cli import deadlines
from bot.app.progress import Progress
from bot.app.run import poll_once, run_bot
from bot.app.slack_cli import slack
from bot.app.teams_cli import teams
from bot.common.clock import utc_now
from bot.common.text_safety import one_line
from bot.config import load_config
from bot.errors import CaleaBotError, ConfigError
from bot.models import Source
from bot.reports.status import build_status
from bot.reports.text import render_cycle, render_search, render_status
from bot.store import Store
from bot.store.user_sources import with_user_sources

EXIT_CONFIG = 2


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="calea-bot")
def cli() -> None:
    """calea-bot: watch U.S. telecom regulation and alert compliance teams.

    Polls the FCC, the Federal Register, CISA and industry sources listed in feeds.yaml,
    stores everything in SQLite, classifies items into topics and alerts subscribed channels
    (the console when no chat platform is configured).
    """


@cli.command()
@common_options
def run(paths: Paths) -> None:
    """Poll every source on its schedule, forever, and deliver alerts.

    With no chat platform configured, alerts print to the console. SLACK_BOT_TOKEN with
    SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP on $PORT) adds Slack; registered
    Teams channels or TEAMS_OUTGOING_WEBHOOK_SECRET add Teams. Stop with Ctrl-C or SIGTERM:
    in-flight polls finish, nothing is half-written.
    """
    run_bot(paths)


@cli.command()
@click.option("--once", is_flag=True, help="One cycle (the default; accepted for compatibility).")
@click.option("--json", "as_json", is_flag=True, help="Print the cycle report as JSON.")
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Only these sources.")
@common_options
def poll(paths: Paths, once: bool, as_json: bool, source_ids: tuple[str, ...]) -> None:
    """Poll every enabled source once (one cycle), store, and deliver alerts.

    Exits 0 even when sources fail (their failure is data, shown in the summary and in
    `status`); non-zero only for bad configuration.
    """
    report = poll_once(
        paths,
        source_ids=source_ids,
        console=sys.stderr if as_json else None,
        progress=Progress.on_terminal("polled", quiet=as_json),
    )
    if as_json:
        _print_json(report.__dict__)
    else:
        click.echo(render_cycle(report))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common_options
def status(paths: Paths, as_json: bool) -> None:
    """Source health and each tracked matter's state and timeline."""
    config = load_config(paths.feeds)
    store = Store(paths.db)
    try:
        report = build_status(with_user_sources(config, store), store, utc_now())
    finally:
        store.close()
    if as_json:
        _print_json(report.to_json())
    else:
        click.echo(render_status(report))


@cli.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common_options
def search(paths: Paths, query: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Full-text search over stored items, newest first (e.g. `search CALEA rescind`)."""
    store = Store(paths.db)
    try:
        items = store.queries.search(" ".join(query), limit=limit)
    finally:
        store.close()
    if as_json:
        _print_json([i.to_json() for i in items])
    else:
        click.echo(render_search(items))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common_options
def watches(paths: Paths, as_json: bool) -> None:
    """Every channel's watches (dockets, tracked matters, phrases), by channel."""
    store = Store(paths.db)
    try:
        listed = store.watches.listed()
    finally:
        store.close()
    if as_json:
        _print_json([w.to_json() for w in listed])
    elif not listed:
        click.echo("no watches (in chat: /calea watch docket PS 22-329)")
    else:
        for w in listed:
            name = one_line(w.channel_name or w.address)
            click.echo(f"{w.platform} {name}: {one_line(w.watch.label)} ({w.watch.mode})")


@cli.command()
@click.option("--dry-run", is_flag=True, help="Count what would be pruned; delete nothing.")
@click.option("--days", type=click.IntRange(1), help="Override retention_days from feeds.yaml.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@common_options
def prune(paths: Paths, dry_run: bool, days: int | None, as_json: bool) -> None:
    """Delete items older than retention_days (feeds.yaml settings) with their versions, sent
    alerts and search rows; items of tracked matters are kept. `run` does this daily."""
    from bot.store.retention import prune as prune_store

    days = days or load_config(paths.feeds).retention_days
    if not days:
        raise ConfigError(
            f"{paths.feeds}: settings.retention_days is not set (everything is kept); set it "
            "or pass --days N"
        )
    store = Store(paths.db)
    try:
        report = prune_store(store.db, days, utc_now(), dry_run=dry_run)
    finally:
        store.close()
    if as_json:
        _print_json(report.to_json())
    else:
        click.echo(report.describe())


@cli.command()
@click.argument("target", metavar="PATH", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@common_options
def backup(paths: Paths, target: str, force: bool) -> None:
    """Copy the database to PATH with SQLite's online backup API (safe while `run` runs)."""
    from bot.store.retention import backup as backup_store

    store = Store(paths.db)
    try:
        written = backup_store(store.db, target, force=force)
    finally:
        store.close()
    click.echo(f"backed up {paths.db} to {written}")


@cli.group()
def feeds() -> None:
    """Inspect, import and export the configured sources."""


@feeds.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common_options
def feeds_check(paths: Paths, as_json: bool) -> None:
    """Validate feeds.yaml, then probe every enabled source once (nothing is stored)."""
    from bot.pipeline.probe import probe_sources, render_probes

    config = load_config(paths.feeds)
    skipped = [s for s in config.sources if not s.enabled]
    progress = Progress.on_terminal("probed", quiet=as_json)
    if progress is not None:
        progress.start(len(config.sources) - len(skipped))
    try:
        results = asyncio.run(probe_sources(config, progress.step if progress else None))
    finally:
        if progress is not None:
            progress.finish()
    if as_json:
        _print_json([r.to_json() for r in results] + [skipped_json(s) for s in skipped])
    else:
        probing = f"{len(results)} probed"
        if skipped:
            probing += f", {len(skipped)} skipped (disabled): " + ", ".join(s.id for s in skipped)
        click.echo(
            f"{paths.feeds}: valid — {len(config.sources)} sources ({probing}), "
            f"{len(config.topics)} topics"
        )
        click.echo(render_probes(results))


@feeds.command("import")
@click.argument("opml_file", metavar="FILE.opml", type=click.Path(dir_okay=False))
@click.option("--write", is_flag=True, help="Append the new sources to the feeds file.")
@common_options
def feeds_import(paths: Paths, opml_file: str, write: bool) -> None:
    """Sources from an OPML file: prints a YAML `sources:` snippet (or --write appends them).

    Only http(s) feeds are taken; feeds already configured (same URL) or repeated are skipped.
    """
    from pathlib import Path

    from bot.feeds.opml import append_to_feeds_file, read_opml, select_feeds, sources_snippet

    outlines = read_opml(Path(opml_file))
    existing = load_config(paths.feeds).sources if paths.feeds.exists() else ()
    result = select_feeds(outlines, existing)
    for reason in result.skipped:
        click.echo(f"skipped {reason}", err=True)
    if not result.feeds:
        click.echo(f"{opml_file}: no new feeds to import ({len(outlines)} in the file)", err=True)
        return
    if not write:
        click.echo(sources_snippet(result.feeds), nl=False)
        return
    if paths.bundled_feeds:
        raise ConfigError(
            "refusing to change the bundled default configuration; create ./feeds.yaml or "
            "pass --feeds PATH"
        )
    append_to_feeds_file(paths.feeds, result.feeds)
    click.echo(
        f"added {len(result.feeds)} sources to {paths.feeds}: "
        + ", ".join(f.id for f in result.feeds),
        err=True,
    )


@feeds.command("export")
@common_options
def feeds_export(paths: Paths) -> None:
    """The configured sources as OPML 2.0 on stdout (for feed readers and other tools)."""
    from bot.feeds.opml import export_opml

    click.echo(export_opml(load_config(paths.feeds).sources))


def skipped_json(source: Source) -> dict:
    """`feeds check --json` row for a source that was not probed."""
    return {
        "id": source.id,
        "health": "disabled",
        "skipped": True,
        "status_code": None,
        "items": 0,
        "seconds": 0,
        "message": "not probed: enabled: false in feeds.yaml",
    }


@cli.command()
@click.option("--keep", is_flag=True, help="Keep the temporary database and print its path.")
@common_options
def demo(paths: Paths, keep: bool) -> None:
    """The whole pipeline offline: bundled sample feeds served on 127.0.0.1, polled, alerted."""
    from bot.app.demo import run_demo

    run_demo(paths.feeds, keep=keep)


cli.add_command(deadlines)
cli.add_command(slack)
cli.add_command(teams)


def main() -> None:
    """Console-script entry point: turns user-facing errors into one-line messages."""
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CaleaBotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)


@cli.command()
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common_options
def audit(paths: Paths, limit: int, as_json: bool) -> None:
    """Subscription changes, newest first: when, platform, channel, who, what."""
    store = Store(paths.db)
    try:
        entries = store.audit.recent(limit)
    finally:
        store.close()
    if as_json:
        _print_json([e.to_json() for e in entries])
        return
    if not entries:
        click.echo("No subscription changes recorded.")
    for e in entries:
        what = f"{e.action} {', '.join(e.topics)}" + (f" ({e.mode})" if e.mode else "")
        who = one_line(e.user_name or e.user_id)
        where = one_line(e.channel_name or e.channel)
        click.echo(f"{e.at:%Y-%m-%d %H:%M} UTC  {e.platform} #{where}  {who}  {what}")
