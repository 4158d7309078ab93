"""The ``motion`` cue-only baseline: features by hand, cross-fitting that never sees a
context's own labels, and rankings that follow motion only when the labels do."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from badbench.data import Dataset, DatasetWriter
from badbench.data.schema import LabelSource, Outcome
from badbench.errors import ValidationError
from badbench.models import create_model
from badbench.models.motion import IDLE, MotionModel, motion_features
from fixtures.factories import make_episode

LENGTH, SIZE = 12, 32


def moving_square(speed: int, seed: int) -> np.ndarray:
    """A white square sliding ``speed`` pixels per frame across a dark background."""
    frames = np.full((LENGTH, SIZE, SIZE, 3), 20, np.uint8)
    x0 = int(np.random.default_rng(seed).integers(0, 4))
    for t in range(LENGTH):
        x = (x0 + speed * t) % (SIZE - 8)
        frames[t, 12:20, x : x + 8] = 235
    return frames


def dataset(tmp_path, quality, n_ctx: int = 8, per_ctx: int = 4) -> Dataset:
    """``per_ctx`` episodes per context, episode k moving at speed k; label ``quality(k, c)``."""
    eps = []
    for c, k in itertools.product(range(n_ctx), range(per_ctx)):
        base = make_episode(c * per_ctx + k, length=LENGTH, size=SIZE, cameras=("cam",))
        q = float(quality(k, c))
        out = Outcome(
            success=q > 0.5,
            progress=q,
            progress_source=LabelSource.ORACLE,
            score=q,
            score_source=LabelSource.ORACLE,
        )
        meta = base.meta.model_copy(update={"episode_id": f"c{c}/k{k}", "context_id": f"ctx-{c}"})
        eps.append(replace(base, meta=meta, frames={"cam": moving_square(k, c)}, outcome=out))
    root = tmp_path / "ds"
    with DatasetWriter(root) as w:
        w.extend(eps)
    return Dataset.open(root)


def fitted(ds: Dataset, **options) -> dict[str, float]:
    model = MotionModel(**options)
    episodes = [ds.load(i, video=False) for i in ds.episode_ids]
    model.prepare(ds, episodes)
    outs = model.score(episodes)
    return {ep.id: float(o.rewards[-1]) for ep, o in zip(episodes, outs, strict=True)}


def pairwise(ds: Dataset, pred: dict[str, float]) -> float:
    ok = n = 0
    by_ctx: dict[str, list[str]] = {}
    for meta in ds:
        by_ctx.setdefault(meta.context_id, []).append(meta.episode_id)
    for ids in by_ctx.values():
        for a, b in itertools.combinations(ids, 2):
            qa, qb = ds.outcome(a).score, ds.outcome(b).score
            if qa != qb:
                n += 1
                ok += (pred[a] - pred[b]) * (qa - qb) > 0
    return ok / n


def test_features_by_hand() -> None:
    still = np.zeros((9, 16, 16, 3), np.uint8)
    f = motion_features(still)
    assert f.tolist() == [0.0] * 8 + [9.0, 0.0, 1.0]
    flash = still.copy()
    flash[4] = 255  # frames 3->4 and 4->5 differ by 1.0 everywhere
    f = motion_features(flash)
    assert f[9] == pytest.approx(1.0) and f[10] == pytest.approx(6 / 8)
    assert f[:8].sum() == pytest.approx(2.0)  # 8 steps in 8 bins of one step each
    assert IDLE < 1.0


def test_labels_that_follow_motion_are_found(tmp_path) -> None:
    ds = dataset(tmp_path, lambda k, c: k / 3)
    assert pairwise(ds, fitted(ds)) > 0.95


def test_labels_independent_of_motion_are_not(tmp_path) -> None:
    rng = np.random.default_rng(0)
    table = rng.permutation(np.tile(np.arange(4) / 3, (8, 1)).T.ravel()).reshape(4, 8)
    ds = dataset(tmp_path, lambda k, c: table[k, c])
    assert 0.2 < pairwise(ds, fitted(ds)) < 0.8


def test_a_context_is_never_scored_with_its_own_labels(tmp_path) -> None:
    ds = dataset(tmp_path / "a", lambda k, c: k / 3)
    flipped = dataset(tmp_path / "b", lambda k, c: (3 - k) / 3 if c == 0 else k / 3)
    a, b = fitted(ds), fitted(flipped)
    ctx0 = [i for i in a if i.startswith("c0/")]
    assert all(a[i] == pytest.approx(b[i]) for i in ctx0)  # its own labels changed: no effect
    assert any(a[i] != pytest.approx(b[i]) for i in a if not i.startswith("c0/"))


def test_fit_on_another_dataset_and_bad_options(tmp_path) -> None:
    train = dataset(tmp_path / "train", lambda k, c: k / 3)
    test = dataset(tmp_path / "test", lambda k, c: k / 3, n_ctx=2)
    assert pairwise(test, fitted(test, train=str(train.root))) > 0.95
    with pytest.raises(ValidationError, match="train=.*nowhere is not a dataset"):
        create_model(f"motion:train={tmp_path / 'nowhere'}")
    with pytest.raises(ValidationError, match="folds must be an integer >= 2"):
        MotionModel(folds=1)


def test_one_context_is_a_recorded_failure(tmp_path) -> None:
    ds = dataset(tmp_path, lambda k, c: k / 3, n_ctx=1)
    model = MotionModel()
    episodes = [ds.load(i, video=False) for i in ds.episode_ids]
    model.prepare(ds, episodes)
    outs = model.score(episodes)
    assert all(o.error is not None and "one context only" in o.error.message for o in outs)
