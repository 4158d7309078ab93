"""The reward-model interface: one small base class, like Gymnasium's ``Env``.

A reward model R(o_1:T; c) reads an episode (frames from one or more cameras and the instruction)
and returns a reward or progress value for some of its frames, plus optionally a success
probability. Models are batched: :meth:`RewardModel.score` takes a sequence of episodes.

A model declares what it needs so the runner can skip work:

- :attr:`RewardModel.needs_frames` - ``False`` for models that read labels or lengths only
  (the baselines); the runner then never decodes video.
- :attr:`RewardModel.cameras` - the camera keys it reads (``None``: the dataset's first camera).
- :meth:`RewardModel.frame_indices` - the frames it reads (``None``: all). When it returns
  indices, ``episode.frames[camera]`` holds exactly those frames, in that order.

and what it gives: :attr:`RewardModel.output_range` (``(0, 1)`` unless stated).
:func:`badbench.models.check_model` checks an implementation against this contract.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from badbench.data.schema import Episode, EpisodeMeta


@dataclass
class RewardOutput:
    """A model's output for one episode.

    Attributes:
        rewards: float array (K,): predicted reward or progress of each scored frame, in the
            model's :attr:`RewardModel.output_range`.
        frame_indices: int array (K,): strictly increasing indices into the episode's frames
            that ``rewards`` refer to (a model may subsample frames).
        success_prob: the model's probability that the episode succeeded, or ``None``.
    """

    rewards: np.ndarray
    frame_indices: np.ndarray
    success_prob: float | None = None

    def __post_init__(self) -> None:
        self.rewards = np.asarray(self.rewards, dtype=np.float64).reshape(-1)
        self.frame_indices = np.asarray(self.frame_indices, dtype=np.int64).reshape(-1)

    @classmethod
    def per_frame(cls, rewards: np.ndarray, success_prob: float | None = None) -> RewardOutput:
        """An output with one reward for every frame (indices ``0..T-1``)."""
        rewards = np.asarray(rewards, dtype=np.float64).reshape(-1)
        return cls(rewards, np.arange(len(rewards)), success_prob)


class RewardModel(ABC):
    """Base class of reward models.

    Subclasses implement :meth:`score` and set the class attributes that apply. Register one with
    :func:`badbench.models.register_model` to make it available by name (``badbench models
    list``); the registry then records the name and options it was built with in
    :attr:`registry_name` and :attr:`registry_options`.
    """

    version: ClassVar[str] = "0"
    """Implementation version; bump it when outputs change so cached scores are not reused."""
    output_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    """Closed range every per-frame reward lies in."""
    needs_frames: ClassVar[bool] = True
    """Whether :meth:`score` reads ``episode.frames``; if not, video is never decoded."""
    cameras: ClassVar[tuple[str, ...] | None] = None
    """Camera keys the model reads; ``None`` means the dataset's first camera."""
    batch_size: ClassVar[int] = 1
    """How many episodes the runner passes to one :meth:`score` call."""
    deterministic: ClassVar[bool] = True
    """Whether the same episode always gets the same output (checked by ``check_model``)."""

    registry_name: str | None = None
    """Name the model was created under by the registry (``None`` when built directly)."""
    registry_options: dict[str, Any] | None = None
    """Options the registry passed to the constructor."""

    def frame_indices(self, meta: EpisodeMeta) -> Sequence[int] | None:
        """Which frames of an episode the model reads; ``None`` for all (the default)."""
        return None

    @abstractmethod
    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        """Score a batch of episodes.

        Args:
            episodes: the episodes, with ``frames`` decoded for :attr:`cameras` at
                :meth:`frame_indices` when :attr:`needs_frames` is true.

        Returns:
            One :class:`RewardOutput` per episode, in the same order.
        """

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release resources (clients, GPU memory). The default does nothing."""

    def __repr__(self) -> str:
        name = self.registry_name or type(self).__name__
        opts = ", ".join(f"{k}={v!r}" for k, v in (self.registry_options or {}).items())
        return f"{name}({opts})"


def episode_length(episode: Episode) -> int:
    """Number of frames of an episode, from its metadata or, failing that, its arrays."""
    if episode.meta.length:
        return int(episode.meta.length)
    for arr in (*episode.frames.values(), episode.dense_reward, episode.state, episode.action):
        if arr is not None and len(arr):
            return len(arr)
    return 0


def evenly_spaced(length: int, k: int | None) -> list[int]:
    """``k`` frame indices spread evenly over ``0..length-1``, first and last included.

    Returns all indices when ``k`` is ``None`` or at least ``length``.
    """
    if length <= 0:
        return []
    if k is None or k >= length:
        return list(range(length))
    if k <= 1:
        return [length - 1]
    return sorted({int(round(x)) for x in np.linspace(0, length - 1, k)})
