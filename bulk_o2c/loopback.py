"""Whether a host name stays on this machine, and the endpoint rule built on it.

One rule, shared by the settings, by every request transport sends (redirect hops and the
``instance_url`` of a Salesforce token answer included) and by both sandboxes (they bind loopback
only): ``localhost`` or any IPv4/IPv6 loopback address, brackets allowed around IPv6 (``[::1]``),
is loopback. Any other name is not, whatever it may resolve to, because a resolver can be told
anything. Tokens, passports and customer data travel in every request, so an endpoint is https,
or plain http to loopback only.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_allowed_endpoint(url: str) -> bool:
    """https anywhere, or plain http to a loopback host."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname or ""))
