"""The org's daily API request allowance, as ``Sforce-Limit-Info`` reports it.

Every authenticated call under ``/services/data`` uses one request; once ``used`` reaches ``limit``
the next call gets 403 REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded." and uses nothing.
The header reads ``api-usage=<used>/<limit>`` (used, not remaining) on every API response.
"""

from __future__ import annotations


class ApiUsage:
    def __init__(self, limit: int, used: int = 0) -> None:
        self.limit = limit
        self.used = used

    def consume(self) -> bool:
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def header(self) -> str:
        return f"api-usage={self.used}/{self.limit}"
