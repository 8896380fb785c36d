"""The ``bulk-o2c`` command line: argument parsing only; the work lives in ``bulk_o2c.commands``.

Exit codes: 0 success; 1 failure (a run that stops itself, NetSuite down or refusing the setup,
prints the reason and the resume command); 2 usage error; 3 partial success (records in the DLQ);
4 stopped by a signal before the end (the resume command is printed); 5 another process holds the
state directory.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import anyio
import typer

from bulk_o2c.cli_app import App
from bulk_o2c.commands.exit_codes import EXIT_FAILURE, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL
from bulk_o2c.commands.invocation import use_config
from bulk_o2c.config import Settings, load_settings, load_settings_without_secrets
from bulk_o2c.console import new_console, styled
from bulk_o2c.errors import BulkO2CError, StateDirLockedError
from bulk_o2c.logs import configure_logging

if TYPE_CHECKING:
    from bulk_o2c.pipeline.metrics import RunMetrics


# Locals in a rendered traceback could show a secret: never render them.
app = App(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="Order-to-cash bulk loads between Salesforce and NetSuite.",
)
sandbox_app = App(no_args_is_help=True, help="Run an emulator on 127.0.0.1 until Ctrl-C.")
app.add_typer(sandbox_app, name="sandbox")
dlq_app = App(no_args_is_help=True, help="Inspect, retry and export the dead-letter queue.")
app.add_typer(dlq_app, name="dlq")
warnings_app = App(
    no_args_is_help=True,
    help="Show and export the warnings of loaded records (names cut, characters removed).",
)
app.add_typer(warnings_app, name="warnings")
doctor_app = App(
    invoke_without_command=True,
    help="Check both ends, line by line: exit 0 when a run can start, 1 when it cannot.",
)
app.add_typer(doctor_app, name="doctor")

console = new_console()


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"

    @property
    def literal(self) -> Literal["csv", "jsonl"]:
        return "csv" if self is ExportFormat.CSV else "jsonl"


AcceptChangedSettings = Annotated[
    bool,
    typer.Option(
        "--accept-changed-settings",
        help="continue an unfinished run although its target (account, URL, credentials) or mapping changed",
    ),
]


class _State:
    config_path: Path | None = None


_state = _State()


def settings(**overrides: dict[str, Any]) -> Settings:
    return load_settings(_state.config_path, **overrides)


def checkpoint_settings() -> Settings:
    """Settings for a command that only reads or marks the checkpoint: no secret is read."""
    return load_settings_without_secrets(_state.config_path)


@app.callback()
def _options(
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML settings file (default: ./bulk-o2c.toml if present)")
    ] = None,
    log_format: Annotated[str, typer.Option(help="text or json")] = "text",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False,
) -> None:
    _state.config_path = config
    use_config(None if config is None else config.absolute())  # printed commands work from any folder
    configure_logging("json" if log_format == "json" else "text", 10 if verbose else 20)


def fail(error: BulkO2CError) -> typer.Exit:
    console.print(styled("red", "error:", f" {error}"))
    return typer.Exit(EXIT_LOCKED if isinstance(error, StateDirLockedError) else EXIT_FAILURE)


@sandbox_app.command("netsuite")
def sandbox_netsuite(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0 = any free port)")] = 8720,
    concurrency_limit: Annotated[int, typer.Option(help="the account's concurrency pool")] = 5,
    integration_limit: Annotated[
        int | None, typer.Option(min=1, help="this integration's own share of the pool (default: none)")
    ] = None,
    max_records: Annotated[int, typer.Option(help="records allowed per upsertList")] = 100,
    time_scale: Annotated[float, typer.Option(help="multiplies the latency model (0 = no waiting)")] = 1.0,
    secrets_dir: Annotated[
        Path | None, typer.Option(help="directory for the TBA credential files (default: a new temp dir)")
    ] = None,
) -> None:
    """Emulate a NetSuite account (SOAP upsertList, getServerTime, governance and get with TBA; REST
    governanceLimits) on 127.0.0.1."""
    from bulk_o2c.commands.sandboxes import run_netsuite_sandbox

    try:
        run_netsuite_sandbox(
            console,
            port,
            concurrency_limit,
            max_records,
            time_scale,
            secrets_dir,
            integration_limit=integration_limit,
        )
    except BulkO2CError as exc:
        raise fail(exc) from None


@sandbox_app.command("salesforce")
def sandbox_salesforce(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0 = any free port)")] = 8721,
    accounts: Annotated[int, typer.Option(min=0, help="Accounts in the org (generated as read)")] = 1_000_000,
    orders: Annotated[int, typer.Option(min=0, help="Orders, 1-5 lines each (they need Accounts)")] = 0,
    page_latency: Annotated[float, typer.Option(min=0.0, help="seconds before each results page")] = 0.2,
    key_dir: Annotated[
        Path | None, typer.Option(help="directory for the JWT private key (default: a new temp dir)")
    ] = None,
    single_currency: Annotated[bool, typer.Option("--single-currency", help="no CurrencyIsoCode")] = False,
    no_country_picklists: Annotated[
        bool, typer.Option("--no-country-picklists", help="free-text BillingCountry only")
    ] = False,
    person_accounts: Annotated[
        bool, typer.Option("--person-accounts", help="IsPersonAccount, FirstName, LastName")
    ] = False,
    missing_field: Annotated[
        list[str] | None, typer.Option(metavar="FIELD", help="a field the org lacks (repeatable)")
    ] = None,
    read_only_field: Annotated[
        list[str] | None,
        typer.Option(metavar="FIELD", help="a field the integration cannot update (repeatable)"),
    ] = None,
    nearly_exhausted_limits: Annotated[
        bool, typer.Option("--low-limits", help="/limits nearly exhausted (~1% left)")
    ] = False,
) -> None:
    """Emulate a Salesforce org (JWT login, Bulk API 2.0) on 127.0.0.1, of the shape the flags say."""
    from bulk_o2c.commands.sandboxes import run_salesforce_sandbox
    from bulk_o2c.sandbox.salesforce.org_shape import OrgShape

    shape = OrgShape(
        multi_currency=not single_currency,
        country_picklists=not no_country_picklists,
        person_accounts=person_accounts,
        missing_fields=frozenset(missing_field or ()),
        read_only_fields=frozenset(read_only_field or ()),
        nearly_exhausted_limits=nearly_exhausted_limits,
    )
    try:
        run_salesforce_sandbox(console, port, accounts, orders, page_latency, key_dir, shape=shape)
    except BulkO2CError as exc:
        raise fail(exc) from None


@app.command()
def extract(
    flow: Annotated[str, typer.Argument(help="Account, Order or OrderItem")] = "Account",
    sandbox: Annotated[str | None, typer.Option(help="base URL of a `bulk-o2c sandbox salesforce`")] = None,
    key: Annotated[Path | None, typer.Option(help="the JWT private key file that sandbox printed")] = None,
    accept_changed_settings: AcceptChangedSettings = False,
) -> None:
    """Stream one flow from Salesforce into the checkpoint's staging table; killed, it resumes."""
    from bulk_o2c.commands.extract import extract_to_staging
    from bulk_o2c.commands.sandboxes import salesforce_sandbox_settings
    from bulk_o2c.progress import show_progress

    if (sandbox is None) != (key is None):
        raise typer.BadParameter("--sandbox and --key go together")

    async def watch(metrics: RunMetrics) -> None:
        await show_progress(metrics, console)

    def work() -> int:
        current = settings()
        if sandbox is not None and key is not None:
            current = salesforce_sandbox_settings(current, sandbox, key)
        report = anyio.run(
            partial(
                extract_to_staging,
                current,
                flow,
                watch=watch,
                accept_changed_settings=accept_changed_settings,
            )
        )
        console.print(
            f"{flow}: {report.rows_read:,} rows read in {report.seconds:.1f} s "
            f"({report.rows_per_s:,.0f} rows/s), "
            f"{report.rows:,} staged in {report.pages} pages for run {report.run_id}"
            f"{'' if report.done else ' (not finished: run it again to continue)'}; "
            f"peak RSS {report.peak_rss_mb:,.0f} MB; checkpoint {report.checkpoint}",
        )
        return EXIT_OK

    raise typer.Exit(_guarded(work))


@app.command("load-customers")
def load_customers(
    count: Annotated[int, typer.Argument(min=1, help="how many synthetic customers")],
    sandbox: Annotated[
        str | None,
        typer.Option(help="base URL of a `bulk-o2c sandbox netsuite` (default: the configured account)"),
    ] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, help="override netsuite.concurrency")] = None,
    chunk_size: Annotated[
        int | None, typer.Option(min=1, max=1000, help="override netsuite.chunk_size")
    ] = None,
) -> None:
    """Load N synthetic customers and print records/s, peak concurrency and the ceiling."""
    from bulk_o2c.commands.sandboxes import describe_netsuite_sandbox, netsuite_sandbox_settings
    from bulk_o2c.pipeline.synthetic_load import load_customers as run_load

    overrides: dict[str, Any] = {}
    if concurrency is not None:
        overrides["concurrency"] = concurrency
    if chunk_size is not None:
        overrides["chunk_size"] = chunk_size
    try:
        netsuite = settings(netsuite=overrides).netsuite
        account = None
        if sandbox is not None:
            account = anyio.run(describe_netsuite_sandbox, sandbox)
            netsuite = netsuite_sandbox_settings(netsuite, sandbox, account)
        report = anyio.run(run_load, netsuite, count)
    except BulkO2CError as exc:
        raise fail(exc) from None
    console.print(
        f"loaded {report.saved:,} of {report.records:,} customers in {report.seconds:.2f} s: "
        f"{report.records_per_s:,.0f} records/s, {report.requests} requests, "
        f"mean request {report.latency_mean_s * 1000:.0f} ms, highest concurrency {report.peak_concurrency}",
    )
    if account is not None:
        ceiling = account.ceiling(netsuite.fallback_concurrency, netsuite.effective_chunk_size)
        concurrency, chunk = account.effective(netsuite.fallback_concurrency, netsuite.effective_chunk_size)
        console.print(
            f"ceiling of the sandbox latency model: {ceiling:,.0f} records/s "
            f"(concurrency {concurrency} x chunk {chunk} / "
            f"{account.request_seconds(chunk):.3f} s); achieved {report.records_per_s / ceiling:.1%}",
        )
    if report.faults:
        console.print(f"faults seen: {report.faults}")
    for line in report.first_errors:
        console.print(styled("yellow", "failed", f" {line}"))
    raise typer.Exit(EXIT_OK if report.failed == 0 else EXIT_PARTIAL)


@app.command()
def run(
    dry_run: Annotated[
        Path | None,
        typer.Option(help="map and write the exact payloads into this folder instead of calling NetSuite"),
    ] = None,
    accept_changed_settings: AcceptChangedSettings = False,
) -> None:
    """Start a run, or continue the latest unfinished one."""
    from bulk_o2c.commands.run import run_command

    raise typer.Exit(
        _guarded(lambda: anyio.run(_run_command, run_command, None, dry_run, accept_changed_settings))
    )


@app.command()
def resume(
    run_id: Annotated[str, typer.Argument(help="the run to continue (see `status`)")],
    accept_changed_settings: AcceptChangedSettings = False,
) -> None:
    """Continue the given run from its checkpoint."""
    from bulk_o2c.commands.run import run_command

    raise typer.Exit(
        _guarded(lambda: anyio.run(_run_command, run_command, run_id, None, accept_changed_settings))
    )


async def _run_command(command: Any, run_id: str | None, dry_run: Path | None, accept: bool) -> int:
    code: int = await command(
        settings(), console, run_id=run_id, dry_run=dry_run, accept_changed_settings=accept
    )
    return code


@app.command()
def abandon(
    run_id: Annotated[str, typer.Argument(help="the unfinished run to close (see `status`)")],
) -> None:
    """Close an unfinished run on purpose; the high-water marks stay, so the next run reads its window."""
    from bulk_o2c.commands.checkpoint import abandon_run

    raise typer.Exit(_guarded(lambda: anyio.run(abandon_run, checkpoint_settings(), console, run_id)))


@app.command()
def status(run_id: Annotated[str | None, typer.Argument(help="default: the latest run")] = None) -> None:
    """Where a run stands: extraction, loads, write-back, DLQ."""
    from bulk_o2c.commands.checkpoint import show_status

    raise typer.Exit(_guarded(lambda: anyio.run(show_status, checkpoint_settings(), console, run_id)))


@dlq_app.command("list")
def dlq_list(
    run_id: Annotated[str | None, typer.Option("--run", help="only this run")] = None,
    limit: Annotated[int, typer.Option(min=1, help="rows to show")] = 50,
) -> None:
    """Show the open DLQ entries with their reasons."""
    from bulk_o2c.commands.checkpoint import list_dlq

    raise typer.Exit(_guarded(lambda: anyio.run(list_dlq, checkpoint_settings(), console, run_id, limit)))


@dlq_app.command("retry")
def dlq_retry(
    run_id: Annotated[str | None, typer.Option("--run", help="only this run")] = None,
    code: Annotated[str | None, typer.Option(help="only entries with this code")] = None,
    dlq_id: Annotated[list[int] | None, typer.Option("--id", help="only these entries")] = None,
) -> None:
    """Mark entries for another attempt; the next `run`/`resume` of their run sends them again."""
    from bulk_o2c.commands.checkpoint import retry_dlq

    raise typer.Exit(
        _guarded(lambda: anyio.run(retry_dlq, checkpoint_settings(), console, run_id, code, dlq_id))
    )


@dlq_app.command("export")
def dlq_export(
    out: Annotated[Path, typer.Option(help="file to write ('-' for stdout)")] = Path("-"),
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl")] = ExportFormat.CSV,
    run_id: Annotated[str | None, typer.Option("--run", help="only this run")] = None,
) -> None:
    """Export the DLQ with the Salesforce rows, for a spreadsheet or a program."""
    _export("dlq", out, fmt, run_id)


def _export(kind: Literal["dlq", "warnings"], out: Path, fmt: ExportFormat, run_id: str | None) -> None:
    from bulk_o2c.commands.checkpoint import export_entries

    def work() -> int:
        return anyio.run(export_entries, checkpoint_settings(), console, kind, out, fmt.literal, run_id)

    raise typer.Exit(_guarded(work))


@warnings_app.command("list")
def warnings_list(
    run_id: Annotated[str | None, typer.Option("--run", help="only this run")] = None,
    limit: Annotated[int, typer.Option(min=1, help="rows to show")] = 50,
) -> None:
    """Show each warning with its record, and the counts per flow and kind."""
    from bulk_o2c.commands.checkpoint import list_warnings

    raise typer.Exit(
        _guarded(lambda: anyio.run(list_warnings, checkpoint_settings(), console, run_id, limit))
    )


@warnings_app.command("export")
def warnings_export(
    out: Annotated[Path, typer.Option(help="file to write ('-' for stdout)")] = Path("-"),
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl")] = ExportFormat.CSV,
    run_id: Annotated[str | None, typer.Option("--run", help="only this run")] = None,
) -> None:
    """Export every warning with its record and Salesforce row, for a spreadsheet or a program."""
    _export("warnings", out, fmt, run_id)


@app.command()
def demo(
    accounts: Annotated[int, typer.Option(min=1, help="Accounts in the Salesforce sandbox")] = 2_000,
    orders: Annotated[int, typer.Option(min=0, help="Orders (1-5 lines each)")] = 3_000,
    time_scale: Annotated[
        float, typer.Option(min=0.0, help="NetSuite latency model scale (1 = realistic, 0 = none)")
    ] = 1.0,
) -> None:
    """Run the whole pipeline between the embedded sandboxes, with progress and a summary."""
    from bulk_o2c.commands.demo import DemoOptions, run_demo

    options = DemoOptions(accounts=accounts, orders=orders, time_scale=time_scale)
    raise typer.Exit(_guarded(lambda: anyio.run(run_demo, settings(), console, options)))


@app.command()
def bench(
    sandbox: Annotated[
        str | None,
        typer.Option(
            help="URL of a running `bulk-o2c sandbox netsuite` (default: start one in a child process)"
        ),
    ] = None,
    real_account: Annotated[
        bool,
        typer.Option(
            "--real-account", help="sweep the configured account: real records, at most --record-cap"
        ),
    ] = False,
    concurrency: Annotated[str, typer.Option(help="concurrencies to try, comma-separated")] = "1,2,5,10",
    chunk_size: Annotated[str, typer.Option(help="chunk sizes to try, comma-separated")] = "50,100",
    records: Annotated[
        int | None,
        typer.Option(
            min=1, help="records per setting (default: 8 requests per slot; real account: cap / settings)"
        ),
    ] = None,
    record_cap: Annotated[
        int, typer.Option(min=1, help="most customers a --real-account sweep creates")
    ] = 2_000,
    prefix: Annotated[
        str | None, typer.Option(help="external id prefix (default BOC_BENCH_<UTC time>_)")
    ] = None,
    pool: Annotated[int, typer.Option(min=1, help="pool of the sandbox the bench starts")] = 5,
    time_scale: Annotated[
        float, typer.Option(min=0.0, help="latency scale of the sandbox the bench starts (1 = realistic)")
    ] = 1.0,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the figures as JSON")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write the figures as CSV")] = None,
    plot: Annotated[
        # Help is rich markup: a literal "[" is written "\\[".
        Path | None, typer.Option(help="write a PNG plot (needs pip install 'bulk-o2c\\[plot]')")
    ] = None,
) -> None:
    """Sweep concurrency x chunk size: records/s, p50/p95 latency, faults; recommend a setting."""
    from bulk_o2c.commands.bench import BenchOptions, bench_command

    options = BenchOptions(
        sandbox=sandbox,
        real_account=real_account,
        concurrency=concurrency,
        chunk_size=chunk_size,
        records=records,
        record_cap=record_cap,
        prefix=prefix,
        pool=pool,
        time_scale=time_scale,
        json=json_out,
        csv=csv_out,
        plot=plot,
    )
    raise typer.Exit(_guarded(lambda: anyio.run(bench_command, settings().netsuite, console, options)))


@doctor_app.callback()
def doctor(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON document, for monitoring")] = False,
    records: Annotated[
        int, typer.Option(min=0, help="records a run reads, to check the Salesforce allowances against")
    ] = 100_000,
) -> None:
    """Check NetSuite (auth, clock, concurrency, role, reference data) and Salesforce (token, limits)."""
    if ctx.invoked_subcommand is not None:
        return
    from bulk_o2c.commands.doctor import diagnose

    def work() -> int:
        report = anyio.run(diagnose, settings(), records)
        if json_out:
            console.print(report.to_json(), soft_wrap=True)
        else:
            for line in report.lines():
                console.print(line)
        return EXIT_OK if report.can_run else EXIT_FAILURE

    raise typer.Exit(_guarded(work))


@doctor_app.command("verify")
def doctor_verify(
    kind: Annotated[str, typer.Argument(help="customer, sales-order or item")],
    external_id: Annotated[str, typer.Argument(help="the record's externalId, e.g. SF_ACCT_001...")],
    json_out: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """Fetch one NetSuite record by externalId: its internal id and key fields (exit 1: not found)."""
    from bulk_o2c.commands.doctor import record_json, record_lines, verify

    def work() -> int:
        record = anyio.run(verify, settings(), kind, external_id)
        if json_out:
            console.print(record_json(kind, external_id, record), soft_wrap=True)
        else:
            for line in record_lines(kind, external_id, record):
                console.print(line)
        return EXIT_OK if record is not None else EXIT_FAILURE

    raise typer.Exit(_guarded(work))


def _guarded(work: Callable[[], int]) -> int:
    """Run ``work``; a bulk-o2c error (also from inside a task group) becomes one line and exit 1."""
    try:
        return work()
    except BulkO2CError as exc:
        raise fail(exc) from None
    except BaseExceptionGroup as group:
        found = _first_bulk_error(group)
        if found is None:
            raise
        raise fail(found) from None


def _first_bulk_error(group: BaseExceptionGroup[BaseException]) -> BulkO2CError | None:
    for exc in group.exceptions:
        if isinstance(exc, BulkO2CError):
            return exc
        if isinstance(exc, BaseExceptionGroup) and (found := _first_bulk_error(exc)) is not None:
            return found
    return None


def main() -> None:
    app()
