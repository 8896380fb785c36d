"""Whether a host name stays on this machine.

One rule, shared by the settings (plain http is allowed to loopback only) and by both sandboxes
(they bind loopback only): ``localhost`` or any IPv4/IPv6 loopback address, brackets allowed
around IPv6 (``[::1]``). Any other name is not loopback, whatever it may resolve to, because a
resolver can be told anything.
"""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
