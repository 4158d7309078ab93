"""check_model catches models that break the output contract."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from badbench.data.schema import Episode, EpisodeMeta
from badbench.errors import ValidationError
from badbench.models import RewardModel, RewardOutput, check_model, evenly_spaced
from badbench.models.base import episode_length


class Ramp(RewardModel):
    """A well-behaved model reading every 3rd frame of the first camera."""

    needs_frames = True
    batch_size = 2

    def frame_indices(self, meta: EpisodeMeta) -> list[int]:
        return list(range(0, meta.length, 3))

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        outs = []
        for ep in episodes:
            idx = self.frame_indices(ep.meta)
            frames = next(iter(ep.frames.values()))
            assert len(frames) == len(idx), "runner must pass exactly the requested frames"
            brightness = frames.reshape(len(frames), -1).mean(axis=1) / 255.0
            outs.append(RewardOutput(brightness, idx))
        return outs


def test_a_good_frame_model_passes() -> None:
    check_model(Ramp())


def _broken(**overrides: object) -> RewardModel:
    def score(self: RewardModel, episodes: Sequence[Episode]) -> list[RewardOutput]:
        out = []
        for ep in episodes:
            n = episode_length(ep)
            r = overrides.get("rewards", np.linspace(0, 1, n))
            idx = overrides.get("indices", np.arange(n))
            out.append(RewardOutput(r, idx, overrides.get("success_prob")))  # type: ignore[arg-type]
        if "drop" in overrides:
            out = out[:-1]
        return out

    cls = type("Broken", (RewardModel,), {"needs_frames": False, "score": score})
    for k in ("output_range", "batch_size"):
        if k in overrides:
            setattr(cls, k, overrides[k])
    return cls()


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"rewards": np.full(12, 2.0)}, "outside the declared"),
        ({"rewards": [np.nan] * 12}, "NaN"),
        ({"indices": np.arange(12)[::-1].copy()}, "strictly"),
        ({"rewards": [0.5], "indices": [99]}, "strictly"),
        ({"rewards": [0.1, 0.2]}, "differ"),
        ({"success_prob": 1.5}, "success_prob"),
        ({"drop": True}, "returned"),
        ({"output_range": (1.0, 0.0)}, "low < high"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_broken_models_are_caught(overrides: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        check_model(_broken(**overrides))


def test_nondeterminism_is_caught() -> None:
    class Noisy(RewardModel):
        needs_frames = False

        def __init__(self) -> None:
            self.rng = np.random.default_rng()

        def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
            return [RewardOutput.per_frame(self.rng.random(episode_length(e))) for e in episodes]

    with pytest.raises(ValidationError, match="differ"):
        check_model(Noisy())
    Noisy.deterministic = False
    check_model(Noisy())


def test_not_a_reward_model() -> None:
    with pytest.raises(ValidationError, match="not a badbench RewardModel"):
        check_model(object())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("length", "k", "expected"),
    [
        (10, None, list(range(10))),
        (10, 20, list(range(10))),
        (10, 3, [0, 4, 9]),
        (5, 1, [4]),
        (0, 3, []),
    ],
)
def test_evenly_spaced(length: int, k: int | None, expected: list[int]) -> None:
    assert evenly_spaced(length, k) == expected
