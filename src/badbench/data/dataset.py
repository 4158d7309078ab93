"""Reading and appending badbench datasets (LeRobot v3 layout plus meta/badbench/ tables).

INTERFACE CONTRACT (implementation in progress): other modules code against these signatures.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from badbench.data.schema import Episode, EpisodeMeta, FailureTag, Outcome, Preference


class Dataset:
    """A dataset on disk, opened read-only. Loads metadata eagerly, video lazily."""

    root: Path
    info: dict

    @classmethod
    def open(cls, root: str | Path) -> Dataset:
        """Open a badbench or plain LeRobot v3 dataset directory (no tables -> no annotations)."""
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def __iter__(self) -> Iterator[EpisodeMeta]:
        raise NotImplementedError

    @property
    def episode_ids(self) -> list[str]:
        raise NotImplementedError

    @property
    def cameras(self) -> list[str]:
        """Video feature keys, e.g. ``["observation.images.top"]``."""
        raise NotImplementedError

    def meta(self, episode_id: str) -> EpisodeMeta:
        raise NotImplementedError

    def outcome(self, episode_id: str) -> Outcome | None:
        raise NotImplementedError

    def tags(self, episode_id: str) -> list[FailureTag]:
        raise NotImplementedError

    def dense_reward(self, episode_id: str) -> np.ndarray | None:
        raise NotImplementedError

    def preferences(self) -> list[Preference]:
        raise NotImplementedError

    def frames(
        self, episode_id: str, camera: str | None = None, indices: Sequence[int] | None = None
    ) -> np.ndarray:
        """Decode frames (T, H, W, 3) uint8 of one camera (default: the first)."""
        raise NotImplementedError

    def load(self, episode_id: str, *, video: bool = True) -> Episode:
        """The whole episode: records, arrays, labels, and (if ``video``) decoded frames."""
        raise NotImplementedError


class DatasetWriter:
    """Appends episodes to a dataset directory, creating it if needed.

    Crash-safe: each append is committed atomically; a writer killed mid-append leaves a
    dataset that loads with every episode completed before the kill. Reopening an existing
    directory resumes (``existing_ids`` tells what is already there).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        fps: float | None = None,
        robot_type: str | None = None,
        codec: str = "libx264",
    ) -> None:
        raise NotImplementedError

    @property
    def existing_ids(self) -> set[str]:
        raise NotImplementedError

    def append(self, episode: Episode) -> int:
        """Write one episode; returns its LeRobot ``episode_index``."""
        raise NotImplementedError

    def extend(self, episodes: Iterable[Episode]) -> list[int]:
        raise NotImplementedError

    def add_preferences(self, preferences: Iterable[Preference]) -> None:
        """Append preferences; every episode they name must exist in the dataset."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
