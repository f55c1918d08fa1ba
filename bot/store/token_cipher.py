"""Encrypting Slack tokens at rest with CALEA_BOT_TOKEN_KEY (Fernet: AES-128-CBC + HMAC).

Several keys may be given, newest first: the first encrypts, any of them decrypts, so a key
can be rotated without losing the installations saved under the old one.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import ConfigError

WRONG_KEY = (
    "Slack tokens stored in the database cannot be decrypted with CALEA_BOT_TOKEN_KEY: it is "
    "not the key they were saved with. Set the old key (keys may be listed comma-separated, "
    "newest first), or reinstall the app in each workspace."
)


class TokenKeyError(ConfigError):
    """The configured key does not decrypt a stored token (it was saved with another)."""


class TokenCipher:
    """Encrypts and decrypts token strings; ciphertext is ASCII, stored as TEXT."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ConfigError("CALEA_BOT_TOKEN_KEY is not set")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def encrypt(self, token: str | None) -> str | None:
        """Ciphertext of a token (None stays None)."""
        if token is None:
            return None
        return self._fernet.encrypt(token.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str | None) -> str | None:
        """The token from its ciphertext; TokenKeyError (one line) when the key is wrong."""
        if stored is None:
            return None
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise TokenKeyError(WRONG_KEY) from None
