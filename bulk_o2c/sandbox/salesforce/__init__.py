"""An emulated Salesforce org on loopback: OAuth, Bulk API 2.0 query and ingest jobs, limits, faults.

It is an independent server-side implementation (it shares no code with the client) used by
``bulk-o2c demo``, the tests and the benchmarks::

    async with SalesforceSandbox(SalesforceSandboxConfig(dataset=DatasetSpec(n_accounts=500))) as org:
        org.base_url          # login URL and instance URL
        org.dataset           # the generated records and their ground truth (expected_bad())
        org.faults.inject(Fault.SERVICE_UNAVAILABLE, count=2, endpoint="query_results")
        org.stats             # what the client did
"""

from bulk_o2c.sandbox.salesforce.config import SalesforceSandboxConfig
from bulk_o2c.sandbox.salesforce.dataset import (
    INTEGRATION_USER_ID,
    BadReason,
    BadRecord,
    Dataset,
    DatasetSpec,
)
from bulk_o2c.sandbox.salesforce.faults import Fault
from bulk_o2c.sandbox.salesforce.server import SalesforceSandbox, serve

__all__ = [
    "INTEGRATION_USER_ID",
    "BadReason",
    "BadRecord",
    "Dataset",
    "DatasetSpec",
    "Fault",
    "SalesforceSandbox",
    "SalesforceSandboxConfig",
    "serve",
]
