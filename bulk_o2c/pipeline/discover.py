"""Discover the org before a run: describe every SObject it reads or writes, then plan.

The flows' objects are described first, then the objects their relationship columns read through
(``OrderItem.Product2.ProductCode`` needs ``Product2``): one describe call per object.
"""

from __future__ import annotations

from bulk_o2c.config import Settings
from bulk_o2c.mapping.columns import mapped_columns
from bulk_o2c.pipeline.flows import FLOWS
from bulk_o2c.pipeline.org_plan import RunPlan, plan_run
from bulk_o2c.protocol.salesforce.describe import OrgSchema
from bulk_o2c.transport.salesforce.describe import describe_org
from bulk_o2c.transport.salesforce.http import SalesforceHttp


async def describe_for_run(http: SalesforceHttp, settings: Settings) -> OrgSchema:
    """The schema of every object a run of ``settings`` touches."""
    flows = await describe_org(http, FLOWS)
    wanted = mapped_columns(settings.mapping)
    parents = {
        parent
        for flow in FLOWS
        for column in wanted[flow]
        for parent in flows.referenced(flow, column)
        if flows.sobject(parent) is None
    }
    if not parents:
        return flows
    more = await describe_org(http, sorted(parents))
    return OrgSchema.of([*flows.objects.values(), *more.objects.values()])


async def discover(http: SalesforceHttp, settings: Settings) -> RunPlan:
    """The run's plan; problems are listed in it, not raised (``RunPlan.check`` raises them)."""
    return plan_run(await describe_for_run(http, settings), settings)
