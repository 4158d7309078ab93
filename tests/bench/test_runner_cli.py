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
    [
        ("nope", "known models: motion, oracle, precomputed, random, rewind-v1, time"),
        ("random:sede=1", "its options: seed"),
    ],
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


def _eval(data: Path, *args: str) -> object:
    return CliRunner().invoke(
        app, ["eval", "--data", str(data), "-m", "time", "--no-progress", *args]
    )


def _one_error_line(res: object) -> str:
    assert res.exit_code == 2, res.output  # type: ignore[attr-defined]
    assert "Traceback" not in res.output  # type: ignore[attr-defined]
    lines = [ln for ln in res.output.splitlines() if ln.strip()]  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error:"), lines
    return lines[0]


def test_eval_out_that_is_a_file_is_one_error_line(data: Path, tmp_path: Path) -> None:
    f = tmp_path / "afile"
    f.write_text("keep me")
    line = _one_error_line(_eval(data, "--out", str(f)))
    assert str(f) in line and "not a directory" in line
    assert f.read_text() == "keep me"


@pytest.mark.parametrize("where", ["/proc/badbench-run", "/sys/badbench-run"])
def test_eval_out_on_an_unwritable_filesystem(data: Path, where: str) -> None:
    line = _one_error_line(_eval(data, "--out", where))
    assert where in line and "cannot write the run directory" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--n-boot", "-5"], "--n-boot -5: must be a whole number"),
        (["--threshold", "7"], "--threshold 7.0: must be in [0, 1]"),
        (["--score", "max"], "unknown score 'max'"),
        (["--executor", "ray"], "unknown executor 'ray'"),
    ],
)
def test_bad_options_fail_before_any_work(
    data: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "r"
    line = _one_error_line(_eval(data, "--out", str(out), *args))
    assert message in line
    assert not out.exists()  # no partial run directory


def test_eval_of_an_empty_dataset_is_refused(data: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / "meta").mkdir(parents=True)
    (empty / "meta" / "info.json").write_text((data / "meta" / "info.json").read_text())
    line = _one_error_line(_eval(empty, "--out", str(tmp_path / "r")))
    assert "has no episodes" in line


def test_report_of_a_missing_run_is_one_error_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["report", str(tmp_path / "nope")])
    assert "run `badbench eval` first" in _one_error_line(res)
