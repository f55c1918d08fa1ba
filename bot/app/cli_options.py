"""Options every command shares (--feeds, --db, -v) and logging set-up."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from bot.app.build import resolve_paths


def setup_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs full request URLs at INFO; they can carry keys. Scheduler chatter is noise.
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # slack_sdk logs every failed attempt as an error; the bot reports the outcome itself.
    if level > logging.DEBUG:
        logging.getLogger("slack_sdk.web.base_client").setLevel(logging.CRITICAL)


def common_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--feeds, --db and -v on every command."""

    @click.option(
        "--feeds",
        "feeds",
        metavar="PATH",
        help="feeds.yaml to use [env CALEA_BOT_FEEDS; default ./feeds.yaml]",
    )
    @click.option(
        "--db",
        "db",
        metavar="PATH",
        help="SQLite database [env CALEA_BOT_DB; default ./calea-bot.db]",
    )
    @click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
    @functools.wraps(fn)
    def wrapper(*args: Any, feeds: str | None, db: str | None, verbose: int, **kwargs: Any) -> Any:
        setup_logging(verbose)
        paths = resolve_paths(feeds, db)
        if paths.bundled_feeds:
            click.echo(
                "no ./feeds.yaml here and no --feeds or CALEA_BOT_FEEDS: using the default "
                f"configuration bundled with calea-bot ({paths.feeds})",
                err=True,
            )
        return fn(*args, paths=paths, **kwargs)

    return wrapper
