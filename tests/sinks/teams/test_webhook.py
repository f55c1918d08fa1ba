"""POST /teams/messages over real HTTP: HMAC, limits, linking, commands and replies."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import uuid

import httpx
import pytest

from bot.commands.context import CommandContext, CommandServices
from bot.commands.reply import Button, ItemRef, Reply
from bot.config import load_config
from bot.sinks.teams.signature import sign
from bot.sinks.teams.webhook import OutgoingWebhook, OutgoingWebhookSettings
from bot.store import Store
from bot.store.teams_webhooks import TeamsWebhooks
from tests.sinks.teams.card_checks import assert_valid_card
from tests.sinks.teams.helpers import NOW
from tests.sinks.teams.served import ServedRoutes, write_feeds

KEY = bytes(range(100, 132))
CHANNEL = "19:f00dcafe@thread.tacv2"
AAD = "6f1c6d2e-1111-4c4c-9a9a-0123456789ab"


def activity(
    text: str = "<at>calea</at>&nbsp;status",
    channel: str = CHANNEL,
    *,
    activity_id: str | None = None,
    timestamp: str | None = None,
) -> bytes:
    stamp = timestamp or dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {
            "type": "message",
            "id": activity_id or uuid.uuid4().hex,
            "timestamp": stamp,
            "text": text,
            "from": {"id": "29:user-id", "name": "Dana Compliance", "aadObjectId": AAD},
            "conversation": {"id": f"{channel};messageid=1700000000000", "isGroup": True},
            "channelData": {
                "teamsTeamId": "19:team",
                "team": {"id": "19:team"},
                "channel": {"id": channel},
            },
        }
    ).encode()


class Recorder:
    """A command runner that records what it was called with."""

    def __init__(self, reply: Reply | None = None, gate: threading.Event | None = None) -> None:
        self.calls: list[tuple[str, CommandContext]] = []
        self.reply = reply or Reply(text="ok")
        self.gate = gate

    def __call__(self, text: str, ctx: CommandContext, services: CommandServices) -> Reply:
        self.calls.append((text, ctx))
        if self.gate is not None:
            self.gate.wait(5)
        return self.reply


@pytest.fixture
def services(tmp_path):
    store = Store(tmp_path / "bot.db")
    config = load_config(write_feeds(tmp_path))
    TeamsWebhooks(store.db).add(
        "alerts", "https://a.logic.azure.com/wf?sig=x", channel_id=CHANNEL, now=NOW
    )
    yield CommandServices(config=config, store=store)
    store.close()


@pytest.fixture
def serve(services):
    opened: list[tuple[ServedRoutes, OutgoingWebhook]] = []

    def start(run=None, *, admins=frozenset(), **settings) -> str:
        endpoint = OutgoingWebhook(
            key=KEY,
            services=services,
            admins=admins,
            settings=OutgoingWebhookSettings(**settings),
            run=run,
        )
        served = ServedRoutes([endpoint.route()])
        opened.append((served, endpoint))
        return served.base + "/teams/messages"

    yield start
    for served, endpoint in opened:
        served.close()
        endpoint.close()


def post(url: str, body: bytes, authorization: str | None = "sign") -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if authorization == "sign":
        authorization = sign(KEY, body)
    if authorization is not None:
        headers["Authorization"] = authorization
    return httpx.post(url, content=body, headers=headers, timeout=5)


def subscriptions(services) -> list[str]:
    destination = services.store.subscriptions.destination("teams", "alerts")
    return [s.topic for s in services.store.subscriptions.of(destination.id)]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "HMAC",
        "Bearer abc",
        "HMAC not-base64!!",
        "HMAC " + base64.b64encode(b"x" * 32).decode(),  # forged
        sign(bytes(32), activity("subscribe calea")),  # signed with another key
    ],
)
def test_missing_malformed_or_forged_signatures_get_401_and_change_nothing(
    serve, services, authorization
):
    recorder = Recorder()
    url = serve(recorder)
    response = post(url, activity("<at>calea</at> subscribe calea"), authorization)
    assert response.status_code == 401
    assert recorder.calls == []
    assert subscriptions(services) == []


def test_a_signature_of_another_body_is_refused(serve):
    recorder = Recorder()
    url = serve(recorder)
    body = activity("subscribe calea")
    response = post(url, body + b" ", sign(KEY, body))
    assert response.status_code == 401 and recorder.calls == []


def test_a_signed_message_runs_the_command_and_replies(serve, services):
    url = serve()  # the real bot.commands.dispatch.run_command
    response = post(url, activity("<at>calea</at>&nbsp;subscribe calea"))
    assert response.status_code == 200
    reply = response.json()
    assert reply["type"] == "message"
    assert "calea" in json.dumps(reply, ensure_ascii=False).lower()
    assert subscriptions(services) == ["calea"]  # on the registered channel "alerts"


def test_the_command_sees_the_linked_channel_and_the_user(serve):
    recorder = Recorder()
    url = serve(recorder, admins=frozenset({AAD}))
    post(url, activity("<at>Calea Bot</at> <p>latest&nbsp;calea&amp;e911</p>"))
    ((text, ctx),) = recorder.calls
    assert text == "latest calea&e911"
    assert (ctx.platform, ctx.channel, ctx.channel_name) == ("teams", "alerts", "alerts")
    assert (ctx.user_id, ctx.user_name, ctx.is_admin) == (AAD, "Dana Compliance", True)


def test_an_unlinked_channel_is_told_exactly_what_to_run(serve, services):
    recorder = Recorder()
    url = serve(recorder)
    other = "19:0ther0ne@thread.tacv2"
    response = post(url, activity("<at>calea</at> subscribe calea", channel=other))
    assert response.status_code == 200
    text = response.json()["text"]
    assert f"`calea-bot teams link NAME {other}`" in text
    assert f"--channel-id {other}`" in text
    assert recorder.calls == []
    assert subscriptions(services) == []


def test_a_slow_command_answers_still_working(serve):
    gate = threading.Event()
    url = serve(Recorder(gate=gate), reply_timeout_seconds=0.2)
    try:
        response = post(url, activity("search everything"))
    finally:
        gate.set()
    assert response.status_code == 200
    assert response.json() == {"type": "message", "text": "Still working — try again in a moment."}


def test_a_body_over_the_cap_is_refused_unread(serve):
    recorder = Recorder()
    url = serve(recorder, max_body_bytes=2048)
    body = activity("x" * 4000)
    response = post(url, body)
    assert response.status_code == 413 and recorder.calls == []


def test_signed_garbage_is_a_clear_400(serve):
    recorder = Recorder()
    url = serve(recorder)
    for body, needle in (
        (b"{not json", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"type": "invoke"}', "only message activities"),
    ):
        response = post(url, body)
        assert response.status_code == 400
        assert needle in response.json()["text"]
    assert recorder.calls == []


def test_rich_replies_are_valid_cards_with_open_url_actions_only(serve):
    reply = Reply(
        text="Latest",
        blocks=(
            ItemRef("<at>Everyone</at> [x](https://evil.example)", "https://www.fcc.gov/a", "FCC"),
            Button("Open", url="https://www.fcc.gov/a"),
            Button("Next", command="latest calea 20"),
        ),
    )
    url = serve(Recorder(reply))
    message = post(url, activity("latest")).json()
    attachment = message["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert_valid_card(card)
    assert {a["type"] for a in card.get("actions", [])} == {"Action.OpenUrl"}
    assert "<at>" not in json.dumps(card)


def test_without_admins_a_feeds_refusal_says_how_to_configure_them(serve):
    url = serve()  # real commands; CALEA_BOT_TEAMS_ADMINS unset
    text = json.dumps(post(url, activity("feeds add https://example.com/rss calea")).json())
    assert "CALEA_BOT_TEAMS_ADMINS" in text
    assert AAD in text


def test_a_replayed_or_stale_signed_request_is_refused_and_runs_nothing(serve, services):
    url = serve()
    body = activity("<at>calea</at>&nbsp;subscribe calea", activity_id="a-1")
    assert post(url, body).status_code == 200
    replayed = post(url, body)
    assert replayed.status_code == 401 and "replayed" in replayed.text
    stale = activity(
        "<at>calea</at>&nbsp;unsubscribe all",
        activity_id="a-2",
        timestamp="2020-01-01T00:00:00.000Z",
    )
    assert post(url, stale).status_code == 401
    assert subscriptions(services) == ["calea"]
