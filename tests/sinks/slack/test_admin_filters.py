"""Issue 10 defects 8 and 9: App Home hides paused channels from non-admins; follow-up
buttons run only read-only follow-up commands."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading

import pytest

from bot.models import Health, Source
from bot.pipeline.probe import ProbeResult
from tests.fakes.slack_api import block_action_body, event_body, signed_headers
from tests.sinks.slack.test_app_http import FORM, SECRET, Running, running  # noqa: F401


def _home_for(running: Running, user: str) -> str:  # noqa: F811
    before = len(running.slack.views)
    body = event_body({"type": "app_home_opened", "user": user, "tab": "home"})
    running.post(body, signed_headers(SECRET, body, content_type="application/json"))
    assert running.slack.wait_for(lambda: len(running.slack.views) > before)
    return json.dumps(running.slack.views[-1]["view"])


def test_app_home_shows_paused_channel_names_to_admins_only(running: Running) -> None:  # noqa: F811
    now = dt.datetime.now(dt.UTC)
    subscriptions = running.store.subscriptions
    secret = subscriptions.ensure_destination("slack", "C0SECRET", "merger-war-room", now=now)
    subscriptions.pause(secret.id, "channel_not_found in #merger-war-room", now=now)
    running.slack.add_user("U0BOSS", is_admin=True)
    member = _home_for(running, "U0ALICE")
    assert "merger-war-room" not in member and "channel_not_found" not in member
    assert "delivery to 1 channel is paused" in member
    admin = _home_for(running, "U0BOSS")
    assert "merger-war-room" in admin and "channel_not_found" in admin


@pytest.mark.parametrize(
    "value", ["subscribe calea", "unsubscribe all", "feeds remove fcc", "feeds add https://x.gov/"]
)
def test_a_follow_up_button_cannot_change_anything(running: Running, value: str) -> None:  # noqa: F811
    body = block_action_body("calea_command_0", value, response_url=running.slack.response_url())
    running.post(body, signed_headers(SECRET, body, content_type=FORM))
    reply = running.reply()
    assert "does not run a follow-up command" in reply["text"]
    assert running.subscriptions() == []


def test_a_search_page_button_still_runs(running: Running) -> None:  # noqa: F811
    body = block_action_body(
        "calea_command_0", "search --page 2 calea", response_url=running.slack.response_url()
    )
    running.post(body, signed_headers(SECRET, body, content_type=FORM))
    assert "does not run a follow-up command" not in running.reply()["text"]


def test_feeds_add_probes_without_blocking_other_commands(running: Running) -> None:  # noqa: F811
    """Issue 10 defect 6: a slow probe must not hold the lock every command needs."""
    services = running.integration.handlers.services
    probing, release = threading.Event(), threading.Event()

    async def slow_probe(url: str) -> ProbeResult:
        probing.set()
        await asyncio.to_thread(release.wait, 10)
        source = Source(id="x", name="x", url=url)
        return ProbeResult(source, Health.OK, 200, 3, 0.1, "3 items")

    services.probe_url = slow_probe
    services.resolve_host = lambda host, port: [(2, 1, 6, "", ("93.184.216.34", port))]
    running.slack.add_user("U0BOSS", is_admin=True)
    try:
        running.command("feeds add https://feeds.example.gov/rss", user_id="U0BOSS")
        assert probing.wait(5), "the probe did not start"
        running.command("topics")
        assert running.slack.wait_for(lambda: len(running.slack.responses) >= 1, timeout=3)
        assert "calea" in running.slack.responses[0]["text"]  # answered while probing
    finally:
        release.set()
    assert running.slack.wait_for(lambda: len(running.slack.responses) >= 2)
    assert "Feed added" in running.slack.responses[1]["text"]
