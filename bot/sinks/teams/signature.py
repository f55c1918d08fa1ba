"""The HMAC signature Teams puts on every outgoing-webhook request, and checking it.

Teams signs each outgoing-webhook POST with `Authorization: HMAC <base64 digest>`, where the
digest is HMAC-SHA256 of the raw request body keyed with the base64-decoded secret shown once
when the outgoing webhook is created. Verification is constant-time; anything missing or
malformed is simply "not verified".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

MAX_HEADER_CHARS = 512


def sign(key: bytes, body: bytes) -> str:
    """The Authorization header value Teams would send for `body` (tests, documentation)."""
    digest = hmac.new(key, body, hashlib.sha256).digest()
    return "HMAC " + base64.b64encode(digest).decode("ascii")


def verify(key: bytes, body: bytes, authorization: str | None) -> bool:
    """True when `authorization` is a valid `HMAC <base64>` signature of `body`."""
    if not authorization or len(authorization) > MAX_HEADER_CHARS:
        return False
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "hmac" or not token.strip():
        return False
    try:
        provided = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(key, body, hashlib.sha256).digest()
    return hmac.compare_digest(provided, expected)
