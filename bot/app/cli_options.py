"""Options every command shares (--feeds, --db, -v); logging is set up in log_setup."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import click

from bot.app.build import resolve_paths
from bot.app.log_setup import setup_logging
from bot.settings import load_settings

__all__ = ["common_options", "setup_logging"]


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
        help="SQLite file, or a postgresql:// URL [env CALEA_BOT_DB, DATABASE_URL; "
        "default ./calea-bot.db]",
    )
    @click.option(
        "-v",
        "--verbose",
        count=True,
        help="Log each poll (-v, INFO) or debug (-vv) [env LOG_LEVEL, LOG_FORMAT=json].",
    )
    @functools.wraps(fn)
    def wrapper(*args: Any, feeds: str | None, db: str | None, verbose: int, **kwargs: Any) -> Any:
        settings = load_settings(os.environ, feeds=feeds, db=db)  # the only environment read
        setup_logging(verbose, settings)
        paths = resolve_paths(settings)
        if paths.bundled_feeds:
            click.echo(
                "no ./feeds.yaml here and no --feeds or CALEA_BOT_FEEDS: using the default "
                f"configuration bundled with calea-bot ({paths.feeds})",
                err=True,
            )
        return fn(*args, paths=paths, **kwargs)

    return wrapper
