"""What every importer shares: the result record, the progress callback, camera keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ProgressCallback = Callable[[int, int, str], None]
"""Called as ``progress(done, total, episode_id)``: once with ``done=0`` before the first
episode, then after each episode (imported or skipped)."""

CAMERA_PREFIX = "observation.images."


@dataclass
class ImportReport:
    """What an import did.

    Attributes:
        dest: the dataset directory written to.
        imported: ids of the episodes written by this import, in order.
        skipped: ids already present in the dataset (a resumed import skips them).
        preferences: number of preference records added.
        duplicate_preferences: preference records skipped because the dataset already held them.
    """

    dest: Path
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    preferences: int = 0
    duplicate_preferences: int = 0


def camera_key(name: str) -> str:
    """LeRobot's feature key of a camera: ``"front"`` -> ``"observation.images.front"``."""
    name = name.strip()
    return name if name.startswith(CAMERA_PREFIX) else CAMERA_PREFIX + name


def existing_fps(root: Path) -> float | None:
    """The ``fps`` of the dataset at ``root`` (from meta/info.json), or None if it has none."""
    info = root / "meta" / "info.json"
    if not info.is_file():
        return None
    try:
        fps = json.loads(info.read_text()).get("fps")
    except (json.JSONDecodeError, AttributeError):
        return None
    return float(fps) if isinstance(fps, int | float) else None


def no_progress(done: int, total: int, episode_id: str) -> None:
    """The default progress callback: does nothing."""
