"""The five video negatives and the exact definition of their frames and labels.

Every kind turns one clean successful source episode of ``T`` frames, with per-frame task
progress ``p_0..p_{T-1}`` in [0, 1] (``_labels.source_progress``), into a :class:`Plan`: the
source frame shown at each of its ``L`` frames (``idx``), the task progress at each frame
(``q_k``), one failure tag, and whether the task is done. The labels then
follow from the shared rubric (:data:`badbench.data.rubric.DEFAULT_RUBRIC`), exactly as the sim
engine labels its own episodes::

    S   = DEFAULT_RUBRIC.score(success, q_{L-1}, [tag])      # episode score, Outcome.score
    r_k = DEFAULT_RUBRIC.dense(q, [tag], S)[k]                # dense label, Episode.dense_reward
    Outcome.progress = q_{L-1}

With the default weights a failure scores ``S = 0.5 * q_{L-1}`` and a success with a
poor-execution tag of severity ``s`` scores ``1 - 0.25 s``; the dense label is ``q_k`` before the
tag's first frame ``a`` and ``min(q_k * g_k, S)`` from ``a`` on (``g_k = 1 - 0.5 s`` for a failure
tag from ``a`` to the end, ``1 - 0.2 s`` for a poor-execution tag inside its span), so that it
ends at ``S``. ``q`` itself is stored per frame as the extra ``task_progress`` (ReWiND's mirrored
target for a rewind) and ``idx`` as the extra ``source_frame``.

The kinds (random draws from the episode's own generator, see ``_run``):

``rewind`` (ReWiND's augmentation): a turning frame ``m`` uniform among the frames of
    ``[ceil((T-1)/4), T-1]`` that some rewind undoes at least ``MIN_UNDO = 0.1`` of progress
    from, then a rewind length ``j`` uniform among the ``j`` in ``[1, m]`` with
    ``p_m - p_{m-j} >= MIN_UNDO`` (none: no rewind of this episode; on a linear ramp every
    ``m`` and ``j`` qualify, as in ReWiND; on a sim episode whose progress sits at 1 for a
    while it keeps the rewind from undoing nothing); ``idx = 0, 1, ..., m, m-1, ..., m-j``
    (``L = m + 1 + j``), ``q_k = p[idx_k]`` (goes up, then down: mirrored). Tag
    ``synthetic_rewind`` (failure) over the backward frames ``[m+1, L-1]``, severity
    ``p_m - p_{m-j}`` (progress undone, clipped to [0, 1]); ``success = False``.
``clip``: a last frame ``c`` uniform among ``[max(1, ceil(0.15 (T-1))), T-2]`` with
    ``p_c <= 0.9`` (none: no clip of this episode); ``idx = 0..c``, ``q_k = p_k``. Tag
    ``synthetic_clip`` (failure) on the last frame ``[c, c]`` (where the video ends too early),
    severity ``1 - p_c``; ``success = False``. Frames referenced, not re-encoded.
``stall``: a frozen frame ``a`` uniform in ``[round(0.2 (T-1)), round(0.8 (T-1))]``, shown
    ``n + 1`` times, ``n`` uniform in ``[ceil(T/4), T]``; ``idx = 0..a, a (n times), a+1..T-1``
    (``L = T + n``), ``q_k = p[idx_k]`` (flat over the stall). Tag ``synthetic_stall`` (poor
    execution) over the repeated frames ``[a+1, a+n]``, severity ``n / T``. The task is still
    completed, so ``success = True``: a poor-execution success, as the sim engine's ``slow`` and
    ``hesitation`` episodes are (every other kind is ``success = False``).
``reverse``: ``idx = T-1, ..., 0``, ``q_k = p[idx_k]``. Tag ``synthetic_reverse`` (failure) over
    every frame, severity ``p_{T-1} - p_0``; ``success = False``. No random draw: at most one
    per source episode whatever ``per_episode`` says.
``swap_instruction`` (counterfactual): the source's frames (``idx = 0..T-1``) under the
    instruction of an episode of another task, drawn without replacement from the dataset's
    instructions of other tasks; ``q_k = 0`` (no progress on the task asked for). Tag
    ``synthetic_swap_instruction`` (failure) over every frame, severity 1; ``success = False``,
    so ``S = 0`` and ``r_k = 0`` everywhere. Frames referenced, not re-encoded.

Worked example (tested): ``T = 5``, ``p = 0, .25, .5, .75, 1``. rewind with ``m = 3, j = 2``:
``q = 0, .25, .5, .75, .5, .25``, tag [4, 5] severity .5, ``S = .125``,
``r = 0, .25, .5, .75, .125, .125``. clip with ``c = 2``: ``r = 0, .25, .25``, ``S = .25``.
stall with ``a = 2, n = 2``: ``q = 0, .25, .5, .5, .5, .75, 1``, tag [3, 4] severity .4,
``S = .9``, ``r = 0, .25, .5, .46, .46, .75, .9``. reverse: ``S = 0``, ``r = 0`` everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from badbench.data.taxonomy import FailureCategory, failure_mode
from badbench.registry import AUGMENTATIONS

MIN_UNDO = 0.1
"""A rewind undoes at least this much progress."""
CLIP_MAX_PROGRESS = 0.9
"""A clip ends on a frame whose progress is at most this (it stops before completion)."""


@dataclass(frozen=True)
class Plan:
    """One negative to make from one source episode.

    Attributes:
        kind: the augmentation's registry name (``"rewind"``).
        mode: the failure mode of its tag (``"synthetic_rewind"``).
        index: which of the source's negatives of this kind (0-based).
        frames: int64 ``(L,)``: the source frame shown at each frame of the negative.
        progress: float64 ``(L,)``: task progress ``q`` at each frame, in [0, 1].
        success: whether the task is done in the negative.
        span: the failure tag's ``(start_frame, end_frame)``, inclusive.
        severity: the tag's severity, in [0, 1].
        description: the tag's description, as a rater would write it.
        instruction: the negative's instruction (None: the source's).
        params: what was drawn (recorded in the episode's ``generator``).
    """

    kind: str
    mode: str
    index: int
    frames: np.ndarray
    progress: np.ndarray
    success: bool
    span: tuple[int, int]
    severity: float
    description: str
    instruction: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return len(self.frames)


class Augmentation:
    """A kind of video negative: draws :class:`Plan` s from a source episode's progress.

    Class attributes:
        name: the registry name, also the ``kind`` of its plans.
        mode: the failure mode of its tag (a ``synthetic_*`` mode of the taxonomy).
        references: whether its frames are a time range of the source video, so they are
            referenced instead of re-encoded.
        random: whether it draws anything (a kind that does not makes one plan per source).
    """

    name: ClassVar[str]
    mode: ClassVar[str]
    references: ClassVar[bool] = False
    random: ClassVar[bool] = True

    @property
    def category(self) -> FailureCategory:
        return failure_mode(self.mode).category

    def plan(
        self,
        progress: np.ndarray,
        rng: np.random.Generator,
        index: int,
        *,
        instructions: Sequence[str] = (),
    ) -> Plan | None:
        """One negative, or None when this source allows none (too short, no frame to cut).

        Args:
            progress: the source's task progress ``p`` per frame, in [0, 1].
            rng: the generator of this (source, kind, index).
            index: which negative of this kind.
            instructions: other tasks' instructions, still unused for this source (swap only).
        """
        raise NotImplementedError

    def _plan(self, index: int, idx: Any, q: Any, **kw: Any) -> Plan:
        return Plan(
            kind=self.name,
            mode=self.mode,
            index=index,
            frames=np.asarray(idx, np.int64),
            progress=np.clip(np.asarray(q, np.float64), 0.0, 1.0),
            **kw,
        )


def _unit(x: float) -> float:
    return float(np.clip(x, 0.0, 1.0))


@AUGMENTATIONS.register("rewind")
class Rewind(Augmentation):
    """Forward to a random frame, then that segment played backwards (ReWiND's negatives)."""

    name = "rewind"
    mode = "synthetic_rewind"

    def plan(self, progress, rng, index, *, instructions=()):  # noqa: ANN001
        t = len(progress)
        lo = max(1, math.ceil((t - 1) / 4))
        turns = [m for m in range(lo, t) if progress[m] - progress[:m].min() >= MIN_UNDO]
        if not turns:
            return None
        m = turns[int(rng.integers(len(turns)))]
        lengths = [j for j in range(1, m + 1) if progress[m] - progress[m - j] >= MIN_UNDO]
        j = lengths[int(rng.integers(len(lengths)))]
        idx = np.r_[np.arange(m + 1), np.arange(m - 1, m - j - 1, -1)]
        return self._plan(
            index,
            idx,
            progress[idx],
            success=False,
            span=(m + 1, len(idx) - 1),
            severity=_unit(progress[m] - progress[m - j]),
            description=f"plays backwards from frame {m} for {j} frames, undoing progress",
            params={"turn": m, "rewind": j},
        )


@AUGMENTATIONS.register("clip")
class Clip(Augmentation):
    """The video cut before the task is complete (its frames are referenced)."""

    name = "clip"
    mode = "synthetic_clip"
    references = True

    def plan(self, progress, rng, index, *, instructions=()):  # noqa: ANN001
        t = len(progress)
        lo = max(1, math.ceil(0.15 * (t - 1)))
        ends = [c for c in range(lo, t - 1) if progress[c] <= CLIP_MAX_PROGRESS]
        if not ends:
            return None
        c = int(ends[int(rng.integers(len(ends)))])
        return self._plan(
            index,
            np.arange(c + 1),
            progress[: c + 1],
            success=False,
            span=(c, c),
            severity=_unit(1.0 - progress[c]),
            description=f"the video ends at frame {c} of {t}, before the task is complete",
            params={"last": c},
        )


@AUGMENTATIONS.register("stall")
class Stall(Augmentation):
    """One mid-task frame repeated: the robot freezes, then goes on (poor execution)."""

    name = "stall"
    mode = "synthetic_stall"

    def plan(self, progress, rng, index, *, instructions=()):  # noqa: ANN001
        t = len(progress)
        if t < 2:
            return None
        a = int(rng.integers(round(0.2 * (t - 1)), round(0.8 * (t - 1)) + 1))
        n = int(rng.integers(max(1, math.ceil(t / 4)), t + 1))
        idx = np.r_[np.arange(a + 1), np.full(n, a), np.arange(a + 1, t)]
        return self._plan(
            index,
            idx,
            progress[idx],
            success=True,
            span=(a + 1, a + n),
            severity=_unit(n / t),
            description=f"freezes at frame {a} for {n} frames, then goes on",
            params={"frame": a, "repeats": n},
        )


@AUGMENTATIONS.register("reverse")
class Reverse(Augmentation):
    """The whole video played backwards."""

    name = "reverse"
    mode = "synthetic_reverse"
    random = False

    def plan(self, progress, rng, index, *, instructions=()):  # noqa: ANN001
        t = len(progress)
        if t < 2 or index > 0:
            return None
        idx = np.arange(t - 1, -1, -1)
        return self._plan(
            index,
            idx,
            progress[idx],
            success=False,
            span=(0, t - 1),
            severity=_unit(progress[-1] - progress[0]),
            description="the whole video plays backwards",
        )


@AUGMENTATIONS.register("swap_instruction")
class SwapInstruction(Augmentation):
    """The video under another task's instruction (counterfactual; frames referenced)."""

    name = "swap_instruction"
    mode = "synthetic_swap_instruction"
    references = True

    def plan(self, progress, rng, index, *, instructions=()):  # noqa: ANN001
        if not instructions:
            return None
        chosen = instructions[int(rng.integers(len(instructions)))]
        t = len(progress)
        return self._plan(
            index,
            np.arange(t),
            np.zeros(t),
            success=False,
            span=(0, t - 1),
            severity=1.0,
            description="the video shows another task than the instruction asks for",
            instruction=chosen,
            params={"instruction": chosen},
        )


KINDS: tuple[str, ...] = ("rewind", "clip", "stall", "reverse", "swap_instruction")
"""The built-in kinds, in the order their negatives are written."""
