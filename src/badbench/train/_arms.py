"""The ablation's arms: same model, objective and steps; only the bad training data varies.

An arm is a bad-data source, a bad fraction and a seed:

- ``none``: clean successes only (with ReWiND's own rewind augmentation, as in every arm): the
  model the paper analysed. Its fraction is 0.
- ``video``: plus video-level negatives derived from the training successes (``badbench
  augment``: rewinds, clips, stalls, reversals, swapped instructions), with their rubric labels.
- ``sim``: plus simulated failures of the training split, with their dense oracle labels.
- ``both``: half of the bad examples from each pool.

The fraction ``f`` is the share of bad examples among the training examples: with ``S`` clean
successes an arm adds ``round(f / (1 - f) * S)`` bad examples, drawn without replacement from
its pool(s) with the arm's seed (so arms of one seed and source are nested: the 10% arm's bad
examples include the 5% arm's). Every arm of one seed trains on the same successes from the
same initial weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from badbench.errors import ValidationError

SOURCES = ("none", "video", "sim", "both")
"""Bad-data sources, in report order."""

POOLS = {"video": ("video",), "sim": ("sim",), "both": ("video", "sim")}
"""Which example pools each source draws from."""


@dataclass(frozen=True)
class Arm:
    """One trained model of the ablation.

    Attributes:
        source: the bad-data source (:data:`SOURCES`).
        fraction: share of bad examples among the training examples (0 for ``none``).
        seed: the training seed (initial weights, clip draws) and the bad-example draw.
    """

    source: str
    fraction: float
    seed: int

    @property
    def group(self) -> str:
        """The arm without its seed (``"sim-25"``): what results are pooled over."""
        return f"{self.source}-{round(self.fraction * 100):02d}"

    @property
    def name(self) -> str:
        """``"sim-25-s1"``: the arm's directory and model name."""
        return f"{self.group}-s{self.seed}"


def plan_arms(
    sources: Sequence[str], fractions: Sequence[float], seeds: Sequence[int]
) -> list[Arm]:
    """Every arm: ``none`` once per seed, each other source at each fraction and seed.

    Raises:
        ValidationError: an unknown source, a fraction outside (0, 1), or no seed.
    """
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ValidationError(
            f"unknown source(s) {', '.join(unknown)}; use {', '.join(SOURCES)}", field="sources"
        )
    bad = [f for f in fractions if not 0 < f < 1]
    if bad:
        raise ValidationError(f"fractions must lie in (0, 1), got {bad}", field="fractions")
    if not seeds:
        raise ValidationError("at least one seed is needed", field="seeds")
    arms = []
    for seed in seeds:
        arms.append(Arm("none", 0.0, seed))
        for source in sources:
            if source != "none":
                arms.extend(Arm(source, float(f), seed) for f in fractions)
    return arms


def bad_count(fraction: float, n_successes: int) -> int:
    """Bad examples to add to ``n_successes`` for a bad share of ``fraction``."""
    if fraction <= 0:
        return 0
    return max(1, round(fraction / (1 - fraction) * n_successes))


def draw_bad(arm: Arm, n_successes: int, pools: Mapping[str, Sequence]) -> list:
    """The arm's bad examples (module docstring): nested across fractions for one seed.

    Raises:
        ValidationError: a pool holds fewer examples than the arm needs.
    """
    need = bad_count(arm.fraction, n_successes)
    if need == 0:
        return []
    names = POOLS[arm.source]
    shares = [need // len(names) + (1 if k < need % len(names) else 0) for k in range(len(names))]
    out: list = []
    for k, (name, n) in enumerate(zip(names, shares, strict=True)):
        pool = list(pools[name])
        if len(pool) < n:
            raise ValidationError(
                f"arm {arm.name} needs {n} '{name}' examples but the training split has "
                f"{len(pool)}; lower the fraction or generate more episodes",
                field="fractions",
            )
        order = np.random.default_rng([arm.seed, k, len(pool)]).permutation(len(pool))
        out.extend(pool[i] for i in order[:n])
    return out
