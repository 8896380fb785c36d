"""``bulk-o2c bench``: sweep concurrency and chunk size against a target, and recommend a setting.

The target, in order of safety:

- by default a NetSuite sandbox the bench starts in a child process (its CPU is never counted
  against the client's), with the pool and latency scale asked for;
- ``--sandbox URL``: a ``bulk-o2c sandbox netsuite`` already running;
- ``--real-account``: the configured NetSuite account, and only with that flag. Records are real
  there, so the sweep writes at most ``record_cap`` customers in all, every one with an external id
  starting with a dedicated ``BOC_BENCH_`` prefix (printed before and after) so they can be found
  with a saved search and deleted. Without the flag the configured account is never contacted.

Per setting the bench loads, by default, eight requests per concurrency slot (enough for the steady
state to outweigh ramp-up and drain); against a real account the cap is shared out evenly instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bulk_o2c.bench.output import bench_table, write_csv, write_json
from bulk_o2c.bench.plot import ensure_plot_available, write_plot
from bulk_o2c.bench.sandbox_account import SandboxAccount
from bulk_o2c.bench.sandbox_process import NetSuiteSpec, SandboxSpec, sandbox_process
from bulk_o2c.bench.sweep import BenchResult, BenchRow, Setting, recommend, sweep
from bulk_o2c.commands.sandboxes import describe_netsuite_sandbox, netsuite_sandbox_settings
from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.errors import ConfigError
from bulk_o2c.pipeline.sink import SoapSink
from bulk_o2c.protocol.netsuite.limits import CHUNK_SIZE_CEILING
from bulk_o2c.transport.netsuite.writer import open_writer

BENCH_PREFIX = "BOC_BENCH_"
DEFAULT_RECORD_CAP = 2_000
REQUESTS_PER_SLOT = 8
_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,40}$")


def default_prefix(now: datetime | None = None) -> str:
    """``BOC_BENCH_<UTC date and time>_``: one prefix per sweep, easy to search for and delete."""
    return f"{BENCH_PREFIX}{(now or datetime.now(UTC)):%Y%m%d%H%M%S}_"


def parse_grid(text: str) -> list[int]:
    """``"1,5,10"`` -> ``[1, 5, 10]`` (sorted, without repeats)."""
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ConfigError(f"expected comma-separated whole numbers, not {text!r}") from None
    if not values:
        raise ConfigError("the grid needs at least one value")
    return values


@dataclass(frozen=True, slots=True)
class SpawnedSandbox:
    """The sandbox the bench starts when no target is given."""

    pool: int = 5  # a Standard-tier account
    max_records: int = 100
    time_scale: float = 1.0


def _grid(concurrencies: Sequence[int], chunk_sizes: Sequence[int]) -> list[Setting]:
    if not concurrencies or not chunk_sizes:
        raise ConfigError("the sweep needs at least one concurrency and one chunk size")
    if min(concurrencies) < 1 or max(concurrencies) > 200:
        raise ConfigError("concurrency is between 1 and 200")
    if min(chunk_sizes) < 1 or max(chunk_sizes) > CHUNK_SIZE_CEILING:
        raise ConfigError(f"chunk size is between 1 and {CHUNK_SIZE_CEILING}")
    return sorted({Setting(c, k) for c in concurrencies for k in chunk_sizes})


def _check_prefix(prefix: str, *, real_account: bool) -> None:
    if not _PREFIX_PATTERN.match(prefix):
        raise ConfigError("the external id prefix is 1 to 40 letters, digits or underscores")
    if real_account and not prefix.startswith(BENCH_PREFIX):
        raise ConfigError(
            f"on a real account the external id prefix must start with {BENCH_PREFIX}, "
            "so benchmark records can be told apart and deleted"
        )


def _real_account_records(
    grid: Sequence[Setting], records_per_setting: int | None, record_cap: int
) -> Callable[[Setting], int]:
    """Records per setting on a real account: never more than ``record_cap`` in all."""
    if record_cap < 1:
        raise ConfigError("--real-account needs a record cap of at least 1 (--record-cap)")
    per_setting = records_per_setting if records_per_setting is not None else record_cap // len(grid)
    if per_setting * len(grid) > record_cap:
        raise ConfigError(
            f"{per_setting:,} records x {len(grid)} settings = {per_setting * len(grid):,} is over the "
            f"record cap of {record_cap:,}: raise --record-cap or lower --records"
        )
    thin = [s for s in grid if per_setting < s.concurrency * s.chunk_size]
    if thin:
        needed = max(s.concurrency * s.chunk_size for s in grid) * len(grid)
        raise ConfigError(
            f"{per_setting:,} records per setting cannot fill one request per slot at "
            f"{', '.join(s.label for s in thin)}: a cap of {needed:,} would, or narrow the grid"
        )
    return lambda _setting: per_setting


def _sandbox_records(records_per_setting: int | None) -> Callable[[Setting], int]:
    if records_per_setting is not None:
        if records_per_setting < 1:
            raise ConfigError("--records must be at least 1")
        return lambda _setting: records_per_setting
    return lambda s: REQUESTS_PER_SLOT * s.concurrency * s.chunk_size


def describe_sandbox(url: str, account: SandboxAccount) -> str:
    return (
        f"NetSuite sandbox at {url} (pool {account.concurrency_limit}, {account.max_records} records per "
        f"request, time scale {account.time_scale:g})"
    )


@dataclass(frozen=True, slots=True)
class Watchers:
    """Progress for a caller: the target and the records planned once every check passed, then rows."""

    on_start: Callable[[str, int], None] | None = None
    on_row: Callable[[BenchRow], None] | None = None

    def start(self, target: str, grid: Sequence[Setting], records: Callable[[Setting], int]) -> None:
        if self.on_start is not None:
            self.on_start(target, sum(records(s) for s in grid))


async def _sweep(
    settings: NetSuiteSettings,
    target: str,
    grid: Sequence[Setting],
    records: Callable[[Setting], int],
    prefix: str,
    account: SandboxAccount | None,
    watchers: Watchers,
) -> BenchResult:
    watchers.start(target, grid, records)
    rows = await sweep(settings, grid, records, prefix, account, watchers.on_row)
    return BenchResult(target, prefix, tuple(rows), recommend(rows))


async def _sweep_sandbox(
    settings: NetSuiteSettings,
    url: str,
    grid: Sequence[Setting],
    records: Callable[[Setting], int],
    prefix: str,
    watchers: Watchers,
) -> BenchResult:
    account = await describe_netsuite_sandbox(url)
    aimed = netsuite_sandbox_settings(settings, url, account)
    return await _sweep(aimed, describe_sandbox(url, account), grid, records, prefix, account, watchers)


async def run_bench(
    settings: NetSuiteSettings,
    *,
    target_sandbox_url: str | None,
    concurrencies: Sequence[int],
    chunk_sizes: Sequence[int],
    records_per_setting: int | None,
    real_account: bool,
    record_cap: int,
    prefix: str,
    spawned: SpawnedSandbox | None = None,
    watchers: Watchers | None = None,
) -> BenchResult:
    """Sweep every (concurrency, chunk size) pair against the target; see the module docstring.

    Every check happens before the first upsert (and before ``watchers.on_start``): a refused
    configuration writes nothing. A real account is first asked its time (``getServerTime``), so
    refused credentials stop the sweep before it starts.
    """
    watchers = watchers if watchers is not None else Watchers()
    grid = _grid(concurrencies, chunk_sizes)
    _check_prefix(prefix, real_account=real_account)
    if real_account:
        if target_sandbox_url is not None:
            raise ConfigError("choose either --sandbox URL or --real-account, not both")
        records = _real_account_records(grid, records_per_setting, record_cap)
        async with open_writer(settings) as writer:  # a refused login stops here, having made nothing
            await SoapSink(writer, settings.endpoint_version).check()
        target = f"NetSuite account {settings.account_id} at {settings.resolved_soap_url}"
        return await _sweep(settings, target, grid, records, prefix, None, watchers)
    records = _sandbox_records(records_per_setting)
    if target_sandbox_url is not None:
        return await _sweep_sandbox(settings, target_sandbox_url, grid, records, prefix, watchers)
    spawn = spawned if spawned is not None else SpawnedSandbox()
    spec = NetSuiteSpec(
        concurrency_limit=spawn.pool, max_records=spawn.max_records, time_scale=spawn.time_scale
    )
    async with sandbox_process(SandboxSpec(netsuite=spec)) as urls:
        assert urls.netsuite is not None
        return await _sweep_sandbox(settings, urls.netsuite, grid, records, prefix, watchers)


@dataclass(frozen=True, slots=True)
class BenchOptions:
    """``bulk-o2c bench`` as typed on the command line (grids still as text)."""

    sandbox: str | None = None
    real_account: bool = False
    concurrency: str = "1,2,5,10"
    chunk_size: str = "50,100"
    records: int | None = None
    record_cap: int = DEFAULT_RECORD_CAP
    prefix: str | None = None
    pool: int = 5
    time_scale: float = 1.0
    json: Path | None = None
    csv: Path | None = None
    plot: Path | None = None


async def bench_command(settings: NetSuiteSettings, console: Console, options: BenchOptions) -> int:
    """Run the sweep with progress lines, print the table, write the files asked for; exit code 0."""
    if options.plot is not None:
        ensure_plot_available()  # before minutes of sweeping, not after
    prefix = options.prefix if options.prefix is not None else default_prefix()
    concurrencies, chunk_sizes = parse_grid(options.concurrency), parse_grid(options.chunk_size)

    def start(target: str, records: int) -> None:
        real = ("a real account", "bold") if options.real_account else ""
        console.print(
            Text.assemble(
                f"sweeping {len(concurrencies) * len(chunk_sizes)} settings against ",
                real,
                ", " if real else "",
                f"{target}: {records:,} customers, external ids starting with {prefix}",
            )
        )

    def progress(row: BenchRow) -> None:
        faults = f", faults {row.faults}" if row.faults else ""
        console.print(
            f"  concurrency {row.setting.concurrency:>3}, chunk {row.setting.chunk_size:>4}: "
            f"{row.records_per_s:,.1f} records/s, p95 {row.latency_p95_s * 1000:,.0f} ms{faults}",
        )

    result = await run_bench(
        settings,
        target_sandbox_url=options.sandbox,
        concurrencies=concurrencies,
        chunk_sizes=chunk_sizes,
        records_per_setting=options.records,
        real_account=options.real_account,
        record_cap=options.record_cap,
        prefix=prefix,
        spawned=SpawnedSandbox(options.pool, time_scale=options.time_scale),
        watchers=Watchers(start, progress),
    )
    console.print(bench_table(result))
    for path, write in ((options.json, write_json), (options.csv, write_csv), (options.plot, write_plot)):
        if path is not None:
            write(result, path)
            console.print(f"wrote {path}")
    console.print(
        f"benchmark records have external ids starting with {prefix} "
        "(a saved search on External ID 'starts with' finds them for deletion)",
    )
    return 0
