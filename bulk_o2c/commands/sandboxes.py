"""Running the emulators standalone, and pointing the client at one.

A sandbox started by ``bulk-o2c sandbox netsuite`` describes its account at ``/sandbox/account``
(account id, pool, record cap, latency model); the client reads that instead of assuming it, so
the ceiling printed by the load and bench commands is the one the running sandbox enforces. The
URL is the operator's and may be anything: the answer is read within a small bound, a redirect is
held to the endpoint rule, and an answer that does not describe an account is one clear error.

``bulk-o2c sandbox salesforce`` makes a fresh RSA key pair at each start: the org trusts the public
half for JWT-bearer logins, and the private half is written to a file only its owner can read (mode
0600, in a directory the user names or a new temporary one) and removed when Ctrl-C or SIGTERM
stops the sandbox (a key left by a harder kill is useless: the next start trusts a new key). The key
is never printed; its path is, with the settings that use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from rich.console import Console

from bulk_o2c.bench.sandbox_account import SandboxAccount
from bulk_o2c.config import NetSuiteSettings, Settings, check_endpoint
from bulk_o2c.errors import ConfigError
from bulk_o2c.sandbox.netsuite.config import LatencyModel, NetSuiteSandboxConfig, SandboxCredentials
from bulk_o2c.sandbox.netsuite.server import NetSuiteSandbox
from bulk_o2c.sandbox.netsuite.server import serve as serve_netsuite
from bulk_o2c.sandbox.salesforce.config import SalesforceSandboxConfig
from bulk_o2c.sandbox.salesforce.dataset import DISCOUNT_PRODUCT_CODE, Dataset, DatasetSpec
from bulk_o2c.sandbox.salesforce.org_shape import OrgShape
from bulk_o2c.sandbox.salesforce.server import SalesforceSandbox
from bulk_o2c.sandbox.salesforce.server import serve as serve_salesforce
from bulk_o2c.transport.body import BodyLimits, read_body
from bulk_o2c.transport.endpoint_guard import ENDPOINT_GUARD

SALESFORCE_KEY_FILE = "salesforce-sandbox-jwt.pem"


def run_netsuite_sandbox(
    console: Console,
    port: int,
    concurrency_limit: int,
    max_records: int,
    time_scale: float,
    secrets_dir: Path | None = None,
    *,
    integration_limit: int | None = None,
) -> None:
    """Serve a NetSuite account on 127.0.0.1 until Ctrl-C or SIGTERM. Its item catalogue is the
    products of a default ``sandbox salesforce`` org, so that org's orders can load; its TBA
    credentials go to files only their owner can read (in ``secrets_dir`` or a temp dir), named in
    the settings it prints and removed when it stops."""
    config = NetSuiteSandboxConfig(
        concurrency_limit=concurrency_limit,
        max_records=max_records,
        time_scale=time_scale,
        items=product_codes(DatasetSpec()),
        integration_limit=integration_limit,
    )
    directory = (
        secrets_dir if secrets_dir is not None else Path(tempfile.mkdtemp(prefix="bulk-o2c-netsuite-"))
    )
    credentials = config.credentials
    files = {
        name: _write_secret(directory, f"netsuite-sandbox-{name}", getattr(credentials, name))
        for name in ("consumer_key", "consumer_secret", "token_id", "token_secret")
    }

    def ready(sandbox: NetSuiteSandbox) -> None:
        secrets = "".join(f'  {name} = {{ file = "{path}" }}\n' for name, path in files.items())
        # Its currencies, for the orders of a multi-currency org (the sandbox org is one).
        currencies = ", ".join(f'{code} = "{internal_id}"' for code, internal_id in config.currencies.items())
        console.print(
            f"NetSuite sandbox for account {config.account_id} at {sandbox.base_url} "
            f"(pool {concurrency_limit}, {max_records} records per request, time scale {time_scale})\n"
            f"load it:  bulk-o2c load-customers 10000 --sandbox {sandbox.base_url}\n"
            "or put this in bulk-o2c.toml (the credentials are in files readable by you only, removed "
            "when the sandbox stops):\n"
            f'  [netsuite]\n  account_id = "{config.account_id}"\n  soap_url = "{sandbox.soap_url()}"\n'
            f"{secrets}"
            f"  [mapping]\n  currencies = {{ {currencies} }}\n"
            "Ctrl-C stops it.",
            highlight=False,
            markup=False,  # "[netsuite]" is TOML here, not a style
            soft_wrap=True,
        )

    try:
        _serve_until_stopped(serve_netsuite(config, "127.0.0.1", port, on_ready=ready))
    finally:
        for path in files.values():
            path.unlink(missing_ok=True)
        if secrets_dir is None:
            directory.rmdir()


def _serve_until_stopped(server: Coroutine[Any, Any, None]) -> None:
    """Run a sandbox until Ctrl-C or SIGTERM (kill, a process manager), so the caller's cleanup runs
    either way."""

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await server

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(main())


def sandbox_endpoint(base_url: str) -> str:
    """A sandbox URL given on the command line, checked as every endpoint is: a refused one is a
    ``ConfigError`` (one line, exit 1), not a traceback."""
    try:
        return check_endpoint(base_url)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


# An account description is a few hundred bytes; the bound only keeps a wrong URL from costing much.
_ACCOUNT_ANSWER_LIMITS = BodyLimits(64 * 1024, 30.0)


async def describe_netsuite_sandbox(base_url: str) -> SandboxAccount:
    url = sandbox_endpoint(base_url) + "/sandbox/account"
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, middlewares=ENDPOINT_GUARD) as response,
        ):
            response.raise_for_status()
            body = await read_body(response, _ACCOUNT_ANSWER_LIMITS, what="GET /sandbox/account")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ConfigError(f"no NetSuite sandbox answers at {base_url}: {exc}") from None
    try:
        doc = orjson.loads(body)
        latency = doc["latency"]
        return SandboxAccount(
            account_id=str(doc["account_id"]),
            concurrency_limit=int(doc["concurrency_limit"]),
            max_records=int(doc["max_records"]),
            time_scale=float(doc["time_scale"]),
            latency=LatencyModel(
                base_s=float(latency["base_s"]),
                record_s={str(k): float(v) for k, v in latency["record_s"].items()},
                other_record_s=float(latency["other_record_s"]),
                sales_order_line_s=float(latency["sales_order_line_s"]),
            ),
        )
    except (orjson.JSONDecodeError, LookupError, TypeError, ValueError, AttributeError):
        raise ConfigError(
            f"{base_url} answers, but not as a bulk-o2c NetSuite sandbox describing its account"
        ) from None


def product_codes(spec: DatasetSpec) -> frozenset[str]:
    """The item catalogue a NetSuite sandbox needs for the orders of a Salesforce sandbox's data set:
    their products' codes (an order line names its item by external id)."""
    products = Dataset(spec)
    return frozenset(str(products.product(i)["ProductCode"]) for i in range(spec.n_products))


def discount_codes(spec: DatasetSpec) -> frozenset[str]:
    """The discount items of a Salesforce sandbox's data set (none unless it has discounts)."""
    return frozenset({DISCOUNT_PRODUCT_CODE}) if spec.discount_share else frozenset()


def netsuite_sandbox_settings(
    base: NetSuiteSettings, base_url: str, account: SandboxAccount
) -> NetSuiteSettings:
    """The configured settings, re-aimed at a sandbox with its demo credentials."""
    credentials = SandboxCredentials.demo()
    return base.model_copy(
        update={
            "account_id": account.account_id,
            "soap_url": sandbox_endpoint(base_url) + f"/services/NetSuitePort_{base.endpoint_version}",
            "consumer_key": SecretStr(credentials.consumer_key),
            "consumer_secret": SecretStr(credentials.consumer_secret),
            "token_id": SecretStr(credentials.token_id),
            "token_secret": SecretStr(credentials.token_secret),
        }
    )


@dataclass(frozen=True, slots=True)
class JwtKeyPair:
    public_pem: str
    private_pem: str = field(repr=False)


def new_jwt_key_pair() -> JwtKeyPair:
    """A throw-away RSA key pair for a sandbox org's JWT-bearer logins."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return JwtKeyPair(public.decode(), private.decode())


def write_private_key(directory: Path, private_pem: str) -> Path:
    """``directory``/salesforce-sandbox-jwt.pem, created with mode 0600 (never readable by others)."""
    return _write_secret(directory, SALESFORCE_KEY_FILE, private_pem)


def _write_secret(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / name
    path.unlink(missing_ok=True)  # a file left by an earlier start may have looser permissions
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def run_salesforce_sandbox(
    console: Console,
    port: int,
    accounts: int,
    orders: int,
    page_latency_s: float,
    key_dir: Path | None = None,
    *,
    shape: OrgShape | None = None,
) -> None:
    """Serve a Salesforce org (of ``shape``, the fullest by default) on 127.0.0.1 until Ctrl-C; its
    JWT key goes to ``key_dir`` (or a temp dir)."""
    keys = new_jwt_key_pair()
    directory = key_dir if key_dir is not None else Path(tempfile.mkdtemp(prefix="bulk-o2c-salesforce-"))
    key_path = write_private_key(directory, keys.private_pem)
    config = SalesforceSandboxConfig(
        dataset=DatasetSpec(n_accounts=accounts, n_orders=orders),
        shape=shape if shape is not None else OrgShape(),
        jwt_public_key_pem=keys.public_pem,
        page_latency_s=page_latency_s,
    )

    def ready(sandbox: SalesforceSandbox) -> None:
        console.print(
            f"Salesforce sandbox at {sandbox.base_url} ({accounts:,} Accounts, {orders:,} Orders with "
            f"their lines, {page_latency_s:g} s per results page)\n"
            f"JWT private key (mode 0600, removed when the sandbox stops): {key_path}\n"
            f"extract from it:  bulk-o2c extract Account --sandbox {sandbox.base_url} --key {key_path}\n"
            "or put this in bulk-o2c.toml:\n"
            f'  [salesforce]\n  login_url = "{sandbox.base_url}"\n  auth_flow = "jwt"\n'
            f'  client_id = "{config.client_id}"\n  username = "{config.username}"\n'
            f'  private_key = {{ file = "{key_path}" }}\n'
            "Ctrl-C stops it.",
            highlight=False,
            markup=False,  # "[salesforce]" is TOML here, not a style
            soft_wrap=True,  # a path or URL cut across two lines cannot be pasted
        )

    try:
        _serve_until_stopped(serve_salesforce(config, "127.0.0.1", port, on_ready=ready))
    finally:
        key_path.unlink(missing_ok=True)
        if key_dir is None:
            directory.rmdir()


def salesforce_sandbox_settings(base: Settings, base_url: str, private_key_path: Path) -> Settings:
    """``base`` with its Salesforce side aimed at a ``bulk-o2c sandbox salesforce`` org (JWT login)."""
    try:
        private_key = private_key_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the sandbox key {private_key_path}: {exc.strerror}") from None
    login_url = sandbox_endpoint(base_url)
    org = SalesforceSandboxConfig()
    salesforce = base.salesforce.model_copy(
        update={
            "login_url": login_url,
            "instance_url": None,
            "auth_flow": "jwt",
            "client_id": org.client_id,
            "username": org.username,
            "private_key": SecretStr(private_key),
        }
    )
    return base.model_copy(update={"salesforce": salesforce})
