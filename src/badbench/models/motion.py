"""The ``motion`` baseline: a cue-only reward model that reads how much the video moves.

Like the hypothesis-only baselines that exposed annotation artifacts in NLP datasets, it has no
task understanding at all: no instruction, no objects, no semantics. Per episode it computes 11
statistics of the video's motion and fits a ridge regression from them onto the episode's
quality label (``Outcome.score``, else ``progress``, else success as 1/0). If it ranks a
dataset's episodes well, the dataset's labels can be predicted from motion energy alone, and a
reward model's score on it says less than it seems.

Features, per camera (frames converted to grey, downsampled to at most :data:`SIZE` pixels a
side, values in [0, 1]; ``e_t`` is the mean absolute difference between frames ``t`` and
``t + 1``): the mean of ``e_t`` in each of 8 equal time bins, the episode length in frames, the
peak ``max_t e_t``, and the idle fraction ``mean_t [e_t < IDLE]``. With several cameras the
features of each are concatenated.

Fitting never sees the labels of the episode it scores: by default the evaluated dataset is
*cross-fitted*: its contexts are split into ``folds`` groups by a hash of the context id, and
each episode is scored by a model fitted on the other groups' labels. With ``train=DIR`` the
model is fitted on every labelled episode of another dataset instead. Its output is the
predicted quality, clipped to [0, 1], as a constant per-frame reward.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from badbench.data.schema import Episode
from badbench.errors import ValidationError
from badbench.models.base import RewardModel, RewardOutput, episode_length
from badbench.models.registry import register_model

SIZE = 48
"""Frames are downsampled (by striding) to at most this many pixels a side."""

IDLE = 0.002
"""Mean absolute frame difference (grey, [0, 1]) under which a frame step counts as idle."""

BINS = 8
"""Time bins of the motion-energy profile."""


def motion_features(frames: np.ndarray) -> np.ndarray:
    """The 11 motion statistics of one camera's frames ``(T, H, W, 3)`` (module docstring)."""
    a = np.asarray(frames)
    step = max(1, -(-max(a.shape[1], a.shape[2]) // SIZE))
    grey = a[:, ::step, ::step].astype(np.float32).mean(axis=-1) / 255.0
    if len(grey) < 2:
        energy = np.zeros(1, np.float32)
    else:
        energy = np.abs(np.diff(grey, axis=0)).mean(axis=(1, 2))
    bins = [float(b.mean()) if b.size else 0.0 for b in np.array_split(energy, BINS)]
    return np.array([*bins, float(len(a)), float(energy.max()), float((energy < IDLE).mean())])


def quality_of(episode: Episode) -> float | None:
    """The label the baseline is fitted on: score, else progress, else success (None: none)."""
    out = episode.outcome
    if out is None:
        return None
    if out.quality is not None:
        return float(out.quality)
    return float(out.success)


def ridge_fit(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, ...]:
    """Closed-form ridge on standardised features: ``(mean, std, weights, intercept)``."""
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    z = (x - mu) / sd
    ym = float(y.mean())
    w = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - ym))
    return mu, sd, w, np.array(ym)


def ridge_predict(model: tuple[np.ndarray, ...], x: np.ndarray) -> np.ndarray:
    mu, sd, w, b = model
    return ((x - mu) / sd) @ w + float(b)


def fold_of(context: str, folds: int) -> int:
    """The cross-fitting group of a context (stable across runs and machines)."""
    return zlib.crc32(context.encode()) % folds


@register_model(
    "motion",
    description="cue-only baseline: ridge on video motion statistics, cross-fitted by context",
)
class MotionModel(RewardModel):
    """Ridge regression from video motion statistics onto the quality label (module docstring).

    Args:
        folds: cross-fitting groups of contexts (at least 2).
        alpha: ridge penalty on the standardised features.
        train: a dataset directory to fit on instead of cross-fitting the evaluated one.
    """

    version = "1"
    needs_frames = True
    prefetch = False  # scoring reads nothing: the fit in prepare() already read the frames
    batch_size = 64

    def __init__(self, folds: int = 5, alpha: float = 1.0, train: str | None = None) -> None:
        if not isinstance(folds, int) or isinstance(folds, bool) or folds < 2:
            raise ValidationError(
                f"model 'motion': folds must be an integer >= 2, got {folds!r}", field="folds"
            )
        if not isinstance(alpha, int | float) or not alpha > 0:
            raise ValidationError(
                f"model 'motion': alpha must be > 0, got {alpha!r}", field="alpha"
            )
        if train is not None and not (Path(train) / "meta" / "info.json").is_file():
            raise ValidationError(
                f"model 'motion': train={train} is not a dataset (no meta/info.json)",
                field="train",
            )
        self.folds, self.alpha, self.train = folds, float(alpha), train
        self._pred: dict[str, float] = {}
        self._errors: dict[str, str] = {}
        self._digest = ""

    # -- fitting ---------------------------------------------------------------------------

    def prepare(self, dataset: Any, episodes: Sequence[Episode]) -> None:
        """Compute every episode's features and fit (cross-fitted, or on ``train``)."""
        feats = self._features(dataset, episodes)
        ids = [ep.id for ep in episodes]
        digest = hashlib.sha256()
        if self.train is not None:
            from badbench.data.dataset import Dataset

            tds = Dataset.open(self.train)
            teps = [tds.load(i, video=False) for i in tds.episode_ids]
            tx, ty = self._labelled(self._features(tds, teps), teps)
            if len(ty) < 2:
                self._fail_all(ids, f"train={self.train} has fewer than 2 labelled episodes")
                return
            model = ridge_fit(tx, ty, self.alpha)
            x = np.stack([feats[i] for i in ids])
            self._pred = dict(zip(ids, ridge_predict(model, x).tolist(), strict=True))
            digest.update(tx.tobytes() + ty.tobytes())
        else:
            self._cross_fit(episodes, feats, digest)
        digest.update(np.stack([feats[i] for i in ids]).tobytes())
        self._digest = digest.hexdigest()[:32]

    def _features(self, dataset: Any, episodes: Sequence[Episode]) -> dict[str, np.ndarray]:
        cams = list(dataset.cameras)
        out = {}
        for ep in episodes:
            if not cams:
                out[ep.id] = np.array([float(episode_length(ep))])
                continue
            full = dataset.load(ep.id)
            out[ep.id] = np.concatenate([motion_features(full.frames[c]) for c in cams])
        return out

    @staticmethod
    def _labelled(
        feats: dict[str, np.ndarray], episodes: Sequence[Episode]
    ) -> tuple[np.ndarray, np.ndarray]:
        rows = [(feats[ep.id], q) for ep in episodes if (q := quality_of(ep)) is not None]
        if not rows:
            return np.zeros((0, 1)), np.zeros(0)
        return np.stack([r for r, _ in rows]), np.array([q for _, q in rows])

    def _cross_fit(
        self, episodes: Sequence[Episode], feats: dict[str, np.ndarray], digest: Any
    ) -> None:
        contexts = {ep.id: ep.meta.context_id or ep.meta.task or ep.id for ep in episodes}
        n_ctx = len(set(contexts.values()))
        k = min(self.folds, n_ctx)
        if k < 2:
            self._fail_all(
                [ep.id for ep in episodes],
                "one context only: cross-fitting needs at least 2 (pass train=DIR)",
            )
            return
        group = {i: fold_of(c, k) for i, c in contexts.items()}
        if len(set(group.values())) < 2:  # the hash put every context in one group
            order = sorted(set(contexts.values()))
            group = {i: order.index(c) % k for i, c in contexts.items()}
        digest.update(json.dumps(sorted(group.items())).encode())
        for g in sorted(set(group.values())):
            train = [ep for ep in episodes if group[ep.id] != g]
            x, y = self._labelled(feats, train)
            digest.update(y.tobytes())
            test = [ep.id for ep in episodes if group[ep.id] == g]
            if len(y) < 2:
                for i in test:
                    self._errors[i] = "fewer than 2 labelled episodes outside its context group"
                continue
            model = ridge_fit(x, y, self.alpha)
            pred = ridge_predict(model, np.stack([feats[i] for i in test]))
            self._pred.update(zip(test, pred.tolist(), strict=True))

    def _fail_all(self, ids: Sequence[str], why: str) -> None:
        self._errors.update({i: why for i in ids})

    # -- the model interface ---------------------------------------------------------------

    def fingerprint(self) -> dict[str, Any]:
        """The fitted-on data: features, labels and context groups (empty before prepare)."""
        return {"fit": self._digest} if self._digest else {}

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        """The predicted quality of each episode as a constant reward (fitted in prepare)."""
        out = []
        for ep in episodes:
            if ep.id in self._errors:
                out.append(RewardOutput.failure("labels", f"model 'motion': {self._errors[ep.id]}"))
            elif ep.id not in self._pred:
                msg = "model 'motion': not fitted on this dataset (the runner calls prepare())"
                out.append(RewardOutput.failure("labels", msg))
            else:
                value = float(np.clip(self._pred[ep.id], 0.0, 1.0))
                out.append(RewardOutput.per_frame(np.full(episode_length(ep), value)))
        return out
