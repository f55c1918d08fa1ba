"""Issue 10 defect 5: 200 concurrent commands with a slow response_url are all acked in < 3 s."""

from __future__ import annotations

import asyncio
import time

from tests.fakes.slack_api import signed_headers, slash_command_body
from tests.sinks.slack.test_app_http import FORM, SECRET, Running, running  # noqa: F401

BURST = 200


def test_acks_stay_within_slacks_3_seconds_under_a_burst(running: Running) -> None:  # noqa: F811
    running.slack.response_delay = 0.25
    bodies = [
        slash_command_body("topics", response_url=running.slack.response_url(f"r{n}"))
        for n in range(BURST)
    ]

    port = int(running.url.split(":")[2].split("/")[0])

    async def one(body: str) -> tuple[int, float]:
        """A raw HTTP/1.1 POST (httpx's pool costs more CPU than the bot at 200 connections)."""
        headers = signed_headers(SECRET, body, content_type=FORM)
        data = body.encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (
            f"POST /slack/events HTTP/1.1\r\nHost: bot\r\n{head}"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        ).encode() + data
        started = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        status_line = await asyncio.wait_for(reader.readline(), 10)
        seconds = time.monotonic() - started
        writer.close()
        return int(status_line.split()[1]), seconds

    async def burst() -> list[tuple[int, float]]:
        return await asyncio.gather(*(one(b) for b in bodies))

    results = asyncio.run(burst())
    slowest = max(seconds for _, seconds in results)
    print(f"acks: p50 {sorted(s for _, s in results)[BURST // 2]:.2f} s, slowest {slowest:.2f} s")
    assert all(status == 200 for status, _ in results)
    assert slowest < 3.0, f"slowest ack took {slowest:.2f} s"
    assert running.slack.wait_for(lambda: len(running.slack.responses) == BURST, timeout=30)
