"""The settings a sim dataset was generated with, stored in it, and checked when a run resumes.

A run resumes over an existing dataset only when it would generate the same episodes: same
engine and engine version, seed, record rate, frame size, cameras, preference rater and video
settings. Tasks, modes and seed families may differ (a resumed run adds what is missing). The
settings are kept in ``meta/badbench/sim.json`` (badbench's own metadata directory, next to
``format.json``; LeRobot readers ignore it). A dataset written before that file existed is
checked against what its episodes record (engine, seed, resolution, cameras, fps), and the file
is added on resume. Files and episodes from before several cameras were stored name one
``camera``; they read as that one camera.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, fields
from importlib import metadata
from pathlib import Path
from typing import Any

from badbench.data import lerobot
from badbench.errors import DataError, ValidationError

SETTINGS_PATH = "meta/badbench/sim.json"
"""Where a sim dataset keeps its :class:`SimSettings`."""

DATASET_DIRS = ("meta", "data", "videos")
"""What ``overwrite`` removes: a LeRobot v3 dataset's own directories (other files stay)."""


@dataclass(frozen=True)
class SimSettings:
    """What determines a sim dataset's episodes beyond its list of jobs.

    Attributes:
        engine: the engine's name (``badbench.sim/metaworld-v3``).
        engine_version: bumped when rollouts or labels change, so that a dataset never mixes
            episodes of two engine versions.
        seed: the run's base seed.
        fps: the record rate actually used (80 Hz over a whole number of control steps).
        resolution: frame ``[width, height]`` in pixels.
        cameras: the stored cameras, in order (see :mod:`._cameras`).
        preference_temperature: the noisy rater's temperature (None: clean rater only).
        video: the video encoder's codec and options.
        rubric: the labelling rubric (:meth:`~badbench.data.rubric.Rubric.to_json`).
    """

    engine: str
    engine_version: int
    seed: int
    fps: float
    resolution: tuple[int, int]
    cameras: tuple[str, ...]
    preference_temperature: float | None
    video: dict[str, Any]
    rubric: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The JSON record (with the simulator's package versions, for information only)."""
        return {
            **asdict(self),
            "resolution": list(self.resolution),
            "cameras": list(self.cameras),
            "packages": _packages(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path) -> SimSettings:
        """Read a record written by :meth:`to_json`.

        Raises:
            DataError: a field is missing.
        """
        if "cameras" not in data and "camera" in data:  # written before several cameras
            data = {**data, "cameras": [data["camera"]]}
        if "rubric" not in data:  # written before the rubric was configurable: the default
            from badbench.data.rubric import DEFAULT_RUBRIC

            data = {**data, "rubric": DEFAULT_RUBRIC.to_json()}
        try:
            values = {f.name: data[f.name] for f in fields(cls)}
        except KeyError as e:
            raise DataError(f"no '{e.args[0]}' field", path=path) from None
        values["resolution"] = tuple(values["resolution"])
        values["cameras"] = tuple(values["cameras"])
        return cls(**values)

    def differences(self, stored: dict[str, Any]) -> list[str]:
        """``"name: stored (dataset) vs new (this run)"`` for every stored setting that differs."""
        out = []
        for name, old in stored.items():
            new = getattr(self, name)
            if _norm(old) != _norm(new):
                shown = f"{_show(name, old)} (dataset) vs {_show(name, new)} (this run)"
                out.append(f"{name} {shown}")
        return out


def stored_settings(root: Path) -> dict[str, Any] | None:
    """The settings ``root`` was generated with, as far as they are known.

    Returns:
        every :class:`SimSettings` field from ``meta/badbench/sim.json``; or, for a dataset
        written before that file, the fields its episodes record; None when ``root`` is not a
        dataset or has no episode yet.

    Raises:
        ValidationError: ``root`` holds episodes that the sim engine did not write.
    """
    path = root / SETTINGS_PATH
    if path.is_file():
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            msg = f"cannot read the generator's settings: {e}"
            raise DataError(msg, path=path) from None
        return asdict(SimSettings.from_json(data, path))
    if not (root / lerobot.INFO_PATH).exists():
        return None
    from badbench.data.dataset import Dataset

    for meta in Dataset.open(root):
        gen = meta.generator
        if not str(gen.get("engine", "")).startswith("badbench.sim"):
            raise ValidationError(
                f"episode '{meta.episode_id}' was not made by the sim engine "
                f"({gen.get('engine') or gen.get('name') or meta.source}); "
                "choose another output directory",
                path=root,
            )
        return {
            "engine": gen["engine"],
            "seed": gen.get("seed"),
            "fps": meta.fps,
            "resolution": tuple(gen.get("resolution", ())),
            "cameras": tuple(gen.get("cameras") or [gen.get("camera")]),
        }
    return None


def check_resume(root: Path, settings: SimSettings, *, overwrite: bool) -> None:
    """Refuse to resume ``root`` with other settings; with ``overwrite``, remove it instead.

    Raises:
        ValidationError: the dataset was generated with other settings (the message names each
            differing setting), or ``overwrite`` was asked for a directory that is not a dataset.
    """
    if overwrite:
        remove_dataset(root)
        return
    stored = stored_settings(root)
    if stored is None:
        return
    diff = settings.differences(stored)
    if diff:
        raise ValidationError(
            f"generated with other settings: {'; '.join(diff)}. Resuming would mix "
            "the two; choose another output directory, or overwrite it (--overwrite)",
            path=root,
        )


def write_settings(root: Path, settings: SimSettings) -> None:
    """Store ``settings`` in ``root`` (atomically; not rewritten when unchanged)."""
    path = root / SETTINGS_PATH
    data = settings.to_json()
    try:
        if json.loads(path.read_text()) == data:
            return
    except (OSError, ValueError):
        pass
    lerobot.write_json_atomic(data, path)


def remove_dataset(root: Path) -> None:
    """Remove the dataset at ``root`` (its ``meta``, ``data`` and ``videos`` directories).

    Raises:
        ValidationError: ``root`` is a non-empty directory that is not a dataset.
    """
    if not root.is_dir():
        return
    if not (root / lerobot.INFO_PATH).exists() and any(root.iterdir()):
        if not (root / "meta").is_dir():
            raise ValidationError(
                "not a dataset (no meta/info.json): not removing it", path=root
            )
    from badbench.data.writer import DatasetWriter

    DatasetWriter(root).close()  # fails if another writer has it open
    for name in DATASET_DIRS:
        if (root / name).exists():
            shutil.rmtree(root / name)


def _packages() -> dict[str, str]:
    out = {}
    for name in ("mujoco", "metaworld"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_norm(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _show(name: str, value: Any) -> str:
    if name == "resolution" and isinstance(value, tuple | list) and len(value) == 2:
        return f"{value[0]}x{value[1]}"
    if name == "cameras" and isinstance(value, tuple | list):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(_norm(value))
