"""Everything a test, a benchmark or ``bulk-o2c demo`` can tune about the sandbox org.

Defaults aim at realism (a two-hour session, 0.2 s to produce a results page, one poll per job
state); tests turn the slow ones down. Secrets here are sandbox-only values and still never appear
in a repr.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bulk_o2c.sandbox.salesforce.dataset import DatasetSpec
from bulk_o2c.sandbox.salesforce.org_shape import OrgShape

ResultPagesShape = Literal["doc", "live"]
"""``doc``: ``resultPages[].resultUrl`` (absolute paths), as the Salesforce guide shows it.
``live``: ``resultChunks[].resultLink`` (relative to ``/services/data/vXX.X/``), as a client that
tested against a live org reports it."""


@dataclass(frozen=True, slots=True)
class SalesforceSandboxConfig:
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    shape: OrgShape = field(default_factory=OrgShape)
    """Which optional features the org has (currencies, country picklists, person accounts...)."""

    # Connected app and integration user.
    client_id: str = "bulk-o2c-sandbox"
    client_secret: str = field(default="sandbox-client-secret", repr=False)
    username: str = "integration@bulk-o2c.sandbox"
    jwt_public_key_pem: str | None = field(default=None, repr=False)
    """PEM public key or X.509 certificate that verifies JWT-bearer assertions; None disables JWT."""
    jwt_audience: str | None = None
    """An audience accepted besides the sandbox's own login URL (e.g. https://login.salesforce.com)."""
    refresh_token: str | None = field(default=None, repr=False)
    """A refresh token the org accepts from the start (more come from ``issue_refresh_token``)."""
    rotate_refresh_tokens: bool = True

    # Sessions and time.
    session_timeout_s: float = 7200.0
    time_scale: float = 1.0
    clock: Callable[[], float] = field(default=time.time, repr=False)

    # API request limits.
    api_request_limit: int = 100_000
    api_requests_used: int = 0

    # Jobs: a job state lasts this many polls of the job, or this long (sandbox seconds).
    job_polls_per_state: int | None = 1
    job_seconds_per_state: float | None = None
    failed_query_share: float = 0.0
    failed_query_has_message: bool = True

    # Query results.
    page_latency_s: float = 0.2
    default_page_size: int = 50_000
    """Rows per page when the request has no maxRecords."""
    page_size_cap: int | None = None
    """Serve at most this many rows per page whatever maxRecords asks (pages may be short)."""
    result_pages_shape: ResultPagesShape = "doc"
    result_pages_per_call: int = 5

    # Ingest.
    max_upload_bytes: int = 100 * 1024 * 1024
    lock_failure_share: float = 0.0

    def __post_init__(self) -> None:
        if self.job_polls_per_state is None and self.job_seconds_per_state is None:
            raise ValueError("jobs need job_polls_per_state or job_seconds_per_state to ever finish")
        for share in (self.failed_query_share, self.lock_failure_share):
            if not 0.0 <= share <= 1.0:
                raise ValueError("shares are between 0 and 1")
        if self.default_page_size < 1 or self.result_pages_per_call < 1 or self.api_request_limit < 0:
            raise ValueError("page sizes and limits must be positive")
