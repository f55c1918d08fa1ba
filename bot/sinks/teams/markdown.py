"""Making text inert for Teams: Adaptive Card TextBlocks and message text render markdown.

Teams renders a markdown subset in TextBlock and FactSet text and in the `text` of a message:
emphasis, lists, `[label](url)` links, bare URLs (auto-linked), HTML-ish tags such as the
`<at>…</at>` mention and `{{DATE(…)}}` functions. Feed text and user text are hostile, so
`inert_markdown` turns them into text that displays the same words but can never become a
link, a mention, a tag, an entity or formatting:

- markdown punctuation (``\\ * _ ~ ` [ ]``) is backslash-escaped, and a block marker at the
  start (``- + # >`` or ``1.``) too — purely cosmetic, so clients that ignore backslash
  escapes only show a stray backslash;
- the structural breakers do not rely on escapes: an invisible zero-width space (U+200B) is
  inserted after every ``<`` and ``]``, after ``&`` before a name, between ``{{``, between
  ``:`` and ``//`` and after a ``.`` followed by a letter. No renderer can then see a tag, a
  link destination, an entity, a template function, a URL scheme or a domain name to
  auto-link, whatever its markdown dialect.

The zero-width spaces stay in the text: copying displayed feed text copies them too. Values a
person must copy (a channel id) are shown by `code_span` instead, after checking their alphabet.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
ELLIPSIS = "…"

# C0/C1 controls except \t \n, bidi overrides/isolates (they reorder displayed text).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\*_~`\[\]])")
_BLOCK_MARKER = re.compile(r"^(\d{0,9})([-+#>.)])")
_BREAK_POINTS = re.compile(
    r"(?<=<)"  # tags, <at> mentions, <https://…> autolinks
    r"|(?<=\])"  # [label](url), [label][ref], [ref]: url
    r"|(?<=&)(?=[#A-Za-z0-9])"  # &lt; &#60; entities
    r"|(?<=\{)(?=\{)"  # {{DATE(…)}} functions
    r"|(?<=:)(?=//)"  # scheme://
    r"|(?<=\.)(?=[^\W\d_])"  # www.example.com, evil.рф: fuzzy domain and e-mail auto-links
)
_CODE_SAFE = re.compile(r"^[A-Za-z0-9 :@.;=_+-]{1,300}$")


def clean_text(text: str) -> str:
    """Remove control and bidi-override characters and collapse all whitespace to one space."""
    return _WHITESPACE.sub(" ", _CONTROL.sub("", text)).strip()


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def _escape_block_marker(match: re.Match[str]) -> str:
    digits, mark = match.groups()
    if bool(digits) != (mark in ".)"):
        return match.group(0)  # "2025-12-01" and ".5" are not block markers
    return f"{digits}\\{mark}"


def inert_markdown(text: str, limit: int | None = None) -> str:
    """Untrusted text (feed, user, remote error) made inert for a TextBlock or message text.

    The result is one line; `limit` (characters, before escaping) shortens it with an ellipsis.
    """
    plain = clean_text(text)
    if limit is not None:
        plain = shorten(plain, limit)
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", plain)
    escaped = _BLOCK_MARKER.sub(_escape_block_marker, escaped)
    return _BREAK_POINTS.sub(ZERO_WIDTH_SPACE, escaped)


def trusted_markdown(text: str) -> str:
    """Text the bot wrote itself: markdown kept, but still no tags and no hidden controls.

    Defence in depth for bot-written text that might quote a user: tags and mentions are
    broken as in `inert_markdown`; emphasis and line breaks are left as written.
    """
    without_controls = _CONTROL.sub("", text.replace("\r\n", "\n")).replace(
        "<", "<" + ZERO_WIDTH_SPACE
    )
    return without_controls.strip()


def code_span(value: str) -> str:
    """A value shown as inline code so it can be copied exactly (ids, command lines).

    Only values made of id-like characters are shown raw; anything else goes through
    `inert_markdown`, which is safe but may contain invisible breakers.
    """
    if _CODE_SAFE.match(value):
        return f"`{value}`"
    return inert_markdown(value)


def strip_invisible(value: str) -> str:
    """Remove zero-width characters a copy from a Teams message may have carried along."""
    return re.sub(r"[\u200b-\u200d\u2060\ufeff]", "", value).strip()
