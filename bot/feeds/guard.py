"""Refusing non-public addresses for URLs a chat user supplies (SSRF protection).

A feed added from chat must never make the bot fetch loopback, private, link-local or
cloud-metadata addresses on the user's behalf. `check_public_url` runs when the feed is added
and again before every request and redirect the fetcher makes for it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

Resolver = Callable[[str, int], Sequence[tuple[Any, ...]]]
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_MARKUP = re.compile(r"[<>&|*_`~\[\]@!]")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE_V4 = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")  # deprecated (RFC 3879) but still routable inside
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def shown(value: str, limit: int = 80) -> str:
    """A host name safe to echo in a message: markup characters replaced, long text cut."""
    value = _MARKUP.sub("?", value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def check_public_url(url: str, resolver: Resolver = socket.getaddrinfo) -> str | None:
    """None when `url` is http(s) and its host resolves only to public addresses, else why not.

    Loopback, private (10/8, 172.16/12, 192.168/16), link-local (169.254/16 including cloud
    metadata, fe80::/10), carrier-grade NAT (100.64/10), unique-local (fc00::/7), site-local
    (fec0::/10), multicast, unspecified and reserved addresses are refused, also when written as
    IPv4-mapped, NAT64, 6to4 or Teredo IPv6, or in the shorthand forms inet_aton accepts
    ("127.1", "2130706433").
    A host name with ANY such address is refused. `resolver` is called as resolver(host, port).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "That is not a valid URL."
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return "Only http:// and https:// feed URLs can be added."
    host = parts.hostname
    if not host:
        return "That URL has no host name."
    if parts.username is not None or parts.password is not None:
        return "URLs with a user name or password cannot be added."
    addresses = _literal_address(host)
    if addresses is None:
        try:
            infos = resolver(host, port or (443 if scheme == "https" else 80))
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        except (OSError, UnicodeError, ValueError, IndexError, TypeError):
            return f"Could not resolve the host {shown(host, 80)}; check the URL."
    if not addresses:
        return f"The host {shown(host, 80)} has no address; check the URL."
    for address in addresses:
        reason = non_public_reason(address)
        if reason:
            return (
                f"Refused: {shown(host, 80)} points to {address}, a {reason} address. Only "
                "feeds on public addresses can be added from chat."
            )
    return None


def _literal_address(host: str) -> list[IPAddress] | None:
    """The address a host written as an IP literal means, or None for a host name."""
    try:
        return [ipaddress.ip_address(host.split("%")[0])]
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:  # "127.1", "0x7f.0.0.1", "2130706433": what the system resolver would accept
            return [ipaddress.IPv4Address(socket.inet_aton(host))]
        except OSError:
            return None
    return None


def non_public_reason(address: IPAddress) -> str | None:
    """Why an address is not on the public internet ('loopback', 'private' …), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = non_public_reason(embedded)
            return f"{reason} (IPv4 {embedded} inside IPv6)" if reason else None
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address in _METADATA:
        return "cloud metadata (link-local)"
    if address.is_link_local:
        return "link-local"
    if isinstance(address, ipaddress.IPv4Address):
        if address in _CGNAT:
            return "carrier-grade NAT (100.64.0.0/10)"
        if any(address in network for network in _PRIVATE_V4):
            return "private"
    elif address in _UNIQUE_LOCAL:
        return "unique-local (fc00::/7)"
    elif address in _SITE_LOCAL:
        return "site-local (fec0::/10)"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_private or not address.is_global:
        return "non-public"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address carries."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


class PublicOnlyNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects only to public addresses, resolving the host itself at connect time.

    `check_public_url` runs before a request, but the HTTP client would resolve the name again
    to connect, and a hostile DNS server can answer differently the second time (DNS
    rebinding). This backend resolves once, refuses any non-public answer, and connects to the
    very address it checked; TLS still verifies the certificate against the host name.
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend, resolver: Resolver) -> None:
        self._inner = inner
        self._resolver = resolver

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve, vet every address, connect to the first."""
        addresses = _literal_address(host)
        if addresses is None:
            try:
                infos = await asyncio.to_thread(self._resolver, host, port)
                addresses = [ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos]
            except (OSError, UnicodeError, ValueError, IndexError, TypeError) as exc:
                raise httpcore.ConnectError(f"could not resolve {shown(host)}: {exc}") from None
        if not addresses:
            raise httpcore.ConnectError(f"{shown(host)} has no address")
        for address in addresses:
            reason = non_public_reason(address)
            if reason:
                raise httpcore.ConnectError(
                    f"refused: {shown(host)} resolves to {address}, a {reason} address"
                )
        return await self._inner.connect_tcp(
            str(addresses[0]),
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        """Never: a feed URL cannot name a local socket."""
        raise httpcore.ConnectError("unix sockets are not allowed for feeds added from chat")

    async def sleep(self, seconds: float) -> None:
        """Delegate."""
        await self._inner.sleep(seconds)


def public_only_transport(
    resolver: Resolver, *, verify: Any, limits: httpx.Limits
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose every connection goes through PublicOnlyNetworkBackend."""
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits)
    pool = transport._pool  # noqa: SLF001 - httpx offers no public hook for the network backend
    pool._network_backend = PublicOnlyNetworkBackend(pool._network_backend, resolver)  # noqa: SLF001
    return transport
