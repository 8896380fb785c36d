"""Counters the sandbox keeps for tests and benchmarks (also served as JSON at /sandbox/stats)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class SandboxStats:
    requests: Counter[str] = field(default_factory=Counter)
    """Requests received, by endpoint (route name), whatever their outcome."""
    sessions_issued: int = 0
    unauthorized_sent: int = 0
    """401 responses: unknown, expired or revoked tokens, and missing Authorization headers."""
    faults_served: Counter[str] = field(default_factory=Counter)
    pages_served: int = 0
    """Query result pages sent in full (a page cut by RESET_MID_BODY does not count)."""
    rows_served: int = 0
    query_jobs_created: int = 0
    ingest_jobs_created: int = 0
    jobs_deleted: int = 0
    rows_written: int = 0
    bytes_sent: int = 0
    """Response body bytes as sent (compressed when gzip was used)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "sessions_issued": self.sessions_issued,
            "unauthorized_sent": self.unauthorized_sent,
            "faults_served": dict(self.faults_served),
            "pages_served": self.pages_served,
            "rows_served": self.rows_served,
            "query_jobs_created": self.query_jobs_created,
            "ingest_jobs_created": self.ingest_jobs_created,
            "jobs_deleted": self.jobs_deleted,
            "rows_written": self.rows_written,
            "bytes_sent": self.bytes_sent,
        }
