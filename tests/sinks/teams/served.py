"""Serving Starlette routes for real over loopback (bot.app.web.WebServer in a background loop)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

from starlette.routing import BaseRoute

from bot.app.web import WebServer, build_web_app

FEEDS_YAML = """\
topics:
  calea:
    title: CALEA
    keywords: [CALEA]
  e911:
    title: E911
    keywords: [E911]
sources:
  - {id: fcc, name: FCC test, url: 'http://127.0.0.1:9/fcc'}
"""


def write_feeds(directory: Path) -> Path:
    """A small valid feeds.yaml with topics calea and e911."""
    path = directory / "feeds.yaml"
    path.write_text(FEEDS_YAML, encoding="utf-8")
    return path


class ServedRoutes:
    """`routes` served by uvicorn on 127.0.0.1 (port 0) in a thread with its own event loop."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = WebServer(build_web_app(routes), host="127.0.0.1", port=0)
        asyncio.run_coroutine_threadsafe(self._server.start(), self._loop).result(10)
        self.base = f"http://127.0.0.1:{self._server.port}"

    def close(self) -> None:
        """Stop the server and the loop."""
        asyncio.run_coroutine_threadsafe(self._server.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
