"""`badbench demo`: the main job, end to end on a real (tiny) Meta-World suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from badbench.bench.results import load_summary
from badbench.demo import DemoConfig, demo_models, run_demo, suite_dir

pytestmark = [pytest.mark.sim, pytest.mark.slow]


def test_demo_models_are_the_ones_needing_no_extra():
    assert {"oracle", "random", "time"} <= set(demo_models())


def test_run_demo_generates_once_then_reuses_the_suite(tmp_path):
    config = DemoConfig(
        out=tmp_path / "run",
        cache=tmp_path / "cache",
        tasks=("drawer-open-v3",),
        episodes_per_mode=1,
        resolution=48,
        workers=1,
    )
    summary = run_demo(config, progress=False)
    keys = {m.spec.key for m in summary.models}
    assert {"oracle", "time"} <= {k.split("(")[0] for k in keys}
    assert (tmp_path / "run" / "report.html").stat().st_size > 10_000
    data = suite_dir(config)
    assert (data / "meta" / "info.json").exists()
    n = json.loads((data / "meta" / "info.json").read_text())["total_episodes"]
    assert n == summary.dataset.n_episodes > 5

    stamp = (data / "meta" / "info.json").stat().st_mtime_ns
    seen: list[str] = []
    again = run_demo(config, progress=False, on_generate=lambda d, t, e: seen.append(e))
    assert seen == []  # nothing regenerated: the cached suite is complete
    assert (data / "meta" / "info.json").stat().st_mtime_ns == stamp
    assert load_summary(tmp_path / "run").dataset.n_episodes == again.dataset.n_episodes == n


def test_demo_command_prints_the_leaderboard(tmp_path):
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "badbench.cli.main",
            "demo",
            "--episodes-per-mode",
            "1",
            "--cache",
            str(tmp_path / "cache"),
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "leaderboard" in proc.stdout
    for model in ("oracle", "random", "time"):
        assert model in proc.stdout
    assert Path(tmp_path / "run" / "report.html").exists()

    # the sanity checks the demo exists for: the oracle orders every pair and flags no bad
    # episode as a success; the always-rising time baseline calls every bad episode a success
    summary = load_summary(tmp_path / "run")
    assert summary.score_kind == "last"
    overall = {m.spec.key.split("(")[0]: m.metrics.overall for m in summary.models}
    assert overall["oracle"]["pairwise_accuracy"].value == pytest.approx(1.0)
    assert overall["oracle"]["fpr_fixed"].value == 0.0
    assert overall["time"]["fpr_fixed"].value == 1.0
    assert "return" in proc.stdout and "last" in proc.stdout


def test_demo_rejects_an_unknown_score_before_generating(tmp_path):
    from badbench.errors import ValidationError

    config = DemoConfig(out=tmp_path / "run", cache=tmp_path / "cache", score_kind="max")
    with pytest.raises(ValidationError, match="unknown score 'max'"):
        run_demo(config, progress=False)
    assert not (tmp_path / "cache").exists()
