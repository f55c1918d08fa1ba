"""`calea-bot deadlines`: upcoming deadlines, soonest first, as text, JSON or iCalendar."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from bot.app.build import Paths
from bot.app.cli_options import common_options
from bot.common.clock import utc_now
from bot.errors import ConfigError
from bot.reports.deadlines import deadline_json, render_deadlines, render_ics
from bot.store import Store

#: How far back `--ics` reaches, so calendars keep recent past deadlines.
ICS_PAST_DAYS = 365


@click.command()
@click.option("--topic", metavar="T", help="Only deadlines in this topic (or citing this matter).")
@click.option("--matter", metavar="M", help="Only deadlines of this tracked matter.")
@click.option("--docket", metavar="D", help='Only deadlines in this docket, e.g. "PS 22-329".')
@click.option("--days", type=click.IntRange(0, 3650), metavar="N", help="Due within N days.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option(
    "--ics",
    "ics",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an iCalendar file of these deadlines (last year's too) instead.",
)
@common_options
def deadlines(
    paths: Paths,
    topic: str | None,
    matter: str | None,
    docket: str | None,
    days: int | None,
    as_json: bool,
    ics: Path | None,
) -> None:
    """Upcoming deadlines (comments, reply comments, effective, compliance …), soonest first.

    Shows the days left, the document and its link; where 47 CFR 1.4 moves a filing deadline
    past a weekend or federal holiday, both the stated and the effective date.
    """
    now = utc_now()
    today = now.date()
    store = Store(paths.db)
    try:
        start = today - dt.timedelta(days=ICS_PAST_DAYS) if ics else today
        found = store.deadlines.upcoming(
            start,
            days=None if days is None else (today - start).days + days,
            topics=(topic,) if topic else (),
            matter=matter,
            docket=docket,
        )
    finally:
        store.close()
    if ics is not None:
        try:
            ics.write_bytes(render_ics(found, "calea-bot deadlines", now))
        except OSError as exc:
            raise ConfigError(f"cannot write {ics}: {exc.strerror or exc}") from exc
        click.echo(f"wrote {len(found)} deadlines to {ics}")
    elif as_json:
        click.echo(json.dumps([deadline_json(d, today) for d in found], indent=2))
    else:
        click.echo(render_deadlines(found, today))
