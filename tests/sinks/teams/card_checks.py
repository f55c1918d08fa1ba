"""Checks every Teams card must pass: the official schema, Teams' rules, and inert feed text.

- `card_problems`: JSON-schema errors (Adaptive Card 1.5 schema, Draft 6) plus the rules for
  cards posted through Workflows/outgoing webhooks: version "1.4", only 1.4 elements and
  properties (from the schema's own "version" annotations), only Action.OpenUrl/ShowCard/
  ToggleVisibility, http(s) URLs only, payload within 28 KB.
- `inert_problems`: signs that hostile text could render as a link, mention, tag, entity,
  template function or formatting.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator

from bot.sinks.teams.elements import encode_payload, message_payload

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "adaptive-card-1.5.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = Draft6Validator(SCHEMA)
DEFINITIONS = SCHEMA["definitions"]

ALLOWED_ELEMENTS = {
    "TextBlock",
    "FactSet",
    "Container",
    "ColumnSet",
    "Column",
    "ActionSet",
    "Image",
}
ALLOWED_ACTIONS = {"Action.OpenUrl", "Action.ShowCard", "Action.ToggleVisibility"}
PLATFORM_LIMIT_BYTES = 28_000  # "28 KB", read conservatively
TARGET_VERSION = (1, 4)
MARKDOWN_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(([^)\s]*)\)")


def _version(text: str | None) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")) if text else (1, 0)


def _spec_version(spec: Any) -> str | None:
    """A property's own version, else that of the definition it refers to (TextBlock.style)."""
    if not isinstance(spec, dict):
        return None
    if "version" in spec:
        return spec["version"]
    refs = [spec.get("$ref")] + [option.get("$ref") for option in spec.get("anyOf", [])]
    found = [DEFINITIONS[r.rsplit("/", 1)[-1]].get("version") for r in refs if r]
    found = [v for v in found if v]
    return max(found, key=_version) if found else None


def _property_versions(definition_name: str) -> dict[str, str]:
    """Property → minimum version, following the definition's allOf references."""
    versions: dict[str, str] = {}
    pending = [definition_name]
    while pending:
        definition = DEFINITIONS.get(pending.pop(), {})
        for name, spec in definition.get("properties", {}).items():
            version = _spec_version(spec)
            if version:
                versions.setdefault(name, version)
        for ref in definition.get("allOf", []):
            pending.append(ref["$ref"].rsplit("/", 1)[-1])
    return versions


def _walk(node: Any, path: str = "card") -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def card_texts(card: dict) -> list[str]:
    """Every string Teams renders as markdown: TextBlock text, fact titles/values, fallback."""
    texts = [card.get("fallbackText", "")]
    for _, node in _walk(card):
        if node.get("type") == "TextBlock":
            texts.append(node["text"])
        if node.get("type") == "FactSet":
            texts += [value for fact in node["facts"] for value in (fact["title"], fact["value"])]
    return [t for t in texts if t]


def card_links(card: dict) -> list[str]:
    """Every URL a user can open: Action.OpenUrl targets and markdown link destinations."""
    links = [node["url"] for _, node in _walk(card) if node.get("type") == "Action.OpenUrl"]
    for text in card_texts(card):
        links += [match.group(2) for match in MARKDOWN_LINK.finditer(text)]
    return links


def card_problems(card: dict) -> list[str]:
    """Everything wrong with `card` (empty when it is fine)."""
    problems = [
        f"schema: {error.message[:200]} at {'/'.join(map(str, error.absolute_path))}"
        for error in VALIDATOR.iter_errors(card)
    ]
    if card.get("type") != "AdaptiveCard" or card.get("version") != "1.4":
        problems.append(
            f"top level must be an AdaptiveCard of version 1.4, got {card.get('version')}"
        )
    for path, node in _walk(card):
        kind = node.get("type")
        if not isinstance(kind, str) or path == "card":
            continue
        if kind.startswith("Action."):
            if kind not in ALLOWED_ACTIONS:
                problems.append(f"{path}: {kind} does not work through a webhook")
        elif kind not in ALLOWED_ELEMENTS and kind != "AdaptiveCard":
            problems.append(f"{path}: element {kind} is not allowed")
        definition = DEFINITIONS.get(kind, {})
        if _version(definition.get("version")) > TARGET_VERSION:
            problems.append(f"{path}: {kind} needs version {definition['version']}")
        for name, version in _property_versions(kind).items():
            if name in node and _version(version) > TARGET_VERSION:
                problems.append(f"{path}.{name} needs version {version}")
    for link in card_links(card):
        if not re.match(r"^https?://[^\s]+$", link):
            problems.append(f"link is not http(s): {link[:80]!r}")
    size = len(encode_payload(message_payload(card)))
    if size > PLATFORM_LIMIT_BYTES:
        problems.append(f"payload is {size} bytes, over {PLATFORM_LIMIT_BYTES}")
    return problems


def assert_valid_card(card: dict) -> None:
    """Fail with every problem listed."""
    problems = card_problems(card)
    assert not problems, "\n".join(problems)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert_problems(text: str, *, allowed_links: tuple[str, ...] = ()) -> list[str]:
    """Ways `text` could still render hostile markup (empty when inert).

    `allowed_links` are the destinations of links the card itself makes (an item's own link);
    such a link's label must itself be inert.
    """
    problems = []
    rest = text
    for match in MARKDOWN_LINK.finditer(text):
        if match.group(2) not in allowed_links:
            problems.append(f"link to {match.group(2)!r}")
        rest = rest.replace(match.group(0), match.group(1))
    unescaped = re.sub(r"\\.", "", rest)
    checks = {
        "a ']' not followed by a zero-width space": r"\](?!\u200b)",
        "an unbroken '<' (tag, mention, autolink)": r"<(?!\u200b)",
        "an entity": r"&[#A-Za-z0-9]",
        "a template function": r"\{\{",
        "a URL scheme": r"[A-Za-z]://",
        "an auto-linkable domain": r"\.[^\W\d_]",
        "a control or bidi character": _CONTROL.pattern,
        "a block marker at the start": r"^\s*(?:[-+#>]|\d+[.)])",
    }
    for what, pattern in checks.items():
        if re.search(pattern, rest):
            problems.append(f"{what} in {rest[:120]!r}")
    if re.search(r"[*_~`\[\]]", unescaped):
        problems.append(f"unescaped markdown punctuation in {rest[:120]!r}")
    return problems


def assert_inert(card: dict, *, allowed_links: tuple[str, ...] = ()) -> None:
    """Every rendered string of `card` is inert."""
    problems = [
        p for text in card_texts(card) for p in inert_problems(text, allowed_links=allowed_links)
    ]
    assert not problems, "\n".join(problems)


def visible(text: str) -> str:
    """Roughly what a reader sees: escapes and zero-width spaces removed."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "")
