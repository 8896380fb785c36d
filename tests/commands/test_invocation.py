from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulk_o2c.commands.invocation import command_line, use_config


@pytest.fixture(autouse=True)
def _no_config() -> Iterator[None]:
    use_config(None)  # an in-process CLI test before this one may have set one
    yield
    use_config(None)


def test_commands_name_the_config_they_were_given_quoted_for_a_shell() -> None:
    assert command_line("resume", "RUN") == "bulk-o2c resume RUN"
    use_config(Path("/srv/o2c nightly/bulk-o2c.toml"))
    printed = command_line("resume", "RUN")
    assert shlex.split(printed) == ["bulk-o2c", "--config", "/srv/o2c nightly/bulk-o2c.toml", "resume", "RUN"]
