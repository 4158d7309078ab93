"""Shared fixtures: factories that build tiny episodes and datasets on disk (tests/fixtures/)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from badbench.data import Dataset, Episode
from fixtures.factories import make_dataset as _make_dataset
from fixtures.factories import make_episode as _make_episode


@pytest.fixture
def make_episode() -> Callable[..., Episode]:
    """``make_episode(i, length=10, size=32, cameras=..., ...)`` -> an annotated Episode."""
    return _make_episode


@pytest.fixture
def make_dataset(tmp_path: Path) -> Callable[..., Dataset]:
    """``make_dataset(n=3, root=None, **kw)`` -> a Dataset written under ``tmp_path``."""
    counter = iter(range(1_000_000))

    def factory(n: int = 3, root: Path | None = None, **kw) -> Dataset:
        return _make_dataset(root or tmp_path / f"dataset-{next(counter)}", n, **kw)

    return factory


@pytest.fixture
def tiny_dataset(make_dataset) -> Dataset:
    """3 episodes x 10 frames, two 32x32 cameras, state, action, labels and preferences."""
    return make_dataset(3)
