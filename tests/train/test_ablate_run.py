"""`badbench ablate` end to end on a tiny real suite (state encoder, few steps): every stage
runs, the outputs are written, a rerun resumes without training again, and bad options are one
clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from badbench.cli.main import app

pytestmark = [pytest.mark.sim, pytest.mark.slow]
pytest.importorskip("torch")


def tiny(tmp_path: Path, **over):
    from badbench.train import AblationConfig

    kw = dict(
        out=tmp_path / "run",
        cache=tmp_path / "cache",
        tasks=("drawer-open-v3", "window-open-v3"),
        heldout_tasks=("window-open-v3",),
        heldout_modes=("hesitation",),
        families=2,
        good_families=1,
        heldout_families=1,
        resolution=32,
        sources=("none", "sim"),
        fractions=(0.5,),
        seeds=(0, 1),
        steps=20,
        encoder="state",
        workers=1,
    )
    kw.update(over)
    return AblationConfig(**kw)


def test_tiny_ablation_runs_every_stage_and_resumes(tmp_path: Path) -> None:
    from badbench.train import run_ablation

    config = tiny(tmp_path)
    result = run_ablation(config, progress=False)
    out = config.out
    assert result.arms == ["none-00-s0", "sim-50-s0", "none-00-s1", "sim-50-s1"]
    assert result.train_counts["none-00-s0"]["bad"] == 0
    n_ok = result.train_counts["sim-50-s0"]["successes"]
    assert result.train_counts["sim-50-s0"]["bad"] == n_ok  # 50%: as many bad as successes
    for group in ("none-00", "sim-50", "motion", "random"):
        for split in ("seeds", "modes", "tasks"):
            pa = result.metrics[group][split]["overall"]["pairwise_accuracy"]
            assert pa["value"] is not None and 0 <= pa["value"] <= 1, (group, split)
    saved = json.loads((out / "ablation.json").read_text())
    assert saved["arms"] == result.arms
    table = (out / "ablation.md").read_text()
    assert "| none-00 |" in table and "| motion |" in table and "held-out modes" in table
    assert (out / "ablation.png").stat().st_size > 10_000
    assert (out / "ablation-categories.png").stat().st_size > 10_000

    stamp = (out / "models" / "sim-50-s1" / "model.pt").stat().st_mtime_ns
    again = run_ablation(config, progress=False)
    assert (out / "models" / "sim-50-s1" / "model.pt").stat().st_mtime_ns == stamp  # not retrained
    assert again.metrics == result.metrics


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--sources", "none,videos"], "unknown source(s) videos"),
        (["--fractions", "0.1,x"], "fractions"),
        (["--fractions", "1.5"], "fractions must lie in (0, 1)"),
        (["--seeds", ""], "at least one seed"),
    ],
)
def test_bad_options_are_one_error_line(tmp_path: Path, args, needle) -> None:
    result = CliRunner().invoke(app, ["ablate", "--out", str(tmp_path / "r"), *args])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], result.output
    assert "Traceback" not in result.output
