"""The inputs of the metrics: an episode table and a pairs table.

Every metric in :mod:`badbench.bench.metrics` is a pure function over numpy arrays; these
containers only bundle the columns that :func:`~badbench.bench.metrics.compute_all` needs, so a
runner can build one table per model and call one function. Its output values are
:class:`badbench.bench.results.MetricValue` records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from badbench.errors import ValidationError

NO_FAILURE = "none"
"""The ``failure_category`` / ``failure_mode`` value of an episode without failure tags."""

QUALITY_FAILURE, QUALITY_SUBOPTIMAL, QUALITY_SUCCESS = 0, 1, 2
"""Quality levels used by the ranking metrics: failure < suboptimal < clean success."""


def _as_str(values: Any, n: int, default: str, name: str) -> np.ndarray:
    """A (n,) object array of str; None and "" become ``default``."""
    if values is None:
        return np.full(n, default, dtype=object)
    arr = np.asarray(values, dtype=object).reshape(-1)
    if len(arr) != n:
        raise ValidationError(f"has {len(arr)} values for {n} episodes", field=name)
    return np.array([default if v is None or v == "" else str(v) for v in arr], dtype=object)


def _as_float(values: Any, n: int, name: str) -> np.ndarray:
    """A (n,) float64 array; None becomes NaN."""
    if values is None:
        return np.full(n, np.nan)
    raw = np.asarray(values, dtype=object).reshape(-1)
    arr = np.array([np.nan if v is None else v for v in raw], dtype=np.float64)
    if len(arr) != n:
        raise ValidationError(f"has {len(arr)} values for {n} episodes", field=name)
    return arr


@dataclass(frozen=True, eq=False)
class EpisodeTable:
    """One model's outputs on a dataset, with the labels the metrics compare them to.

    All columns have one row per episode (length ``N``). Build it with :meth:`build`, which fills
    defaults and derives ``score`` and ``final`` from the per-frame predictions.

    Attributes:
        episode_id: (N,) str, unique episode ids.
        context_id: (N,) str; episodes of one context are compared with each other (pairs,
            best-of-K) and a context is the unit the bootstrap resamples.
        task: (N,) str task name; the quality-ranking Kendall tau is computed per task.
        task_category: (N,) str, e.g. ``"pick_place"``.
        failure_category: (N,) str, the episode's primary failure category, ``"none"`` if clean.
        failure_mode: (N,) str, the episode's primary failure mode, ``"none"`` if clean.
        success: (N,) bool, the label: the task was completed.
        human_score: (N,) float, the human (or oracle) score used to form preference pairs
            (e.g. progress 0-1); NaN where unknown (the episode forms no score-based pairs).
        progress: (N,) float in [0, 1], the final progress label; NaN where unknown.
        final: (N,) float, the model's predicted final progress (its last per-frame value).
        score: (N,) float, the model's trajectory score (return, last or mean of the frames).
        frame_values: (sum of lengths,) float, every episode's per-frame predictions, concatenated
            in episode order and chronological order within an episode.
        frame_offsets: (N + 1,) int64; episode ``i``'s frames are
            ``frame_values[frame_offsets[i]:frame_offsets[i + 1]]``.
        success_prob: (N,) float, the model's success probability, or None if it gives none.
        quality: (N,) int quality levels overriding :meth:`quality_levels`' default, or None.
    """

    episode_id: np.ndarray
    context_id: np.ndarray
    task: np.ndarray
    task_category: np.ndarray
    failure_category: np.ndarray
    failure_mode: np.ndarray
    success: np.ndarray
    human_score: np.ndarray
    progress: np.ndarray
    final: np.ndarray
    score: np.ndarray
    frame_values: np.ndarray
    frame_offsets: np.ndarray
    success_prob: np.ndarray | None = None
    quality: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.episode_id)
        for f in fields(self):
            if f.name in ("frame_values", "frame_offsets"):
                continue
            v = getattr(self, f.name)
            if v is not None and len(v) != n:
                raise ValidationError(f"has {len(v)} rows for {n} episodes", field=f.name)
        if len(self.frame_offsets) != n + 1:
            raise ValidationError(
                f"has {len(self.frame_offsets)} entries, expected N + 1 = {n + 1}",
                field="frame_offsets",
            )

    @classmethod
    def build(
        cls,
        *,
        episode_id: Sequence[str],
        frame_predictions: Sequence[Sequence[float] | np.ndarray],
        success: Sequence[bool] | np.ndarray,
        context_id: Sequence[str] | None = None,
        task: Sequence[str] | None = None,
        task_category: Sequence[str] | None = None,
        failure_category: Sequence[str | None] | None = None,
        failure_mode: Sequence[str | None] | None = None,
        human_score: Sequence[float | None] | np.ndarray | None = None,
        progress: Sequence[float | None] | np.ndarray | None = None,
        success_prob: Sequence[float | None] | np.ndarray | None = None,
        quality: Sequence[int] | np.ndarray | None = None,
        score_kind: str = "return",
    ) -> EpisodeTable:
        """Build a table from per-episode columns and per-frame predictions.

        ``score`` is :func:`~badbench.bench.metrics.trajectory_score` of each episode's frames
        with ``score_kind``; ``final`` is the last frame's value (NaN for an empty episode).

        Args:
            episode_id: unique episode ids.
            frame_predictions: one 1-D array of per-frame predictions per episode.
            success: the success labels.
            context_id: contexts; default: each episode's task (or its own id without tasks).
            task: task names; default ``"task"``.
            task_category: default ``"other"``.
            failure_category: ``None``/``"none"`` for clean episodes (the default).
            failure_mode: ``None``/``"none"`` for clean episodes (the default).
            human_score: scores that define preference pairs; default: ``progress``.
            progress: final progress labels in [0, 1]; default NaN.
            success_prob: the model's success probabilities, if any.
            quality: explicit quality levels (0 failure, 1 suboptimal, 2 success), if any.
            score_kind: ``"return"`` (sum, alias ``"sum"``), ``"last"`` or ``"mean"``.

        Raises:
            ValidationError: columns of different lengths, or an unknown ``score_kind``.
        """
        from badbench.bench.metrics._trajectory import trajectory_scores

        ids = _as_str(episode_id, len(episode_id), "", "episode_id")
        n = len(ids)
        if len(set(ids.tolist())) != n:
            raise ValidationError("episode ids are not unique", field="episode_id")
        if len(frame_predictions) != n:
            raise ValidationError(
                f"has {len(frame_predictions)} entries for {n} episodes", field="frame_predictions"
            )
        frames = [np.asarray(f, dtype=np.float64).reshape(-1) for f in frame_predictions]
        lengths = np.array([len(f) for f in frames], dtype=np.int64)
        offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        values = np.concatenate(frames) if frames else np.zeros(0)
        success_arr = np.asarray(success, dtype=bool).reshape(-1)
        if len(success_arr) != n:
            raise ValidationError(
                f"has {len(success_arr)} values for {n} episodes", field="success"
            )
        tasks = _as_str(task, n, "task", "task")
        if context_id is None:
            contexts = tasks.copy() if task is not None else ids.copy()
        else:
            contexts = _as_str(context_id, n, "", "context_id")
        prog = _as_float(progress, n, "progress")
        human = prog.copy() if human_score is None else _as_float(human_score, n, "human_score")
        return cls(
            episode_id=ids,
            context_id=contexts,
            task=tasks,
            task_category=_as_str(task_category, n, "other", "task_category"),
            failure_category=_as_str(failure_category, n, NO_FAILURE, "failure_category"),
            failure_mode=_as_str(failure_mode, n, NO_FAILURE, "failure_mode"),
            success=success_arr,
            human_score=human,
            progress=prog,
            final=trajectory_scores(values, offsets, "last"),
            score=trajectory_scores(values, offsets, score_kind),
            frame_values=values,
            frame_offsets=offsets,
            success_prob=None
            if success_prob is None
            else _as_float(success_prob, n, "success_prob"),
            quality=None if quality is None else np.asarray(quality, dtype=np.int64).reshape(-1),
        )

    def __len__(self) -> int:
        return len(self.episode_id)

    def frames(self, i: int) -> np.ndarray:
        """Episode ``i``'s per-frame predictions, in chronological order."""
        return self.frame_values[self.frame_offsets[i] : self.frame_offsets[i + 1]]

    @property
    def lengths(self) -> np.ndarray:
        """(N,) int, the number of predicted frames of each episode."""
        return np.diff(self.frame_offsets)

    @property
    def good(self) -> np.ndarray:
        """(N,) bool, clean successes: ``success`` and no failure category.

        The positive class of success detection and of the calibrated threshold.
        """
        return self.success.astype(bool) & (self.failure_category == NO_FAILURE)

    @property
    def bad(self) -> np.ndarray:
        """(N,) bool, bad episodes: not a clean success (failed, or carries a failure tag)."""
        return ~self.good

    @property
    def detection_score(self) -> np.ndarray:
        """(N,) float, the score success detection thresholds: ``success_prob`` if the model
        gives one for every episode, else the predicted final progress ``final``."""
        if self.success_prob is not None and np.all(np.isfinite(self.success_prob)):
            return self.success_prob
        return self.final

    def quality_levels(self) -> np.ndarray:
        """(N,) int quality levels: ``quality`` if given, else 2 for a clean success, 0 for a
        failed episode, 1 for a success with a failure tag (poor execution, shortcut, unsafe)."""
        if self.quality is not None:
            return np.asarray(self.quality, dtype=np.int64)
        from badbench.bench.metrics._ranking import quality_levels

        return quality_levels(self.success, self.failure_category)

    def subset(self, index: np.ndarray) -> EpisodeTable:
        """The rows selected by a boolean mask or an integer index array, in that order."""
        index = np.asarray(index)
        rows = np.flatnonzero(index) if index.dtype == bool else index.astype(np.int64)
        lengths = self.lengths[rows]
        offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        if len(rows):
            starts = self.frame_offsets[rows]
            take = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
            values = self.frame_values[take]
        else:
            values = np.zeros(0)
        cols = {
            f.name: (None if getattr(self, f.name) is None else getattr(self, f.name)[rows])
            for f in fields(self)
            if f.name not in ("frame_values", "frame_offsets")
        }
        return EpisodeTable(**cols, frame_values=values, frame_offsets=offsets)


@dataclass(frozen=True, eq=False)
class PairTable:
    """Explicit A/B judgements between episodes of an :class:`EpisodeTable`.

    Attributes:
        idx_a: (P,) int64 row of episode A in the episode table.
        idx_b: (P,) int64 row of episode B.
        label: (P,) int8, +1 when A was preferred, -1 when B was, 0 for a tie.

    A pair belongs to episode A's context (the bootstrap resamples it with that context).
    """

    idx_a: np.ndarray
    idx_b: np.ndarray
    label: np.ndarray

    def __post_init__(self) -> None:
        if not (len(self.idx_a) == len(self.idx_b) == len(self.label)):
            raise ValidationError(
                f"idx_a, idx_b and label have lengths {len(self.idx_a)}, {len(self.idx_b)}, "
                f"{len(self.label)}; they must be equal",
                field="label",
            )

    def __len__(self) -> int:
        return len(self.label)

    @classmethod
    def from_labels(
        cls,
        episode_ids: Sequence[str] | np.ndarray,
        pairs: Iterable[tuple[str, str, str]],
    ) -> PairTable:
        """Build from ``(episode_a, episode_b, label)`` triples, label ``"a"``, ``"b"``, ``"tie"``.

        Args:
            episode_ids: the episode table's ``episode_id`` column (defines row numbers).
            pairs: the judgements, e.g. from :class:`badbench.data.Preference` records.

        Raises:
            ValidationError: an episode id is not in the table, or a label is unknown.
        """
        row = {str(e): i for i, e in enumerate(np.asarray(episode_ids).tolist())}
        codes = {"a": 1, "b": -1, "tie": 0}
        ia, ib, lab = [], [], []
        for a, b, label in pairs:
            for e in (a, b):
                if e not in row:
                    raise ValidationError(
                        f"preference refers to episode '{e}', which is not in the episode table",
                        field="episode_id",
                    )
            if label not in codes:
                raise ValidationError(
                    f"unknown preference label '{label}'; use 'a', 'b' or 'tie'", field="label"
                )
            ia.append(row[a])
            ib.append(row[b])
            lab.append(codes[label])
        return cls(
            idx_a=np.asarray(ia, dtype=np.int64),
            idx_b=np.asarray(ib, dtype=np.int64),
            label=np.asarray(lab, dtype=np.int8),
        )
