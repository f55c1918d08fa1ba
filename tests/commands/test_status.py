"""`status`: the CALEA proceeding by default, a matter or topic on request, health and delivery."""

from __future__ import annotations

import dataclasses

from bot.commands.context import CommandServices
from bot.commands.reply import Facts, Heading, ItemRef
from bot.commands.status import default_matter
from bot.models import Source
from bot.reports.status import build_status
from tests.commands.conftest import NOW, ingest, make_ctx, parsed, run

HEALTH = "13 sources ok, 2 failing: FCC headlines (blocked), NTIA (timeout)"


def facts(reply) -> dict[str, str]:
    return {label: value for b in reply.blocks if isinstance(b, Facts) for label, value in b.pairs}


def items(reply) -> list[str]:
    return [b.title for b in reply.blocks if isinstance(b, ItemRef)]


def section(reply, heading: str) -> list:
    """The blocks after a heading, up to the next heading."""
    blocks = list(reply.blocks)
    start = blocks.index(Heading(heading)) + 1
    end = next((i for i in range(start, len(blocks)) if isinstance(blocks[i], Heading)), None)
    return blocks[start:end]


def test_default_is_the_calea_proceeding(config):
    assert default_matter(config).id == "calea-network-security"
    others = tuple(m for m in config.matters if "calea" not in m.topics)
    without = dataclasses.replace(config, matters=others)
    assert default_matter(without).id == others[0].id  # no calea matter: the first


def test_status_shows_state_timeline_upcoming_items_and_health(ctx, services, stocked):
    reply = run("status", ctx, services)
    assert reply.ok and not reply.changed
    assert reply.blocks[0] == Heading("Status: calea-network-security")
    shown = facts(reply)
    assert shown["State"] == "rescinded since 2025-11-21"
    assert shown["Dockets"] == "PS 22-329"
    timeline = dict(section(reply, "Timeline")[-1].pairs)
    assert "2025-11-20" in timeline and timeline["2025-11-20"].endswith("→ rescinded")
    upcoming = dict(section(reply, "Coming up")[0].pairs)
    assert list(upcoming) == ["2025-12-15", "2026-01-20"]
    assert upcoming["2026-01-20"].startswith("Reply comments due")
    assert items(reply) == ["Order on Reconsideration rescinds the CALEA declaratory ruling"]
    assert f"Sources: {HEALTH}" in reply.text
    assert "Delivery: no destination is paused." in reply.text
    assert "This channel has no subscriptions" in reply.text


def test_health_line_is_exactly_the_status_reports(ctx, services, stocked):
    expected = build_status(services.config, stocked, NOW).health_line()
    assert expected == HEALTH
    assert f"Sources: {expected}" in run("status", ctx, services).text


def test_timeline_shows_the_latest_events_and_counts_the_rest(config, ctx, services, stocked):
    filings = [
        parsed(f"Ex parte filing {n} in PS Docket No. 22-329", days_ago=200 - n, n=n)
        for n in range(3)
    ]
    ingest(stocked, config, "fcc-edocs", filings)
    reply = run("status", ctx, services)
    timeline = section(reply, "Timeline")
    assert len(timeline[-1].pairs) == 6
    assert timeline[0].text == "2 earlier events not shown."
    assert timeline[-1].pairs[-1][0] == "2025-11-21"  # the latest past event comes last


def test_a_matter_id_narrows_and_wins_over_a_topic_of_the_same_name(ctx, services, stocked):
    reply = run("status stir-shaken", ctx, services)
    assert reply.blocks[0] == Heading("Status: stir-shaken")
    assert facts(reply)["State"] == "in force since 2025-09-18"
    assert items(reply) == ["Robocall Mitigation Database removals"]
    assert run("status robocalls", ctx, services).blocks[0] == Heading("Status: robocalls")
    assert "Proceeding" in facts(run("status robocalls", ctx, services))


def test_a_topic_shows_its_proceedings_and_latest_items(ctx, services, stocked):
    run("subscribe cybersecurity daily", ctx, services)
    reply = run("status CYBERSECURITY", ctx, services)
    shown = facts(reply)
    assert shown["Topic"] == "Cybersecurity"
    assert shown["Last 30 days"] == "2 items"
    assert shown["This channel"] == "subscribed (daily)"
    assert shown["salt-typhoon"].startswith("advisory published since 2025-08-27")
    assert "calea-network-security" in shown
    assert items(reply)[0] == "Salt Typhoon targets telecom networks"
    assert "cybersecurity (Cybersecurity) daily" in reply.text


def test_unknown_names_get_the_closest_match(ctx, services):
    for wanted, suggestion in [
        ("calea-network", "calea-network-security"),
        ("robocall", "robocalls"),
        ("cybersecurty", "cybersecurity"),
    ]:
        reply = run(f"status {wanted}", ctx, services)
        assert not reply.ok
        assert f"Did you mean “{suggestion}”?" in reply.text
        assert "Usage: status [matter|topic]" in reply.text


def test_paused_destinations_are_shown_with_reasons(services, stocked):
    subscriptions = stocked.subscriptions
    here = subscriptions.ensure_destination("slack", "C0COMPLIANCE", "compliance", now=NOW)
    other = subscriptions.ensure_destination("teams", "19:abc", "Legal", now=NOW)
    subscriptions.pause(here.id, "not_in_channel", now=NOW)
    subscriptions.pause(other.id, "Teams 404: webhook deleted", now=NOW)

    as_admin = run("status", make_ctx(admin=True), services)
    assert "Delivery to this channel is paused: not_in_channel." in as_admin.text
    assert facts(as_admin)["Paused (teams)"] == "Legal: Teams 404: webhook deleted"

    as_user = run("status", make_ctx(), services)
    assert "paused for 1 other destination" in as_user.text
    assert "Legal" not in as_user.text  # other channels' names only for admins


def test_feeds_added_from_chat_count_in_the_health_line(ctx, services, stocked):
    extra = Source(id="user-example-org-rss", name="example.org/rss", url="https://example.org/rss")
    stocked.user_sources.add(extra, now=NOW)
    assert "13 not polled yet" not in run("status", ctx, services).text
    assert "13 sources ok, 1 not polled yet, 2 failing" in run("status", ctx, services).text


def test_without_tracked_matters_status_is_an_overview(config, stocked, ctx):
    services = CommandServices(config=dataclasses.replace(config, matters=()), store=stocked)
    reply = run("status", ctx, services)
    assert reply.ok
    assert "No proceedings are tracked" in reply.text
    assert items(reply)[0] == "Salt Typhoon targets telecom networks"
    assert HEALTH in reply.text
