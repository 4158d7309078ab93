"""Training ReWiND: the examples and clips (rewinds mirrored, swaps at 0), a model that learns,
seeded determinism, resuming that gives the same weights, and refusing another run's directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from badbench.errors import ValidationError  # noqa: E402
from badbench.models import create_model  # noqa: E402
from badbench.models.rewind import (  # noqa: E402
    Example,
    TrainConfig,
    labelled_examples,
    sample_clip,
    success_examples,
    train,
)
from badbench.models.rewind._train import _Pools, split  # noqa: E402

TINY = {"hidden": 32, "layers": 2, "heads": 4, "ff": 64}


def weights(ckpt: Path) -> dict:
    return torch.load(ckpt / "model.pt", weights_only=True)


def same_weights(a: Path, b: Path) -> bool:
    wa, wb = weights(a), weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_builders_pick_successes_and_labelled_bad_episodes(reach_train):
    ok = success_examples(reach_train, "state", progress=False)
    bad = labelled_examples(reach_train, "state", progress=False)
    assert len(ok) == 20 and len(bad) == 10
    ex = ok[0]
    assert ex.source == "success" and ex.rewind and ex.encoder == "state"
    assert np.allclose(ex.targets, ex.frame_indices / 19) and ex.targets[-1] == 1.0
    worst = bad[0]
    dense = reach_train.dense_reward(worst.episode_id)
    assert worst.source == "sim" and not worst.rewind
    assert np.allclose(worst.targets, dense[worst.frame_indices]) and worst.targets[-1] <= 0.5
    assert ex.group == reach_train.meta(ex.episode_id).context_id


def test_rewound_clips_mirror_their_targets_and_swaps_are_zero():
    k = 16
    ex = Example(
        "e",
        "reach a",
        "ta",
        np.arange(k) * 2,
        np.eye(k, dtype=np.float32),
        np.linspace(0, 1, k),
        length=31,
    )
    pools = _Pools.of(
        [ex, Example("f", "reach b", "tb", np.arange(4), np.eye(4, 16), np.zeros(4), 4)]
    )
    rng = np.random.default_rng(0)
    always = TrainConfig(rewind_prob=1.0, swap_prob=0.0, full_prob=0.0)
    saw_fall = False
    for _ in range(50):
        emb, y, mask, text = sample_clip(ex, rng, always, pools)
        n = int(mask.sum())
        frame = emb[:n].argmax(axis=1)  # which embedded frame each clip position shows
        assert np.allclose(y[:n], ex.targets[frame]) and text == "reach a"
        peak = int(np.argmax(frame))
        assert np.all(np.diff(frame[: peak + 1]) > 0) and np.all(np.diff(frame[peak:]) <= 0)
        saw_fall |= peak < n - 1  # (subsampling may skip the turning frame itself)
    assert saw_fall
    swap = TrainConfig(swap_prob=1.0)
    _, y, _, text = sample_clip(ex, rng, swap, pools)
    assert text == "reach b" and not y.any()


def test_validation_split_is_by_group_and_never_empty():
    exs = [
        Example(
            f"e{i}", "x", "t", np.arange(3), np.zeros((3, 2)), np.zeros(3), 3, group=f"g{i // 2}"
        )
        for i in range(10)
    ]
    tr, va = split(exs, 0.1, seed=0)
    assert len(va) == 2 and {e.group for e in va}.isdisjoint({e.group for e in tr})
    assert split(exs[:2], 0.5, 0)[1] == []  # one group: nothing to hold out


@pytest.mark.slow
def test_trained_model_ranks_progress_and_sees_incomplete_episodes(
    state_checkpoint, reach_test, rewind_cache
):
    """Trained on successes only (with rewinds), on held-out episodes it puts late frames of a
    success above early ones, and a success's end above the end of an episode that stopped
    part way. An untrained or broken training would not."""
    model = create_model(f"rewind:checkpoint={state_checkpoint},cache={rewind_cache}")
    eps = [reach_test.load(i, video=False) for i in reach_test.episode_ids]
    outs = model.score(eps)
    ok = [o.rewards for e, o in zip(eps, outs, strict=True) if e.outcome.success]
    bad = [o.rewards for e, o in zip(eps, outs, strict=True) if not e.outcome.success]
    for r in ok:
        assert r[-1] > r[0] + 0.3 and np.corrcoef(r, np.arange(len(r)))[0, 1] > 0.9
    assert np.mean([r[-1] for r in ok]) > np.mean([r[-1] for r in bad]) + 0.2
    record = json.loads((state_checkpoint / "rewind.json").read_text())
    assert record["complete"] and record["step"] in (100, 200, 300)
    losses = [h["val_loss"] for h in record["history"]]
    assert record["best_val_loss"] == min(losses)


def test_same_seed_same_weights_and_stopped_runs_resume_exactly(
    reach_train, rewind_cache, tmp_path
):
    examples = success_examples(reach_train, "state", progress=False)
    config = TrainConfig(encoder="state", steps=30, eval_every=10, **TINY)
    kw = {"progress": False, "cache_dir": rewind_cache}
    a = train(examples, config, tmp_path / "a", **kw)
    b = tmp_path / "b"
    train(examples, config, b, stop_after=15, **kw)
    record = json.loads((b / "rewind.json").read_text())
    assert not record["complete"] and record["steps_done"] == 15
    assert (b / "train-state.pt").is_file()
    train(examples, config, b, **kw)
    assert same_weights(a, b) and not (b / "train-state.pt").exists()
    assert (
        json.loads((b / "rewind.json").read_text())["history"]
        == json.loads((a / "rewind.json").read_text())["history"]
    )
    other = TrainConfig(encoder="state", steps=30, eval_every=10, seed=1, **TINY)
    assert not same_weights(a, train(examples, other, tmp_path / "c", **kw))

    before = (a / "model.pt").stat().st_mtime_ns
    assert train(examples, config, a, **kw) == a  # complete: returned as is
    assert (a / "model.pt").stat().st_mtime_ns == before
    with pytest.raises(ValidationError, match="rewind.json.*another configuration"):
        train(examples, other, a, **kw)
    with pytest.raises(ValidationError, match="without its train state"):
        train(examples, TrainConfig(encoder="state", steps=40, eval_every=10, **TINY), a, **kw)


def test_bad_inputs_are_refused(reach_train, tmp_path):
    examples = success_examples(reach_train, "state", progress=False)
    with pytest.raises(ValidationError, match="no training examples"):
        train([], TrainConfig(encoder="state"), tmp_path / "x", progress=False)
    with pytest.raises(ValidationError, match="embedded with 'state' but config.encoder"):
        train(examples, TrainConfig(), tmp_path / "x", progress=False)
    with pytest.raises(ValidationError, match="rewind_prob"):
        train(examples, TrainConfig(encoder="state", rewind_prob=2.0), tmp_path / "x")
    with pytest.raises(ValidationError, match="targets must lie in"):
        Example("e", "x", "t", np.arange(3), np.zeros((3, 2)), np.array([0, 2.0, 1]), 3)


KILL_SCRIPT = """
import sys
from badbench.models.rewind import TrainConfig, success_examples, train
ex = success_examples(sys.argv[1], "state", progress=False)
cfg = TrainConfig(encoder="state", steps=int(sys.argv[3]), eval_every=5, hidden=32, layers=2,
                  heads=4, ff=64)
train(ex, cfg, sys.argv[2], progress=False, cache_dir=sys.argv[4])
"""


@pytest.mark.slow
def test_a_killed_training_resumes_to_the_same_weights(reach_train, rewind_cache, tmp_path):
    """SIGKILL a training process after its first resume points, train again: the weights
    equal those of an uninterrupted run."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1"}
    out = tmp_path / "killed"
    args = [
        sys.executable,
        "-c",
        KILL_SCRIPT,
        str(reach_train.root),
        str(out),
        "4000",
        str(rewind_cache),
    ]
    proc = subprocess.Popen(args, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "rewind.json").is_file():
            done = json.loads((out / "rewind.json").read_text()).get("steps_done", 0)
            if done >= 10:
                break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    record = json.loads((out / "rewind.json").read_text())
    assert not record["complete"]
    steps = record["steps_done"] + 7  # resume and go a few steps past the kill
    examples = success_examples(reach_train, "state", progress=False)

    def config(n: int) -> TrainConfig:
        return TrainConfig(encoder="state", steps=n, eval_every=5, **TINY)

    # the killed run was configured for 4000 steps; only `steps` may differ on resume
    train(examples, config(steps), out, progress=False, cache_dir=rewind_cache)
    ref = train(examples, config(steps), tmp_path / "ref", progress=False, cache_dir=rewind_cache)
    assert same_weights(out, ref)
