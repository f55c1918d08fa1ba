"""Alerts, hostile feed text and claimed rows for the Teams tests."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.models import Alert, Destination, KeyDate, TopicMatch
from bot.store import ClaimedAlert

NOW = dt.datetime(2025, 11, 21, 12, 0, tzinfo=dt.UTC)

#: Feed text that would become links, mentions, tags, entities, formatting or template
#: functions if a card rendered it as markdown.
HOSTILE = (
    "[Official FCC notice](https://evil.example/login)",
    '<at>General</at> <at id="0">Everyone</at> please review',
    "**bold** __strong__ _it_ *em* ~~strike~~ `code`",
    "see https://evil.example/x or www.evil.example or evil.com or mail user@evil.example",
    "&lt;at&gt;Boss&lt;/at&gt; &#60;b&#62; &amp;",
    "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
    "- list\n1. item\n# heading\n> quote",
    "![pixel](https://evil.example/p.png)",
    "[ref]: https://evil.example\n[click here][ref] [ref]",
    "\u202eevil\u202c \x1b[31mred\x1b[0m",
    "<a href='https://evil.example'>x</a> <https://evil.example> <script>alert(1)</script>",
    "javascript:alert(1) data:text/html,<b>x</b>",
    "visit пример.рф or EVIL.EXAMPLE",
)
ALL_HOSTILE = " ".join(HOSTILE)


def make_alert(n: int = 1, **changes) -> Alert:
    """A realistic alert; `changes` override any field."""
    values = dict(
        outbox_id=n,
        event_id=n,
        action="new",
        revision=1,
        source_name="FCC EDOCS",
        title=f"Order rescinding the CALEA declaratory ruling ({n})",
        link=f"https://docs.fcc.gov/public/attachments/DOC-4154{n:02d}A1.pdf",
        published=NOW - dt.timedelta(hours=n),
        topics=(TopicMatch("calea", "keyword CALEA"), TopicMatch("lawful_intercept", "docket")),
        dockets=("PS 22-329",),
        documents=("FCC 25-81", f"DOC-4154{n:02d}A1"),
        dates=(KeyDate("comments_close", dt.date(2025, 12, 22)),),
        summary="The Commission rescinds the January 2025 declaratory ruling. Comments due.",
        also_in=("Federal Register",),
        matters=("calea-ruling",),
    )
    values.update(changes)
    return Alert(**values)


def hostile_alert(n: int = 1, text: str = ALL_HOSTILE) -> Alert:
    """An alert whose every text field is hostile."""
    return make_alert(
        n,
        source_name=text,
        title=text,
        topics=(TopicMatch(text, text),),
        dockets=(text,),
        documents=(text,),
        summary=text,
        also_in=(text,),
        matters=(text,),
    )


def destination(name: str = "alerts", id: int = 1) -> Destination:  # noqa: A002
    """A Teams destination registered as `name`."""
    return Destination(id=id, platform="teams", address=name, name=name)


def claimed(
    alert: Alert, where: Destination | None = None, *, digest: bool = False
) -> ClaimedAlert:
    """`alert` claimed for delivery to `where`."""
    return ClaimedAlert(destination=where or destination(), alert=alert, attempts=1, digest=digest)


def renumbered(alert: Alert, n: int) -> Alert:
    """The same alert with another outbox id."""
    return dataclasses.replace(alert, outbox_id=n, event_id=n)
