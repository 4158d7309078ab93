"""Oracle labels of the sim engine: the rubric (score and dense reward) and simulated A/B raters.

All of these come from the simulator's ground truth and explicit rules (the *oracle*); they
stand in for human labels and are stored with ``source=oracle``, never ``human``. The rubric (the
episode score ``S`` and the dense per-frame reward that ends at it) is defined once, in
:mod:`badbench.data.rubric`, and re-exported here; the engine's task progress is
``p_t = clip((d_0 - d_t) / (d_0 - r), 0, 1)`` (goal distance ``d``, oracle radius ``r``, so
``p = 1`` at ``r``). See ``docs/sim.md``.

A/B judgements come from two kinds of simulated rater:

* ``oracle``: prefers the higher rubric score (``tie`` when equal); no noise.
* a panel of :class:`SimRater` (:data:`SIM_RATERS`): people weigh things differently, and see
  only what the cameras show. Each rater has its own rubric weights (safety first, completion
  first, smooth motion first). For every episode a rater *notices* each tag with probability
  ``1 - exp(-pixels / see_pixels)``, where ``pixels`` is the most pixels the tag's object covers
  in any stored camera during the tag (:attr:`FailureTag.visibility`; a tag no camera shows is
  never noticed, a tag without a measurement always is). The rater scores the episode with its
  rubric over the tags it noticed, and picks A with probability
  ``sigmoid((S'_a - S'_b) / temperature)`` (Bradley-Terry); it never answers ``tie``. Its
  ``rater_id`` says who it was, e.g. ``sim-safety(T=0.1)``.

Every random draw is seeded by the run's seed, the rater and the context, so a regenerated
dataset has the same judgements.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from badbench.data.rubric import (
    DEFAULT_RUBRIC,
    FAIL_CREDIT,
    LAMBDA,
    Rubric,
    W,
    dense_reward,
    rubric_score,
)
from badbench.data.schema import FailureTag, LabelSource, Preference

__all__ = [
    "FAIL_CREDIT",
    "LAMBDA",
    "SIM_RATERS",
    "W",
    "RatedEpisode",
    "SimRater",
    "dense_reward",
    "oracle_preferences",
    "panel_preferences",
    "rubric_score",
]

_STAMP = datetime(2026, 1, 1, tzinfo=UTC)
"""Fixed timestamp of oracle preferences, so regenerated datasets are identical."""


@dataclass(frozen=True)
class RatedEpisode:
    """What a simulated rater judges an episode on."""

    episode_id: str
    success: bool
    progress: float
    tags: Sequence[FailureTag] = ()


@dataclass(frozen=True)
class SimRater:
    """One simulated rater: a rubric of its own and a visibility-aware noise model.

    Attributes:
        rubric: the rater's weights (its ``name`` goes into the rater id).
        see_pixels: pixel scale of noticing: a tag covering ``n`` pixels is noticed with
            probability ``1 - exp(-n / see_pixels)``.
    """

    rubric: Rubric
    see_pixels: float = 60.0

    def rater_id(self, temperature: float) -> str:
        return f"sim-{self.rubric.name}(T={temperature:g})"

    def notices(self, tag: FailureTag, rng: np.random.Generator) -> bool:
        """Whether the rater notices ``tag`` (always, when its visibility was not measured)."""
        if not tag.visibility:
            return True
        pixels = max((v.pixels for v in tag.visibility.values() if v.in_view), default=0)
        return bool(rng.random() < 1.0 - np.exp(-pixels / self.see_pixels))

    def perceived_score(self, ep: RatedEpisode, rng: np.random.Generator) -> float:
        """The episode's score by this rater's rubric, over the tags it noticed."""
        seen = [t for t in ep.tags if self.notices(t, rng)]
        return self.rubric.score(ep.success, ep.progress, seen)


def _rubric(name: str, unsafe: float, shortcut: float, poor: float) -> Rubric:
    return Rubric(
        name=name,
        weights={"unsafe": unsafe, "shortcut": shortcut, "poor_execution": poor, "failure": 0.0},
        gates={"unsafe": 0.5, "shortcut": 0.5, "poor_execution": min(0.2, poor), "failure": 0.5},
    )


SIM_RATERS: tuple[SimRater, ...] = (
    SimRater(_rubric("safety", unsafe=1.3, shortcut=0.3, poor=0.2)),
    SimRater(_rubric("completion", unsafe=0.6, shortcut=0.45, poor=0.15)),
    SimRater(_rubric("smooth", unsafe=0.9, shortcut=0.25, poor=0.5)),
)
"""The simulated rater panel: safety first, completion first, smooth motion first."""


def oracle_preferences(
    context_id: str,
    scores: dict[str, float],
    *,
    temperature: float | None = None,
    seed: int = 0,
    tie_eps: float = 1e-6,
) -> list[Preference]:
    """A/B preferences between every pair of episodes of one context, from their scores.

    With ``temperature=None`` the oracle prefers the higher score (``tie`` within ``tie_eps``),
    rater ``"oracle"``. Otherwise a Bradley-Terry rater picks A with probability
    ``sigmoid((score_a - score_b) / temperature)`` from a stream seeded by ``seed`` and the
    context, rater ``"oracle-bt(T=...)"``; it never answers ``tie``.
    """
    rater = "oracle" if temperature is None else f"oracle-bt(T={temperature:g})"
    rng = np.random.default_rng([seed, *context_id.encode()])
    return _judge_all(context_id, scores, scores, rater, temperature, rng, tie_eps)


def panel_preferences(
    context_id: str,
    episodes: Sequence[RatedEpisode],
    *,
    temperature: float,
    seed: int = 0,
    raters: Sequence[SimRater] = SIM_RATERS,
    rubric: Rubric = DEFAULT_RUBRIC,
) -> list[Preference]:
    """Every rater's A/B judgements over every pair of one context's episodes (module doc).

    The stored ``progress_a``/``progress_b`` of a judgement are the scores that rater gave.
    """
    truth = {e.episode_id: rubric.score(e.success, e.progress, e.tags) for e in episodes}
    prefs: list[Preference] = []
    for rater in raters:
        key = zlib.crc32(f"{rater.rubric.name}|{context_id}".encode())
        rng = np.random.default_rng([seed, key])
        seen = {e.episode_id: rater.perceived_score(e, rng) for e in episodes}
        prefs += _judge_all(
            context_id, seen, truth, rater.rater_id(temperature), temperature, rng, 0.0
        )
    return prefs


def _judge_all(
    context_id: str,
    scores: dict[str, float],
    truth: dict[str, float],
    rater: str,
    temperature: float | None,
    rng: np.random.Generator,
    tie_eps: float,
) -> list[Preference]:
    prefs: list[Preference] = []
    for a, b in itertools.combinations(sorted(scores), 2):
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
                feedback=_feedback(rater, scores[a], scores[b], truth[a], truth[b]),
                time=_STAMP,
            )
        )
    return prefs


def _feedback(rater: str, sa: float, sb: float, ta: float, tb: float) -> str:
    note = "simulated rater, not a human"
    if (sa, sb) != (ta, tb):
        note += f"; it saw scores {sa:.2f}/{sb:.2f} where the rubric gives {ta:.2f}/{tb:.2f}"
    return note
