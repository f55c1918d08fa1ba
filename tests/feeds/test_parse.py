"""Tests for bot.feeds.parse: golden files per feed format, then hostile and broken inputs."""

from __future__ import annotations

import datetime as dt
import json
import os
from importlib import resources
from pathlib import Path

import pytest

from bot.analysis.extract import extract_identifiers
from bot.errors import FeedParseError
from bot.feeds.parse import HTML_PAGE_MESSAGE, parse_feed
from bot.models import Health, ParsedFeed, ParsedItem, Source

FIXTURES = Path(__file__).parent.parent / "fixtures"
FEEDS = FIXTURES / "feeds"
GOLDEN = FIXTURES / "golden"
TEXT_PREFIX = 160
# Set CALEA_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change; review the diff.
UPDATE_GOLDEN = os.environ.get("CALEA_UPDATE_GOLDEN") == "1"

GOLDEN_CASES = [
    # fixture, source kind, base URL (the final URL the fetcher reports)
    (
        "fcc_edocs_rss.xml",
        "auto",
        "https://api2.fcc.gov/edocs/public/api/v1/rss/docTypes/News_Release",
    ),
    ("telecom_law_atom.xml", "auto", "https://telecomlaw.example.com/blog/feed.atom"),
    ("ntia_rdf.xml", "auto", "https://ntia.example.gov/rss.xml"),
    ("cisa_advisories.xml", "auto", "https://www.cisa.gov/cybersecurity-advisories/all.xml"),
    ("cafe_windows1252.xml", "auto", "https://cafe-telecom.example.com/feed/"),
    (
        "federal_register_fcc.json",
        "federal_register_json",
        "https://www.federalregister.gov/api/v1/documents.json",
    ),
]


def source(kind: str = "auto", name: str = "Test source") -> Source:
    """A configured source of the given kind."""
    return Source(id="test", name=name, url="https://feeds.example.com/feed", kind=kind)


def parse(body: bytes, base_url: str = "https://feeds.example.com/feed", **kwargs) -> ParsedFeed:
    """parse_feed with a default source and base URL."""
    kind = kwargs.pop("kind", "auto")
    return parse_feed(body, source=source(kind), base_url=base_url, **kwargs)


def rss(items: str, channel_title: str = "Test feed", prolog: str = "") -> bytes:
    """A small RSS 2.0 document around the given <item> elements."""
    return (
        f'{prolog}<rss version="2.0"><channel><title>{channel_title}</title>'
        f"<link>https://feeds.example.com/</link>{items}</channel></rss>"
    ).encode()


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def golden_view(feed: ParsedFeed) -> dict:
    """The pinned fields of a parsed feed, as JSON-ready data."""

    def item_view(item: ParsedItem) -> dict:
        ids = extract_identifiers(item)
        return {
            "title": item.title,
            "link": item.link,
            "guid": item.guid,
            "published": _iso(item.published),
            "updated": _iso(item.updated),
            "text_prefix": item.text[:TEXT_PREFIX],
            "authors": list(item.authors),
            "categories": list(item.categories),
            "own_documents": list(item.own_documents),
            "doc_type": item.doc_type,
            "identifiers": {
                "dockets": list(ids.dockets),
                "fcc_numbers": list(ids.fcc_numbers),
                "doc_ids": list(ids.doc_ids),
                "fr_numbers": list(ids.fr_numbers),
                "fr_citations": list(ids.fr_citations),
                "dates": [[d.kind, d.date.isoformat()] for d in ids.dates],
            },
        }

    return {
        "feed_title": feed.title,
        "warnings": list(feed.warnings),
        "items": [item_view(item) for item in feed.items],
    }


@pytest.mark.parametrize(("fixture", "kind", "base_url"), GOLDEN_CASES)
def test_golden_output(fixture: str, kind: str, base_url: str) -> None:
    feed = parse((FEEDS / fixture).read_bytes(), base_url=base_url, kind=kind)
    actual = golden_view(feed)
    golden_path = GOLDEN / (Path(fixture).stem + ".json")
    if UPDATE_GOLDEN:
        golden_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", "utf-8")
    expected = json.loads(golden_path.read_text("utf-8"))
    assert actual == expected


# --- specific behaviours the golden files rely on ---------------------------------------------


def test_cisa_two_digit_year_relative_guid_and_escaped_html() -> None:
    feed = parse(
        (FEEDS / "cisa_advisories.xml").read_bytes(),
        base_url="https://www.cisa.gov/cybersecurity-advisories/all.xml",
    )
    advisory, kev = feed.items
    assert advisory.published == dt.datetime(2025, 8, 27, 12, 0, tzinfo=dt.UTC)
    assert kev.published == dt.datetime(2026, 8, 27, 12, 0, tzinfo=dt.UTC)
    assert advisory.guid == "https://www.cisa.gov/node/24877"
    assert kev.link == (
        "https://www.cisa.gov/news-events/alerts/2026/08/27/"
        "cisa-adds-three-known-exploited-vulnerabilities-catalog"
    )
    assert "<" not in advisory.text and "&lt;" not in advisory.text and "&#" not in advisory.text
    assert "People's Republic of China" in advisory.text
    assert 'overlaps with reporting on "Salt Typhoon"' in advisory.text
    assert "alert(" not in advisory.text  # the escaped <script> is dropped, not shown


def test_windows_1252_is_decoded() -> None:
    feed = parse((FEEDS / "cafe_windows1252.xml").read_bytes())
    assert feed.title == "Café Telecom Brief – Regulatory News"
    assert feed.items[0].title.startswith("“Bad Labs” Order – FCC")
    assert "Naïve résumé § 2.949 €0." in feed.items[0].text


def test_iso_8859_1_declared_in_prolog() -> None:
    body = rss(
        "<item><title>Régulation numéro 5</title><guid>g1</guid></item>",
        prolog='<?xml version="1.0" encoding="iso-8859-1"?>',
    ).decode()
    feed = parse(body.encode("iso-8859-1"))
    assert feed.items[0].title == "Régulation numéro 5"


def test_federal_register_json_is_detected_without_configured_kind() -> None:
    feed = parse((FEEDS / "federal_register_fcc.json").read_bytes(), kind="auto")
    assert feed.items[0].guid == "2025-22830"
    assert feed.items[0].doc_type == "Rule"


def test_feed_title_falls_back_to_the_source_name() -> None:
    body = b'<rss version="2.0"><channel><item><title>Only item</title></item></channel></rss>'
    feed = parse_feed(body, source=source(name="FCC headlines"), base_url="https://x.example/")
    assert feed.title == "FCC headlines"


# --- responses that are not feeds -----------------------------------------------------------


CHALLENGE_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Just a moment...</title>
<script>window._cf_chl_opt={cType:'managed'};</script></head>
<body><noscript>Enable JavaScript and cookies to continue</noscript>
<div id="challenge-body-text">www.fcc.gov needs to review the security of your connection</div>
</body></html>"""


@pytest.mark.parametrize(
    "body",
    [
        CHALLENGE_PAGE,
        b"\xef\xbb\xbf  \n<html><body><p>Access denied</p></body></html>",
        b"<!-- edge --><HTML><HEAD><TITLE>Request Rejected</TITLE></HEAD>"
        b"<BODY>id 123</BODY></HTML>",
        b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">'
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body>Blocked</body></html>',
    ],
    ids=["cloudflare-like", "bom-and-bare-html", "comment-first", "xhtml"],
)
def test_html_pages_are_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse(body, content_type="text/html; charset=utf-8")
    assert caught.value.health is Health.NOT_A_FEED
    assert caught.value.message == HTML_PAGE_MESSAGE


def test_html_fragment_without_html_element_is_not_a_feed() -> None:
    body = b"<script>document.cookie='a=b';location.reload()</script><div>Please wait</div>"
    with pytest.raises(FeedParseError) as caught:
        parse(body, content_type="text/html")
    assert caught.value.health is Health.NOT_A_FEED
    assert "HTML page" in caught.value.message


def test_well_formed_xml_that_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError) as caught:
        parse(b'<?xml version="1.0"?><config><setting>1</setting></config>')
    assert caught.value.health is Health.NOT_A_FEED
    assert "not an RSS, Atom or RDF feed" in caught.value.message


def test_feed_without_entries_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError) as caught:
        parse(rss(""))
    assert caught.value.health is Health.NOT_A_FEED
    assert caught.value.message == "feed has no entries"


def test_json_without_results_is_not_a_feed_in_auto_mode() -> None:
    with pytest.raises(FeedParseError) as caught:
        parse(b'{"version": "https://jsonfeed.org/version/1.1", "items": []}')
    assert caught.value.health is Health.NOT_A_FEED
    assert "results" in caught.value.message


@pytest.mark.parametrize("body", [b"", b"   \n  "])
def test_empty_body_fails_cleanly(body: bytes) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse(body)
    assert caught.value.health is Health.NOT_A_FEED
    assert caught.value.message == "the response is empty"


# --- malformed XML ---------------------------------------------------------------------------


def test_malformed_xml_without_entries_is_a_parse_error() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title><link>https://x'
    with pytest.raises(FeedParseError) as caught:
        parse(body)
    assert caught.value.health is Health.PARSE_ERROR
    assert (
        caught.value.message == "malformed feed (XML error at line 1, column 102: no element found)"
    )
    assert len(caught.value.message) < 300


def test_malformed_xml_with_entries_keeps_them_and_warns() -> None:
    body = rss(
        "<item><title>Comments & replies</title><link>https://x.example/1</link></item>"
        "<item><title>Second</title><link>https://x.example/2</link></item>"
    )
    feed = parse(body)
    assert [item.title for item in feed.items] == ["Comments & replies", "Second"]
    assert [item.link for item in feed.items] == ["https://x.example/1", "https://x.example/2"]
    assert len(feed.warnings) == 1
    assert feed.warnings[0].startswith("XML error at line ")
    assert "not well-formed" in feed.warnings[0]


def _billion_laughs(separator: str) -> bytes:
    """An entity-expansion bomb: &lol9; would expand to 10**9 "lol"s."""
    levels = separator.join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [{separator}<!ENTITY lol0 "lol">{separator}'
        f"{levels}{separator}]>\n"
        '<rss version="2.0"><channel><title>Bomb</title>'
        "<item><title>&lol9;</title><description>&lol9;</description>"
        "<link>https://x.example/a</link></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize("separator", ["", "\n"], ids=["one-line", "one-per-line"])
def test_billion_laughs_is_never_expanded(separator: str) -> None:
    feed = parse(_billion_laughs(separator))
    assert [item.title for item in feed.items] == ["&lol9;"]
    assert feed.items[0].text == "&lol9;"
    # The XML parser never saw the declarations (it did not stop at an expansion limit).
    assert feed.warnings and "undefined entity" in feed.warnings[0]


def test_external_entities_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>T</title>'
        "<item><title>Leak &xxe;</title><description>&xxe;</description></item>"
        "</channel></rss>"
    ).encode()
    item = parse(body).items[0]
    assert (item.title, item.text) == ("Leak &xxe;", "&xxe;")


# --- entries -----------------------------------------------------------------------------------


def test_ten_thousand_items_parse() -> None:
    items = "".join(f"<item><title>Item {n}</title><guid>g{n}</guid></item>" for n in range(10_000))
    feed = parse(rss(items))
    assert len(feed.items) == 10_000
    assert (feed.items[0].title, feed.items[0].guid) == ("Item 0", "g0")
    assert (feed.items[-1].title, feed.items[-1].guid) == ("Item 9999", "g9999")


def test_duplicate_guids_are_all_kept() -> None:
    body = rss(
        '<item><title>First</title><guid isPermaLink="false">same</guid></item>'
        '<item><title>Second</title><guid isPermaLink="false">same</guid></item>'
    )
    feed = parse(body)
    assert [(item.title, item.guid) for item in feed.items] == [
        ("First", "same"),
        ("Second", "same"),
    ]


def test_missing_and_unparseable_dates_are_none() -> None:
    body = rss(
        "<item><title>No date</title></item>"
        "<item><title>Bad date</title><pubDate>sometime next week</pubDate></item>"
        "<item><title>Impossible date</title>"
        "<pubDate>Sat, 31 Feb 2025 10:00:00 GMT</pubDate></item>"
    )
    feed = parse(body)
    assert [item.title for item in feed.items] == ["No date", "Bad date", "Impossible date"]
    assert all(item.published is None and item.updated is None for item in feed.items)


def test_dates_feedparser_cannot_read_use_the_fallback() -> None:
    feed = parse(
        rss("<item><title>x</title><pubDate>Thu,27 Aug 2026 12:00:00 +0000</pubDate></item>")
    )
    assert feed.items[0].published == dt.datetime(2026, 8, 27, 12, 0, tzinfo=dt.UTC)


def test_offsets_become_utc() -> None:
    feed = parse(
        rss("<item><title>x</title><pubDate>Fri, 21 Nov 2025 17:05:00 -0500</pubDate></item>")
    )
    published = feed.items[0].published
    assert published == dt.datetime(2025, 11, 21, 22, 5, tzinfo=dt.UTC)
    assert published is not None and published.utcoffset() == dt.timedelta(0)


def test_only_http_links_are_kept_and_relative_ones_resolved() -> None:
    body = rss(
        "<item><title>js</title><link>javascript:alert(document.cookie)</link></item>"
        "<item><title>data</title><link>data:text/html,&lt;b&gt;x</link></item>"
        "<item><title>mail</title><link>mailto:someone@example.com</link></item>"
        "<item><title>relative</title><link>/news/123</link></item>"
        "<item><title>tabbed</title><link>java\tscript:alert(1)</link></item>"
    )
    feed = parse(body, base_url="https://www.fcc.gov/news-events/headlines.rss")
    links = {item.title: item.link for item in feed.items}
    assert links == {
        "js": None,
        "data": None,
        "mail": None,
        "relative": "https://www.fcc.gov/news/123",
        "tabbed": None,
    }


def test_guids_keep_opaque_ids_and_resolve_relative_paths() -> None:
    body = rss(
        '<item><title>a</title><guid isPermaLink="false">/node/12345</guid></item>'
        '<item><title>b</title><guid isPermaLink="false">tag:fcc.gov,2025:99</guid></item>'
        '<item><title>c</title><guid isPermaLink="false">  12345  </guid></item>'
        "<item><title>d</title></item>"
    )
    feed = parse(body, base_url="https://www.cisa.gov/cybersecurity-advisories/all.xml")
    assert [item.guid for item in feed.items] == [
        "https://www.cisa.gov/node/12345",
        "tag:fcc.gov,2025:99",
        "12345",
        None,
    ]


def test_double_escaped_html_becomes_readable_text() -> None:
    body = rss(
        "<item><title>AT&amp;amp;T &amp;lt;b&amp;gt;Update&amp;lt;/b&amp;gt;</title>"
        "<description>&amp;lt;p&amp;gt;Comments &amp;amp;amp; replies&amp;lt;/p&amp;gt;"
        "</description>"
        "</item>"
    )
    item = parse(body).items[0]
    assert item.title == "AT&T Update"
    assert item.text == "Comments & replies"


def test_titles_and_text_are_capped_and_untitled_is_named() -> None:
    long_title = "Spectrum " * 20_000
    long_text = "<p>" + "Docket text. " * 10_000 + "</p>"
    body = rss(
        f"<item><title>{long_title}</title><description><![CDATA[{long_text}]]></description></item>"
        "<item><title>   </title><guid>g2</guid></item>"
    )
    first, second = parse(body).items
    assert len(first.title) <= 500 and first.title.startswith("Spectrum Spectrum")
    assert len(first.text) <= 20_000 and first.text.endswith("…")
    assert second.title == "(untitled)"


def test_authors_and_categories_are_clean_and_distinct() -> None:
    body = rss(
        "<item><title>t</title><category>Order</category><category> Order </category>"
        "<category>&lt;b&gt;Public Notice&lt;/b&gt;</category>"
        "<author>press@fcc.gov (Office of Media Relations)</author></item>"
    )
    item = parse(body).items[0]
    assert item.categories == ("Order", "Public Notice")
    assert item.authors and "Office of Media Relations" in item.authors[0]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/html", "text/xml", "application/octet-stream", "application/rss+xml"],
)
def test_mislabelled_content_types_parse_without_warnings(content_type: str | None) -> None:
    body = rss("<item><title>Régulation “quoted”</title></item>", prolog='<?xml version="1.0"?>')
    feed = parse(body, content_type=content_type)
    assert [item.title for item in feed.items] == ["Régulation “quoted”"]
    assert feed.warnings == ()


def test_server_charset_is_honoured_when_the_prolog_has_none() -> None:
    body = rss("<item><title>Café numéro 5</title></item>").decode().encode("windows-1252")
    feed = parse(body, content_type='application/rss+xml; charset="windows-1252"')
    assert feed.items[0].title == "Café numéro 5"
    assert feed.warnings == ()  # without the charset: decoded by guesswork, with a warning


# --- bundled demo samples (bot/samples, used by `calea-bot demo`) --------------------------------

SAMPLES = resources.files("bot") / "samples"


def _sample(name: str, kind: str = "auto") -> ParsedFeed:
    return parse((SAMPLES / name).read_bytes(), base_url=f"https://demo.invalid/{name}", kind=kind)


def test_sample_fcc_edocs_has_the_calea_rescission() -> None:
    feed = _sample("fcc_edocs.xml")
    assert 1 <= len(feed.items) <= 10
    release = feed.items[0]
    ids = extract_identifiers(release)
    assert release.title == "FCC Rescinds January 2025 CALEA Declaratory Ruling"
    assert release.published is not None and release.published.date() == dt.date(2025, 11, 21)
    assert ids.doc_ids == ("DOC-415455A1",) and ids.fcc_numbers == ("FCC 25-81",)
    all_dockets = {d for item in feed.items for d in extract_identifiers(item).dockets}
    assert {"PS 22-329", "WC 17-97", "OI 24-523"} <= all_dockets


def test_sample_federal_register_links_the_fr_and_fcc_numbers() -> None:
    feed = _sample("federal_register.json", kind="federal_register_json")
    calea = feed.items[0]
    ids = extract_identifiers(calea)
    assert calea.published == dt.datetime(2025, 12, 15, tzinfo=dt.UTC)
    assert ids.fr_numbers == ("2025-22830",) and ids.fcc_numbers == ("FCC 25-81",)
    assert ids.dockets == ("PS 22-329",)


def test_sample_cisa_and_industry_feeds() -> None:
    advisory = _sample("cisa.xml").items[0]
    assert "AA25-239A" in advisory.text and "Salt Typhoon" in advisory.text
    assert advisory.published == dt.datetime(2025, 8, 27, 12, tzinfo=dt.UTC)
    statement = _sample("industry.xml").items[0]
    assert statement.title.startswith("Joint Statement Welcoming FCC Vote to Rescind")
    assert statement.published is not None and statement.published.date() == dt.date(2025, 11, 20)
    assert extract_identifiers(statement).dockets == ("PS 22-329",)


def test_sample_challenge_page_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError) as caught:
        _sample("headlines_challenge.html")
    assert caught.value.health is Health.NOT_A_FEED


def test_hostile_prolog_with_endless_unclosed_doctypes_fails_cleanly() -> None:
    body = b"<!ENTITY" + b"<!DOCTYPE [" * 40_000  # a backtracking regex needed a minute here
    with pytest.raises(FeedParseError) as caught:
        parse_feed(body, source=source(), base_url="https://feeds.example.com/feed")
    assert caught.value.health in (Health.PARSE_ERROR, Health.NOT_A_FEED)


def test_doctype_with_a_long_external_id_still_loses_its_entities() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "' + b"x" * 1500 + b'" ['
        b'<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<rss version="2.0"><channel><title>t</title><item><title>&b;</title>'
        b"<link>https://x.gov/1</link></item></channel></rss>"
    )
    feed = parse_feed(body, source=source(), base_url="https://feeds.example.com/feed")
    assert "aaaa" not in feed.items[0].title
