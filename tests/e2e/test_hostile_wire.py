"""``bulk-o2c run`` through a hostile wire, as an operator runs it, and what the operator must see.

Both sandboxes run in the test process behind a ``HostileProxy`` each (tests/support/hostile_proxy.py);
the TOML config aims ``bulk-o2c`` at the proxies. For each piece of mischief the run must either
finish with exactly the right data (every good record in NetSuite once, each customer's internal id
written back to its own Salesforce account, the DLQ holding exactly the bad records), or stop with a
clear message and a documented failure exit code, after which ``bulk-o2c run`` with the wire honest
again finishes exactly. Never a traceback, never a silent loss, never a hang.
"""

from __future__ import annotations

import json
import shlex
import sys
import textwrap
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from subprocess import STDOUT

import anyio
import pytest

from bulk_o2c.commands import exit_codes
from bulk_o2c.commands.demo import DemoOptions, Sandboxes, sandboxes
from bulk_o2c.config import Settings
from bulk_o2c.store.store import open_store
from tests.support.hostile_proxy import HostileProxy, Kind, Mischief
from tests.support.runs import expected, run_settings, write_config

RUN_TIMEOUT_S = 60
ACCOUNTS = 120
ORDERS = 150
PAGE_SIZE = 10  # a dozen pages per flow: more than one resultPages listing (five links each)
# A launcher that runs ``bulk-o2c`` as its console script does and, at exit, writes to the file named
# first on its command line the process's peak resident memory (KiB) and every host it looked up or
# connected to that is not this machine (Python's audit events see each one, in any thread).
LAUNCHER = textwrap.dedent(
    """
    import atexit, json, resource, runpy, sys
    from bulk_o2c.loopback import is_loopback_host
    report_file = sys.argv.pop(1)
    off_box = []
    def watch(event, args):
        if event == "socket.getaddrinfo":
            host = args[0]
        elif event == "socket.connect" and isinstance(args[1], tuple):
            host = args[1][0]
        else:
            return
        host = host.decode() if isinstance(host, bytes) else str(host)
        if not is_loopback_host(host):
            off_box.append(host)
    sys.addaudithook(watch)
    def report():
        with open(report_file, "w") as out:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            json.dump({"peak_rss_kib": peak, "off_box": off_box}, out)
    atexit.register(report)
    sys.argv[0] = "bulk-o2c"
    runpy.run_module("bulk_o2c", run_name="__main__", alter_sys=True)
    """
)
# Mischief armed for every request it applies to; a loop the client does not see never ends: the run
# is given far less time than it would need.
ENDLESS = 1_000_000
LOOP_TIMEOUT_S = 30
# An honest run peaks near 80 MiB; a bomb or oversize body is 256 MiB once inflated.
PEAK_RSS_MIB = 200
# How a run that stops itself says why (cli.fail, commands.run.print_outcome).
STOP_LINES = ("error: ", "the run stopped: ")
FAILURE_CODES = {exit_codes.EXIT_FAILURE} | {
    value
    for name, value in vars(exit_codes).items()
    if name.startswith("EXIT_")
    and value not in (exit_codes.EXIT_OK, exit_codes.EXIT_PARTIAL, exit_codes.EXIT_INTERRUPTED)
}


# The bounds an operator sets against bombs and trickles (README, Configuration): far below what the
# proxy sends, so a client that reads past them shows it in its peak memory or its time.
BOUNDS: dict[str, dict[str, object]] = {
    "netsuite": {"max_response_mib": 1},
    "salesforce": {"max_body_mib": 1, "body_timeout_s": 2.0},
}


@dataclass(frozen=True, slots=True)
class Wire:
    boxes: Sandboxes
    salesforce: HostileProxy
    netsuite: HostileProxy
    settings: Settings
    folder: Path

    def honest(self) -> None:
        self.salesforce.honest()
        self.netsuite.honest()


@dataclass(frozen=True, slots=True)
class Outcome:
    code: int
    output: str
    peak_rss_mib: float
    off_box: list[str]  # hosts looked up or connected to that are not this machine


@pytest.fixture
async def wire(tmp_path: Path) -> AsyncIterator[Wire]:
    options = DemoOptions(accounts=ACCOUNTS, orders=ORDERS, time_scale=0.01, page_latency_s=0.0)
    async with (
        HostileProxy() as sf_proxy,
        HostileProxy() as ns_proxy,
        sandboxes(options, jwt_audience=sf_proxy.base_url) as boxes,
    ):
        sf_proxy.upstream = boxes.salesforce.base_url
        ns_proxy.upstream = boxes.netsuite.base_url
        direct = run_settings(boxes, tmp_path, page_size=PAGE_SIZE)
        assert direct.netsuite.soap_url is not None
        salesforce = direct.salesforce.model_copy(update={"login_url": sf_proxy.base_url})
        netsuite = direct.netsuite.model_copy(
            update={"soap_url": ns_proxy.fronting(direct.netsuite.soap_url)}
        )
        settings = direct.model_copy(update={"salesforce": salesforce, "netsuite": netsuite})
        yield Wire(boxes, sf_proxy, ns_proxy, settings, tmp_path)


async def _run(
    wire: Wire,
    extra: dict[str, dict[str, object]] | None = None,
    *,
    timeout_s: float = RUN_TIMEOUT_S,
    command: Sequence[str] | None = None,
) -> Outcome:
    """``bulk-o2c`` with ``command`` (``--config bulk-o2c.toml run`` by default), to its end."""
    config, env = write_config(wire.settings, wire.boxes, wire.folder, extra)
    report_file = wire.folder / "process-report.json"
    args = ["--config", str(config), "run"] if command is None else command
    process = await anyio.open_process(
        [sys.executable, "-c", LAUNCHER, str(report_file), *args],
        env={**env, "COLUMNS": "100"},
        stderr=STDOUT,
    )
    assert process.stdout is not None
    try:
        with anyio.fail_after(timeout_s):
            output = b"".join([chunk async for chunk in process.stdout]).decode()
            code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
        await process.aclose()
    report = json.loads(report_file.read_text())
    return Outcome(code, output, report["peak_rss_kib"] / 1024, report["off_box"])


async def _assert_exact(wire: Wire) -> None:
    """NetSuite holds every good record once, each id written back to a Salesforce Account or Order
    is its own record's, the DLQ holds exactly the bad records, and the run is complete."""
    boxes, settings = wire.boxes, wire.settings
    want = expected(boxes, settings)
    mapping, run_settings = settings.mapping, settings.run
    for record_type, sobject, prefix, field, good in (
        (
            "customer",
            "Account",
            mapping.customer_external_id_prefix,
            run_settings.customer_id_field,
            want.customers,
        ),
        (
            "salesOrder",
            "Order",
            mapping.sales_order_external_id_prefix,
            run_settings.sales_order_id_field,
            want.sales_orders,
        ),
    ):
        assert field is not None, "the hostile-wire runs write every id back"
        records = boxes.netsuite.records(record_type)
        assert sorted(r.external_id for r in records) == sorted(good)
        netsuite_ids = {r.external_id.removeprefix(prefix): r.internal_id for r in records}
        written = boxes.salesforce.written_values(sobject)
        assert {sf_id: values[field] for sf_id, values in written.items()} == netsuite_ids
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        run = await store.runs.latest()
        assert run is not None
        assert run.status == "completed"
        entries = await store.dlq.entries(limit=100_000)
    assert {(e.flow, e.sf_id): e.code for e in entries} == want.dlq
    assert len(entries) == len(want.dlq)


def _assert_clear(outcome: Outcome) -> None:
    assert "Traceback" not in outcome.output, outcome.output
    assert outcome.output.strip(), "the run said nothing"
    assert outcome.off_box == [], f"the run reached for hosts off this machine: {outcome.off_box}"


def _advised(output: str) -> list[str] | None:
    """The arguments of the ``Continue with: bulk-o2c ...`` command the output advises, if any."""
    advice = [
        line.split("Continue with: ", 1)[1] for line in output.splitlines() if "Continue with: " in line
    ]
    if not advice:
        return None
    program, *args = shlex.split(advice[-1])
    assert program == "bulk-o2c"
    return args


async def _finishes_exactly_or_stops_clearly(
    wire: Wire, extra: dict[str, dict[str, object]] | None = None, *, timeout_s: float = RUN_TIMEOUT_S
) -> Outcome:
    """What an operator may accept from a run through a hostile wire: it ends exactly, or it stops
    with a failure exit code and one line saying why, and the command it advises (``bulk-o2c run``
    when it advises none) ends exactly with the wire honest again."""
    outcome = await _run(wire, extra, timeout_s=timeout_s)
    _assert_clear(outcome)
    if outcome.code != exit_codes.EXIT_PARTIAL:
        assert outcome.code in FAILURE_CODES, outcome.output
        said = [line for line in outcome.output.splitlines() if line.startswith(STOP_LINES)]
        assert len(said) == 1, outcome.output  # one line says why it stopped
        wire.honest()
        again = await _run(wire, extra, command=_advised(outcome.output))
        _assert_clear(again)
        assert again.code == exit_codes.EXIT_PARTIAL, again.output
    await _assert_exact(wire)
    return outcome


async def _ends_exactly(wire: Wire) -> None:
    """The run, through whatever mischief is armed, ends as an honest one does: exactly."""
    outcome = await _run(wire)
    _assert_clear(outcome)
    assert outcome.code == exit_codes.EXIT_PARTIAL, outcome.output
    await _assert_exact(wire)


async def test_an_honest_wire_changes_nothing(wire: Wire) -> None:
    await _ends_exactly(wire)
    assert wire.salesforce.requests  # it did go through the proxies
    assert wire.netsuite.requests
    assert not wire.salesforce.applied
    assert not wire.netsuite.applied


# -- NetSuite upsertList answers ------------------------------------------------------------------


async def test_write_responses_out_of_order_are_matched_by_external_id(wire: Wire) -> None:
    wire.netsuite.arm(Mischief.REORDER, times=ENDLESS)  # every answer, customers' and sales orders'
    await _ends_exactly(wire)
    assert wire.netsuite.applied[Mischief.REORDER] == wire.netsuite.requests[Kind.UPSERT_LIST]


@pytest.mark.parametrize(
    "mischief",
    [
        Mischief.FOREIGN_EXTERNAL_ID,
        Mischief.DROP_WRITE_RESPONSE,
        Mischief.STRIP_INTERNAL_ID,
    ],
    ids=lambda m: m.name,
)
async def test_an_answer_that_does_not_account_for_every_record_loses_none(
    wire: Wire, mischief: Mischief
) -> None:
    wire.netsuite.arm(mischief)
    await _finishes_exactly_or_stops_clearly(wire)
    assert wire.netsuite.applied[mischief] == 1


# -- either side ---------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["netsuite", "salesforce"])  # an upsertList answer, a results page
@pytest.mark.parametrize("mischief", [Mischief.GZIP_BOMB, Mischief.OVERSIZE], ids=lambda m: m.name)
async def test_an_answer_past_its_bound_is_refused_unread(wire: Wire, side: str, mischief: Mischief) -> None:
    proxy: HostileProxy = getattr(wire, side)
    proxy.arm(mischief)
    outcome = await _finishes_exactly_or_stops_clearly(wire, BOUNDS)
    assert proxy.applied[mischief] == 1
    assert outcome.peak_rss_mib < PEAK_RSS_MIB


# -- Salesforce query results ---------------------------------------------------------------------


async def test_a_last_page_short_of_rows_is_never_taken_for_the_end(wire: Wire) -> None:
    wire.salesforce.arm(Mischief.TRUNCATE_LAST_PAGE)
    await _finishes_exactly_or_stops_clearly(wire)
    assert wire.salesforce.applied[Mischief.TRUNCATE_LAST_PAGE] == 1


async def test_a_locator_that_loops_is_caught(wire: Wire) -> None:
    wire.salesforce.arm(Mischief.NO_RESULT_PAGES, times=3)  # every flow pages by locator
    wire.salesforce.arm(Mischief.LOCATOR_LOOP, times=ENDLESS)
    await _finishes_exactly_or_stops_clearly(wire, timeout_s=LOOP_TIMEOUT_S)
    assert wire.salesforce.applied[Mischief.LOCATOR_LOOP] >= 1


async def test_a_result_pages_listing_that_loops_is_caught(wire: Wire) -> None:
    wire.salesforce.arm(Mischief.RESULT_PAGES_LOOP, times=ENDLESS)
    await _finishes_exactly_or_stops_clearly(wire, timeout_s=LOOP_TIMEOUT_S)
    assert wire.salesforce.applied[Mischief.RESULT_PAGES_LOOP] >= 1


async def test_a_trickled_page_does_not_hold_the_run(wire: Wire) -> None:
    # A page of about 1 KB takes minutes at the proxy's trickle.
    wire.salesforce.arm(Mischief.TRICKLE)
    await _finishes_exactly_or_stops_clearly(wire, BOUNDS, timeout_s=30)
    assert wire.salesforce.applied[Mischief.TRICKLE] == 1


async def test_a_redirect_off_the_machine_is_refused_before_connecting(wire: Wire) -> None:
    wire.salesforce.arm(Mischief.REDIRECT_OFF_BOX, times=3)
    await _finishes_exactly_or_stops_clearly(wire)  # which checks nothing off the machine was reached
    assert wire.salesforce.applied[Mischief.REDIRECT_OFF_BOX] >= 1


# -- Salesforce ingest ----------------------------------------------------------------------------


async def test_an_upload_complete_whose_answer_was_lost_is_not_a_failure(wire: Wire) -> None:
    wire.salesforce.arm(Mischief.LOSE_ANSWER)
    await _ends_exactly(wire)
    assert wire.salesforce.applied[Mischief.LOSE_ANSWER] == 1


async def test_ingest_results_short_of_the_jobs_count_are_never_settled(wire: Wire) -> None:
    # The ids were written; the answer saying so lost a row. Filed as unprocessed, that account's
    # id would sit in the DLQ though Salesforce holds it.
    wire.salesforce.arm(Mischief.TRUNCATE_SUCCESSES)
    await _finishes_exactly_or_stops_clearly(wire)
    assert wire.salesforce.applied[Mischief.TRUNCATE_SUCCESSES] == 1
