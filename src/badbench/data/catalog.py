"""The committed contents of a dataset directory: what readers and writers trust.

Only episodes listed in ``meta/episodes`` files exist; badbench table files exist only when the
``meta/episodes`` file of the same append does. Everything else on disk (files of an interrupted
append) is ignored here, reported by ``validate`` and removed by the next writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from badbench.data import lerobot, tables
from badbench.data.schema import EpisodeMeta, EpisodeSource, FailureTag, Outcome, Preference
from badbench.errors import DataError, ValidationError

_EPISODES_COLS = ("episode_index", "tasks", "length", "dataset_from_index", "dataset_to_index")


def synthetic_id(episode_index: int) -> str:
    """The id of an episode that has no badbench record (plain LeRobot datasets)."""
    return f"episode_{episode_index:06d}"


@dataclass
class Catalog:
    """Everything committed in a dataset, except frames, data rows and lazily read labels.

    Attributes:
        root: dataset directory.
        info: ``meta/info.json``.
        tasks: task strings by ``task_index``.
        episodes: ``meta/episodes`` rows (no ``stats/`` columns), by ``episode_index``.
        metas: one :class:`EpisodeMeta` per episode (synthesised when there is no record).
        outcomes, tags: annotations by ``episode_index``.
        preferences: all preferences.
        has_tables: whether ``meta/badbench/`` exists.
    """

    root: Path
    info: dict[str, Any]
    tasks: list[str]
    episodes: list[dict[str, Any]]
    metas: list[EpisodeMeta]
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    tags: dict[int, list[FailureTag]] = field(default_factory=dict)
    preferences: list[Preference] = field(default_factory=list)
    has_tables: bool = False
    _dense: dict[int, np.ndarray] | None = None
    _extras: dict[int, dict[str, np.ndarray]] | None = None

    @property
    def committed_files(self) -> set[tuple[int, int]]:
        return {
            (r["meta/episodes/chunk_index"], r["meta/episodes/file_index"]) for r in self.episodes
        }

    @property
    def fps(self) -> float:
        return float(self.info["fps"])

    def dense(self) -> dict[int, np.ndarray]:
        if self._dense is None:
            self._dense = {
                i: v for i, v in tables.read_records(self.root, tables.DENSE, self.committed_files)
            }
        return self._dense

    def extras(self) -> dict[int, dict[str, np.ndarray]]:
        if self._extras is None:
            out: dict[int, dict[str, np.ndarray]] = {}
            for i, ex in tables.read_records(self.root, tables.EXTRAS, self.committed_files):
                out.setdefault(i, {})[ex.name] = ex.array
            self._extras = out
        return self._extras


def load_catalog(root: Path, report: tables.Report = None) -> Catalog:
    """Read a dataset's committed metadata and annotations.

    Args:
        root: dataset directory.
        report: if given, problems in rows are handed to it and loading goes on (validate);
            otherwise the first problem raises.

    Raises:
        DataError: (or a subclass) naming the file and field of the first problem.
    """
    root = Path(root)
    info = lerobot.read_info(root)
    index = lerobot.read_episodes_index(root, report=report)
    rows = index.to_pylist()
    tasks: list[str] = []
    if rows or (root / lerobot.TASKS_PATH).exists():
        try:
            tasks = lerobot.read_tasks(root)
        except DataError as e:
            _emit(e, report)
    ep_path = root / lerobot.EPISODES_DIR
    for pos, row in enumerate(rows):
        if row["episode_index"] != pos:
            _emit(
                DataError(
                    f"episode_index {row['episode_index']} found where {pos} was expected; "
                    "episode indices must run 0..N-1 without gaps or repeats",
                    path=ep_path,
                    field="episode_index",
                ),
                report,
            )
            break
    cat = Catalog(root=root, info=info, tasks=tasks, episodes=rows, metas=[])
    cat.has_tables = (root / tables.BADBENCH_DIR).is_dir()
    committed = cat.committed_files
    by_index: dict[int, EpisodeMeta] = {}
    if cat.has_tables:
        for i, m in tables.read_records(root, tables.EPISODES, committed, report):
            by_index[i] = m
        for i, o in tables.read_records(root, tables.OUTCOMES, committed, report):
            cat.outcomes[i] = o
        for i, t in tables.read_records(root, tables.TAGS, committed, report):
            cat.tags.setdefault(i, []).append(t)
    cameras = tuple(lerobot.video_keys(info))
    for row in rows:
        i = row["episode_index"]
        cat.metas.append(by_index.get(i) or _synthesise(row, info, cameras))
    _check_consistency(cat, report)
    if cat.has_tables:
        located = tables.read_located(root, tables.PREFERENCES, None, report)
        cat.preferences = _check_preferences(cat, located, report)
    return cat


def _synthesise(row: dict[str, Any], info: dict[str, Any], cameras: tuple[str, ...]) -> EpisodeMeta:
    task = (row.get("tasks") or [""])[0] or ""
    return EpisodeMeta(
        episode_id=synthetic_id(row["episode_index"]),
        instruction=task,
        task=task,
        embodiment=info.get("robot_type") or "unknown",
        fps=float(info["fps"]),
        cameras=cameras,
        length=int(row["length"]),
        source=EpisodeSource.REAL,
    )


def _emit(err: DataError, report: tables.Report) -> None:
    if report is None:
        raise err
    report(err)


def _check_consistency(cat: Catalog, report: tables.Report) -> None:
    seen: dict[str, int] = {}
    path = cat.root / tables.BADBENCH_DIR / tables.EPISODES
    for row, meta in zip(cat.episodes, cat.metas, strict=True):
        i = row["episode_index"]
        if meta.episode_id in seen:
            _emit(
                ValidationError(
                    f"episode id '{meta.episode_id}' is used by episodes {seen[meta.episode_id]} "
                    f"and {i}; ids must be unique",
                    path=path,
                    field="episode_id",
                ),
                report,
            )
        seen[meta.episode_id] = i
        length = int(row["length"])
        if meta.length != length:
            _emit(
                ValidationError(
                    f"episode {i} ('{meta.episode_id}') has length {meta.length} here but "
                    f"{length} in meta/episodes",
                    path=path,
                    field="length",
                ),
                report,
            )
        for tag in cat.tags.get(i, []):
            if tag.end_frame >= length:
                _emit(
                    ValidationError(
                        f"episode {i} ('{meta.episode_id}'): tag '{tag.mode}' ends at frame "
                        f"{tag.end_frame}, past the episode's {length} frames",
                        path=cat.root / tables.BADBENCH_DIR / tables.TAGS,
                        field="end_frame",
                    ),
                    report,
                )


def _check_preferences(
    cat: Catalog, located: list[tuple[Path, int, int | None, Preference]], report: tables.Report
) -> list[Preference]:
    """The preferences whose episodes all exist; the others are errors."""
    ids = {m.episode_id for m in cat.metas}
    kept = []
    for path, row, _, p in located:
        ok = True
        for fld in ("episode_a", "episode_b"):
            eid = getattr(p, fld)
            if eid not in ids:
                _emit(
                    ValidationError(
                        f"row {row}: preference names episode '{eid}', which is not in the dataset",
                        path=path,
                        field=fld,
                    ),
                    report,
                )
                ok = False
        if ok:
            kept.append(p)
    return kept
