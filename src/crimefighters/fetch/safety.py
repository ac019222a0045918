"""Where a fetch may write, where it may be redirected, and how much it may take.

Three rules, each in one place:
- ``inside``: every path a fetch writes is resolved (symlinks included) and must lie inside the
  data folder. Text from a server (a month name) or from the configuration (a target) never
  gets to choose a path outside it.
- ``RedirectPolicy``: a redirect is followed only to an origin the configuration names, or to a
  host whose every address is public. Loopback, link-local (169.254.0.0/16, the cloud metadata
  services), private (10/8, 172.16/12, 192.168/16, fc00::/7), shared, multicast and reserved
  addresses are refused, as is https -> http. The configured base URLs themselves are trusted
  as written: that is how the tests serve from 127.0.0.1, and how an analyst may point at a
  mirror on the office network.
- ``InflateLimit``: gzip (as ``Content-Encoding`` or as the file itself) is inflated a bounded
  piece at a time and refused once it passes ``sources.max_bytes``, so a gzip bomb never
  writes or holds more than the cap.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import urllib.request
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx

MAX_REDIRECTS = 10

# Not all of these are link-local: Alibaba's and AWS's IPv6 endpoints are named so the message
# says what they are.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"): "the cloud metadata service",
    ipaddress.ip_address("169.254.170.2"): "the AWS container metadata service",
    ipaddress.ip_address("100.100.100.200"): "the Alibaba Cloud metadata service",
    ipaddress.ip_address("fd00:ec2::254"): "the AWS metadata service",
}


class UnsafePath(Exception):
    """A path that would land outside the data folder."""


def inside(data_dir: Path, path: Path) -> Path:
    """``path``, once proven (resolved, symlinks followed) to lie inside ``data_dir``."""
    root = Path(data_dir).resolve()
    resolved = Path(path).resolve()
    if resolved != root and not resolved.is_relative_to(root):
        raise UnsafePath(
            f"refused to write {path}: it resolves to {resolved}, outside the data folder {root}"
        )
    return path


# --- redirects ----------------------------------------------------------------------------------


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


def address_problem(address: str) -> str | None:
    """What kind of address a redirect must not lead to ("a loopback address"), or None when
    it is a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return METADATA_ADDRESSES[ip]
    for test, what in (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_private, "a private address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    ):
        if test:
            return what
    return None


def _plain(address: str) -> str:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def _via_proxy(url: httpx.URL) -> bool:
    """Whether the environment sends this URL through a proxy (which then resolves the name)."""
    proxies = urllib.request.getproxies()
    if url.scheme not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass(url.host)


class RedirectPolicy:
    def __init__(self, trusted_urls: Iterable[str]):
        self.trusted = {
            _origin(httpx.URL(u)) for u in trusted_urls if u.startswith(("http://", "https://"))
        }

    async def refusal(self, previous: httpx.URL, target: httpx.URL) -> str | None:
        """Why the redirect from ``previous`` to ``target`` must not be followed, or None.

        A name is checked by what it resolves to here and now; the connection resolves it again
        (a DNS answer that changes in between is not caught here)."""
        if target.scheme not in ("http", "https"):
            return f"only http and https are followed, not {target.scheme or 'a relative URL'}"
        if previous.scheme == "https" and target.scheme == "http":
            return "it leaves https for plain http"
        if _origin(target) in self.trusted:
            return None
        host = target.host
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            pass
        else:
            problem = address_problem(host)
            return None if problem is None else f"{_plain(host)} is {problem}"
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, target.port or 443, type=socket.SOCK_STREAM
            )
        except OSError:
            if _via_proxy(target):
                return None  # the proxy resolves it; nothing local is reachable by that name
            return f"cannot resolve {host}"
        for address in sorted({str(info[4][0]) for info in found}):
            problem = address_problem(address)
            if problem is not None:
                return f"{host} resolves to {_plain(address)}, {problem}"
        return None


# --- sizes --------------------------------------------------------------------------------------


class TooBig(Exception):
    """More bytes than ``sources.max_bytes``."""


GZIP_MAGIC = b"\x1f\x8b"
PIECE = 1 << 20  # inflate at most this much at a time


class InflateLimit:
    """Inflate a gzip stream (several members allowed) piece by piece; ``TooBig`` past the cap."""

    def __init__(self, limit: int):
        self.limit = limit
        self.out = 0
        self._d = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # gzip or zlib header

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                piece = self._d.decompress(data, PIECE)
            except zlib.error as exc:
                raise zlib.error(f"damaged gzip data ({exc})") from None
            self.out += len(piece)
            if self.out > self.limit:
                raise TooBig(self.out)
            if piece:
                yield piece
            if self._d.eof:
                data = self._d.unused_data
                if data:
                    self._d = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)
            else:
                data = self._d.unconsumed_tail

    @property
    def complete(self) -> bool:
        return self._d.eof


def inflated_size_within(path: Path, limit: int) -> None:
    """Raise ``TooBig`` if a gzip file inflates to more than ``limit`` bytes (nothing written)."""
    with open(path, "rb") as handle:
        if handle.read(2) != GZIP_MAGIC:
            return
        handle.seek(0)
        inflater = InflateLimit(limit)
        for block in iter(lambda: handle.read(PIECE), b""):
            for _ in inflater.feed(block):
                pass
