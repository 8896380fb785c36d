"""Fixtures for whole runs: both sandboxes in the test's event loop, and settings (or a config file)
that point a run at them (loaded for every test directory by tests/conftest.py).

The sandboxes outlive a pipeline process killed with SIGKILL, so a test can resume the run against
the very same NetSuite account and check that every record landed exactly once.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from bulk_o2c.commands.demo import DemoOptions, Sandboxes, demo_settings, sandboxes
from bulk_o2c.commands.ground_truth import ExpectedOutcome, expected_outcome
from bulk_o2c.config import Settings, load_settings
from bulk_o2c.store.extraction import ExtractionProgress
from bulk_o2c.store.store import open_store

ACCOUNTS = 240
ORDERS = 300


def expected(boxes: Sandboxes, settings: Settings) -> ExpectedOutcome:
    return expected_outcome(boxes.salesforce.dataset, settings.mapping)


def run_sandboxes(page_latency_s: float = 0.0) -> AbstractAsyncContextManager[Sandboxes]:
    """Both sandboxes with the run's data set; ``page_latency_s`` slows every results page."""
    return sandboxes(
        DemoOptions(accounts=ACCOUNTS, orders=ORDERS, time_scale=0.01, page_latency_s=page_latency_s)
    )


def run_settings(boxes: Sandboxes, folder: Path, *, page_size: int = 60) -> Settings:
    base = load_settings(salesforce={"page_size": page_size, "poll_initial_s": 0.01, "poll_max_s": 0.05})
    return demo_settings(base, boxes, folder / "state")


@pytest.fixture
async def boxes() -> AsyncIterator[Sandboxes]:
    async with run_sandboxes() as running:
        yield running


@pytest.fixture
def settings(boxes: Sandboxes, tmp_path: Path) -> Settings:
    return run_settings(boxes, tmp_path)


async def latest_extraction(settings: Settings, flow: str) -> tuple[ExtractionProgress, int]:
    """The flow's extraction progress in the checkpoint's latest run, and the rows staged for it."""
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        run = await store.runs.latest()
        assert run is not None
        progress = await store.extraction.progress(run.run_id, flow)
        staged = (await store.staging.counts(run.run_id)).get(flow, {})
    assert progress is not None
    return progress, sum(staged.values())


def write_config(
    settings: Settings,
    boxes: Sandboxes,
    folder: Path,
    extra: dict[str, dict[str, object]] | None = None,
) -> tuple[Path, dict[str, str]]:
    """A TOML file and the environment a ``bulk-o2c`` process needs to run ``settings``, with the
    ``extra`` settings (section -> name -> value) an operator would add to it.

    Secrets travel as the user would pass them: the NetSuite ones in the environment, the private
    key in a file the TOML refers to.
    """
    key_file = folder / "sf_key.pem"
    key_file.write_text(boxes.private_key_pem)
    key_file.chmod(0o600)
    sf, ns = settings.salesforce, settings.netsuite
    sections: dict[str, dict[str, object]] = {
        "salesforce": {
            "login_url": sf.login_url,
            "client_id": sf.client_id,
            "username": sf.username,
            "page_size": sf.page_size,
            "poll_initial_s": sf.poll_initial_s,
            "poll_max_s": sf.poll_max_s,
            "private_key": {"file": str(key_file)},
        },
        "netsuite": {"account_id": ns.account_id, "soap_url": ns.soap_url},
        "run": {"state_dir": str(settings.run.state_dir)},
        "mapping": settings.mapping.model_dump(mode="json", exclude_defaults=True),
    }
    for section, values in (extra or {}).items():
        sections.setdefault(section, {}).update(values)
    config = folder / "bulk-o2c.toml"
    config.write_text(
        "".join(
            f"[{section}]\n" + "".join(f"{name} = {_toml(value)}\n" for name, value in values.items())
            for section, values in sections.items()
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULK_O2C_")}
    for name in ("consumer_key", "consumer_secret", "token_id", "token_secret"):
        secret = getattr(ns, name)
        assert secret is not None
        env[f"BULK_O2C_NETSUITE__{name.upper()}"] = secret.get_secret_value()
    return config, env


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items() if v is not None) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value))  # a TOML basic string is a JSON string
