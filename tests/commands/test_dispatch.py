"""run_command: help, routing, closest matches, and bad input that must change nothing."""

from __future__ import annotations

import pytest

from bot.commands.arguments import MAX_INPUT_CHARS
from bot.commands.context import CommandServices
from bot.commands.dispatch import run_command
from bot.commands.help import HELP
from bot.commands.reply import Heading
from tests.commands.conftest import make_ctx, run, snapshot


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "--help", "?"])
def test_empty_text_and_help_list_every_command(text, ctx, services):
    reply = run(text, ctx, services)
    assert reply.ok and not reply.changed
    for name in HELP:
        assert HELP[name].usage in reply.text
    assert "08:30" in reply.text  # the digest time comes from the services


def test_none_text_is_help(ctx, services):
    assert run_command(None, ctx, services).blocks[0] == Heading("calea-bot commands")


@pytest.mark.parametrize("name", sorted(HELP))
def test_every_command_has_usage_help(name, ctx, services):
    for text in (f"help {name}", f"{name} --help"):
        reply = run(text, ctx, services)
        assert reply.ok
        assert f"Usage: {HELP[name].usage}" in reply.text


def test_unknown_command_suggests_the_closest(ctx, services):
    reply = run("subscirbe calea", ctx, services)
    assert not reply.ok
    assert "Did you mean “subscribe”?" in reply.text
    assert "Usage: help [command]" in reply.text


def test_help_for_an_unknown_command_suggests_the_closest(ctx, services):
    reply = run("help serch", ctx, services)
    assert not reply.ok and "“search”" in reply.text


def test_aliases_and_case_are_accepted(ctx, services):
    assert run("SUB calea", ctx, services).changed
    assert "calea" in run("Subs", ctx, services).text


BAD_INPUTS = [
    "x" * 5000,
    "search " + "calea " * 200,
    "subscribe calea\x00",
    "subscribe \x1b[31mcalea",
    "subscribe cal\u202eaeL",  # right-to-left override
    "subscribe \ud800",  # lone surrogate
    "subscribe <!channel>",
    "subscribe <!here|here> daily",
    "subscribe calea'; DROP TABLE subscriptions; --",
    "subscribe ' OR 1=1 --",
    "unsubscribe %27%3B",
    "subscribe cаlea",  # Cyrillic а
    "subscribe calea weekly",
    "subscribe realtime",
    "subscribe calea realtime daily",
    "unsubscribe",
    "latest 0",
    "latest 21",
    "latest calea robocalls",
    "latest 5 6",
    "search",
    "search --page",
    "search calea --page 0",
    "search calea --page x",
    "search '\"*()",
    "status calea robocalls",
    "status <@U123>",
    "topics extra",
    "subscriptions please",
    "feeds add https://feeds.example.org/rss",  # not an admin
    "feeds remove user-anything",  # not an admin
    "feeds frobnicate",
    "<!channel>",
    "\u200b",
]


@pytest.mark.parametrize("text", BAD_INPUTS)
def test_bad_input_is_a_clear_error_that_changes_nothing(text, ctx, services, stocked):
    services.store.subscriptions.ensure_destination("slack", ctx.channel, now=ctx.now)
    before = snapshot(stocked)
    reply = run_command(text, ctx, services)
    if text == "\u200b":  # only an invisible character: nothing typed, so help
        assert reply.ok and reply.blocks[0] == Heading("calea-bot commands")
    else:
        assert not reply.ok, reply.text
    assert not reply.changed
    assert snapshot(stocked) == before
    assert "<!" not in reply.text and "<@" not in reply.text  # never echoes a mention
    assert "Traceback" not in reply.text


def test_too_long_input_names_the_limit(ctx, services):
    reply = run("search " + "a" * 5000, ctx, services)
    assert not reply.ok
    assert f"{MAX_INPUT_CHARS:,}" in reply.text and "5,007" in reply.text


def test_control_characters_are_named(ctx, services):
    reply = run("status\x07", ctx, services)
    assert not reply.ok and "U+0007" in reply.text


def test_full_width_and_non_breaking_space_input_is_normalised(ctx, services):
    reply = run("ｓｕｂｓｃｒｉｂｅ\u00a0calea", ctx, services)
    assert reply.ok and reply.changed


def test_an_internal_failure_is_an_apology_not_a_traceback(config, tmp_path, ctx, caplog):
    from bot.store import Store

    broken = Store(tmp_path / "closed.db")
    broken.close()  # every query now fails inside sqlite3
    reply = run_command("subscriptions", ctx, CommandServices(config=config, store=broken))
    assert not reply.ok
    assert "internal error" in reply.text
    assert "command failed" in caplog.text


def test_commands_are_per_channel(services):
    run("subscribe calea", make_ctx(channel="C1"), services)
    other = run("subscriptions", make_ctx(channel="C2"), services)
    assert "no subscriptions" in other.text
