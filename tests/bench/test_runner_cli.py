"""`badbench eval` and `badbench models list` through the real command-line app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _runner_factory import build_bench_dataset
from typer.testing import CliRunner

from badbench.bench.results import load_summary
from badbench.cli.main import app


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bench_dataset(tmp_path_factory.mktemp("cli") / "ds")


def test_models_list_prints_the_registry() -> None:
    res = CliRunner().invoke(app, ["models", "list"])
    assert res.exit_code == 0, res.output
    for name in ("oracle", "random", "time"):
        assert name in res.output


def test_eval_writes_results_and_prints_the_leaderboard(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["eval", "--data", str(data), "--model", "oracle", "-m", "random:seed=3"]
    args += ["--out", str(out), "--score", "last", "--n-boot", "20", "--no-report", "--no-progress"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "leaderboard" in res.output and "random(seed=3)" in res.output
    summary = load_summary(out)
    assert summary.score_kind == "last"
    assert summary.settings["n_boot"] == 20
    assert [m.spec.key for m in summary.models] == ["oracle", "random(seed=3)"]
    assert not (out / "report.html").exists()


@pytest.mark.parametrize(
    ("model", "message"),
    [("nope", "known models: oracle, random, time"), ("random:sede=1", "its options: seed")],
)
def test_eval_reports_model_errors(data: Path, tmp_path: Path, model: str, message: str) -> None:
    args = ["eval", "--data", str(data), "--model", model, "--out", str(tmp_path / "r")]
    res = CliRunner().invoke(app, [*args, "--no-progress"])
    assert res.exit_code == 2
    assert message in res.output


@pytest.mark.slow
def test_eval_as_a_process_writes_the_report(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "badbench.cli.main", "eval", "--data", str(data)]
    cmd += ["--model", "oracle", "--model", "time", "--out", str(out), "--n-boot", "50"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (out / "report.html").stat().st_size > 0
    assert json.loads((out / "results.json").read_text())["schema_version"] == 2
