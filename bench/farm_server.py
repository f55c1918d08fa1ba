"""A loopback feed farm for benchmarks: N feeds × M items, every response delayed.

Runs as its own process (so its CPU is not counted as the bot's) on an asyncio server, which
holds hundreds of delayed responses without a thread each. Usage:

    python bench/farm_server.py --feeds 500 --items 50 --delay 0.2 --hosts 500 [--no-etag]

It prints "READY <port>" once listening on that port of every address (127.0.0.1, then
127.0.1.1 …: --hosts distinct loopback hosts, so per-host politeness stays at its default).
GET /feed/<n> answers the feed, with an ETag unless --no-etag (then an unchanged feed is
re-sent byte-identical).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import resource
import sys
from email.utils import format_datetime
from xml.sax.saxutils import escape

TOPIC_WORDS = [
    "CALEA network security obligations under section 105, PS Docket No. 22-329",
    "STIR/SHAKEN caller ID authentication, WC Docket No. 17-97, robocall mitigation",
    "submarine cable licensing, OI Docket No. 24-523, comments due January 15, 2026",
    "Covered List and rip-and-replace reimbursement, WC Docket No. 18-89",
    "upper C-band spectrum auction procedures, GN Docket No. 25-59",
]


def build_feed(n: int, items: int) -> bytes:
    """A realistic RSS 2.0 feed for farm member n (~20 KB; feedparser needs ~10 ms for it)."""
    base = dt.datetime(2025, 11, 20, 12, tzinfo=dt.UTC)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
        f"<title>Farm feed {n}</title><link>https://farm{n}.example.gov/</link>",
        "<description>benchmark</description>",
    ]
    for i in range(items):
        topic = TOPIC_WORDS[(n + i) % len(TOPIC_WORDS)]
        description = (
            f"<p>The Commission released item {i} of feed {n} concerning {topic}. "
            f"See FCC 25-{(n * 7 + i) % 90 + 1} for details.</p>"
        )
        parts.append(
            "<item>"
            f"<title>Feed {n} item {i}: {escape(topic[:60])}</title>"
            f"<link>https://farm{n}.example.gov/documents/{i}</link>"
            f'<guid isPermaLink="false">farm-{n}-{i}</guid>'
            f"<description>{escape(description)}</description>"
            f"<pubDate>{format_datetime(base - dt.timedelta(minutes=i))}</pubDate>"
            "</item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def host_address(n: int) -> str:
    """The n-th distinct loopback address: 127.0.0.1, then 127.0.1.1, 127.0.1.2 …"""
    if n == 0:
        return "127.0.0.1"
    return f"127.0.{1 + (n - 1) // 250}.{1 + (n - 1) % 250}"


async def serve(feeds: int, items: int, delay: float, etag: bool, hosts: int) -> None:
    bodies = [build_feed(n, items) for n in range(feeds)]
    tags = ['"' + hashlib.sha256(b).hexdigest()[:16] + '"' for b in bodies]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                await asyncio.sleep(delay)
                n = int(path.rsplit("/", 1)[-1])
                if etag and headers.get("if-none-match") == tags[n]:
                    writer.write(
                        f"HTTP/1.1 304 Not Modified\r\nETag: {tags[n]}\r\n"
                        "Content-Length: 0\r\n\r\n".encode()
                    )
                else:
                    extra = f"ETag: {tags[n]}\r\n" if etag else ""
                    writer.write(
                        (
                            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                            f"{extra}Content-Length: {len(bodies[n])}\r\n\r\n"
                        ).encode()
                        + bodies[n]
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
            pass
        finally:
            writer.close()

    first = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=2048)
    port = first.sockets[0].getsockname()[1]
    servers = [first]
    for n in range(1, hosts):
        servers.append(await asyncio.start_server(handle, host_address(n), port, backlog=256))
    print(f"READY {port}", flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


def raise_open_file_limit() -> None:
    """Hundreds of sockets need more than the usual 1024 descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def main() -> None:
    raise_open_file_limit()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--no-etag", action="store_true")
    parser.add_argument("--hosts", type=int, default=1, help="distinct loopback addresses")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.feeds, args.items, args.delay, not args.no_etag, args.hosts))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
