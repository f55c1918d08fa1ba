"""Which webhook URLs are accepted, and how they are shown (masked)."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings
from bot.sinks.teams.urls import WebhookUrlError, WebhookUrlPolicy, mask_webhook_url, safe_link

SIG = "sig=Zm9vYmFyc2VjcmV0"
LOGIC = f"https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&{SIG}"
POWER = f"https://default1234.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1&{SIG}"


@pytest.mark.parametrize("url", [LOGIC, POWER, "  " + LOGIC + "\n"])
def test_workflows_urls_are_accepted(url):
    assert WebhookUrlPolicy().check(url) == url.strip()


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        (LOGIC.replace("https://", "http://"), "https://"),
        (f"https://logic.azure.com.evil.example/x?{SIG}", "not a Teams Workflows host"),
        (f"https://evillogic.azure.com/x?{SIG}", "not a Teams Workflows host"),
        (f"https://example.com/x?{SIG}", "not a Teams Workflows host"),
        (f"https://user:pw@prod.logic.azure.com/x?{SIG}", "user name or password"),
        (f"https://prod.logic.azure.com:99999/x?{SIG}", "malformed"),
        (f"https://prod.logic.azure.com/x y?{SIG}", "spaces"),
        ("https:///x", "no host"),
        ("", "empty"),
        (f"ftp://prod.logic.azure.com/x?{SIG}", "https://"),
        (f"http://127.0.0.1:8080/x?{SIG}", "https://"),
    ],
)
def test_other_urls_are_refused_without_echoing_the_secret(url, needle):
    with pytest.raises(WebhookUrlError) as caught:
        WebhookUrlPolicy().check(url)
    message = str(caught.value)
    assert needle in message
    assert "Zm9vYmFyc2VjcmV0" not in message and "/x" not in message


def test_the_environment_adds_https_host_suffixes():
    policy = WebhookUrlPolicy.from_settings(
        load_settings(
            {"CALEA_BOT_TEAMS_ALLOWED_HOSTS": "flows.contoso.example, *.gov-flows.example"}
        ).teams
    )
    assert policy.check(f"https://a.flows.contoso.example/x?{SIG}")
    assert policy.check(f"https://gov-flows.example/x?{SIG}")
    assert policy.check(LOGIC)  # the defaults stay
    with pytest.raises(WebhookUrlError, match="https://"):
        policy.check(f"http://a.flows.contoso.example/x?{SIG}")


def test_plain_http_only_for_an_explicit_http_entry_and_exactly_that_host():
    policy = WebhookUrlPolicy().with_entries(["http://127.0.0.1"])
    assert policy.check("http://127.0.0.1:5000/flow?sig=x")
    for refused in ("http://127.0.0.2/flow", "http://localhost/flow", "http://x.127.0.0.1/f"):
        with pytest.raises(WebhookUrlError):
            policy.check(refused)


@pytest.mark.parametrize("entry", ["not a host", "http://", "https://a/b", "a..b", "-x.com"])
def test_a_malformed_allowed_host_names_the_variable(entry):
    with pytest.raises(ConfigError, match="CALEA_BOT_TEAMS_ALLOWED_HOSTS"):
        WebhookUrlPolicy.from_settings(
            load_settings({"CALEA_BOT_TEAMS_ALLOWED_HOSTS": entry}).teams
        )


def test_masking_keeps_only_scheme_and_host():
    assert mask_webhook_url(LOGIC) == "https://prod-12.westus.logic.azure.com/…"
    assert mask_webhook_url("http://127.0.0.1:5000/a?sig=x") == "http://127.0.0.1:5000/…"
    assert mask_webhook_url("https://h:bad/x?sig=s") == "(unreadable URL)…"
    assert mask_webhook_url("nonsense sig=s") == "(not an http(s) URL)…"


def test_safe_link_percent_encodes_markdown_breakers():
    assert safe_link("https://www.fcc.gov/document/x") == "https://www.fcc.gov/document/x"
    assert safe_link("https://a.example/x_(y) [z]") is None  # spaces refused outright
    assert safe_link("https://a.example/x_(y)[z]'\"") == "https://a.example/x_%28y%29%5Bz%5D%27%22"
    assert safe_link("https://a.example/?q=%20&sig=1") == "https://a.example/?q=%20&sig=1"
    assert safe_link(None) is None
