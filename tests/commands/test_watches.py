"""watch / unwatch / watches / status docket, on the real feeds.yaml and a real store."""

from __future__ import annotations

import pytest

from bot.commands.context import CommandServices
from bot.commands.watches import MAX_WATCHES_PER_CHANNEL
from bot.store import Store
from tests.commands.conftest import ingest, make_ctx, parsed, run, snapshot


def labels(services: CommandServices, channel: str = "C0COMPLIANCE") -> list[str]:
    try:
        destination = services.store.subscriptions.destination("slack", channel)
    except KeyError:
        return []
    return [w.label for w in services.store.watches.of(destination.id)]


@pytest.mark.parametrize(
    "spelling", ["PS 22-329", "ps 22-329", "PS Docket No. 22-329", "PS-22-329", "PS22–329"]
)
def test_any_docket_spelling_is_normalised(ctx, services, spelling):
    reply = run(f"watch docket {spelling}", ctx, services)
    assert reply.ok and reply.changed and reply.in_channel
    assert labels(services) == ["docket PS 22-329"]


def test_a_docket_no_source_mentioned_is_accepted_and_says_so(ctx, services):
    reply = run("watch docket GN 26-999", ctx, services)
    assert reply.ok and "No source has mentioned GN 26-999 yet" in reply.text


def test_a_docket_already_cited_says_nothing_about_it(ctx, services, stocked):
    reply = run("watch docket PS 22-329", ctx, services)
    assert reply.ok and "No source has mentioned" not in reply.text


def test_phrase_and_matter_watches(ctx, services):
    assert run('watch "network security" daily', ctx, services).ok
    assert run("watch “Salt Typhoon”", ctx, services).ok
    assert run("watch matter calea-network-security", ctx, services).ok
    assert labels(services) == [
        "matter calea-network-security",
        '"network security"',
        '"Salt Typhoon"',
    ]
    listing = run("watches", ctx, services)
    assert "network security · daily digest at 08:30" in listing.text
    assert "3 of 50 watches used" in listing.text


def test_watching_again_changes_only_the_mode(ctx, services):
    run("watch docket PS 22-329", ctx, services)
    same = run("watch docket PS Docket No. 22-329", ctx, services)
    assert "already watches docket PS 22-329 (realtime)" in same.text and not same.changed
    changed = run("watch docket PS 22-329 daily", ctx, services)
    assert "Changed from realtime to daily" in changed.text
    [watch] = services.store.watches.of(
        services.store.subscriptions.destination("slack", "C0COMPLIANCE").id
    )
    assert watch.mode == "daily"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("watch", "Say what to watch"),
        ("watch docket", "Name the docket"),
        ("watch docket 22-329", "is not one docket"),
        ("watch docket PS 22-329 and WC 17-97", "is not one docket"),
        ("watch docket <!channel>", "is not one docket"),
        ("watch matter nope", "No tracked matter is called “nope”"),
        ("watch matter calea-network-securty", "Did you mean “calea-network-security”?"),
        ('watch "' + "word " * 20 + '"', "too long"),
        ('watch "a b"', "at least 3 letters"),
        ("watch one two three four five six seven eight nine", "at most 8 words"),
        ("watch all", "only common words"),
        ('watch "of the"', "only common words"),
        ("unwatch docket PS 22-329", "does not watch docket PS 22-329"),
        ("watches extra", "takes no arguments"),
        ("status docket 12", "is not one docket"),
    ],
)
def test_bad_input_gets_one_clear_error_and_changes_nothing(ctx, services, text, message):
    before = snapshot(services.store)
    reply = run(text, ctx, services)
    assert not reply.ok and message in reply.text, reply.text
    assert snapshot(services.store) == before


def test_the_51st_watch_is_refused_and_changes_nothing(ctx, services):
    for n in range(MAX_WATCHES_PER_CHANNEL):
        assert run(f"watch docket WC 25-{n + 1}", ctx, services).ok
    before = snapshot(services.store)
    reply = run("watch docket PS 22-329", ctx, services)
    assert not reply.ok and "already has 50 watches, the limit" in reply.text
    assert snapshot(services.store) == before
    assert run("watch docket WC 25-1 daily", ctx, services).ok  # a mode change still works


def test_watches_are_per_channel_and_unwatch_removes(ctx, services):
    other = make_ctx(channel="C0OTHER")
    run("watch docket PS 22-329", ctx, services)
    run('watch "network security"', other, services)
    assert labels(services) == ["docket PS 22-329"]
    assert labels(services, "C0OTHER") == ['"network security"']
    reply = run("unwatch docket PS Docket No. 22-329", ctx, services)
    assert reply.ok and "stopped watching docket PS 22-329" in reply.text
    assert labels(services) == []
    assert run("unwatch all", other, services).changed
    assert labels(services, "C0OTHER") == []
    assert "nothing to remove" in run("unwatch all", other, services).text


def test_status_docket_shows_items_dates_and_watch(ctx, services, stocked):
    run("watch docket PS 22-329", ctx, services)
    reply = run("status docket PS Docket No. 22-329", ctx, services)
    assert reply.ok
    assert "Status: docket PS 22-329" in reply.text
    assert "Items citing it: 1" in reply.text
    assert "calea-network-security" in reply.text
    assert "This channel: watches it" in reply.text
    assert "rescinds the CALEA declaratory ruling" in reply.text
    assert "2026-01-20: reply comments due" in reply.text


def test_status_of_an_unknown_docket_says_what_to_do(ctx, services):
    reply = run("status docket OI 24-523", ctx, services)
    assert reply.ok and "No source has mentioned OI 24-523 yet" in reply.text
    assert "watch docket OI 24-523" in reply.text


def test_a_watched_item_is_queued_once_with_its_reason(ctx, services, config, store: Store):
    run("subscribe calea", ctx, services)
    run("watch docket PS 22-329", ctx, services)
    run('watch "declaratory ruling"', make_ctx(channel="C0PHRASE"), services)
    ingest(
        store,
        config,
        "fcc-edocs",
        [parsed("CALEA Order", days_ago=0, text="PS Docket No. 22-329. Declaratory Ruling.")],
    )
    rows = list(
        store.db.query(
            "SELECT d.address, o.reason FROM outbox o JOIN destinations d "
            "ON d.id = o.destination_id ORDER BY d.address"
        )
    )
    assert rows == [
        {"address": "C0COMPLIANCE", "reason": "watch: docket PS 22-329"},
        {"address": "C0PHRASE", "reason": 'watch: "declaratory ruling"'},
    ]
    [claimed] = [
        c
        for c in store.outbox.claim_due(ctx.now, platforms=["slack"])
        if c.destination.address == "C0PHRASE"
    ]
    assert claimed.alert.reason == 'watch: "declaratory ruling"'
