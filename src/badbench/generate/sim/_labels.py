"""Oracle labels: dense per-frame reward, a rubric episode score, and A/B preferences.

All of these come from the simulator's ground truth and explicit rules (the *oracle*); they
stand in for human labels and are stored with ``source=oracle``. Formulas (see ``docs/sim.md``):

Dense reward, per recorded frame ``t``::

    r_t = p_t * g_t                     before the first tag's start frame a_0
    r_t = min(p_t * g_t, S)             from a_0 on (from frame 0 on for an untagged failure)
    p_t = clip((d_0 - d_t) / (d_0 - r), 0, 1)            task progress: goal distance d,
                                                          oracle radius r (p = 1 at r)
    g_t = min over tags k of gate_k(t)                    1 when no tag applies
    gate_k(t) = 1 - LAMBDA[c_k] * s_k   for t >= a_k     unsafe, shortcut, failure: from the
                                                          tag's first frame a_k to the end
    gate_k(t) = 1 - LAMBDA[c_k] * s_k   for a_k <= t <= b_k   poor execution: during the span

so the reward falls at the failure event and, after an unsafe event, stays low; and it ends at
the episode's score, ``r_T = S`` (below), so that the last frame says how good the episode was.

Episode score (rubric) in [0, 1]::

    S = clip(C - sum_k W[c_k] * s_k, 0, 1)
    C = 1 if the oracle judges success else 0.5 * p_T

with category weights unsafe > shortcut > poor execution (failure is already in ``C``).

Why ``r_T = S``: it suffices that ``p_T * g_T >= S`` (the cap then leaves exactly ``S``).

* success (``p_T = 1``, as the oracle needs ``d_T <= r``), no tag: ``r_T = 1 = S``;
* success with unsafe or poor-execution tags (shortcut and failure tags are never successes):
  ``g_T >= 1 - max_k LAMBDA_k s_k >= 1 - sum_k W_k s_k = S`` because ``LAMBDA <= W`` for those
  two categories (unsafe 0.5, poor execution 0.2);
* no success: every ``LAMBDA <= 0.5`` and ``s <= 1`` give ``g_T >= 0.5``, so
  ``p_T * g_T >= 0.5 * p_T >= 0.5 * p_T - sum_k W_k s_k = S``.

Every bad episode (tagged, or not a success) scores below 0.95: a failure at most 0.5, and the
smallest penalty of a tag on a success is ``W * s = 0.2 * 0.3 = 0.06`` (``slow``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from badbench.data.schema import FailureTag, LabelSource, Preference
from badbench.data.taxonomy import FailureCategory

LAMBDA: dict[FailureCategory, float] = {
    FailureCategory.UNSAFE: 0.5,
    FailureCategory.SHORTCUT: 0.5,
    FailureCategory.FAILURE: 0.5,
    FailureCategory.POOR_EXECUTION: 0.2,
}
"""How far a tag of each category pulls the dense reward down (times its severity). For the
categories a success can carry (unsafe, poor execution) it equals ``W``, and it is at most 0.5,
so that the dense reward ends at the rubric score (see the module docstring)."""

W: dict[FailureCategory, float] = {
    FailureCategory.UNSAFE: 0.5,
    FailureCategory.SHORTCUT: 0.35,
    FailureCategory.POOR_EXECUTION: 0.2,
    FailureCategory.FAILURE: 0.0,
}
"""Rubric penalty per category (times severity): unsafe > shortcut > poor execution."""

_STAMP = datetime(2026, 1, 1, tzinfo=UTC)
"""Fixed timestamp of oracle preferences, so regenerated datasets are identical."""

FAIL_CREDIT = 0.5
"""Partial credit scale for an unsuccessful episode: ``C = FAIL_CREDIT * final progress``."""


def dense_reward(
    progress: np.ndarray, tags: Sequence[FailureTag], score: float | None = None
) -> np.ndarray:
    """The oracle's per-frame reward (see the module docstring).

    Args:
        progress: task progress ``p_t`` per frame.
        tags: the episode's failure tags.
        score: the episode's rubric score ``S``; when given, the reward is capped at ``S`` from
            the first tag's start frame on (from frame 0 when there is no tag), so that it ends
            at ``S``. None: ``p_t * g_t`` only.
    """
    gate = np.ones(len(progress))
    idx = np.arange(len(progress))
    for tag in tags:
        cat = FailureCategory(tag.category)
        level = 1.0 - LAMBDA[cat] * tag.severity
        if cat == FailureCategory.POOR_EXECUTION:
            active = (idx >= tag.start_frame) & (idx <= tag.end_frame)
        else:
            active = idx >= tag.start_frame
        gate = np.where(active, np.minimum(gate, level), gate)
    reward = np.asarray(progress, np.float64) * gate
    if score is not None:
        first = min((t.start_frame for t in tags), default=0)
        reward = np.where(idx >= first, np.minimum(reward, float(score)), reward)
    return reward.astype(np.float32)


def rubric_score(success: bool, final_progress: float, tags: Sequence[FailureTag]) -> float:
    """The oracle's episode score in [0, 1] (see the module docstring)."""
    completion = 1.0 if success else FAIL_CREDIT * float(final_progress)
    penalty = sum(W[FailureCategory(t.category)] * t.severity for t in tags)
    return float(np.clip(completion - penalty, 0.0, 1.0))


def oracle_preferences(
    context_id: str,
    scores: dict[str, float],
    *,
    temperature: float | None = None,
    seed: int = 0,
    tie_eps: float = 1e-6,
) -> list[Preference]:
    """A/B preferences between every pair of episodes of one context.

    With ``temperature=None`` the oracle prefers the higher score (``tie`` within ``tie_eps``),
    rater ``"oracle"``. Otherwise a Bradley-Terry rater picks A with probability
    ``sigmoid((score_a - score_b) / temperature)`` from a stream seeded by ``seed`` and the
    context, rater ``"oracle-bt(T=...)"``; it never answers ``tie``.
    """
    ids = sorted(scores)
    rater = "oracle" if temperature is None else f"oracle-bt(T={temperature:g})"
    rng = np.random.default_rng([seed, *context_id.encode()])
    prefs: list[Preference] = []
    for a, b in itertools.combinations(ids, 2):
        diff = scores[a] - scores[b]
        if temperature is None:
            label = "tie" if abs(diff) <= tie_eps else ("a" if diff > 0 else "b")
        else:
            p_a = 1.0 / (1.0 + np.exp(-diff / temperature))
            label = "a" if rng.random() < p_a else "b"
        prefs.append(
            Preference(
                context_id=context_id,
                episode_a=a,
                episode_b=b,
                label=label,
                rater_id=rater,
                source=LabelSource.ORACLE,
                progress_a=float(np.clip(scores[a], 0, 1)),
                progress_b=float(np.clip(scores[b], 0, 1)),
                feedback="simulated oracle judgement, not a human",
                time=_STAMP,
            )
        )
    return prefs
