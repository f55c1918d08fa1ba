"""OPML in and out: `calea-bot feeds import FILE.opml` and `calea-bot feeds export`.

Import reads feed outlines (any nesting) with defusedxml, which refuses DTDs, entity
declarations and external references — a hostile OPML file ("billion laughs", XXE) ends as one
clear error. Each feed must be an http(s) URL; feeds whose URL or id is already configured, or
repeated in the file, are skipped with the reason. The result is a YAML `sources:` snippet, or
with --write the entries are inserted into the feeds file's `sources:` list (validated first).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import defusedxml
import defusedxml.ElementTree as SafeET
import yaml

from bot.config import Config, load_config
from bot.errors import ConfigError
from bot.models import Source

MAX_OPML_BYTES = 5 * 1024 * 1024
_SLUG = re.compile(r"[^a-z0-9]+")
_TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_LIST_ITEM = re.compile(r"^(\s*)- ")


@dataclass(frozen=True)
class ImportedFeed:
    """One feed outline accepted for import."""

    id: str
    name: str
    url: str


@dataclass(frozen=True)
class ImportResult:
    """Accepted feeds and the outlines skipped, each with why."""

    feeds: tuple[ImportedFeed, ...]
    skipped: tuple[str, ...]


def read_opml(path: Path) -> list[tuple[str, str]]:
    """(title, xmlUrl) of every feed outline in the file; ConfigError with one line if unsafe."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_OPML_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_OPML_BYTES // 2**20} MiB; not an OPML file")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise ConfigError(
            f"{path}: refused: the file has a DTD (<!DOCTYPE>), not allowed"
        ) from None
    except defusedxml.EntitiesForbidden:
        raise ConfigError(f"{path}: refused: the file declares XML entities") from None
    except defusedxml.DefusedXmlException as exc:
        raise ConfigError(f"{path}: refused: unsafe XML ({type(exc).__name__})") from None
    except ET.ParseError as exc:
        raise ConfigError(f"{path}: not well-formed XML ({exc})") from None
    if root.tag.lower() != "opml":
        raise ConfigError(f"{path}: not an OPML file (the root element is <{root.tag[:40]}>)")
    feeds = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url:
            title = (outline.get("title") or outline.get("text") or "").strip()
            feeds.append((" ".join(title.split())[:200], url))
    return feeds


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:48].strip("-")


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme.lower() in ("http", "https")
        and bool(parts.hostname)
        and not any(ch.isspace() for ch in url)
    )


def select_feeds(outlines: Iterable[tuple[str, str]], existing: Sequence[Source]) -> ImportResult:
    """Validate, dedupe against `existing` and each other, and give each feed a unique id."""
    ids = {s.id for s in existing}
    urls = {s.url.strip().rstrip("/") for s in existing}
    accepted, skipped = [], []
    for title, url in outlines:
        shown = url[:120]
        if not _is_http_url(url):
            skipped.append(f"{shown}: not an http(s) URL")
            continue
        key = url.rstrip("/")
        if key in urls:
            skipped.append(f"{shown}: already configured")
            continue
        base = _slug(title) or _slug(urlsplit(url).hostname or "") or "feed"
        feed_id, n = base, 2
        while feed_id in ids:
            feed_id, n = f"{base}-{n}", n + 1
        ids.add(feed_id)
        urls.add(key)
        accepted.append(ImportedFeed(id=feed_id, name=title or feed_id, url=url))
    return ImportResult(tuple(accepted), tuple(skipped))


def sources_snippet(feeds: Sequence[ImportedFeed], *, header: bool = True) -> str:
    """YAML for the feeds, as a `sources:` section (or just its list entries)."""
    entries = [{"id": f.id, "name": f.name, "url": f.url} for f in feeds]
    text = yaml.safe_dump(
        {"sources": entries}, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    if header:
        return text
    body = text.split("\n", 1)[1]
    return "".join(f"  {line}\n" if line else "\n" for line in body.splitlines())


def append_to_feeds_file(path: Path, feeds: Sequence[ImportedFeed]) -> None:
    """Insert the entries at the end of the file's `sources:` list, keeping everything else.

    The result is validated with load_config before it replaces the file.
    """
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"^sources\s*:\s*$", line)), None)
    if start is None:
        raise ConfigError(
            f"{path}: has no block-style `sources:` list to append to; paste the snippet "
            "printed without --write instead"
        )
    end = next(
        (i for i in range(start + 1, len(lines)) if _TOP_LEVEL_KEY.match(lines[i])), len(lines)
    )
    block = lines[start + 1 : end]
    first_item = next((_LIST_ITEM.match(line) for line in block if _LIST_ITEM.match(line)), None)
    if first_item is None and any(
        line.strip() and not line.lstrip().startswith("#") for line in block
    ):
        raise ConfigError(
            f"{path}: its `sources:` is not a list of entries; paste the snippet printed "
            "without --write instead"
        )
    indent = first_item.group(1) if first_item else "  "
    while end > start + 1 and (
        not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
    ):
        end -= 1  # keep the comments and blank lines that introduce the next section
    snippet = sources_snippet(feeds, header=False)
    snippet = "".join(
        indent + line[2:] if line.startswith("  ") else line for line in snippet.splitlines(True)
    )
    before = "".join(lines[:end])
    if before and not before.endswith("\n"):
        before += "\n"
    new_text = before + snippet + "".join(lines[end:])
    _replace_validated(path, new_text)


def _blank_or_comment(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _replace_validated(path: Path, new_text: str) -> Config:
    folder = path.resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=".feeds-", suffix=".yaml", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new_text)
        try:
            config = load_config(tmp)
        except ConfigError as exc:
            raise ConfigError(f"{path}: not changed: the result would be invalid: {exc}") from None
        with contextlib.suppress(OSError):
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
        os.replace(tmp, path)
        return config
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_opml(sources: Sequence[Source], title: str = "calea-bot sources") -> str:
    """An OPML 2.0 document listing `sources` (disabled ones are marked with a category)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for source in sources:
        attrs = {"type": "rss", "text": source.name, "title": source.name, "xmlUrl": source.url}
        if not source.enabled:
            attrs["category"] = "disabled"
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
