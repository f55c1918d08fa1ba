"""The outgoing-webhook secret and HMAC verification."""

from __future__ import annotations

import base64

import pytest

from bot.errors import ConfigError
from bot.settings import parse_teams_secret as parse_secret
from bot.sinks.teams.signature import sign, verify

KEY = bytes(range(32))
SECRET = base64.b64encode(KEY).decode()
BODY = b'{"type":"message","text":"status"}'


def test_a_base64_secret_is_decoded():
    assert parse_secret(SECRET) == KEY
    assert parse_secret(f"  {SECRET}\n") == KEY
    assert parse_secret(None) is None
    assert parse_secret("  ") is None


@pytest.mark.parametrize("value", ["not base64!", "abc", base64.b64encode(b"short").decode()])
def test_a_malformed_secret_names_the_variable_and_hides_the_value(value):
    with pytest.raises(ConfigError, match="TEAMS_OUTGOING_WEBHOOK_SECRET") as caught:
        parse_secret(value)
    assert value not in str(caught.value)


def test_a_correct_signature_verifies():
    assert verify(KEY, BODY, sign(KEY, BODY))
    assert verify(KEY, BODY, "hmac " + sign(KEY, BODY).split(" ", 1)[1])


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "HMAC",
        "HMAC ",
        "Bearer " + sign(KEY, BODY).split(" ", 1)[1],
        "HMAC !!!not-base64!!!",
        sign(KEY, BODY + b" "),  # signature of another body
        sign(bytes(32), BODY),  # another key
        sign(KEY, BODY) + "AAAA",
        "HMAC " + "A" * 1000,
    ],
)
def test_missing_malformed_or_forged_signatures_fail(header):
    assert not verify(KEY, BODY, header)
