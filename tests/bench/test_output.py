from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from rich.console import Console

from bulk_o2c.bench.output import COLUMNS, bench_table, to_document, write_csv, write_json
from bulk_o2c.bench.plot import MISSING, ensure_plot_available, write_plot
from bulk_o2c.bench.sweep import BenchResult, BenchRow, Recommendation, Setting
from bulk_o2c.errors import ConfigError


def result(*, ceiling: bool = True) -> BenchResult:
    rows = (
        BenchRow(Setting(1, 100), 800, 800, 0, 18.5, 8, 2.26, 2.31, 1, {}, 44.4 if ceiling else None),
        BenchRow(
            Setting(8, 100),
            6400,
            6398,
            2,
            30.0,
            70,
            2.27,
            2.5,
            8,
            {"WS_REQUEST_BLOCKED": 6, "TIMEOUT": 1},
            355.6 if ceiling else None,
        ),
    )
    return BenchResult(
        "NetSuite sandbox at http://127.0.0.1:1",
        "BOC_BENCH_X_",
        rows,
        Recommendation(Setting(1, 100), "because"),
    )


def test_json_holds_every_setting_and_the_recommendation(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    write_json(result(), path)
    doc = json.loads(path.read_text())
    assert doc["recommendation"] == {"concurrency": 1, "chunk_size": 100, "reason": "because"}
    assert doc["external_id_prefix"] == "BOC_BENCH_X_"
    first, second = doc["settings"]
    assert first["records_per_s"] == pytest.approx(800 / 18.5, abs=0.05)
    assert (first["p50_ms"], first["p95_ms"], first["efficiency"], first["recommended"]) == (
        2260,
        2310,
        0.974,
        True,
    )
    assert second["faults"] == {"TIMEOUT": 1, "WS_REQUEST_BLOCKED": 6}
    assert (second["failed"], second["recommended"]) == (2, False)


def test_csv_has_the_same_rows_as_the_json(tmp_path: Path) -> None:
    path = tmp_path / "bench.csv"
    write_csv(result(), path)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COLUMNS
    for line, values in zip(rows, to_document(result())["settings"], strict=True):
        assert float(line["records_per_s"]) == values["records_per_s"]
        assert int(line["p95_ms"]) == values["p95_ms"]
        assert float(line["efficiency"]) == values["efficiency"]
    assert rows[1]["faults"] == "TIMEOUT:1 WS_REQUEST_BLOCKED:6"


def test_a_real_account_has_no_ceiling_anywhere(tmp_path: Path) -> None:
    write_csv(result(ceiling=False), tmp_path / "b.csv")
    with (tmp_path / "b.csv").open(newline="") as handle:
        line = next(csv.DictReader(handle))
    assert (line["ceiling_records_per_s"], line["efficiency"]) == ("", "")
    assert to_document(result(ceiling=False))["settings"][0]["efficiency"] is None


def test_the_table_shows_one_line_per_setting_and_marks_the_recommendation() -> None:
    console = Console(width=200, record=True)
    console.print(bench_table(result()))
    text = console.export_text()
    lines = [line for line in text.splitlines() if "100" in line and "│" in line]
    assert len(lines) == 2
    assert "* 1" in lines[0]
    assert "97.4%" in lines[0]
    assert "WS_REQUEST_BLOCKED:6" in lines[1]
    assert "recommended (*): because" in text


def test_without_matplotlib_the_plot_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    with pytest.raises(ConfigError, match="pip install 'bulk-o2c\\[plot\\]'"):
        ensure_plot_available()
    with pytest.raises(ConfigError) as raised:
        write_plot(result(), tmp_path / "bench.png")
    assert str(raised.value) == MISSING
    assert not (tmp_path / "bench.png").exists()


def test_the_plot_is_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    path = tmp_path / "bench.png"
    write_plot(result(), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
