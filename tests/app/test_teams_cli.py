"""`calea-bot teams …` through click's CliRunner, against the fake Workflows endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from bot.app.teams_cli import teams
from bot.store import Store
from bot.store.teams_webhooks import TeamsWebhooks
from tests.fakes.workflows import FakeWorkflows
from tests.sinks.teams.card_checks import assert_valid_card, card_texts
from tests.sinks.teams.served import write_feeds

CHANNEL = "19:f00dcafe@thread.tacv2"
PAUSED_AT = dt.datetime(2025, 11, 21, tzinfo=dt.UTC)


@pytest.fixture
def workflows():
    with FakeWorkflows() as fake:
        yield fake


@pytest.fixture
def run(tmp_path):
    feeds = write_feeds(tmp_path)
    env = {
        "CALEA_BOT_DB": str(tmp_path / "bot.db"),
        "CALEA_BOT_FEEDS": str(feeds),
        "CALEA_BOT_TEAMS_ALLOWED_HOSTS": "http://127.0.0.1",
    }

    def invoke(*args: str, input: str | None = None, **extra_env: str):  # noqa: A002
        result = CliRunner().invoke(teams, list(args), env={**env, **extra_env}, input=input)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert "Traceback" not in result.output
        return result

    invoke.db = tmp_path / "bot.db"
    return invoke


def test_add_list_test_remove(run, workflows):
    url = workflows.url()
    added = run("add-channel", "compliance-alerts", url, "--topics", "calea,e911")
    assert added.exit_code == 0, added.output
    assert "Registered Teams channel 'compliance-alerts' → http://127.0.0.1:" in added.output
    assert "calea (realtime), e911 (realtime)" in added.output

    listed = run("list")
    assert "compliance-alerts  http://127.0.0.1:" in listed.output
    assert "channel id: not linked" in listed.output and "delivery:   active" in listed.output

    tested = run("test", "compliance-alerts")
    assert tested.exit_code == 0, tested.output
    assert "Teams accepted the test card" in tested.output
    (post,) = workflows.posts
    assert_valid_card(post.card)
    assert "calea-bot test message" in card_texts(post.card)

    removed = run("remove", "compliance-alerts")
    assert "Removed Teams channel 'compliance-alerts' (2 subscriptions" in removed.output
    assert "No Teams channels" in run("list").output

    everything = added.output + listed.output + tested.output + removed.output
    assert workflows.SIGNATURE not in everything and "/workflows/" not in everything


def test_the_url_can_come_from_stdin(run, workflows):
    result = run("add-channel", "alerts", "-", input=workflows.url() + "\n")
    assert result.exit_code == 0, result.output
    store = Store(run.db)
    try:
        assert TeamsWebhooks(store.db).get_url("alerts") == workflows.url()
    finally:
        store.close()


def test_a_url_outside_the_workflows_hosts_is_refused(run):
    result = run("add-channel", "alerts", "https://example.com/hook?sig=TOPSECRET")
    assert result.exit_code == 2
    assert "not a Teams Workflows host" in result.output
    assert "TOPSECRET" not in result.output
    assert "No Teams channels" in run("list").output


def test_an_unknown_topic_is_refused_with_the_known_ones(run, workflows):
    result = run("add-channel", "alerts", workflows.url(), "--topics", "caela")
    assert result.exit_code == 2
    assert "unknown topic 'caela'; known topics: calea, e911" in result.output


def test_adding_twice_needs_replace_which_also_resumes(run, workflows):
    assert run("add-channel", "alerts", workflows.url("one")).exit_code == 0
    again = run("add-channel", "alerts", workflows.url("two"))
    assert again.exit_code == 1 and "--replace" in again.output
    workflows.answer(404)
    failed = run("test", "alerts")
    assert failed.exit_code == 1 and "no longer exists (404)" in failed.output
    replaced = run("add-channel", "alerts", workflows.url("two"), "--replace")
    assert replaced.exit_code == 0 and "Updated" in replaced.output


def test_a_successful_test_resumes_a_paused_channel(run, workflows):
    run("add-channel", "alerts", workflows.url())
    store = Store(run.db)
    try:
        destination = store.subscriptions.destination("teams", "alerts")
        store.subscriptions.pause(destination.id, "404 from Teams", now=PAUSED_AT)
    finally:
        store.close()
    assert "PAUSED — 404 from Teams" in run("list").output
    result = run("test", "alerts")
    assert "resumed (it was paused: 404 from Teams)" in result.output
    assert "delivery:   active" in run("list").output


def test_link_and_unlink_a_channel_id(run, workflows):
    run("add-channel", "alerts", workflows.url(), "--channel-id", CHANNEL)
    assert f"channel id: {CHANNEL}" in run("list").output
    assert "Unlinked" in run("link", "alerts", "--unlink").output
    copied = f"{CHANNEL[:10]}\u200b{CHANNEL[10:]} "  # pasted from Teams with a breaker
    assert f"Linked Teams channel {CHANNEL}" in run("link", "alerts", copied).output
    bad = run("link", "alerts", "not a channel id!")
    assert bad.exit_code == 2 and "19:abc123" in bad.output


def test_unknown_names_list_the_registered_ones(run, workflows):
    run("add-channel", "alerts", workflows.url())
    for command in (("test", "alrets"), ("remove", "alrets"), ("link", "alrets", CHANNEL)):
        result = run(*command)
        assert result.exit_code == 1
        assert "no Teams channel named 'alrets' (registered: alerts)" in result.output


def test_bad_names_and_allowed_hosts_are_clear_errors(run, workflows):
    bad_name = run("add-channel", "<at>x</at>", workflows.url())
    assert bad_name.exit_code == 2 and "1-64 letters" in bad_name.output
    bad_hosts = run(
        "add-channel", "alerts", workflows.url(), CALEA_BOT_TEAMS_ALLOWED_HOSTS="not a host"
    )
    assert bad_hosts.exit_code == 1
    assert "CALEA_BOT_TEAMS_ALLOWED_HOSTS: 'not a host' is not a host name" in bad_hosts.output


def test_every_command_has_help():
    for name, command in teams.commands.items():
        assert command.help, name
        assert CliRunner().invoke(teams, [name, "--help"]).exit_code == 0
