"""`calea-bot demo`: the real pipeline, offline, in seconds.

Bundled sample feeds (bot/samples/) are served by a small HTTP server on 127.0.0.1; the bot
polls them twice (the second time they answer 304), stores everything in a temporary database,
prints the alerts and then the status — including a source that is blocked and one that
answers a bot-challenge page, as the real FCC website does — then the deadlines the samples
state and a reminder, with the clock set to the week before the first deadline.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import shutil
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

import click

from bot.app.adapters import ensure_console_destination
from bot.app.build import (
    build_pipeline,
    close_pipeline,
    source_names,
)
from bot.common.business_days import business_days_before
from bot.common.clock import utc_now
from bot.config import Config, load_config
from bot.feeds.ecfs import ecfs_source
from bot.models import Source, Watch
from bot.pipeline.deadlines import queue_due_reminders
from bot.pipeline.deliver import Courier, drain_outbox
from bot.reports.deadlines import render_deadlines
from bot.reports.status import build_status
from bot.reports.text import render_cycle, render_status
from bot.settings import EcfsSettings
from bot.sinks.console import ConsoleSink
from bot.store import Store

# (source id, name, sample file or HTTP status, kind, default topics)
DEMO_SOURCES: tuple[tuple[str, str, str | int, str, tuple[str, ...]], ...] = (
    ("fcc-edocs", "FCC EDOCS (demo)", "fcc_edocs.xml", "auto", ()),
    (
        "federal-register",
        "Federal Register API (demo)",
        "federal_register.json",
        "federal_register_json",
        (),
    ),
    (
        "federal-register-public-inspection",
        "Federal Register public inspection (demo)",
        "public_inspection.json",
        "federal_register_public_inspection",
        (),
    ),
    ("cisa", "CISA advisories (demo)", "cisa.xml", "auto", ("cybersecurity",)),
    ("ustelecom", "USTelecom (demo)", "industry.xml", "auto", ()),
    ("fcc-headlines", "FCC headlines (demo)", "headlines_challenge.html", "auto", ()),
    ("ncta", "NCTA (demo)", 403, "auto", ()),
)

DEMO_WATCHED_DOCKET = "PS 22-329"
CONTENT_TYPES = {".xml": "application/rss+xml", ".json": "application/json", ".html": "text/html"}


class _SampleHandler(BaseHTTPRequestHandler):
    """Serves the bundled samples with ETags (so the second poll gets 304s)."""

    samples: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        name = self.path.lstrip("/").split("?", 1)[0]  # ECFS URLs carry a query
        if name.isdigit():
            self.send_error(int(name))
            return
        body = self.samples.get(name)
        if body is None:
            self.send_error(404)
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES.get(Path(name).suffix, "text/plain"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the demo prints its own story."""


def _load_samples() -> dict[str, bytes]:
    folder = resources.files("bot") / "samples"
    return {entry.name: entry.read_bytes() for entry in folder.iterdir() if entry.is_file()}


def demo_config(base: Config, base_url: str) -> Config:
    """The user's topics and matters with the demo's loopback sources (and ECFS filings)."""
    sources = tuple(
        Source(id=sid, name=name, url=f"{base_url}/{target}", kind=kind, topics=topics)
        for sid, name, target, kind, topics in DEMO_SOURCES
    )
    filings = EcfsSettings(api_key="DEMO_KEY", demo=False, url=f"{base_url}/ecfs_filings.json")
    sources += (ecfs_source(DEMO_WATCHED_DOCKET, filings),)
    return dataclasses.replace(base, sources=sources, first_poll_alerts=25)


def run_demo(feeds_path: Path, *, keep: bool = False) -> None:
    """Serve the samples, poll twice, print alerts and status."""
    base = load_config(feeds_path)
    handler = type("Handler", (_SampleHandler,), {"samples": _load_samples()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = Path(tempfile.mkdtemp(prefix="calea-bot-demo-"))
    store = Store(folder / "demo.db")
    try:
        config = demo_config(base, f"http://127.0.0.1:{server.server_port}")
        couriers = {"console": Courier(ConsoleSink())}
        ensure_console_destination(store, utc_now())
        _demo_watches(store)
        click.secho(
            f"Serving {len(DEMO_SOURCES)} demo sources on 127.0.0.1:{server.server_port}", bold=True
        )
        early = [s for s in config.sources if s.kind == "federal_register_public_inspection"]
        for round_name, sources in (
            ("Public inspection (a business day before publication)", early),
            ("First poll (new sources: everything is new; published documents update)", None),
            ("Second poll (sources answer 304 Not Modified)", None),
        ):
            click.secho(f"\n== {round_name}", bold=True)
            report = asyncio.run(_one_cycle(config, store, sources))
            drain_outbox(store, couriers, now=utc_now(), source_names=source_names(config))
            click.echo(render_cycle(report))
        click.secho("\n== Status", bold=True)
        click.echo(render_status(build_status(config, store, utc_now())))
        _show_deadlines(store, couriers, config)
    finally:
        store.close()
        server.shutdown()
        server.server_close()
        if keep:
            click.echo(f"\ndemo database kept at {folder / 'demo.db'}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _show_deadlines(store: Store, couriers: dict[str, Courier], config: Config) -> None:
    """The deadlines the samples state, as of a week before the first; then its T-7 reminder."""
    dated = store.deadlines.all_dated()
    if not dated:
        return
    first = min(d.due_date for d in dated if d.due_date)
    as_of = dt.datetime.combine(
        business_days_before(first, 7), dt.time(12), tzinfo=dt.UTC
    )  # the samples are from 2025: the demo's clock is set to that week
    click.secho(f"\n== Deadlines (as of {as_of:%a %d %b %Y})", bold=True)
    click.echo(render_deadlines(store.deadlines.upcoming(as_of.date()), as_of.date()))
    click.secho("\n== Reminders due that day (T-7 business days), through the outbox", bold=True)
    queued = queue_due_reminders(store, now=as_of)
    drain_outbox(store, couriers, now=as_of, source_names=source_names(config))
    click.echo(
        f"{queued} reminder(s) sent; running the job again queues none: "
        f"{queue_due_reminders(store, now=as_of)}"
    )


def _demo_watches(store: Store) -> None:
    """The console watches a docket (so its ECFS filings alert) and a phrase."""
    console = store.subscriptions.destination("console", "stdout")
    for kind, value in (("docket", DEMO_WATCHED_DOCKET), ("phrase", "network security")):
        store.watches.add(Watch(console.id, kind, value), now=utc_now())
    click.echo(f'console watches: docket {DEMO_WATCHED_DOCKET}, "network security"')


async def _one_cycle(config: Config, store: Store, sources=None):
    pipeline = build_pipeline(config, store)
    try:
        return await pipeline.run_cycle(sources)
    finally:
        await close_pipeline(pipeline)
