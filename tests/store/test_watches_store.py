"""The watches repository: per-channel rows, the cached index, the CLI listing."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from bot.app.cli import cli
from bot.models import Watch
from bot.store import Store

NOW = dt.datetime(2025, 12, 1, 15, 0, tzinfo=dt.UTC)


def channel(store: Store, address: str = "C1") -> int:
    return store.subscriptions.ensure_destination("slack", address, "regs", now=NOW).id


def test_the_index_follows_adds_mode_changes_and_removals(store: Store) -> None:
    one = channel(store)
    assert store.watches.index().size == 0
    assert store.watches.add(Watch(one, "phrase", "Network  Security"), now=NOW) == (True, None)
    first = store.watches.index()
    assert first is store.watches.index()  # unchanged watches: the same index object
    assert [e.reason for e in first.matching((), (), "network security")] == [
        'watch: "Network  Security"'
    ]
    # the same phrase however it is spelled; a new mode replaces the old one
    assert store.watches.add(Watch(one, "phrase", "network security", "daily"), now=NOW) == (
        False,
        "realtime",
    )
    [entry] = store.watches.index().matching((), (), "NETWORK SECURITY")
    assert entry.daily is True
    assert store.watches.remove(one, "phrase", "NETWORK security") == 1
    assert store.watches.index().size == 0


def test_watches_cli_lists_as_text_and_json(store: Store, tmp_path) -> None:
    one = channel(store)
    store.watches.add(Watch(one, "docket", "PS 22-329"), by="U1", now=NOW)
    store.watches.add(Watch(channel(store, "C2"), "phrase", "Salt Typhoon", "daily"), now=NOW)
    runner = CliRunner()
    text = runner.invoke(cli, ["watches", "--db", str(store.target)])
    assert text.exit_code == 0, text.output
    assert (
        'slack regs: docket PS 22-329 (realtime)\nslack regs: "Salt Typhoon" (daily)' in text.output
    )
    as_json = runner.invoke(cli, ["watches", "--json", "--db", str(store.target)])
    rows = json.loads(as_json.output)
    assert [(r["channel"], r["kind"], r["value"], r["mode"]) for r in rows] == [
        ("C1", "docket", "PS 22-329", "realtime"),
        ("C2", "phrase", "Salt Typhoon", "daily"),
    ]
