"""Issue 10 defect 7: slow request bodies are cut off, connections are capped, health answers."""

from __future__ import annotations

import asyncio
import socket

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.app.web import WebServer, build_web_app
from bot.settings import load_settings


async def _echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{len(await request.body())} bytes")


def _slow_client(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        b"POST /hook HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    return sock


def _status(sock: socket.socket) -> str:
    try:
        return sock.recv(200).decode("latin-1").split("\r\n", 1)[0]
    except TimeoutError:
        return "no answer"


def test_slow_bodies_get_408_while_healthz_keeps_answering():
    async def main() -> tuple[list[str], list[int], str]:
        app = build_web_app([Route("/hook", _echo, methods=["POST"])])
        server = WebServer(
            app, host="127.0.0.1", port=0, body_timeout=1.0, max_connections=20, keepalive=1
        )
        await server.start()
        try:
            slow = [await asyncio.to_thread(_slow_client, server.port) for _ in range(30)]
            health = []
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                for _ in range(40):  # answers (503 while saturated) and turns 200 promptly
                    health.append((await client.get("/healthz")).status_code)
                    if health[-1] == 200:
                        break
                    await asyncio.sleep(0.1)
                echo = (await client.post("/hook", content=b"x" * 10)).text
            statuses = await asyncio.gather(*(asyncio.to_thread(_status, s) for s in slow))
            for sock in slow:
                sock.close()
            return statuses, health, echo
        finally:
            await server.stop()

    statuses, health, echo = asyncio.run(main())
    assert health[-1] == 200, health
    assert echo == "10 bytes"
    cut = [s for s in statuses if "408" in s]
    refused = [s for s in statuses if "503" in s]
    assert len(cut) + len(refused) == 30, statuses
    assert cut and refused  # the deadline cut the slow ones; the cap refused the excess


def test_http_limits_are_settings_with_defaults():
    ops = load_settings({}).ops
    assert (ops.http_body_timeout, ops.http_max_connections, ops.http_keepalive) == (10, 500, 5)
    env = {"CALEA_BOT_HTTP_BODY_TIMEOUT": "2", "CALEA_BOT_HTTP_MAX_CONNECTIONS": "50"}
    ops = load_settings(env).ops
    assert (ops.http_body_timeout, ops.http_max_connections) == (2, 50)
