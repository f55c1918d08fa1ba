"""`feeds import FILE.opml` and `feeds export`: safe parsing, validation, dedupe, --write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.config import load_config
from bot.feeds.opml import export_opml, read_opml
from tests.app.test_cli import calea

REPO = Path(__file__).resolve().parents[2]

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="Telecom">
      <outline type="rss" text="Telecom Law Blog" xmlUrl="https://telecomlaw.example.com/feed" />
      <outline type="rss" title="NTIA again" xmlUrl="https://www.ntia.gov/rss.xml"/>
      <outline type="rss" text="Evil" xmlUrl="javascript:alert(1)" />
      <outline type="rss" text="Local" xmlUrl="file:///etc/passwd" />
      <outline type="rss" text="Telecom Law Blog" xmlUrl="https://telecomlaw.example.com/feed/" />
      <outline type="rss" text="Telecom Law Blog" xmlUrl="https://other.example.com/rss" />
    </outline>
  </body>
</opml>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<opml version="2.0"><body><outline text="&lol3;" xmlUrl="https://x.example/f"/></body></opml>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://x.example/f"/></body></opml>
"""


@pytest.fixture
def feeds_copy(tmp_path) -> Path:
    target = tmp_path / "feeds.yaml"
    shutil.copy(REPO / "feeds.yaml", target)
    return target


def write(tmp_path: Path, text: str, name: str = "in.opml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_import_prints_a_valid_sources_snippet_deduped_and_validated(tmp_path, feeds_copy):
    result = calea("feeds", "import", str(write(tmp_path, OPML)), "--feeds", str(feeds_copy),
                   cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    snippet = yaml.safe_load(result.stdout)
    assert snippet["sources"] == [
        {"id": "telecom-law-blog", "name": "Telecom Law Blog",
         "url": "https://telecomlaw.example.com/feed"},
        {"id": "telecom-law-blog-2", "name": "Telecom Law Blog",
         "url": "https://other.example.com/rss"},
    ]  # fmt: skip
    assert "javascript:alert(1): not an http(s) URL" in result.stderr
    assert "file:///etc/passwd: not an http(s) URL" in result.stderr
    assert "ntia.gov/rss.xml: already configured" in result.stderr
    assert "telecomlaw.example.com/feed/: already configured" in result.stderr
    assert feeds_copy.read_text() == (REPO / "feeds.yaml").read_text()  # unchanged


def test_import_write_appends_to_the_sources_list_and_keeps_the_file_valid(tmp_path, feeds_copy):
    before = load_config(feeds_copy)
    opml = write(tmp_path, OPML)
    result = calea("feeds", "import", str(opml), "--write", "--feeds", str(feeds_copy),
                   cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    after = load_config(feeds_copy)
    assert after.source_ids()[: len(before.sources)] == before.source_ids()
    assert after.source_ids()[len(before.sources) :] == ("telecom-law-blog", "telecom-law-blog-2")
    assert after.topics == before.topics and after.matters == before.matters
    assert "# calea-bot configuration" in feeds_copy.read_text()  # comments kept
    again = calea("feeds", "import", str(opml), "--write", "--feeds", str(feeds_copy),
                  cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0 and "no new feeds" in again.stderr
    assert load_config(feeds_copy).source_ids() == after.source_ids()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BILLION_LAUGHS, "refused: the file has a DTD"),
        (XXE, "refused: the file has a DTD"),
        ("<opml><body><outline", "not well-formed XML"),
        ("<rss version='2.0'/>", "not an OPML file"),
    ],
)
def test_hostile_or_broken_opml_is_one_clear_line(tmp_path, feeds_copy, text, message):
    result = calea("feeds", "import", str(write(tmp_path, text)), "--feeds", str(feeds_copy),
                   cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


def test_export_lists_every_configured_source_and_reimports_as_nothing_new(tmp_path, feeds_copy):
    result = calea("feeds", "export", "--feeds", str(feeds_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    exported = write(tmp_path, result.stdout, "out.opml")
    config = load_config(feeds_copy)
    assert [url for _, url in read_opml(exported)] == [s.url for s in config.sources]
    assert 'category="disabled"' in result.stdout
    back = calea("feeds", "import", str(exported), "--feeds", str(feeds_copy), cwd=tmp_path)
    assert back.returncode == 0 and "no new feeds" in back.stderr


def test_export_escapes_names():
    from bot.models import Source

    text = export_opml([Source(id="a", name='A & "B" <c>', url="https://x.example/?a=1&b=2")])
    assert "&amp;" in text and "<c>" not in text


def test_write_never_changes_the_bundled_default(tmp_path):
    result = calea("feeds", "import", str(write(tmp_path, OPML)), "--write", cwd=tmp_path)
    assert result.returncode == 2 and "bundled default configuration" in result.stderr
    assert "Traceback" not in result.stderr
