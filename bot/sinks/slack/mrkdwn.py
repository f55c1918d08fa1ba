"""Safe Slack mrkdwn from hostile text: escaping, http(s)-only links and graceful truncation.

Feed titles, summaries, source names and user input may contain `<!channel>`, `<@U123>` or
`<https://evil|Official FCC notice>`. Escaping exactly `&`, `<` and `>` makes all of them inert
text; links are only ever built here, from http(s) URLs that cannot break out of `<url|label>`.
Everything is pure: strings in, strings out.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.common.text_safety import inert

#: Slack rejects URLs longer than this in buttons; longer links are shown unlinked.
MAX_URL_LENGTH = 3000
ELLIPSIS = "…"

_WHITESPACE = re.compile(r"\s+")
# Characters that would end or split a `<url|label>` sequence, plus any whitespace or control.
_UNSAFE_IN_URL = re.compile(r"[|<>\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def escape_mrkdwn(text: str) -> str:
    """Escape exactly the three characters Slack interprets: & → &amp;, < → &lt;, > → &gt;."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def single_line(text: str) -> str:
    """Feed text as one tidy line: no control characters, whitespace runs collapsed."""
    return _WHITESPACE.sub(" ", inert(text)).strip()


def tidy(text: str) -> str:
    """Feed text as a paragraph: control characters removed, line breaks kept."""
    lines = (_WHITESPACE.sub(" ", line).strip() for line in inert(text).splitlines())
    return "\n".join(line for line in lines if line)


def escaped(text: str, limit: int) -> str:
    """`text` escaped and cut to at most `limit` characters, never inside an `&…;` entity."""
    result = escape_mrkdwn(text)
    if len(result) <= limit:
        return result
    pieces: list[str] = []
    size = 0
    budget = max(0, limit - len(ELLIPSIS))
    for char in text:
        piece = escape_mrkdwn(char)
        if size + len(piece) > budget:
            break
        pieces.append(piece)
        size += len(piece)
    return "".join(pieces).rstrip() + ELLIPSIS


def truncate_plain(text: str, limit: int) -> str:
    """Plain text (no escaping needed, e.g. plain_text objects) cut to `limit` characters."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ELLIPSIS))].rstrip() + ELLIPSIS


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL that can sit inside `<url|label>`, else None."""
    if not url or len(url) > MAX_URL_LENGTH or _UNSAFE_IN_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def link(url: str | None, label: str, limit: int) -> str:
    """`<url|label>` with the label escaped, or just the escaped label when the URL is unsafe.

    `limit` bounds the visible label; the URL itself is at most MAX_URL_LENGTH characters more.
    """
    target = safe_url(url)
    text = escaped(label, limit) or escaped(url or "", limit)
    if target is None:
        return text
    return f"<{target.replace('&', '&amp;')}|{text}>"
