"""``precomputed``: another harness's per-episode reward files, read by episode id.

Always tested on a tiny synthetic dataset whose .npy files the test writes; also on the three
real-robot clips in ``../shared/data/real_clips`` (with Robometer-4B's own predictions) when that
folder is there (``$BADBENCH_REAL_CLIPS`` points elsewhere), skipped on a clean clone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from badbench.bench.metrics import MetricSettings
from badbench.bench.results import load_jsonl, load_summary
from badbench.bench.runner import evaluate
from badbench.data import Dataset
from badbench.errors import DataError, ValidationError
from badbench.models import check_model, config_hash, create_model
from badbench.models.check import example_episodes
from badbench.models.precomputed import read_file

ROOT = Path(__file__).resolve().parents[2]
REAL_CLIPS = Path(
    os.environ.get("BADBENCH_REAL_CLIPS", ROOT.parent / "shared" / "data" / "real_clips")
)
FAST = MetricSettings(n_boot=20)


def _write(folder: Path, episode_id: str, values, name: str = "{episode_id}.npy") -> Path:
    path = folder / name.replace("{episode_id}", episode_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.asarray(values, dtype=np.float32))
    return path


def _run(ds: Dataset, models: list, out: Path):
    return evaluate(ds, models, out, settings=FAST, progress=False, fsync=False, report=False)


def _rows(out: Path, key_prefix: str = "precomputed") -> dict:
    from badbench.bench.results import EpisodeScore

    summary = load_summary(out)
    m = next(m for m in summary.models if m.spec.name == key_prefix)
    return {r.episode_id: r for r in load_jsonl(out / m.scores_file, EpisodeScore)}


@pytest.fixture
def preds(make_dataset, tmp_path: Path) -> tuple[Dataset, Path, dict[str, np.ndarray]]:
    """A 4-episode dataset (10 frames each) and a folder of 5-value .npy files for it."""
    ds = make_dataset(4, length=10, size=16)
    folder = tmp_path / "preds"
    values = {}
    for i, eid in enumerate(ds.episode_ids):
        v = np.linspace(0.1, 0.9 if i % 2 == 0 else 0.3, 5).astype(np.float32)
        _write(folder, eid, v)  # ids hold '/': the files sit in a sub-folder
        values[eid] = v
    return ds, folder, values


def test_rewards_are_the_files_on_evenly_spaced_frames(preds, tmp_path: Path) -> None:
    ds, folder, values = preds
    summary = _run(ds, [f"precomputed:dir={folder}", "time"], tmp_path / "run")
    rows = _rows(tmp_path / "run")
    for eid, v in values.items():
        assert rows[eid].error is None
        assert rows[eid].rewards == [float(x) for x in v]  # float32 -> float64, exactly
        assert rows[eid].frame_indices == [0, 2, 4, 7, 9]  # 5 of 10: round(linspace(0, 9, 5))
    pre = summary.models[0]
    assert pre.n_failed == 0 and pre.spec.fingerprint["files"] == 4
    assert pre.metrics.overall["voc"].value == pytest.approx(1.0)  # rising in every episode


def test_passes_the_conformance_check(tmp_path: Path) -> None:
    episodes = example_episodes(n=3, length=12)
    for ep in episodes:
        _write(tmp_path, ep.id, np.linspace(0, 1, 12))
    check_model(create_model("precomputed", dir=str(tmp_path)), episodes)


def test_a_declared_range_gives_the_metrics_of_its_scaled_twin(preds, tmp_path: Path) -> None:
    ds, folder, values = preds
    hundred = tmp_path / "x100"
    for eid, v in values.items():
        _write(hundred, eid, v.astype(np.float64) * 100)
    twins = [f"precomputed:dir={folder}", f"precomputed:dir={hundred},range=[0,100]"]
    summary = _run(ds, twins, tmp_path / "r")
    a, b = (m.metrics.overall for m in summary.models)
    assert b["voc"].value is not None
    for name, mv in a.items():
        assert b[name].value == pytest.approx(mv.value, abs=1e-6, nan_ok=True), name
    assert summary.models[1].spec.output_range == (0.0, 100.0)


@pytest.mark.parametrize(
    ("name", "text", "frames", "prob"),
    [
        ("{episode_id}.json", "[0.1, 0.5, 0.9]", None, None),
        (
            "{episode_id}.json",
            '{"rewards": [0.1, 0.5, 0.9], "frame_indices": [0, 4, 9], "success_prob": 0.8}',
            [0, 4, 9],
            0.8,
        ),
        ("{episode_id}.jsonl", "0.1\n0.5\n\n0.9\n", None, None),
        ("{episode_id}.jsonl", '{"frame": 1, "reward": 0.1}\n{"frame": 3, "reward": 0.5}\n'
         '{"frame": 8, "reward": 0.9}\n', [1, 3, 8], None),
        ("{episode_id}.csv", "0.1\n0.5\n0.9\n", None, None),
        ("{episode_id}.csv", "frame,reward\n0,0.1\n5,0.5\n9,0.9\n", [0, 5, 9], None),
    ],
)
def test_other_formats(tmp_path: Path, name, text, frames, prob) -> None:
    ep = example_episodes(n=1, length=10)[0]
    path = tmp_path / name.replace("{episode_id}", ep.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    (out,) = create_model("precomputed", dir=str(tmp_path), pattern=name).score([ep])
    assert out.error is None, out.error
    np.testing.assert_allclose(out.rewards, [0.1, 0.5, 0.9])
    assert out.frame_indices.tolist() == (frames or [0, 4, 9])  # round(4.5) -> 4 (half to even)
    assert out.success_prob == prob


def test_frame_indices_and_success_from_their_own_files(tmp_path: Path) -> None:
    ep = example_episodes(n=1, length=10)[0]
    _write(tmp_path, ep.id, [0.2, 0.4, 0.6], "{episode_id}_rewards.npy")
    _write(tmp_path, ep.id, [1, 2, 7], "{episode_id}_frames.npy")
    _write(tmp_path, ep.id, [0.01, 0.2, 0.95], "{episode_id}_success.npy")
    model = create_model(
        "precomputed",
        dir=str(tmp_path),
        pattern="{episode_id}_rewards.npy",
        frames="{episode_id}_frames.npy",
        success="{episode_id}_success.npy",
    )
    (out,) = model.score([ep])
    assert out.frame_indices.tolist() == [1, 2, 7]
    assert out.success_prob == pytest.approx(0.95)  # the last per-sample value
    assert model.fingerprint()["files"] == 3  # all three files are hashed


def test_a_missing_or_bad_file_fails_that_episode_naming_file_and_episode(
    make_dataset, tmp_path: Path
) -> None:
    ds = make_dataset(4, length=10, size=16)
    ids = ds.episode_ids
    folder = tmp_path / "preds"
    _write(folder, ids[0], np.linspace(0, 1, 10))
    _write(folder, ids[2], np.linspace(0, 1, 11))  # more rewards than frames
    _write(folder, ids[3], [0.1, 7.0])  # outside the declared range
    summary = _run(ds, [f"precomputed:dir={folder}"], tmp_path / "run")
    m = summary.models[0]
    assert m.n_failed == 3 and m.failures == {"invalid": 2, "missing": 1}
    rows = _rows(tmp_path / "run")
    assert rows[ids[0]].error is None
    missing = rows[ids[1]].error
    assert missing["kind"] == "missing"
    assert str(folder / f"{ids[1]}.npy") in missing["message"] and ids[1] in missing["message"]
    long = rows[ids[2]].error["message"]
    assert "11 rewards for an episode of 10 frames" in long and ids[2] in long
    assert "outside the declared range [0, 1]; pass range=" in rows[ids[3]].error["message"]


def test_changed_predictions_change_the_fingerprint_and_are_scored_again(
    preds, tmp_path: Path
) -> None:
    ds, folder, values = preds
    eid = ds.episode_ids[0]
    before = create_model("precomputed", dir=str(folder))
    same = create_model("precomputed", dir=str(folder))
    assert before.fingerprint() == same.fingerprint()
    assert config_hash(before) == config_hash(same)
    first = _run(ds, [f"precomputed:dir={folder}"], tmp_path / "run")
    assert first.models[0].n_cached == 0

    _write(folder, eid, values[eid][::-1])  # falling instead of rising
    after = create_model("precomputed", dir=str(folder))
    assert after.fingerprint()["sha256"] != before.fingerprint()["sha256"]
    assert config_hash(after) != config_hash(before)
    again = _run(ds, [f"precomputed:dir={folder}"], tmp_path / "run")
    assert again.models[0].n_cached == 0  # not read from the score cache
    assert _rows(tmp_path / "run")[eid].rewards == [float(x) for x in values[eid][::-1]]


def test_bad_options_are_refused_when_the_model_is_built(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a folder") as e:
        create_model("precomputed", dir=str(tmp_path / "nope"))
    assert e.value.path == tmp_path / "nope"
    with pytest.raises(DataError, match=r"no file matches pattern '\{episode_id\}.npy'"):
        create_model("precomputed", dir=str(tmp_path))
    _write(tmp_path, "a", [0.5])
    for opts, field in [
        ({"pattern": "rewards.npy"}, "pattern"),
        ({"pattern": "{episode_id}.txt"}, "pattern"),
        ({"range": [1, 0]}, "range"),
        ({"range": "wide"}, "range"),
        ({"frames": "every"}, "frames"),
    ]:
        with pytest.raises(ValidationError) as err:
            create_model("precomputed", dir=str(tmp_path), **opts)
        assert err.value.field == field
    with pytest.raises(ValidationError, match="needs option"):
        create_model("precomputed")


def test_malformed_files_are_data_errors_with_the_path(tmp_path: Path) -> None:
    cases = {"a.json": "[0.1, ", "b.json": '{"x": 1}', "c.csv": "reward\nhigh\n", "d.npy": "x"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(DataError) as e:
            read_file(tmp_path / name)
        assert e.value.path == tmp_path / name


def test_cli_names_the_folder_in_one_line(make_dataset, tmp_path: Path) -> None:
    ds = make_dataset(2, length=6, size=16)
    cmd = [sys.executable, "-m", "badbench.cli.main", "eval", "--data", str(ds.root)]
    cmd += ["-m", f"precomputed:dir={tmp_path / 'none'}", "--out", str(tmp_path / "run")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{tmp_path / 'none'}: not a folder" in proc.stderr


# -- the real clips: three real-robot videos and Robometer-4B's own predictions ---------------

CLIPS = {  # episode id (the predictions' file stem) -> video file, instruction, category
    "berkeley_rpt_stack_cup": (
        "berkeley_rpt_stack_cup.mp4",
        "Pick up the yellow cup and stack it on the other cup",
        "stack",
    ),
    "pick_up_green_cup": ("jaco_play_pick_up_green_cup.mp4", "pick up green cup", "pick_place"),
    "soar_put_green_stick_in_brown_bowl": (
        "soar_put_green_stick_in_brown_bowl.mp4",
        "Put green stick in brown bowl",
        "pick_place",
    ),
}
SPEARMAN = {  # README.txt of the clips: Spearman(prediction, time index) of *_rewards.npy
    "berkeley_rpt_stack_cup": 0.9879,
    "pick_up_green_cup": 0.9780,
    "soar_put_green_stick_in_brown_bowl": 0.9515,
}


@pytest.mark.slow
@pytest.mark.skipif(
    not (REAL_CLIPS / "README.txt").is_file(), reason=f"real clips not at {REAL_CLIPS}"
)
def test_real_clips_with_robometer_predictions(tmp_path: Path) -> None:
    manifest = tmp_path / "clips.jsonl"
    lines = [
        {
            "episode_id": eid,
            "video": str(REAL_CLIPS / video),
            "instruction": instruction,
            "task_category": category,
            "success": True,  # all three completed, checked by eye (README.txt)
        }
        for eid, (video, instruction, category) in CLIPS.items()
    ]
    manifest.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    data = tmp_path / "clips"
    cli = [sys.executable, "-m", "badbench.cli.main"]
    proc = subprocess.run(
        [*cli, "data", "import", "videos", str(manifest), str(data), "--resize", "320x240"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]

    spec = (
        f"precomputed:dir={REAL_CLIPS},pattern={{episode_id}}_rewards.npy,"
        "success={episode_id}_rewards_success_probs.npy"
    )
    out = tmp_path / "run"
    summary = evaluate(data, [spec, "time"], out, settings=FAST, progress=False, fsync=False)
    rows = _rows(out)
    ds = Dataset.open(data)
    for eid in CLIPS:
        expected = np.load(REAL_CLIPS / f"{eid}_rewards.npy")
        row = rows[eid]
        assert row.error is None, row.error
        assert row.rewards == [float(x) for x in expected]
        length = ds.load(eid, video=False).meta.length
        assert row.frame_indices[0] == 0 and row.frame_indices[-1] == length - 1
        probs = np.load(REAL_CLIPS / f"{eid}_rewards_success_probs.npy")
        assert row.success_prob == pytest.approx(float(probs[-1]))
    voc = summary.models[0].metrics.overall["voc"]
    assert voc.value == pytest.approx(np.mean(list(SPEARMAN.values())), abs=2e-3)
    assert voc.n == 3
    pair = summary.models[0].metrics.overall["pairwise_accuracy"]
    assert pair.value is None or np.isnan(pair.value)  # no contexts: nothing to compare

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "no contexts" in html and "No failures in this run" in html
