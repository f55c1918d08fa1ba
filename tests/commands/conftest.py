"""Fixtures for the command layer: the real feeds.yaml, a real SQLite store, analysed items."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from bot.commands.context import CommandContext, CommandServices
from bot.commands.dispatch import run_command
from bot.commands.reply import Reply
from bot.config import Config, load_config
from bot.models import FetchResult, Health, ParsedItem
from bot.pipeline.analyze import analyze_items
from bot.pipeline.poll import store_items
from bot.store import Store
from tests.db_dump import dump_rows

FEEDS_YAML = Path(__file__).resolve().parents[2] / "feeds.yaml"
NOW = dt.datetime(2025, 12, 1, 15, 0, tzinfo=dt.UTC)


class FakeResolver:
    """Maps host names to addresses like getaddrinfo does; unknown names fail (no DNS)."""

    def __init__(self, hosts: Mapping[str, Sequence[str]]) -> None:
        self.hosts = dict(hosts)
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[tuple]:
        self.asked.append(host)
        if host not in self.hosts:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in addr else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (addr, port),
            )
            for addr in self.hosts[host]
        ]


PUBLIC_HOSTS = {
    "feeds.example.org": ["93.184.215.14"],
    "news.example.com": ["93.184.215.15", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
}


@pytest.fixture(scope="session")
def config() -> Config:
    """The repository's real feeds.yaml."""
    return load_config(FEEDS_YAML)


@pytest.fixture
def services(config: Config, store: Store) -> CommandServices:
    """Services over the real config and the temporary store, with a fake resolver."""
    return CommandServices(
        config=config, store=store, digest_time="08:30", resolve_host=FakeResolver(PUBLIC_HOSTS)
    )


def make_ctx(*, admin: bool = False, channel: str = "C0COMPLIANCE", user: str = "alice"):
    """A Slack context in one channel, at NOW."""
    return CommandContext(
        platform="slack",
        channel=channel,
        channel_name="compliance",
        user_id=f"U-{user}",
        user_name=user,
        is_admin=admin,
        now=NOW,
    )


@pytest.fixture
def ctx() -> CommandContext:
    """A non-admin user in #compliance."""
    return make_ctx()


@pytest.fixture
def admin() -> CommandContext:
    """An admin in #compliance."""
    return make_ctx(admin=True)


def run(text: str, ctx: CommandContext, services: CommandServices) -> Reply:
    """run_command, asserting the reply always has a plain-text fallback."""
    reply = run_command(text, ctx, services)
    assert reply.text.strip(), f"empty fallback text for {text!r}"
    return reply


def parsed(title: str, *, days_ago: float, text: str = "", n: int = 0) -> ParsedItem:
    """A dated item with a unique link and GUID."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:40]
    return ParsedItem(
        title=title,
        link=f"https://docs.fcc.gov/public/attachments/{slug}-{n}.pdf",
        guid=f"{slug}-{n}",
        text=text,
        published=NOW - dt.timedelta(days=days_ago),
    )


def ingest(store: Store, config: Config, source_id: str, items: Sequence[ParsedItem]) -> None:
    """Analyse items with the real topics and matters and store them as one poll."""
    source = next(s for s in (*config.sources, *store.user_sources.all()) if s.id == source_id)
    analysed = analyze_items(items, source=source, topics=config.topics, matters=config.matters)
    with store.transaction():
        store_items(store, source, analysed, now=NOW)


def record_health(store: Store, source_id: str, health: Health, message: str = "") -> None:
    """Store one poll outcome for a source."""
    result = FetchResult(source_id=source_id, url="https://example.invalid/", health=health)
    with store.transaction():
        store.sources.record(
            result,
            health=health,
            message=message,
            now=NOW - dt.timedelta(minutes=5),
            next_poll_at=NOW + dt.timedelta(minutes=10),
        )


def snapshot(store: Store) -> list[str]:
    """Every row of every table, to show a command changed nothing."""
    return dump_rows(store)


@pytest.fixture
def stocked(store: Store, config: Config) -> Store:
    """A store with CALEA, robocall and cybersecurity items, and some source health."""
    ingest(
        store,
        config,
        "fcc-edocs",
        [
            parsed(
                "Order on Reconsideration rescinds the CALEA declaratory ruling",
                days_ago=10,
                text="FCC 25-81. The Commission rescinds the 2025 ruling in PS Docket No. "
                "22-329. Reply comments due January 20, 2026.",
            ),
            parsed(
                "Robocall Mitigation Database removals",
                days_ago=2,
                text="Enforcement under WC Docket No. 17-97 (STIR/SHAKEN).",
            ),
            parsed(
                "Lawful intercept capability: older CALEA guidance",
                days_ago=45,
                text="Lawfully authorized electronic surveillance obligations.",
            ),
        ],
    )
    ingest(
        store,
        config,
        "cisa-advisories",
        [
            parsed(
                "Salt Typhoon targets telecom networks",
                days_ago=1,
                text="Joint advisory AA25-239A on the intrusions.",
            )
        ],
    )
    for source in config.enabled_sources():
        record_health(store, source.id, Health.OK)
    record_health(store, "fcc-headlines", Health.BLOCKED, "403 Forbidden")
    record_health(store, "ntia", Health.TIMEOUT, "read timed out after 20s")
    return store
