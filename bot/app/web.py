"""The bot's HTTP server: Starlette routes served by uvicorn (a production ASGI server).

Chat adapters contribute routes (Slack's /slack/events in HTTP mode, Teams' /teams/messages;
/metrics with CALEA_BOT_METRICS=1). `/healthz` (liveness) is always there for load balancers
and platform health checks: 503 only when a platform connection cannot recover by itself (a
refused token). `/readyz` adds the bot's own checks (bot.app.readiness: database, scheduler,
late polls, stuck outbox) to each platform's connection state (`health`, e.g. Slack Socket
Mode): 503 until all are ready. Hostile clients are bounded (see WebServer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.app.body_deadline import BodyDeadline

log = logging.getLogger(__name__)


Health = Callable[[], dict[str, dict]]


def _checks(health: Health | None, key: str) -> tuple[bool, dict]:
    checks = health() if health is not None else {}
    ok = all(check.get(key, check.get("ok", True)) for check in checks.values())
    return ok, {"ok": ok, **checks}


def build_web_app(
    routes: Sequence[BaseRoute], health: Health | None = None, ready: Health | None = None
) -> Starlette:
    """An ASGI app with the adapters' routes, /healthz and /readyz.

    `health`: each platform's connection (both endpoints); `ready`: the bot's own readiness
    checks (bot.app.readiness; /readyz only, run in a worker thread: they query the database).
    """

    async def healthz(_: Request) -> JSONResponse:
        ok, body = _checks(health, "ok")
        return JSONResponse(body, status_code=200 if ok else 503)

    def both() -> dict[str, dict]:
        return {**(ready() if ready else {}), **(health() if health else {})}

    async def readyz(_: Request) -> JSONResponse:
        checks = await run_in_threadpool(both)
        ok, body = _checks(lambda: checks, "ready")
        return JSONResponse(body, status_code=200 if ok else 503)

    return Starlette(
        routes=[
            *routes,
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ]
    )


class WebServer:
    """uvicorn serving an app on host:port inside the running event loop.

    Hostile clients cannot exhaust it: a request body must arrive within `body_timeout`
    seconds (408 otherwise, see BodyDeadline), at most `max_connections` connections and
    requests are served at once (503 above), and idle keep-alive connections close after
    `keepalive` seconds.
    """

    def __init__(
        self,
        app: Starlette,
        *,
        host: str = "0.0.0.0",
        port: int = 3000,
        body_timeout: float = 10.0,
        max_connections: int = 500,
        keepalive: float = 5.0,
    ) -> None:
        config = uvicorn.Config(
            BodyDeadline(app, body_timeout),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            limit_concurrency=max_connections,
            timeout_keep_alive=max(1, round(keepalive)),
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
