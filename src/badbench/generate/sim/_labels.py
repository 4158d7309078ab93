"""Oracle labels of the sim engine: the rubric (score and dense reward) and A/B preferences.

All of these come from the simulator's ground truth and explicit rules (the *oracle*); they
stand in for human labels and are stored with ``source=oracle``. The rubric (the episode score
``S`` and the dense per-frame reward that ends at it) is defined once, in
:mod:`badbench.data.rubric`, and re-exported here; the engine's task progress is
``p_t = clip((d_0 - d_t) / (d_0 - r), 0, 1)`` (goal distance ``d``, oracle radius ``r``, so
``p = 1`` at ``r``). See ``docs/sim.md``.

Every bad episode (tagged, or not a success) scores below 0.95: a failure at most 0.5, and the
smallest penalty of a tag on a success is ``W * s = 0.2 * 0.3 = 0.06`` (``slow``).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np

from badbench.data.rubric import FAIL_CREDIT, LAMBDA, W, dense_reward, rubric_score
from badbench.data.schema import LabelSource, Preference

__all__ = ["FAIL_CREDIT", "LAMBDA", "W", "dense_reward", "oracle_preferences", "rubric_score"]

_STAMP = datetime(2026, 1, 1, tzinfo=UTC)
"""Fixed timestamp of oracle preferences, so regenerated datasets are identical."""


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
