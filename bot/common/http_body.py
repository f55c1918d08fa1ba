"""Reading an inbound HTTP request body within a size limit (chat endpoints share it)."""

from __future__ import annotations

from starlette.requests import Request


async def read_body_capped(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it exceeds `limit` bytes (checked while streaming)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
