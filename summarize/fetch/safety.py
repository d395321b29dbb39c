"""What may be fetched, and what may be shown.

- Only http and https URLs.
- No connection to a loopback, private, link-local, metadata or otherwise
  non-public address, unless the user allowed private addresses for that
  host (`--allow-private`, or `allow_private` on a saved source): the
  allowance covers the hosts of the sources it was given for, never the hosts
  their items or redirects point at. The address is checked after the name is
  resolved and before the connection is made, on the address actually used
  (`http.CheckedConnection`), so a name that resolves to 10.0.0.1 is refused
  like the literal, and a second lookup cannot swap the address.
- Credentials in a URL (`https://user:secret@host/`) are used for that host's
  requests only and never printed or stored: `redact` is applied to every URL
  that leaves this package.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit, urlunsplit

SCHEMES = ("http", "https")
# Cloud instance metadata services: link-local or private already, named for the reason.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254",
                                                                  "100.100.100.200"))
ALLOW_HINT = "only the host of a source given --allow-private may be private"


class UnsafeURL(Exception):
    """A URL that is not fetched; the message is one line for the user."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(value: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(value.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_kind(ip: IPAddress) -> str | None:
    """Why an address is not a public one ("loopback", "private", …), or None."""
    if ip in METADATA_ADDRESSES:
        return "cloud metadata"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-public"
    return None


def normalize_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class AddressPolicy:
    """Which hosts may resolve to a non-public address."""

    private_hosts: frozenset[str] = field(default_factory=frozenset)

    def allowing(self, *hosts: str) -> "AddressPolicy":
        return AddressPolicy(self.private_hosts | {normalize_host(h) for h in hosts if h})

    def refusal(self, host: str, ip: IPAddress | str) -> str | None:
        """The one-line reason a connection to `ip` (for `host`) is refused, or None."""
        address = parse_ip(str(ip)) if not isinstance(ip, (ipaddress.IPv4Address, ipaddress.IPv6Address)) else ip
        if address is None:
            return f"refused: {ip} is not an IP address"
        kind = address_kind(address)
        if kind is None or normalize_host(host) in self.private_hosts:
            return None
        article = "an" if kind[0] in "aeiou" else "a"
        if parse_ip(host) is not None:
            return f"refused: {address} is {article} {kind} address ({ALLOW_HINT})"
        return f"refused: {normalize_host(host)} resolves to {address}, {article} {kind} address ({ALLOW_HINT})"


def _netloc(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without user and password, and those (or None)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    clean = urlunsplit(parts._replace(netloc=_netloc(parts)))
    return clean, (parts.username or "", parts.password or "")


def redact(url: str) -> str:
    """The URL as it may be printed or stored: credentials replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        return urlunsplit(parts._replace(netloc="***@" + _netloc(parts)))
    except ValueError:
        return "(unparsable URL)"


def check_url(url: str, policy: AddressPolicy) -> str:
    """The URL if it may be requested, else UnsafeURL. A literal address is
    judged here; a name is judged when it is resolved, at connect time."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for a port out of range
    except ValueError:
        raise UnsafeURL(f"not a valid URL: {redact(url)[:200]}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise UnsafeURL(f"refused: only http and https URLs are fetched, not {parts.scheme or 'a relative'!r} "
                        f"({redact(url)[:200]})")
    if not parts.hostname:
        raise UnsafeURL(f"not a valid URL (no host): {redact(url)[:200]}")
    if port == 0:
        raise UnsafeURL(f"not a valid URL (port 0): {redact(url)[:200]}")
    literal = parse_ip(parts.hostname)
    if literal is not None:
        reason = policy.refusal(parts.hostname, literal)
        if reason:
            raise UnsafeURL(reason)
    return url.strip()


def host_of(url: str) -> str:
    return normalize_host(urlsplit(url).hostname or "")


def origin_of(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme.lower(), normalize_host(parts.hostname or ""), parts.port or default
