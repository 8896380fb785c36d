from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bulk_o2c.cli import app
from tests.support.command_tree import command_tree


@pytest.mark.parametrize("path", [path for path, _ in command_tree(app)], ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_a_config_error_is_one_line_and_exit_1(tmp_path: object) -> None:
    result = CliRunner().invoke(app, ["--config", "/nonexistent/bulk-o2c.toml", "load-customers", "5"])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_a_remote_http_sandbox_url_is_one_line_and_exit_1() -> None:
    result = CliRunner().invoke(app, ["load-customers", "5", "--sandbox", "http://sandbox.example.com"])
    assert result.exit_code == 1
    assert "error: refusing 'http://sandbox.example.com'" in result.output


def test_status_and_dlq_list_need_no_secret(tmp_path: Path) -> None:
    cfg = tmp_path / "bulk-o2c.toml"
    cfg.write_text(
        f'[netsuite]\ntoken_secret = {{ env = "NOT_SET_ANYWHERE_123" }}\n[run]\nstate_dir = "{tmp_path}"\n'
    )
    for command in (["status"], ["dlq", "list"]):
        result = CliRunner().invoke(app, ["--config", str(cfg), *command])
        assert "NOT_SET_ANYWHERE_123" not in result.output, command
        assert "Traceback" not in result.output, command
