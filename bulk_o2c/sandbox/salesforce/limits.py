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


# The daily Bulk quotas ``/limits`` reports besides the API requests (Salesforce's defaults).
BULK_QUERY_JOBS_MAX = 10_000
BULK_BATCHES_MAX = 15_000
BULK_QUERY_STORAGE_MB_MAX = 1_048_576  # 1 TB of query results per rolling 24 h
NEARLY_EXHAUSTED_SHARE = 0.01


def limits_body(usage: ApiUsage, nearly_exhausted: bool) -> dict[str, dict[str, int]]:
    """``GET /limits``: ``{"DailyApiRequests": {"Max": m, "Remaining": r}, ...}``. Nearly
    exhausted, the Bulk quotas have about 1% left (the API requests are as ``usage`` counts them)."""

    def quota(maximum: int) -> dict[str, int]:
        remaining = int(maximum * NEARLY_EXHAUSTED_SHARE) if nearly_exhausted else maximum
        return {"Max": maximum, "Remaining": remaining}

    return {
        "DailyApiRequests": {"Max": usage.limit, "Remaining": max(0, usage.limit - usage.used)},
        "DailyBulkV2QueryJobs": quota(BULK_QUERY_JOBS_MAX),
        "DailyBulkV2QueryFileStorageMB": quota(BULK_QUERY_STORAGE_MB_MAX),
        "DailyBulkApiBatches": quota(BULK_BATCHES_MAX),
    }
