"""Baseline reward models that need no video: ``oracle``, ``random`` and ``time``.

- ``oracle`` returns the episode's stored dense labels: the ceiling every model is measured
  against, and a sanity check of the benchmark itself (it must reach pairwise accuracy ~1 and a
  false-positive rate of 0 on oracle-labelled data).
- ``random`` draws each frame's reward uniformly from [0, 1], seeded by (seed, episode id), so an
  episode's output never depends on batch or order: the floor.
- ``time`` returns t / (T - 1): progress that rises no matter what happens. It is the strawman of
  the over-rewarding behaviour the paper describes, and should show a high false-positive rate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from badbench.data.schema import Episode
from badbench.errors import ValidationError
from badbench.models.base import RewardModel, RewardOutput, episode_length
from badbench.models.registry import register_model


@register_model("oracle")
class OracleModel(RewardModel):
    """The stored dense reward labels (the ceiling; needs labelled data)."""

    version = "1"
    needs_frames = False
    reads_labels = True
    batch_size = 64

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        """Return each episode's ``dense_reward``; an episode without one is a failure of kind
        ``"labels"`` (recorded, left out of the metrics)."""
        out = []
        for ep in episodes:
            if ep.dense_reward is None or len(ep.dense_reward) == 0:
                msg = (
                    f"field '{ep.id}.dense_reward': episode has no dense reward labels; the "
                    "oracle model needs them (generate the data with `badbench generate` or "
                    "pick another model)"
                )
                out.append(RewardOutput.failure("labels", msg))
                continue
            dense = np.clip(np.asarray(ep.dense_reward, dtype=np.float64), *self.output_range)
            out.append(RewardOutput.per_frame(dense))
        return out


@register_model("random")
class RandomModel(RewardModel):
    """Uniform random per-frame rewards, seeded per episode (the floor).

    Args:
        seed: base seed; each episode's generator is seeded by (seed, hash of its id).
    """

    version = "1"
    needs_frames = False
    batch_size = 64

    def __init__(self, seed: int = 0) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValidationError(
                f"model 'random': seed must be an integer, got {seed!r}", field="seed"
            )
        self.seed = seed

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        """Draw ``T`` uniform rewards per episode."""
        out = []
        for ep in episodes:
            digest = hashlib.sha256(ep.id.encode()).digest()
            rng = np.random.default_rng([self.seed, int.from_bytes(digest[:8], "little")])
            out.append(RewardOutput.per_frame(rng.random(episode_length(ep))))
        return out


@register_model("time")
class TimeModel(RewardModel):
    """Progress t / (T - 1), rising whatever happens (the over-rewarding strawman)."""

    version = "1"
    needs_frames = False
    batch_size = 64

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        """A linear ramp from 0 at the first frame to 1 at the last (``[1.0]`` for T = 1)."""
        out = []
        for ep in episodes:
            n = episode_length(ep)
            ramp = np.linspace(0.0, 1.0, n) if n > 1 else np.ones(n)
            out.append(RewardOutput.per_frame(ramp))
        return out
