"""What query and ingest jobs have in common: the JobInfo fields both report, the job table,
lookup by id, state changes, deletion and shutdown.

Rules this module owns:

- A job changes state only through ``JobService.enter``: ``systemModstamp`` moves to now and the
  pacer starts afresh for the new state.
- A results download that an injected RESET_MID_BODY fault takes is counted in
  ``faults_served`` when it is taken, whether the client notices or not.
- A job's background task (the query's count, the ingest worker) is cancelled when the job is
  deleted or the org stops, so nothing outlives the org.
- JobInfo carries the fields every Bulk API 2.0 job reports (``concurrencyMode`` Parallel,
  ``contentType`` CSV, ``createdById`` the integration user, ``errorMessage`` only when there is
  one); each kind adds its own through ``details()``.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from aiohttp import web

from bulk_o2c.sandbox.salesforce.api_errors import not_found
from bulk_o2c.sandbox.salesforce.clock import SandboxClock, format_datetime
from bulk_o2c.sandbox.salesforce.config import SalesforceSandboxConfig
from bulk_o2c.sandbox.salesforce.csv_format import CsvDialect
from bulk_o2c.sandbox.salesforce.dataset import INTEGRATION_USER_ID, Dataset
from bulk_o2c.sandbox.salesforce.faults import Fault, FaultPlan
from bulk_o2c.sandbox.salesforce.job_pacing import StatePacer
from bulk_o2c.sandbox.salesforce.stats import SandboxStats
from bulk_o2c.sandbox.salesforce.writes import WriteOverlay

TERMINAL = frozenset({"JobComplete", "Failed", "Aborted"})


@dataclass(eq=False, kw_only=True)
class BulkJob(abc.ABC):
    JOB_TYPE: ClassVar[str]

    id: str
    operation: str
    dialect: CsvDialect
    api_version: str
    created_ms: int
    pacer: StatePacer
    state: str
    modstamp_ms: int = 0
    error_message: str | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    @abc.abstractmethod
    def object_name(self) -> str: ...

    @abc.abstractmethod
    def details(self) -> dict[str, Any]:
        """The JobInfo fields of this kind of job."""

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object_name,
            "createdById": INTEGRATION_USER_ID,
            "createdDate": format_datetime(self.created_ms),
            "systemModstamp": format_datetime(self.modstamp_ms or self.created_ms),
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
            "jobType": self.JOB_TYPE,
            "lineEnding": self.dialect.line_ending_name,
            "columnDelimiter": self.dialect.delimiter_name,
            "retries": 0,
            **self.details(),
        }
        if self.error_message is not None:
            info["errorMessage"] = self.error_message
        return info


JobT = TypeVar("JobT", bound=BulkJob)


class JobService(abc.ABC, Generic[JobT]):
    def __init__(
        self,
        config: SalesforceSandboxConfig,
        dataset: Dataset,
        overlay: WriteOverlay,
        clock: SandboxClock,
        stats: SandboxStats,
        faults: FaultPlan,
        next_job_number: Callable[[], int],
    ) -> None:
        self._config = config
        self._dataset = dataset
        self._overlay = overlay
        self._clock = clock
        self._stats = stats
        self._faults = faults
        self._next_job_number = next_job_number
        self._jobs: dict[str, JobT] = {}
        self._objects = config.shape.objects()

    @abc.abstractmethod
    def _advance(self, job: JobT, polled: bool) -> None:
        """Move the job through every state whose time is up; ``polled``: the client looked at it."""

    async def get(self, request: web.Request) -> web.Response:
        job = self._job(request)
        self._advance(job, polled=True)
        return web.json_response(job.info())

    async def close(self) -> None:
        tasks = [job.task for job in self._jobs.values() if job.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _now_ms(self) -> int:
        return int(self._clock.now() * 1000)

    def _pacer(self) -> StatePacer:
        return StatePacer(self._clock, self._config.job_polls_per_state, self._config.job_seconds_per_state)

    def _job(self, request: web.Request) -> JobT:
        job = self._jobs.get(request.match_info["job_id"])
        if job is None:
            raise not_found()
        return job

    def _enter(self, job: JobT, state: str) -> None:
        job.state = state
        job.modstamp_ms = self._now_ms()
        job.pacer.restart()

    def _take_reset(self, endpoint: str) -> bool:
        """Whether this results download is the one an injected fault cuts off mid-body."""
        if self._faults.take(endpoint, frozenset({Fault.RESET_MID_BODY})) is None:
            return False
        self._stats.faults_served[Fault.RESET_MID_BODY] += 1
        return True

    def _delete(self, job: JobT) -> web.Response:
        del self._jobs[job.id]
        if job.task is not None:
            job.task.cancel()
        self._stats.jobs_deleted += 1
        return web.Response(status=204)
