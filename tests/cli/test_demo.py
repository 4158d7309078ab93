"""`badbench demo`: the main job, end to end on a real Meta-World suite.

The figures the README publishes are checked against a run of the demo's default configuration
(the only one they hold for); the other tests use a tiny suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from badbench.bench.results import load_summary
from badbench.demo import DemoConfig, demo_models, run_demo, suite_dir
from fixtures.browser import CHROMIUM, check_real_report, screenshot

pytestmark = [pytest.mark.sim, pytest.mark.slow]


def test_demo_models_are_the_ones_needing_no_extra_or_option():
    assert {"oracle", "random", "time"} <= set(demo_models())
    assert "precomputed" not in demo_models()  # it needs dir=


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


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_demo_block() -> list[str]:
    """The lines of the README's "What `badbench demo` printed" block."""
    text = README.read_text(encoding="utf-8")
    after = text.split("What `badbench demo` printed", 1)[1]
    return after.split("```", 2)[1].strip("\n").splitlines()


def _squash(line: str) -> str:
    return " ".join(line.split())


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """`badbench demo` as a process with its default configuration, the one the README's
    figures come from (4 tasks, every mode, 2 seed families, 96 px: 91 episodes); only the
    cache and the run directory are moved into a temporary folder. About 100 s of CPU."""
    tmp = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    cmd = [sys.executable, "-m", "badbench.cli.main", "demo"]
    cmd += ["--cache", str(tmp / "cache"), "--out", str(tmp / "run")]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=1200, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, tmp / "run"


def test_demo_prints_the_figures_the_readme_publishes(demo_run):
    stdout, run = demo_run
    printed = {_squash(line) for line in stdout.splitlines()}
    block = readme_demo_block()
    rows = [ln for ln in block if ln.split()[:1] and ln.split()[0] in ("oracle", "random", "time")]
    assert len(rows) == 6  # three leaderboard rows, three rows of pairwise accuracy by score
    for line in rows:
        assert _squash(line) in printed, f"README line not printed by the demo: {line!r}"
    assert _squash(block[0]) in printed  # "leaderboard (91 episodes, score=last)"

    # the same figures from results.json, as the README's prose reads them
    summary = load_summary(run)
    assert summary.score_kind == "last" and summary.dataset.n_episodes == 91
    overall = {m.spec.key.split("(")[0]: m.metrics.overall for m in summary.models}
    oracle, time_ = overall["oracle"], overall["time"]
    assert oracle["pairwise_accuracy"].value == pytest.approx(1.0)
    assert oracle["fpr_fixed"].value == 0.0 and oracle["fpr_calibrated"].value == 0.0
    assert oracle["auroc"].value == pytest.approx(1.0)
    assert time_["pairwise_accuracy"].value == 0.0
    assert time_["fpr_fixed"].value == 1.0 and time_["fpr_calibrated"].value == 1.0
    assert time_["auroc"].value == pytest.approx(0.5)
    assert time_["voc"].value == pytest.approx(1.0)
    assert round(time_["over_reward"].value, 2) == 0.59
    by_kind = {m.spec.key.split("(")[0]: m.pairwise_by_score_kind for m in summary.models}
    assert by_kind["oracle"]["last"] == pytest.approx(1.0)
    assert round(by_kind["oracle"]["return"], 2) == 0.92
    assert (run / "report.html").exists()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_demo_report_opens_in_chromium(demo_run, tmp_path):
    _, run = demo_run
    keys = [m.spec.key for m in load_summary(run).models]
    tags = check_real_report(run / "report.html", tmp_path, keys)
    curves = [a for t, a in tags if t == "figure" and a.get("class") == "curve"]
    assert len(curves) == 5  # a success and one episode per failure category
    assert screenshot(run / "report.html", tmp_path).stat().st_size > 10_000


def test_demo_rejects_an_unknown_score_before_generating(tmp_path):
    from badbench.errors import ValidationError

    config = DemoConfig(out=tmp_path / "run", cache=tmp_path / "cache", score_kind="max")
    with pytest.raises(ValidationError, match="unknown score 'max'"):
        run_demo(config, progress=False)
    assert not (tmp_path / "cache").exists()
