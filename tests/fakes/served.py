"""The bot's own web app served on 127.0.0.1 from a background event loop, for tests that post
to it over real HTTP; and a free loopback port for subprocesses that serve their own."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from starlette.routing import BaseRoute

from bot.app.web import WebServer, build_web_app


@contextmanager
def served(routes: Sequence[BaseRoute]) -> Iterator[str]:
    """Serve `routes` (with /healthz) on an ephemeral port; yields the base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = WebServer(build_web_app(routes), host="127.0.0.1", port=0)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=5)
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=2)
        loop.close()


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
