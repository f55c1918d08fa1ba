"""feeds, feeds add, feeds remove, and the public-address guard (fake resolver, no DNS)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from bot.commands.feeds import user_source_id
from bot.commands.reply import Facts
from bot.feeds.guard import check_public_url
from bot.models import Health, Source
from bot.pipeline.probe import ProbeResult
from tests.commands.conftest import FakeResolver, ingest, parsed, run, snapshot


def facts(reply) -> dict[str, str]:
    return {label: value for b in reply.blocks if isinstance(b, Facts) for label, value in b.pairs}


# -- feeds (the health table) ------------------------------------------------------------------


def test_feeds_lists_every_source_with_its_health(config, ctx, services, stocked):
    reply = run("feeds", ctx, services)
    table = facts(reply)
    assert set(table) == set(config.source_ids())
    assert table["fcc-edocs"].startswith("FCC EDOCS – all releases · ok · last success 5m ago")
    assert table["fcc-headlines"] == (
        "FCC headlines · blocked (1 failed poll) · the site refuses automated requests "
        "(401/403); it may stay blocked · last success 5m ago · 403 Forbidden"
    )
    assert table["ctia"] == "CTIA · disabled in feeds.yaml"
    assert "13 sources ok, 2 failing: FCC headlines (blocked), NTIA (timeout)" in reply.text
    assert "Added from chat\nNone." in reply.text


def test_feeds_shows_sources_never_polled(ctx, services, store):
    assert facts(run("feeds", ctx, services))["ntia"] == "NTIA · not polled yet"


# -- feeds add ---------------------------------------------------------------------------------


def test_admin_adds_a_public_feed_with_topics(admin, services, store):
    reply = run(
        "feeds add https://feeds.example.org/telecom/rss.xml calea Robocalls", admin, services
    )
    assert reply.ok and reply.changed, reply.text
    (added,) = store.user_sources.records()
    assert added.source == Source(
        id="user-feeds-example-org-telecom-rss",
        name="feeds.example.org/telecom/rss.xml",
        url="https://feeds.example.org/telecom/rss.xml",
        interval_seconds=1800,
        topics=("calea", "robocalls"),
        public_only=True,
    )
    assert (added.added_by, added.added_by_name, added.platform) == ("U-alice", "alice", "slack")
    assert "feeds remove user-feeds-example-org-telecom-rss" in reply.text
    listing = facts(run("feeds", admin, services))
    assert listing["user-feeds-example-org-telecom-rss"].endswith("not polled yet")


def test_feeds_added_from_chat_are_searchable_sources(config, admin, services, store):
    run("feeds add https://feeds.example.org/rss", admin, services)
    ingest(store, config, "user-feeds-example-org-rss", [parsed("CALEA news", days_ago=1)])
    reply = run("latest 1", admin, services)
    assert "(feeds.example.org/rss, " in reply.text  # the source's display name


def test_slack_link_syntax_is_unwrapped(admin, services, store):
    reply = run("feeds add <https://news.example.com/feed|news.example.com/feed>", admin, services)
    assert reply.ok, reply.text
    assert store.user_sources.all()[0].url == "https://news.example.com/feed"


def test_non_admins_cannot_add_or_remove(ctx, services, store):
    for text in ("feeds add https://feeds.example.org/rss", "feeds remove user-x"):
        reply = run(text, ctx, services)
        assert not reply.ok and "Only admins" in reply.text
    assert store.user_sources.all() == []


def test_a_feed_already_polled_is_refused(config, admin, services, store):
    edocs = config.source("fcc-edocs").url
    reply = run(f"feeds add {edocs}", admin, services)
    assert not reply.ok and "already polled as fcc-edocs" in reply.text
    run("feeds add https://feeds.example.org/rss", admin, services)
    again = run("feeds add http://www.feeds.example.org/rss/", admin, services)
    assert not again.ok and "already polled as user-feeds-example-org-rss" in again.text
    assert len(store.user_sources.all()) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds add", "Give the feed's URL."),
        ("feeds add ftp://feeds.example.org/rss", "not an http:// or https:// URL"),
        ("feeds add file:///etc/passwd", "not an http:// or https:// URL"),
        ("feeds add javascript:alert(1)", "not an http:// or https:// URL"),
        ("feeds add https://feeds.example.org:99999/rss", "is not a valid URL"),
        ("feeds add https://user:pw@feeds.example.org/rss", "user name or password"),
        ("feeds add https://feeds.example.org/rss spectrm", "Did you mean “spectrum”?"),
        ("feeds add https://feeds.example.org/rss all", "not all"),
        ("feeds add https://localhost/rss", "Could not resolve the host localhost"),
        ("feeds add https://unknown.example.net/rss", "Could not resolve the host"),
        ("feeds add http://127.0.0.1:8080/rss", "127.0.0.1, a loopback address"),
        ("feeds add http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("feeds add http://[::ffff:10.0.0.1]/rss", "private (IPv4 10.0.0.1 inside IPv6)"),
        ("feeds add http://2130706433/rss", "127.0.0.1, a loopback address"),
        ("feeds add https://intranet.corp.example/rss", "10.20.30.40, a private address"),
        ("feeds add https://mixed.example.org/rss", "192.168.0.10, a private address"),
        ("feeds add https://feeds.example.org/" + "a" * 600, "URL is too long"),
    ],
)
def test_feeds_add_refusals_change_nothing(text, message, admin, services, store):
    services.resolve_host.hosts.update(
        {
            "intranet.corp.example": ["10.20.30.40"],
            "mixed.example.org": ["93.184.215.20", "192.168.0.10"],
        }
    )
    before = snapshot(store)
    reply = run(text, admin, services)
    assert not reply.ok
    assert message in reply.text
    assert snapshot(store) == before


def test_ids_are_unique_slugs(config):
    taken = {"user-example-org-rss"}
    assert user_source_id("https://www.example.org/rss.xml", set()) == "user-example-org-rss"
    assert user_source_id("https://example.org/rss", taken) == "user-example-org-rss-2"
    long = user_source_id("https://example.org/" + "x" * 200, set())
    assert len(long) <= 64 and long.startswith("user-example-org-x")


# -- feeds add with a probe --------------------------------------------------------------------


def probe_answering(health: Health, items: int = 3, message: str = ""):
    calls: list[str] = []

    async def probe(url: str) -> ProbeResult:
        calls.append(url)
        await asyncio.sleep(0)
        source = Source(id="probe", name="probe", url=url)
        return ProbeResult(source, health, 200, items, 0.01, message)

    probe.calls = calls
    return probe


def test_a_working_feed_passes_the_probe(admin, services, store):
    probe = probe_answering(Health.OK)
    services = dataclasses.replace(services, probe_url=probe)
    assert run("feeds add https://feeds.example.org/rss", admin, services).ok
    assert probe.calls == ["https://feeds.example.org/rss"]
    assert len(store.user_sources.all()) == 1


@pytest.mark.parametrize(
    ("health", "items", "message", "expected"),
    [
        (Health.NOT_A_FEED, 0, "HTML page", "(not_a_feed: HTML page)"),
        (Health.BLOCKED, 0, "403 <!channel>", "(blocked: 403 <!channel>)"),
        (Health.OK, 0, "", "(ok)"),
    ],
)
def test_a_failing_probe_adds_nothing(health, items, message, expected, admin, services, store):
    services = dataclasses.replace(services, probe_url=probe_answering(health, items, message))
    reply = run("feeds add https://feeds.example.org/rss", admin, services)
    assert not reply.ok
    assert expected in reply.text and "Nothing was added." in reply.text
    assert reply.blocks[0].untrusted  # the server's words are escaped by renderers
    assert store.user_sources.all() == []


def test_a_probe_that_raises_is_reported(admin, services, store):
    async def broken(url: str) -> ProbeResult:
        raise ConnectionResetError("peer reset")

    reply = run(
        "feeds add https://feeds.example.org/rss",
        admin,
        dataclasses.replace(services, probe_url=broken),
    )
    assert not reply.ok and "ConnectionResetError" in reply.text
    assert store.user_sources.all() == []


def test_the_probe_runs_when_called_from_inside_an_event_loop(admin, services, store):
    services = dataclasses.replace(services, probe_url=probe_answering(Health.OK))

    async def adapter_handler():
        return run("feeds add https://feeds.example.org/rss", admin, services)

    assert asyncio.run(adapter_handler()).ok
    assert len(store.user_sources.all()) == 1


def test_the_guard_runs_before_the_probe(admin, services):
    probe = probe_answering(Health.OK)
    services = dataclasses.replace(services, probe_url=probe)
    assert not run("feeds add http://127.0.0.1/rss", admin, services).ok
    assert probe.calls == []


# -- feeds remove ------------------------------------------------------------------------------


def test_admin_removes_a_feed_added_from_chat(admin, services, store):
    run("feeds add https://feeds.example.org/rss", admin, services)
    reply = run("feeds remove USER-feeds-example-org-rss", admin, services)
    assert reply.ok and reply.changed
    assert store.user_sources.all() == []
    assert not run("feeds remove user-feeds-example-org-rss", admin, services).ok


def test_configured_feeds_cannot_be_removed_from_chat(admin, services, store):
    reply = run("feeds remove fcc-edocs", admin, services)
    assert not reply.ok
    assert "fcc-edocs comes from feeds.yaml: edit that file" in reply.text


def test_removing_an_unknown_feed_suggests_the_closest(admin, services, store):
    run("feeds add https://feeds.example.org/rss", admin, services)
    reply = run("feeds remove user-feeds-example-org", admin, services)
    assert not reply.ok
    assert "Did you mean “user-feeds-example-org-rss”?" in reply.text
    assert len(store.user_sources.all()) == 1


def test_feeds_remove_needs_exactly_one_id(admin, services):
    assert "Give the id of one feed" in run("feeds remove", admin, services).text
    assert "Give the id of one feed" in run("feeds remove a b", admin, services).text


# -- check_public_url --------------------------------------------------------------------------

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.254": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "cloud metadata",
    "fd00:ec2::254": "cloud metadata",
    "169.254.10.20": "link-local",
    "fe80::1": "link-local",
    "fe80::1%eth0": "link-local",
    "100.64.0.1": "carrier-grade NAT",
    "100.127.255.254": "carrier-grade NAT",
    "fc00::1": "unique-local",
    "fd12:3456::1": "unique-local",
    "fec0::1": "site-local",
    "feff:ffff::1": "site-local",
    "224.0.0.251": "multicast",
    "239.255.255.250": "multicast",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "loopback (IPv4 127.0.0.1 inside IPv6)",
    "::ffff:169.254.169.254": "cloud metadata",
    "::ffff:192.168.0.1": "private (IPv4",
    "64:ff9b::a9fe:a9fe": "cloud metadata",  # NAT64 form of 169.254.169.254
    "2002:7f00:1::": "loopback",  # 6to4 form of 127.0.0.1
    "240.0.0.1": "reserved",
    "192.0.2.10": "non-public",  # documentation range
}
ALLOWED = [
    "93.184.215.14",
    "8.8.8.8",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
]


@pytest.mark.parametrize(("address", "reason"), sorted(REFUSED.items()))
def test_hosts_resolving_to_non_public_addresses_are_refused(address, reason):
    resolver = FakeResolver({"feed.example": [address]})
    message = check_public_url("https://feed.example/rss", resolver)
    assert message is not None and reason in message
    assert message.startswith("Refused: feed.example points to")


@pytest.mark.parametrize("address", ALLOWED)
def test_hosts_resolving_to_public_addresses_are_allowed(address):
    assert (
        check_public_url("https://feed.example/rss", FakeResolver({"feed.example": [address]}))
        is None
    )


def test_any_non_public_address_among_several_refuses_the_host():
    resolver = FakeResolver({"feed.example": ["93.184.215.14", "2606:4700::1111", "10.0.0.5"]})
    assert "10.0.0.5, a private address" in check_public_url("http://feed.example/", resolver)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://[::1]:8080/", "loopback"),
        ("http://[::ffff:7f00:1]/", "loopback"),
        ("http://2130706433/", "loopback"),  # decimal 127.0.0.1
        ("http://0x7f000001/", "loopback"),  # hexadecimal
        ("http://127.1/", "loopback"),  # short form
        ("http://0177.0.0.1/", "loopback"),  # octal
        ("http://0xa9.0xfe.0xa9.0xfe/", "cloud metadata"),
        ("http://0/", "unspecified"),
    ],
)
def test_ip_literals_in_any_form_are_checked_without_the_resolver(url, reason):
    resolver = FakeResolver({})
    message = check_public_url(url, resolver)
    assert message is not None and reason in message
    assert resolver.asked == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/", "Only http:// and https://"),
        ("gopher://127.0.0.1/", "Only http:// and https://"),
        ("https:///rss", "no host name"),
        ("https://a:b@feed.example/", "user name or password"),
        ("https://feed.example:0x50/", "not a valid URL"),
        ("https://nowhere.example/", "Could not resolve the host nowhere.example"),
    ],
)
def test_malformed_or_unresolvable_urls_are_refused(url, message):
    assert message in check_public_url(url, FakeResolver({"feed.example": ["8.8.8.8"]}))


def test_a_host_without_addresses_is_refused():
    assert "has no address" in check_public_url(
        "https://empty.example/", FakeResolver({"empty.example": []})
    )
