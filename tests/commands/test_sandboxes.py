"""The sandboxes as ``bulk-o2c sandbox salesforce`` and ``netsuite`` run them; the client aimed at them."""

from __future__ import annotations

import itertools
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream
from typer.testing import CliRunner

from bulk_o2c.cli import app
from bulk_o2c.commands.extract import extract_to_staging
from bulk_o2c.commands.sandboxes import (
    describe_netsuite_sandbox,
    new_jwt_key_pair,
    salesforce_sandbox_settings,
    write_private_key,
)
from bulk_o2c.config import RunSettings, SalesforceSettings, Settings, load_settings
from bulk_o2c.errors import BodyTooLargeError, ConfigError
from bulk_o2c.pipeline.sink import SoapSink
from bulk_o2c.sandbox.netsuite.config import DEMO_CURRENCIES, NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.server import NetSuiteSandbox
from bulk_o2c.sandbox.salesforce.org_shape import OrgShape
from bulk_o2c.transport.netsuite.writer import open_writer
from tests.support.loopback import serving
from tests.support.loopback_http import MIB, fixed, routes, streaming

REPO = Path(__file__).resolve().parents[2]


def test_the_private_key_is_never_in_a_repr() -> None:
    keys = new_jwt_key_pair()
    assert "PRIVATE KEY" in keys.private_pem
    assert "PRIVATE" not in repr(keys)
    assert repr(keys.public_pem) in repr(keys)


def test_the_private_key_file_is_for_its_owner_only(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    directory.mkdir()
    loose = directory / "salesforce-sandbox-jwt.pem"
    loose.write_text("left by an earlier start")
    loose.chmod(0o644)

    path = write_private_key(directory, "-----BEGIN PRIVATE KEY-----\n")

    assert path == loose
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "-----BEGIN PRIVATE KEY-----\n"
    assert stat.S_IMODE(write_private_key(tmp_path / "new", "k").parent.stat().st_mode) == 0o700


def test_settings_aim_the_salesforce_side_at_the_sandbox(tmp_path: Path) -> None:
    key = write_private_key(tmp_path, "the-key")
    base = Settings(run=RunSettings(state_dir=tmp_path / "state"))

    settings = salesforce_sandbox_settings(base, "http://127.0.0.1:8721/", key)

    sf = settings.salesforce
    assert (sf.login_url, sf.instance_url, sf.auth_flow) == ("http://127.0.0.1:8721", None, "jwt")
    assert (sf.client_id, sf.username) == ("bulk-o2c-sandbox", "integration@bulk-o2c.sandbox")
    assert sf.private_key is not None
    assert sf.private_key.get_secret_value() == "the-key"
    assert settings.run == base.run
    assert settings.netsuite == base.netsuite


def test_settings_refuse_a_missing_key_or_a_remote_http_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the sandbox key"):
        salesforce_sandbox_settings(Settings(), "http://127.0.0.1:8721", tmp_path / "absent.pem")
    key = write_private_key(tmp_path, "the-key")
    with pytest.raises(ConfigError, match="only https, or http to a loopback address"):
        salesforce_sandbox_settings(Settings(), "http://sandbox.example.com", key)


async def test_a_remote_http_netsuite_sandbox_is_a_config_error_before_any_request() -> None:
    with pytest.raises(ConfigError, match="only https, or http to a loopback address"):
        await describe_netsuite_sandbox("http://sandbox.example.com")


SANDBOX = textwrap.dedent(
    """
    import signal
    import sys
    from pathlib import Path

    from rich.console import Console

    from bulk_o2c.commands.sandboxes import run_salesforce_sandbox

    # A test runner started in the background passes SIGINT on ignored; Ctrl-C must reach us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    run_salesforce_sandbox(Console(width=60), 0, 700, 0, 0.0, Path(sys.argv[1]))
    """
)


@asynccontextmanager
async def standalone(script: str, directory: Path, stop: signal.Signals) -> AsyncIterator[bytes]:
    """Run a sandbox command in a process of its own; yields its banner, then stops it with ``stop``
    and checks it exits cleanly."""
    child = await anyio.open_process(
        [sys.executable, "-c", script, str(directory)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert child.stdout is not None
        with anyio.fail_after(30):
            yield await BufferedByteReceiveStream(child.stdout).receive_until(b"Ctrl-C stops it.", 4096)
        child.send_signal(stop)
        with anyio.fail_after(10):
            assert await child.wait() == 0
    finally:
        if child.returncode is None:
            child.kill()
        await child.aclose()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
async def test_a_standalone_sandbox_serves_until_stopped_and_removes_its_key(
    tmp_path: Path, stop: signal.Signals
) -> None:
    keys = tmp_path / "keys"
    async with standalone(SANDBOX, keys, stop) as banner:
        command = re.search(r"bulk-o2c extract Account --sandbox (\S+) --key (\S+)", banner.decode())
        assert command is not None, banner  # on one line however narrow the console
        base_url, key = command[1], Path(command[2])
        assert key.parent == keys
        assert stat.S_IMODE((await anyio.Path(key).stat()).st_mode) == 0o600
        assert f'  [salesforce]\n  login_url = "{base_url}"'.encode() in banner
        assert f'private_key = {{ file = "{key}" }}'.encode() in banner
        assert b"PRIVATE KEY" not in banner

        settings = salesforce_sandbox_settings(
            Settings(
                salesforce=SalesforceSettings(poll_initial_s=0.02, poll_max_s=0.05),
                run=RunSettings(state_dir=tmp_path / "s"),
            ),
            base_url,
            key,
        )
        report = await extract_to_staging(settings)
        assert (report.rows, report.done) == (700, True)
    assert not await anyio.Path(key).exists()


NETSUITE_SANDBOX = textwrap.dedent(
    """
    import signal
    import sys
    from pathlib import Path

    from rich.console import Console

    from bulk_o2c.commands.sandboxes import run_netsuite_sandbox

    signal.signal(signal.SIGINT, signal.default_int_handler)
    run_netsuite_sandbox(Console(width=60), 0, 5, 100, 0.0, Path(sys.argv[1]))
    """
)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
async def test_a_standalone_netsuite_sandbox_prints_settings_that_work_and_removes_its_secrets(
    tmp_path: Path, stop: signal.Signals
) -> None:
    secrets = tmp_path / "secrets"
    async with standalone(NETSUITE_SANDBOX, secrets, stop) as banner:
        toml = banner.decode().split("put this in bulk-o2c.toml", 1)[1].split("\n", 1)[1]
        config = tmp_path / "bulk-o2c.toml"
        config.write_text(textwrap.dedent(toml))
        files = sorted(secrets.iterdir())
        assert len(files) == 4
        assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
        assert not any(f.read_bytes() in banner for f in files)  # the secrets themselves never print

        settings = load_settings(config)
        assert settings.mapping.currencies == dict(DEMO_CURRENCIES)  # an order's currency can be sent
        async with open_writer(settings.netsuite) as writer:
            await SoapSink(writer, settings.netsuite.endpoint_version).check()  # its credentials work
    assert not any(secrets.iterdir())


def test_the_sandbox_command_presents_the_org_shape_its_flags_choose(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen: list[OrgShape | None] = []

    def fake(*args: object, shape: OrgShape | None = None) -> None:
        chosen.append(shape)

    monkeypatch.setattr("bulk_o2c.commands.sandboxes.run_salesforce_sandbox", fake)
    flags = ["--single-currency", "--no-country-picklists", "--person-accounts", "--low-limits"]
    fields = ["--missing-field", "NetSuite_Sync_Status__c", "--read-only-field", "NetSuite_Customer_ID__c"]
    result = CliRunner().invoke(app, ["sandbox", "salesforce", *flags, *fields])

    assert result.exit_code == 0, result.output
    assert chosen == [
        OrgShape(
            multi_currency=False,
            country_picklists=False,
            person_accounts=True,
            missing_fields=frozenset({"NetSuite_Sync_Status__c"}),
            read_only_fields=frozenset({"NetSuite_Customer_ID__c"}),
            nearly_exhausted_limits=True,
        )
    ]
    CliRunner().invoke(app, ["sandbox", "salesforce"])
    assert chosen[-1] == OrgShape()


# -- describing a running NetSuite sandbox at a URL the operator gave ------------------------------


@pytest.mark.parametrize("answer", [b"{}", b'{"latency": 3}', b"<html>not json</html>", b"[]"])
async def test_an_answer_that_is_not_a_sandbox_account_is_one_clear_error(answer: bytes) -> None:
    async with serving(routes(**{"sandbox/account": fixed(answer)})) as url:
        with pytest.raises(ConfigError, match="not as a bulk-o2c NetSuite sandbox"):
            await describe_netsuite_sandbox(url)


async def test_an_endless_account_answer_is_not_read_past_its_bound() -> None:
    handler, streamed = streaming(itertools.repeat(b"x" * 65536))
    async with serving(routes(**{"sandbox/account": handler})) as url:
        with anyio.fail_after(10), pytest.raises(BodyTooLargeError):
            await describe_netsuite_sandbox(url)
        with anyio.fail_after(5):
            await streamed.finished.wait()
    assert streamed.sent < 16 * MIB


@pytest.fixture
async def sandbox() -> AsyncIterator[NetSuiteSandbox]:
    async with NetSuiteSandbox(NetSuiteSandboxConfig(concurrency_limit=3, time_scale=0.01)) as running:
        yield running


async def test_describe_reads_the_running_sandbox(sandbox: NetSuiteSandbox) -> None:
    account = await describe_netsuite_sandbox(sandbox.base_url)
    assert account.concurrency_limit == 3
    assert account.request_seconds(100) == pytest.approx(sandbox.config.request_seconds({"customer": 100}))
    assert account.ceiling(3, 100) == pytest.approx(300 / sandbox.config.request_seconds({"customer": 100}))


async def test_describe_refuses_a_port_where_no_sandbox_listens() -> None:
    with pytest.raises(ConfigError, match="no NetSuite sandbox"):
        await describe_netsuite_sandbox("http://127.0.0.1:9")


async def test_the_ceiling_is_bounded_by_the_accounts_pool_and_record_cap(sandbox: NetSuiteSandbox) -> None:
    account = await describe_netsuite_sandbox(sandbox.base_url)  # pool 3, 100 records per request
    assert account.effective(10, 500) == (3, 100)
    assert account.ceiling(10, 500) == account.ceiling(3, 100)
