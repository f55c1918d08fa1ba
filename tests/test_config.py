"""feeds.yaml loading: the real file, and every way a hand-edited file goes wrong."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.config import MAX_REPORTED_PROBLEMS, Config, load_config
from bot.errors import ConfigError
from bot.models import FetchSettings

REPO = Path(__file__).resolve().parents[1]
REAL_FEEDS = REPO / "feeds.yaml"
FIXTURES = Path(__file__).parent / "fixtures" / "config"


def config_error(path: Path) -> str:
    """The ConfigError message load_config raises for `path` (fails the test if none)."""
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "Traceback" not in message
    assert "pydantic" not in message.lower()
    assert "validation error" not in message.lower()
    return message


def write(tmp_path: Path, text: str, name: str = "feeds.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
sources:
  - id: ntia
    url: https://www.ntia.gov/rss.xml
"""


# --- the real feeds.yaml -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> Config:
    return load_config(REAL_FEEDS)


def test_real_feeds_yaml_has_the_named_sources(real: Config) -> None:
    assert len(real.sources) >= 13
    expected = {
        "federal-register-fcc": "https://www.federalregister.gov/api/v1/documents.rss?",
        "federal-register-fcc-json": "https://www.federalregister.gov/api/v1/documents.json?",
        "fcc-edocs": "https://api2.fcc.gov/edocs/public/api/v1/rss/",
        "fcc-edocs-news-releases": "https://api2.fcc.gov/edocs/public/api/v1/rss/docTypes/News_Release",
        "fcc-edocs-orders": "https://api2.fcc.gov/edocs/public/api/v1/rss/docTypes/Order",
        "fcc-edocs-public-notices": "https://api2.fcc.gov/edocs/public/api/v1/rss/docTypes/Public_Notice",
        "fcc-headlines": "https://www.fcc.gov/news-events/headlines.rss",
        "cisa-advisories": "https://www.cisa.gov/cybersecurity-advisories/all.xml",
        "ustelecom": "https://www.ustelecom.org/feed/",
        "ncta": "https://www.ncta.com/rss.xml",
        "ctia": "https://www.ctia.org/news",
        "ntia": "https://www.ntia.gov/rss.xml",
        "light-reading": "https://www.lightreading.com/rss.xml",
        "broadband-breakfast": "https://broadbandbreakfast.com/feed/",
        "benton": "https://www.benton.org/rss.xml",
    }
    for source_id, url_start in expected.items():
        assert real.source(source_id).url.startswith(url_start), source_id
    assert len(set(real.source_ids())) == len(real.sources)


def test_real_feeds_yaml_source_details(real: Config) -> None:
    json_api = real.source("federal-register-fcc-json")
    assert json_api.kind == "federal_register_json"
    for field in ("document_number", "docket_ids", "comments_close_on", "effective_on"):
        assert f"fields[]={field}" in json_api.url
    assert "conditions[agencies][]=federal-communications-commission" in json_api.url
    assert "order=newest" in json_api.url and "per_page=20" in json_api.url
    inspection = real.source("federal-register-public-inspection")
    assert inspection.kind == "federal_register_public_inspection"
    special = {"federal-register-fcc-json", inspection.id}
    assert all(s.kind == "auto" for s in real.sources if s.id not in special)
    # Known-blocked stays enabled so its health is visible; CTIA has no feed and is off.
    assert real.source("fcc-headlines").enabled
    assert not real.source("ctia").enabled
    assert "ctia" not in {s.id for s in real.enabled_sources()}
    assert real.source("cisa-advisories").topics == ("cybersecurity",)
    assert real.source("federal-register-fcc").interval_seconds == 15 * 60
    assert real.source("fcc-edocs").interval_seconds == 15 * 60
    assert real.source("light-reading").interval_seconds == 30 * 60
    assert real.source("cisa-advisories").interval_seconds == 30 * 60
    assert all(s.interval_seconds >= 60 for s in real.sources)


def test_real_feeds_yaml_topics(real: Config) -> None:
    required = (
        "calea",
        "cybersecurity",
        "robocalls",
        "supply-chain",
        "submarine-cables",
        "cyber-trust-mark",
        "911-outages",
        "privacy-cpni",
        "spectrum",
        "broadband-usf",
    )
    assert set(required) <= set(real.topic_ids())
    for topic in real.topics:
        assert topic.title and topic.description, topic.id
        assert topic.keywords or topic.patterns, topic.id
        for docket in topic.dockets:
            assert re.fullmatch(r"[A-Z]{2,4} \d{2}-\d+", docket), docket
        # Over-broad words would flood every channel.
        assert not {"security", "spectrum", "auction", "privacy"} & {
            k.casefold() for k in topic.keywords
        }, topic.id
    by_id = {topic.id: topic for topic in real.topics}
    assert {"PS 22-329", "ET 04-295", "PS 22-217"} <= set(by_id["calea"].dockets)
    assert {"WC 17-97", "CG 17-59"} <= set(by_id["robocalls"].dockets)
    assert {"WC 18-89", "ET 24-136", "GN 25-166"} <= set(by_id["supply-chain"].dockets)
    assert {"OI 24-523", "MD 24-524"} <= set(by_id["submarine-cables"].dockets)
    assert by_id["cyber-trust-mark"].dockets == ("PS 23-239",)


def test_real_feeds_yaml_matters(real: Config) -> None:
    calea = real.matter("calea-network-security")
    assert calea.dockets == ("PS 22-329",)
    assert {"FCC 25-9", "FCC 25-81", "DOC-415455A1", "2025-22830"} <= set(calea.documents)
    states = {(event.date.isoformat(), event.state) for event in calea.timeline if event.state}
    assert states == {("2025-01-15", "in force"), ("2025-11-20", "rescinded")}
    documents = {event.document for event in calea.timeline}
    assert {"FCC 25-9", "DOC-415190A1", "FCC 25-81", "2025-22830"} <= documents
    assert "AA25-239A" in real.matter("salt-typhoon").documents
    all_dockets = {d for matter in real.matters for d in matter.dockets}
    expected = {"PS 23-239", "OI 24-523", "MD 24-524", "ET 24-136", "GN 25-166", "WC 18-89"}
    assert expected | {"WC 17-97", "CG 17-59"} <= all_dockets
    for matter in real.matters:
        assert set(matter.topics) <= set(real.topic_ids()), matter.id


def test_real_feeds_yaml_settings(real: Config) -> None:
    assert real.fetch.max_bytes == 10 * 1024 * 1024
    assert real.fetch.user_agent.startswith("calea-bot/")
    assert real.first_poll_alerts == 3
    assert real.max_alerts_per_poll == 20


# --- defaults and accepted spellings -------------------------------------------------------------


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    source = config.source("ntia")
    assert (source.name, source.kind, source.interval_seconds, source.enabled) == (
        "ntia",
        "auto",
        900,
        True,
    )
    assert source.topics == ()
    assert config.topics == () and config.matters == ()
    assert config.fetch == FetchSettings()
    assert (config.first_poll_alerts, config.max_alerts_per_poll) == (3, 20)
    assert config.path == tmp_path / "feeds.yaml"


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("90", 90), ("'90s'", 90), ("15m", 900), ("1h", 3600), ("2 min", 120), ("1.5h", 5400)],
)
def test_interval_spellings(tmp_path: Path, written: str, seconds: int) -> None:
    config = load_config(write(tmp_path, MINIMAL + f"    interval: {written}\n"))
    assert config.source("ntia").interval_seconds == seconds


def test_settings_block_is_applied(tmp_path: Path) -> None:
    text = (
        "settings:\n  max_bytes: 512KiB\n  read_timeout: 0.5\n  total_timeout: 2s\n"
        "  per_host_concurrency: 1\n  first_poll_alerts: 0\n  max_alerts_per_poll: 5\n"
        "  backoff_base: 2m\n  user_agent: test-agent/1\n" + MINIMAL
    )
    config = load_config(write(tmp_path, text))
    assert config.fetch.max_bytes == 512 * 1024
    assert config.fetch.read_timeout == 0.5
    assert config.fetch.total_timeout == 2.0
    assert config.fetch.per_host_concurrency == 1
    assert config.fetch.backoff_base_seconds == 120.0
    assert config.fetch.user_agent == "test-agent/1"
    assert (config.first_poll_alerts, config.max_alerts_per_poll) == (0, 5)


def test_dockets_documents_and_dates_are_normalised(tmp_path: Path) -> None:
    text = MINIMAL + (
        "topics:\n"
        "  - id: calea\n"
        "    keywords: CALEA\n"  # a single value is a one-item list
        "    dockets: [PS Docket No. 22-329, ps docket 22-217, ET-04-295, PS 22-329, RM-11991]\n"
        "matters:\n"
        "  - id: calea-network-security\n"
        "    documents: [fcc-25-81, doc-415455a1]\n"
        "    timeline:\n"
        "      - {date: 2025-02, label: petitions, state: Under Reconsideration}\n"
        "      - {date: '2025-11-20', label: rescinded, state: rescinded, document: FCC 25-81}\n"
    )
    config = load_config(write(tmp_path, text))
    assert config.topics[0].keywords == ("CALEA",)
    assert config.topics[0].dockets == ("PS 22-329", "PS 22-217", "ET 04-295", "RM-11991")
    matter = config.matter("calea-network-security")
    assert matter.documents == ("FCC 25-81", "DOC-415455A1")
    first, second = matter.timeline
    assert first.date.isoformat() == "2025-02-01"  # month only: the 1st
    assert first.state == "under reconsideration"
    assert second.date.isoformat() == "2025-11-20" and second.document == "FCC 25-81"


def test_sections_accept_list_or_mapping_form(tmp_path: Path) -> None:
    as_mapping = (
        "sources:\n  ntia: {url: 'https://www.ntia.gov/rss.xml', topics: [usf]}\n"
        "topics:\n  calea: {keywords: [CALEA]}\n  usf:\n    keywords: [BEAD]\n  empty:\n"
        "matters:\n  calea-network-security: {dockets: [PS 22-329], topics: calea}\n"
    )
    as_list = (
        "sources:\n  - {id: ntia, url: 'https://www.ntia.gov/rss.xml', topics: [usf]}\n"
        "topics:\n  - {id: calea, keywords: [CALEA]}\n  - {id: usf, keywords: [BEAD]}\n"
        "  - {id: empty}\n"
        "matters:\n  - {id: calea-network-security, dockets: [PS 22-329], topics: calea}\n"
    )
    mapping = load_config(write(tmp_path, as_mapping, "a.yaml"))
    listed = load_config(write(tmp_path, as_list, "b.yaml"))
    assert mapping.topic_ids() == ("calea", "usf", "empty")
    assert (mapping.sources, mapping.topics, mapping.matters) == (
        listed.sources,
        listed.topics,
        listed.matters,
    )


def test_mapping_form_errors_name_the_key(tmp_path: Path) -> None:
    text = MINIMAL + (
        "topics:\n  calea:\n    id: cal\n  robocalls:\n    patterns: ['(x']\n"
        "  Bad Id: {keywords: [x1]}\n"
    )
    message = config_error(write(tmp_path, text))
    assert 'topics.calea.id: is "cal" but the key says "calea"; drop `id:`' in message
    assert 'topics.robocalls.patterns[0]: invalid regular expression "(x"' in message
    assert "topics.Bad Id.id: must be 1-64 lowercase letters" in message


def test_mapping_that_is_one_entry_without_a_dash(tmp_path: Path) -> None:
    message = config_error(write(tmp_path, "sources:\n  id: ntia\n  url: https://a.example/\n"))
    assert "sources: must be a list of entries (each starting with '- ')" in message
    assert "looks like one entry missing its '- '" in message


def test_unknown_source_lookup_names_known_ids(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    with pytest.raises(ConfigError, match=r'no source with id "ntai" \(did you mean "ntia"\?\)'):
        config.source("ntai")


# --- every failure mode is one clear ConfigError ------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = config_error(tmp_path / "nowhere.yaml")
    assert "nowhere.yaml" in message and "file not found" in message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    message = config_error(tmp_path)
    assert str(tmp_path) in message and "directory" in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_bytes(b"sources:\n  - id: caf\xe9\n")
    message = config_error(path)
    assert "feeds.yaml" in message and "UTF-8" in message


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    path.chmod(0)
    try:
        message = config_error(path)
    finally:
        path.chmod(0o600)
    assert "feeds.yaml" in message and "cannot be read" in message


def test_invalid_yaml_names_line_and_column() -> None:
    message = config_error(FIXTURES / "invalid_yaml.yaml")
    assert message.startswith(f"{FIXTURES / 'invalid_yaml.yaml'}: invalid YAML at line 4, column")
    assert "\n" not in message


def test_empty_file() -> None:
    message = config_error(FIXTURES / "empty.yaml")
    assert "empty.yaml" in message and "empty" in message and "sources" in message


def test_top_level_must_be_a_mapping() -> None:
    message = config_error(FIXTURES / "top_level_list.yaml")
    assert "top_level_list.yaml" in message
    assert "top level must be a mapping" in message and "got a list" in message


def test_duplicate_source_and_topic_ids_reported_together() -> None:
    message = config_error(FIXTURES / "duplicate_ids.yaml")
    assert "2 problems" in message
    assert 'sources[1] (id "ntia").id: duplicate id "ntia", already used by sources[0]' in message
    assert 'topics[1] (id "calea").id: duplicate id "calea", already used by topics[0]' in message


def test_duplicate_key_in_one_entry() -> None:
    message = config_error(FIXTURES / "duplicate_key.yaml")
    assert "duplicate_key.yaml: line 4, column 5" in message
    assert 'duplicate key "url" (first used on line 3)' in message


def test_duplicate_topic_in_mapping_form() -> None:
    message = config_error(FIXTURES / "duplicate_topic_key.yaml")
    assert "duplicate_topic_key.yaml: line 9, column 3" in message
    assert 'duplicate key "calea" (first used on line 5)' in message


def test_unknown_topics_referenced_by_source_and_matter() -> None:
    message = config_error(FIXTURES / "unknown_topic.yaml")
    assert (
        'sources[0] (id "cisa-advisories").topics[0]: unknown topic "cybersecurty" '
        '(did you mean "cybersecurity"?)' in message
    )
    assert 'matters[0] (id "calea-network-security").topics[0]: unknown topic "calea"' in message
    assert "define it under `topics:`" in message


def test_every_bad_value_is_reported_with_its_key() -> None:
    path = FIXTURES / "bad_values.yaml"
    message = config_error(path)
    lines = message.splitlines()
    assert lines[0] == f"{path}: 8 problems to fix:"
    expected = [
        'settings.max_bytes: must be a number of bytes or a size like "10MiB"',
        'settings.user_agnet: unknown key "user_agnet" (did you mean "user_agent"?)',
        'sources[0] (id "fr").kind: must be one of "auto", "federal_register_json", '
        '"federal_register_public_inspection", got "json"',
        'sources[1] (id "ntia").url: must be an http:// or https:// URL, got "ftp://',
        'sources[1] (id "ntia").interval: must be at least 60 seconds, got "10s"',
        'topics[0] (id "calea").patterns[0]: invalid regular expression "stir/(shaken"',
        'topics[0] (id "calea").dockets[0]: is not a docket: "Docket 22-329"',
        'matters[0] (id "calea-network-security").timeline[0].date: is not a valid date: '
        '"2025-02-30"; write YYYY-MM-DD',
    ]
    for fragment in expected:
        assert any(line.strip().startswith(f"{path}: {fragment}") for line in lines), fragment


@pytest.mark.parametrize(
    ("snippet", "fragment"),
    [
        ("    interval: 10s\n", 'interval: must be at least 60 seconds, got "10s"'),
        ("    interval: soon\n", 'interval: must be a number of seconds or a duration like "90s"'),
        ("    interval: 8d\n", 'interval: must be at most 7 days ("7d")'),
        (
            "    kind: rss\n",
            'kind: must be one of "auto", "federal_register_json", '
            '"federal_register_public_inspection", got "rss"',
        ),
        ("    enabled: perhaps\n", 'enabled: must be true or false, got "perhaps"'),
        ("    topics: {a: 1}\n", "topics: must be a list, got a mapping"),
        ("    nmae: NTIA\n", 'unknown key "nmae" (did you mean "name"?); allowed keys: id, name'),
    ],
)
def test_source_value_errors(tmp_path: Path, snippet: str, fragment: str) -> None:
    message = config_error(write(tmp_path, MINIMAL + snippet))
    assert message.startswith(f'{tmp_path / "feeds.yaml"}: sources[0] (id "ntia").')
    assert fragment in message


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("file:///etc/passwd", 'must be an http:// or https:// URL, got "file:///etc/passwd"'),
        ("www.ntia.gov/rss.xml", "must be an http:// or https:// URL"),
        ("https://", "must be an http:// or https:// URL"),
        ("'https://a b/'", "must not contain spaces"),
    ],
)
def test_source_url_errors(tmp_path: Path, url: str, fragment: str) -> None:
    message = config_error(write(tmp_path, f"sources:\n  - id: x\n    url: {url}\n"))
    assert 'sources[0] (id "x").url: ' in message and fragment in message


def test_missing_required_keys_and_bad_ids(tmp_path: Path) -> None:
    text = "sources:\n  - name: no id or url\n  - id: Has Spaces\n    url: https://a.example/\n"
    message = config_error(write(tmp_path, text))
    assert "sources[0].id: required key is missing" in message
    assert "sources[0].url: required key is missing" in message
    assert 'sources[1] (id "Has Spaces").id: must be 1-64 lowercase letters' in message


def test_sources_must_be_a_non_empty_list(tmp_path: Path) -> None:
    assert "sources: at least one source is required" in config_error(
        write(tmp_path, "topics: []\n")
    )
    assert "sources: must be a list" in config_error(write(tmp_path, "sources: {id: x}\n"))


def test_unknown_top_level_key(tmp_path: Path) -> None:
    message = config_error(write(tmp_path, MINIMAL + "source:\n  - id: y\n"))
    assert 'source: unknown key "source" (did you mean "sources"?)' in message


@pytest.mark.parametrize(
    ("topic", "fragment"),
    [
        ("patterns: ['(foo']", 'patterns[0]: invalid regular expression "(foo"'),
        ("patterns: ['a|']", 'patterns[0]: regular expression "a|" matches empty text'),
        ("dockets: ['22-329']", 'dockets[0]: is not a docket: "22-329"; write one docket per'),
        ("dockets: ['XY 22-1']", 'dockets[0]: is not a docket: "XY 22-1"'),
        ("dockets: ['WC Docket Nos. 17-97, 20-67']", "dockets[0]: is not a docket"),
        ("keywords: ['x']", 'keywords[0]: must be at least 2 characters, got "x"'),
        ("keywords: [5]", "keywords[0]: must be text, got 5"),
    ],
)
def test_topic_value_errors(tmp_path: Path, topic: str, fragment: str) -> None:
    message = config_error(write(tmp_path, MINIMAL + f"topics:\n  - id: t\n    {topic}\n"))
    assert f'topics[0] (id "t").{fragment}' in message


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        ("{date: tomorrow, label: x}", 'date: is not a valid date: "tomorrow"'),
        ("{date: 2025-13, label: x}", 'date: is not a valid date: "2025-13"'),
        ("{date: 2025-01-15}", "label: required key is missing"),
        ("{date: 2025-01-15, label: x, url: 'ftp://x'}", "url: must be an http:// or https://"),
        (
            "{date: 2025-01-15, label: x, status: y}",
            'status: unknown key "status" (did you mean "state"?)',
        ),
    ],
)
def test_timeline_value_errors(tmp_path: Path, event: str, fragment: str) -> None:
    text = MINIMAL + f"matters:\n  - id: m\n    timeline:\n      - {event}\n"
    message = config_error(write(tmp_path, text))
    assert f'matters[0] (id "m").timeline[0].{fragment}' in message


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("max_bytes: 0", "max_bytes: must be at least 1 byte"),
        ("max_bytes: 10 parsecs", "max_bytes: must be a number of bytes or a size"),
        ("read_timeout: 0", "read_timeout: must be more than 0 seconds"),
        ("per_host_concurrency: 0", "per_host_concurrency: must be at least 1, got 0"),
        ("max_alerts_per_poll: 0", "max_alerts_per_poll: must be at least 1, got 0"),
        ("first_poll_alerts: -1", "first_poll_alerts: must be at least 0, got -1"),
        ('user_agent: "a\\nb"', "user_agent: must be a single line"),
        ("colour: blue", 'settings.colour: unknown key "colour"'),
    ],
)
def test_settings_value_errors(tmp_path: Path, setting: str, fragment: str) -> None:
    message = config_error(write(tmp_path, f"settings:\n  {setting}\n" + MINIMAL))
    assert fragment in message and "settings." in message


def test_many_problems_are_capped(tmp_path: Path) -> None:
    entries = "".join(f"  - id: s{i}\n    url: ftp://x{i}\n" for i in range(15))
    message = config_error(write(tmp_path, "sources:\n" + entries))
    lines = message.splitlines()
    assert lines[0].endswith("15 problems to fix:")
    assert len(lines) == 1 + MAX_REPORTED_PROBLEMS + 1
    assert lines[-1].strip() == f"… and {15 - MAX_REPORTED_PROBLEMS} more"
