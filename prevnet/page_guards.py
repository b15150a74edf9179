"""Guards for prevnet's web pages: the visitor's address behind trusted proxies, in-memory
sliding-window rate limits and signed CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Parse ``trusted_proxies`` (IPs or CIDRs); a ValueError names the entry that is wrong."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"trusted_proxies entry {entry!r} is not an IP address or network (e.g. "
                "127.0.0.1 or 172.31.240.0/24)"
            ) from None
    return tuple(networks)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> str:
    """The visitor's address: the direct peer, or, while that hop is a trusted proxy, the
    right-most X-Forwarded-For hop that is not (what the visitor wrote further left is ignored)."""
    address = peer or "unknown"
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    while hops and _is_trusted(address, trusted):
        hop = hops.pop()
        if not _is_ip(hop):
            break  # garbage a trusted proxy passed on: stay with the last hop we can name
        address = hop
    return address


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


@dataclass
class RateLimit:
    """At most ``limit`` attempts per key in ``window`` seconds (a sliding window, in memory)."""

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def wait(self, key: str) -> float:
        """Count one attempt; 0 if allowed, else the seconds until the next one is."""
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.window - now
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle keys so memory stays bounded
            for stale in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                del self._hits[stale]
        return 0.0


@dataclass
class PageLimits:
    """The rate limits of the pages (tests give them a clock).

    A known link is limited per link, so nobody else's guessing can lock its member out; per
    visitor address only the tries with unknown links, the reset form and its page.
    """

    password_per_address: RateLimit = field(default_factory=lambda: RateLimit(10, 900))
    password_per_link: RateLimit = field(default_factory=lambda: RateLimit(5, 900))
    pages_per_address: RateLimit = field(default_factory=lambda: RateLimit(120, 900))
    pages_per_link: RateLimit = field(default_factory=lambda: RateLimit(60, 900))
    reset_per_address: RateLimit = field(default_factory=lambda: RateLimit(5, 3600))
    reset_per_mailbox: RateLimit = field(default_factory=lambda: RateLimit(3, 3600))


class CsrfGuard:
    """Signed double-submit tokens: the form's field is an HMAC of the cookie's nonce."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def issue(self) -> tuple[str, str]:
        """A (cookie value, form field value) pair."""
        nonce = secrets.token_urlsafe(24)
        return nonce, self._sign(nonce)

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, b"csrf\x00" + nonce.encode(), hashlib.sha256).hexdigest()

    def check(self, cookie: str | None, submitted: str | None) -> bool:
        """Whether the form came from a page this server gave the same browser."""
        if not cookie or not submitted or len(cookie) > 64 or len(submitted) > 128:
            return False
        return hmac.compare_digest(self._sign(cookie), submitted)
