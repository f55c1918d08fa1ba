"""Reading outgoing-webhook activities: command text, user and channel."""

from __future__ import annotations

import pytest

from bot.sinks.teams.activity import ActivityError, command_text, parse_activity


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<at>calea</at>&nbsp;status calea\n", "status calea"),
        ('<at id="0">Calea Bot</at> <p>subscribe  calea <b>daily</b></p>', "subscribe calea daily"),
        ("<at>calea</at> /calea latest 3", "latest 3"),
        ("<at>calea</at> calea status", "status"),
        ("<at>calea</at>", ""),
        ("search &lt;at&gt;x&lt;/at&gt; &amp; more", "search <at>x</at> & more"),
        ("<div><at>x</at></div><div>help</div>", "help"),
    ],
)
def test_command_text_drops_the_mention_tags_and_entities(raw, expected):
    assert command_text(raw) == expected


def test_a_channel_message_is_parsed():
    message = parse_activity(
        {
            "type": "message",
            "text": "<at>calea</at> status",
            "from": {"id": "29:u", "name": "Dana", "aadObjectId": "AAD-1"},
            "conversation": {"id": "19:chan@thread.tacv2;messageid=17"},
            "channelData": {"channel": {"id": "19:chan@thread.tacv2"}, "team": {"id": "19:t"}},
        }
    )
    assert (message.text, message.user_id, message.user_aad_id, message.user_name) == (
        "status",
        "29:u",
        "AAD-1",
        "Dana",
    )
    assert (message.channel_id, message.team_id) == ("19:chan@thread.tacv2", "19:t")


def test_without_channel_data_the_conversation_id_without_the_thread_is_used():
    message = parse_activity(
        {"text": "help", "conversation": {"id": "19:c@thread.skype;messageid=9"}}
    )
    assert message.channel_id == "19:c@thread.skype"
    assert message.user_id == "" and message.text == "help"


@pytest.mark.parametrize(
    "data",
    [
        [],
        "x",
        {"type": "invoke", "conversation": {"id": "c"}},
        {"text": "help"},
        {"conversation": {"id": 5}, "channelData": {"channel": "x"}},
    ],
)
def test_unusable_activities_raise_a_clear_error(data):
    with pytest.raises(ActivityError):
        parse_activity(data)
