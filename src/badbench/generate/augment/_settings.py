"""The settings an augmented dataset was made with, stored in it and checked on a rerun.

A rerun over an existing output resumes it only when it would make the same episodes: same
source dataset, kinds, negatives per episode, seed, progress source and video handling. The
settings are kept in ``meta/badbench/augment.json`` (badbench's metadata directory; LeRobot
readers ignore it), written before the first episode.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from badbench.data import lerobot
from badbench.errors import DataError, ValidationError

SETTINGS_PATH = "meta/badbench/augment.json"
"""Where an augmented dataset keeps its :class:`AugmentSettings`."""

GENERATOR = "badbench.augment"
"""The ``generator["name"]`` of every negative."""

VERSION = 2
"""Bumped when frames or labels of a kind change, so an output never mixes two versions
(2: a rewind undoes at least 0.1 of progress)."""


@dataclass(frozen=True)
class AugmentSettings:
    """What determines an augmented dataset's episodes.

    Attributes:
        source: the source dataset directory (resolved).
        kinds: the kinds made, in order.
        per_episode: negatives per kind per source episode.
        seed: the base seed.
        progress: where the source's progress comes from (``auto`` or ``linear``).
        reference: whether clip and swap_instruction reference the source video (False:
            every kind is re-encoded).
        with_sources: whether the source episodes are copied beside their negatives.
        assume_success: whether episodes without an outcome count as successes.
        version: :data:`VERSION`.
    """

    source: str
    kinds: tuple[str, ...]
    per_episode: int
    seed: int
    progress: str
    reference: bool
    with_sources: bool
    assume_success: bool
    version: int = VERSION

    def to_json(self) -> dict[str, Any]:
        return {"generator": GENERATOR, **asdict(self), "kinds": list(self.kinds)}

    def differences(self, stored: dict[str, Any]) -> list[str]:
        """``"name stored (--out) vs new (this run)"`` for every setting that differs."""
        out = []
        for f in fields(self):
            old, new = stored.get(f.name), getattr(self, f.name)
            if isinstance(new, tuple):
                new, old = list(new), list(old) if isinstance(old, list | tuple) else old
            if old != new:
                out.append(f"{f.name} {_show(old)} (--out) vs {_show(new)} (this run)")
        return out


def _show(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else json.dumps(value)


def check_out(out: Path, settings: AugmentSettings) -> bool:
    """Check that ``out`` is new, empty, or an augmented dataset made with ``settings``.

    Returns:
        True when ``out`` already holds a run with these settings (to be resumed).

    Raises:
        DataError: ``out`` is a file, or a non-empty directory that no augment run made.
        ValidationError: ``out`` was augmented with other settings (the message names them).
    """
    if out.exists() and not out.is_dir():
        raise DataError("is a file; --out must be a directory", path=out)
    if not out.exists() or not any(out.iterdir()):
        return False
    path = out / SETTINGS_PATH
    if not path.is_file():
        what = "a dataset" if (out / lerobot.INFO_PATH).exists() else "files"
        raise DataError(
            f"holds {what} that `badbench augment` did not make; choose a new --out",
            path=out,
        )
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"cannot read the augment settings: {e}", path=path) from None
    diff = settings.differences(stored if isinstance(stored, dict) else {})
    if diff:
        raise ValidationError(
            f"--out was augmented with other settings: {'; '.join(diff)}; rerun with the "
            "same settings to resume, or choose a new --out",
            path=path,
        )
    return True


def write_settings(out: Path, settings: AugmentSettings) -> None:
    lerobot.write_json_atomic(settings.to_json(), out / SETTINGS_PATH)
