"""`/calendar/<token>.ics`: a channel's deadlines as an iCalendar feed (see `/calea calendar`).

The token is unguessable (192 bits) and is the only credential: an unknown or malformed one
gets 404, never a hint. Each request opens its own database connection.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.common.clock import utc_now
from bot.reports.deadlines import render_ics
from bot.store import Store

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
CALENDAR_PATH = "/calendar/{token}.ics"


def channel_calendar(store: Store, token: str) -> bytes | None:
    """The iCalendar bytes for the channel owning `token`, else None."""
    destination = store.deadlines.destination_for_token(token)
    if destination is None:
        return None
    topics = [s.topic for s in store.subscriptions.of(destination.id)]
    found = store.deadlines.all_dated(topics=topics) if topics else []
    name = f"calea-bot deadlines · {destination.name or destination.address}"
    return render_ics(found, name, utc_now())


def calendar_route(store_factory: Callable[[], Store]) -> Route:
    """The Starlette route serving every channel's calendar feed."""

    def build(token: str) -> bytes | None:
        store = store_factory()
        try:
            return channel_calendar(store, token)
        finally:
            store.db.close()

    async def serve(request: Request) -> Response:
        token = request.path_params["token"]
        body = await asyncio.to_thread(build, token) if _TOKEN.fullmatch(token) else None
        if body is None:
            return PlainTextResponse("no such calendar\n", status_code=404)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300"},
        )

    return Route(CALENDAR_PATH, serve, methods=["GET"])
