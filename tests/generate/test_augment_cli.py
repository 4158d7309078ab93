"""`badbench augment`: CLI errors, resume after a kill (same output), validate, real clips."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from badbench.cli.main import app
from badbench.data import Dataset, DatasetWriter
from badbench.data.validate import validate
from badbench.generate.augment import augment
from fixtures.factories import make_episode

KILL = Path(__file__).resolve().parents[1] / "fixtures" / "kill_augment.py"
REAL_CLIPS = Path("/work/shared/data/real_clips")
runner = CliRunner()


def _source(root: Path) -> Path:
    eps = [
        make_episode(i, length=14, task="a" if i < 4 else "b", instruction=f"do {i // 4}")
        for i in range(8)
    ]
    with DatasetWriter(root) as w:
        w.extend(eps)
    return root


def _cli(*args: str):
    return runner.invoke(app, ["augment", *args])


def test_cli_writes_a_valid_dataset(tmp_path: Path) -> None:
    src = _source(tmp_path / "src")
    out = tmp_path / "out"
    result = _cli("--data", str(src), "--out", str(out), "--kinds", "rewind,clip", "--seed", "4")
    assert result.exit_code == 0, result.output
    assert "wrote 8 episodes (4 referenced, 4 re-encoded) from 4 successes" in result.output
    check = runner.invoke(app, ["data", "validate", str(out)])
    assert check.exit_code == 0, check.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kinds", "rewind,clp"], "field 'kinds': unknown video augmentation 'clp'"),
        (["--per-episode", "0"], "per_episode"),
        (["--progress", "dense"], "field 'progress'"),
    ],
)
def test_cli_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    src = _source(tmp_path / "src")
    result = _cli("--data", str(src), "--out", str(tmp_path / "out"), *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_cli_missing_data_and_out_with_other_settings(tmp_path: Path) -> None:
    result = _cli("--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "field '--data': is required" in result.output
    result = _cli("--data", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "nope: field 'data': no such dataset" in result.output
    src = _source(tmp_path / "src")
    first = _cli("--data", str(src), "--out", str(tmp_path / "out"), "--kinds", "clip")
    assert first.exit_code == 0, first.output
    result = _cli("--data", str(src), "--out", str(tmp_path / "out"), "--kinds", "stall")
    assert result.exit_code == 2
    assert "augment.json" in result.output and "kinds clip (--out) vs stall" in result.output
    assert len(result.output.strip().splitlines()) == 1


def _snapshot(root: Path) -> dict[str, bytes]:
    files = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != ".writer.lock":
            files[str(p.relative_to(root))] = p.read_bytes()
    return files


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_dataset(tmp_path: Path) -> None:
    src = _source(tmp_path / "src")
    augment(src, tmp_path / "whole", seed=2, batch=1)
    whole = _snapshot(tmp_path / "whole")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for k in (3, 17, 40):  # early, inside the first batches, later on
        out = tmp_path / f"killed-{k}"
        proc = subprocess.run(
            [sys.executable, str(KILL), str(src), str(out), str(k)], env=env, capture_output=True
        )
        assert proc.returncode == 9, proc.stderr
        done = len(Dataset.open(out)) if (out / "meta" / "info.json").exists() else 0
        assert done < len(Dataset.open(tmp_path / "whole"))
        augment(src, out, seed=2, batch=1)
        assert validate(out) == []
        got = _snapshot(out)
        # byte for byte, videos included; the totals in stats.json are aggregated in another
        # order by a resumed writer (from the episode rows), so they agree to rounding only
        stats, want_stats = (json.loads(d.pop("meta/stats.json")) for d in (got, dict(whole)))
        assert got == {k: v for k, v in whole.items() if k != "meta/stats.json"}
        for feat, st in want_stats.items():
            for name, value in st.items():
                np.testing.assert_allclose(stats[feat][name], value, rtol=1e-9)


def test_real_clips_through_the_importer(tmp_path: Path) -> None:
    clips = ["jaco_play_pick_up_green_cup.mp4", "soar_put_green_stick_in_brown_bowl.mp4"]
    if not all((REAL_CLIPS / c).is_file() for c in clips):
        pytest.skip("real clips not available")
    from badbench.data.importers import import_videos

    rows = [
        {"episode_id": "jaco", "video": clips[0], "instruction": "pick up green cup"},
        {"episode_id": "soar", "video": clips[1], "instruction": "put green stick in brown bowl"},
    ]
    manifest = tmp_path / "episodes.jsonl"
    manifest.write_text(
        "".join(json.dumps({**r, "task": r["episode_id"], "success": True}) + "\n" for r in rows)
    )
    import_videos(manifest, tmp_path / "real", videos_dir=REAL_CLIPS)
    report = augment(tmp_path / "real", tmp_path / "out", seed=0)
    assert len(report.written) == 10 and validate(tmp_path / "out") == []
    ds = Dataset.open(tmp_path / "out")
    ep = ds.load("jaco/aug-swap_instruction-0")
    assert ep.meta.instruction == "put green stick in brown bowl" and not ep.dense_reward.any()
    rev = ds.load("soar/aug-reverse-0")
    src = Dataset.open(tmp_path / "real").frames("soar")
    assert np.abs(rev.frames[ds.cameras[0]].astype(int) - src[::-1]).mean() < 8
