"""The bot's HTTP server: Starlette routes served by uvicorn (a production ASGI server).

Chat adapters contribute routes (Slack's /slack/events in HTTP mode, Teams' /teams/messages);
`/healthz` is always there for load balancers and platform health checks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

log = logging.getLogger(__name__)


async def _healthz(_: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def build_web_app(routes: Sequence[BaseRoute]) -> Starlette:
    """An ASGI app with the adapters' routes and /healthz."""
    return Starlette(routes=[*routes, Route("/healthz", _healthz, methods=["GET"])])


class WebServer:
    """uvicorn serving an app on host:port inside the running event loop."""

    def __init__(self, app: Starlette, *, host: str = "0.0.0.0", port: int = 3000) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # the bot owns SIGINT/SIGTERM
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Start serving in the background; returns once the socket is listening."""
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()  # re-raise a bind error
            await asyncio.sleep(0.02)

    @property
    def port(self) -> int:
        """The bound port (useful with port 0 in tests)."""
        return self._server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Finish in-flight requests and close the socket."""
        self._server.should_exit = True
        if self._task is not None:
            await self._task
