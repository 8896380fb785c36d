"""``bulk-o2c demo``: both sandboxes in this process, a realistic data set, the whole pipeline.

The demo owns a fresh state directory (wiped at each start: it holds demo data only), generates a
throw-away RSA key for the JWT-bearer flow, and points the client at the sandboxes with their demo
credentials. At the end it compares NetSuite and the DLQ with the sandbox's ground truth of
deliberately bad records, so what the run claims can be checked at a glance. The demo exits 0 when
the check passes (its bad records in the DLQ are the point, not a partial success) and 1 naming
each difference when it fails; a run stopped before the end exits as ``run`` does.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.text import Text

from bulk_o2c.commands.exit_codes import EXIT_FAILURE, EXIT_OK
from bulk_o2c.commands.ground_truth import differences, expected_outcome
from bulk_o2c.commands.invocation import command_line, use_config
from bulk_o2c.commands.run import StoppedAtOnce, print_outcome, print_stopped_at_once, run_with_progress
from bulk_o2c.commands.sandboxes import discount_codes, new_jwt_key_pair, product_codes
from bulk_o2c.config import Settings
from bulk_o2c.mapping import CustomFieldMapping, MappingSettings
from bulk_o2c.pipeline.report import write_report
from bulk_o2c.pipeline.run import checkpoint_path
from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.server import NetSuiteSandbox
from bulk_o2c.sandbox.salesforce.config import SalesforceSandboxConfig
from bulk_o2c.sandbox.salesforce.dataset import REGIONS, DatasetSpec
from bulk_o2c.sandbox.salesforce.org_shape import OrgShape
from bulk_o2c.sandbox.salesforce.server import SalesforceSandbox
from bulk_o2c.store.store import open_store


@dataclass(frozen=True, slots=True)
class DemoOptions:
    accounts: int = 2_000
    orders: int = 3_000
    time_scale: float = 1.0  # NetSuite latency model; 1.0 is the realistic default
    page_latency_s: float = 0.2
    seed: int = 1
    state_dir: Path = Path(".bulk-o2c/demo")
    # The NetSuite sandbox's allocation for this integration (None: it shares the account pool).
    integration_limit: int | None = None
    shape: OrgShape = field(default_factory=OrgShape)  # which optional features the org has
    discount_share: float = 0.1  # odd order lines that are a discount of the line before


@dataclass(frozen=True, slots=True)
class Sandboxes:
    salesforce: SalesforceSandbox
    netsuite: NetSuiteSandbox
    private_key_pem: str


# The sandbox org's Regions__c multi-select picklist and the demo account's list for it.
DEMO_REGIONS = CustomFieldMapping(
    source="Regions__c",
    script_id="custentity_sf_regions",
    kind="multiselect",
    record="customer",
    values={region: str(n) for n, region in enumerate(REGIONS, start=1)},
)


@asynccontextmanager
async def sandboxes(options: DemoOptions, *, jwt_audience: str | None = None) -> AsyncIterator[Sandboxes]:
    """Both sandboxes on loopback; ``jwt_audience`` is a login URL the org accepts besides its own
    (a proxy's, when the client logs in through one)."""
    keys = new_jwt_key_pair()
    spec = DatasetSpec(
        seed=options.seed,
        n_accounts=options.accounts,
        n_orders=options.orders,
        discount_share=options.discount_share,
    )
    sf_config = SalesforceSandboxConfig(
        dataset=spec,
        shape=options.shape,
        jwt_public_key_pem=keys.public_pem,
        jwt_audience=jwt_audience,
        page_latency_s=options.page_latency_s,
    )
    ns_config = NetSuiteSandboxConfig(
        items=product_codes(spec),
        discount_items=discount_codes(spec),
        multi_select_fields={DEMO_REGIONS.script_id: frozenset((DEMO_REGIONS.values or {}).values())},
        time_scale=options.time_scale,
        seed=options.seed,
        integration_limit=options.integration_limit,
    )
    async with SalesforceSandbox(sf_config) as salesforce, NetSuiteSandbox(ns_config) as netsuite:
        yield Sandboxes(salesforce, netsuite, keys.private_pem)


def demo_settings(base: Settings, boxes: Sandboxes, state_dir: Path) -> Settings:
    """``base`` aimed at the sandboxes, with their demo credentials and the org's mapping tables."""
    sf_config = boxes.salesforce.config
    credentials = boxes.netsuite.config.credentials
    salesforce = base.salesforce.model_copy(
        update={
            "login_url": boxes.salesforce.base_url,
            "auth_flow": "jwt",
            "client_id": sf_config.client_id,
            "username": sf_config.username,
            "private_key": SecretStr(boxes.private_key_pem),
        }
    )
    netsuite = base.netsuite.model_copy(
        update={
            "account_id": boxes.netsuite.config.account_id,
            "soap_url": boxes.netsuite.soap_url(base.netsuite.endpoint_version),
            "consumer_key": SecretStr(credentials.consumer_key),
            "consumer_secret": SecretStr(credentials.consumer_secret),
            "token_id": SecretStr(credentials.token_id),
            "token_secret": SecretStr(credentials.token_secret),
        }
    )
    run = base.run.model_copy(update={"state_dir": state_dir})
    return base.model_copy(
        update={
            "salesforce": salesforce,
            "netsuite": netsuite,
            "run": run,
            "mapping": _demo_mapping(base.mapping, boxes),
        }
    )


def _demo_mapping(mapping: MappingSettings, boxes: Sandboxes) -> MappingSettings:
    """The sandbox org's currencies (when it is multi-currency), discount item and Regions__c
    picklist, where the settings name none of their own."""
    ns_config = boxes.netsuite.config
    update: dict[str, object] = {}
    if not mapping.currencies and boxes.salesforce.config.shape.multi_currency:
        update["currencies"] = dict(ns_config.currencies)
    if not mapping.discount_item_codes:
        update["discount_item_codes"] = ns_config.discount_items
    if not mapping.custom_fields:
        update["custom_fields"] = (DEMO_REGIONS,)
    return mapping.model_copy(update=update)


async def _check_against_ground_truth(boxes: Sandboxes, settings: Settings) -> list[str]:
    """Does NetSuite hold each good record once, and the DLQ exactly the bad ones? What differs."""
    want = expected_outcome(boxes.salesforce.dataset, settings.mapping)
    customers = [r.external_id for r in boxes.netsuite.records("customer")]
    orders = [r.external_id for r in boxes.netsuite.records("salesOrder")]
    async with open_store(checkpoint_path(settings)) as store:
        # One entry past the expected ones is enough to show there are more than there should be.
        dlq = {(e.flow, e.sf_id): e.code for e in await store.dlq.entries(limit=len(want.dlq) + 1)}
    return differences(want, customers, orders, dlq)


# The demo's sandboxes, and the records they hold, end with it: a resume would find neither.
NO_RESUME = "The demo's sandboxes end with it: run `bulk-o2c demo` again to start over."


def _verdict(differ: list[str]) -> Text:
    """The check's outcome as plain text: record ids and codes are never read as markup."""
    if not differ:
        return Text(
            "Check passed: NetSuite holds exactly the data set's good records, once each, "
            "and the DLQ exactly its bad ones."
        )
    lines = "".join(f"\n  {line}" for line in differ)
    return Text(
        f"Check FAILED: the run's outcome differs from the data set's ground truth:{lines}", style="red"
    )


async def run_demo(base: Settings, console: Console, options: DemoOptions) -> int:
    shutil.rmtree(options.state_dir, ignore_errors=True)
    console.print(
        f"bulk-o2c demo: {options.accounts:,} Accounts and {options.orders:,} Orders (with their lines) "
        f"from a Salesforce sandbox to a NetSuite sandbox (pool {NetSuiteSandboxConfig().concurrency_limit}, "
        f"latency time scale {options.time_scale}); state in {options.state_dir}",
    )
    # The demo's own settings file, for the commands it prints: status and dlq read the checkpoint.
    demo_config = options.state_dir / "bulk-o2c.toml"
    demo_config.parent.mkdir(parents=True, exist_ok=True)
    demo_config.write_text(f'[run]\nstate_dir = "{options.state_dir}"\n')
    use_config(demo_config.absolute())
    async with sandboxes(options) as boxes:
        settings = demo_settings(base, boxes, options.state_dir)
        try:
            result, document = await run_with_progress(settings, console)
        except StoppedAtOnce as stopped:
            return print_stopped_at_once(console, stopped, instead=NO_RESUME)
        report_path = write_report(document, options.state_dir)
        code = print_outcome(console, result, document, report_path, instead=NO_RESUME)
        # A run stopped half way holds half the records: nothing to compare with the ground truth.
        differ = await _check_against_ground_truth(boxes, settings) if result.completed else None
    if differ is not None:
        # The data set's bad records are meant to fail: the DLQ holding exactly them is the demo's
        # success, so the check, not the DLQ's size, decides the exit code.
        code = EXIT_FAILURE if differ else EXIT_OK
        console.print(_verdict(differ))
    console.print(
        "Look around:\n"
        f"  {command_line('status')}\n"
        f"  {command_line('dlq', 'list')}\n"
        f"  {command_line('warnings', 'list')}\n"
        f"  {command_line('dlq', 'export', '--format', 'csv', '--out', 'dlq.csv')}\n"
        "Against a real org and account, a run killed at any moment continues where it stopped: "
        "`bulk-o2c run` picks up the latest unfinished run, `bulk-o2c resume RUN_ID` a given one.",
    )
    return code
