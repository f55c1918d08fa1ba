"""Issue 10 item 9: subscription changes are audited; admins can read them; an admin-only
option; the channel notice mentions the user on Slack."""

from __future__ import annotations

import dataclasses
import json

from click.testing import CliRunner

from bot.app.cli import cli
from bot.sinks.slack.reply_blocks import render_reply
from tests.commands.conftest import make_ctx, run


def test_changes_are_recorded_and_admins_read_them(services, ctx, admin):
    run("subscribe calea daily", ctx, services)
    run("unsubscribe calea", make_ctx(user="bob"), services)
    refused = run("audit", ctx, services)
    assert not refused.ok and "Only admins" in refused.text
    reply = run("audit", admin, services)
    assert reply.ok
    assert "bob · unsubscribe calea · #compliance" in reply.text
    assert "alice · subscribe calea (daily) · #compliance" in reply.text
    assert reply.text.index("bob") < reply.text.index("alice")  # newest first
    assert not run("audit 999", admin, services).ok


def test_only_admins_may_subscribe_when_configured(services, ctx, admin):
    strict = dataclasses.replace(services, subscribe_admins_only=True)
    refused = run("subscribe calea", ctx, strict)
    assert not refused.ok and "Only admins" in refused.text
    assert run("subscribe calea", admin, strict).ok
    assert not run("unsubscribe all", ctx, strict).ok
    assert [e.action for e in services.store.audit.recent()] == ["subscribe"]


def test_the_slack_notice_mentions_the_user_and_only_a_real_id(services):
    reply = run("subscribe calea", make_ctx(user="alice"), services)
    # make_ctx's ids ("U-alice") are not Slack ids: no mention, the name stays, escaped.
    assert "<@" not in json.dumps(render_reply(reply)["blocks"])
    real = dataclasses.replace(make_ctx(user="<!channel>"), user_id="U0ALICE")
    blocks = json.dumps(render_reply(run("subscribe robocalls", real, services))["blocks"])
    assert "<@U0ALICE> subscribed this channel" in blocks and "<!channel>" not in blocks


def test_calea_bot_audit_json(services, ctx, tmp_path, store):
    run("subscribe calea", ctx, services)
    result = CliRunner().invoke(cli, ["audit", "--json", "--db", str(store.target)])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)
    assert (entry["user_name"], entry["action"], entry["topics"]) == (
        "alice",
        "subscribe",
        ["calea"],
    )
    text = CliRunner().invoke(cli, ["audit", "--db", str(store.target)]).output
    assert "slack #compliance  alice  subscribe calea (realtime)" in text
