"""An emulated NetSuite account speaking SuiteTalk SOAP ``upsertList`` and ``getServerTime`` on loopback.

An independent server-side implementation: it shares plain data with the client (namespaces,
limits, the country enum) and never its codec, so a client bug cannot pass its own test.
"""

from bulk_o2c.sandbox.netsuite.config import LatencyModel, NetSuiteSandboxConfig, SandboxCredentials
from bulk_o2c.sandbox.netsuite.server import NetSuiteSandbox, serve
from bulk_o2c.sandbox.netsuite.stats import SandboxStats
from bulk_o2c.sandbox.netsuite.store import StoredRecord

__all__ = [
    "LatencyModel",
    "NetSuiteSandbox",
    "NetSuiteSandboxConfig",
    "SandboxCredentials",
    "SandboxStats",
    "StoredRecord",
    "serve",
]
