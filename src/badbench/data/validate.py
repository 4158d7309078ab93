"""A conformance check for dataset directories: list every problem instead of stopping at one.

``validate(root)`` reads everything a reader would (``info.json``, tasks, the episode index,
badbench's tables, every data file and every video's packets) and returns one :class:`Problem`
per fault, each naming the file and field. Problems come in two severities:

* ``error``: the dataset is wrong (bad schema, missing or corrupt video, a frame count that
  disagrees with the video, an unknown failure mode, progress outside [0, 1], a preference naming
  a missing episode, ...);
* ``warning``: leftovers of an interrupted append (files no commit refers to, ``info.json``
  totals behind the episode index). Readers ignore them; :func:`repair` (or the next
  :class:`~badbench.data.DatasetWriter` on the directory) removes them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from badbench.data import datafile, lerobot, tables
from badbench.data.catalog import Catalog, load_catalog
from badbench.data.video import probe_video
from badbench.errors import DataError, SchemaError, ValidationError, VideoError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One fault in a dataset.

    Attributes:
        path: the file (or directory) at fault.
        field: the field, column or key at fault, if any.
        message: what is wrong and, where possible, what to do.
        severity: ``error`` or ``warning`` (leftovers of an interrupted append).
        kind: the error class a reader would raise (``SchemaError``, ``VideoError``, ...).
    """

    path: Path | None
    field: str | None
    message: str
    severity: Severity = "error"
    kind: str = "DataError"

    @classmethod
    def from_error(cls, err: DataError, severity: Severity = "error") -> Problem:
        return cls(err.path, err.field, err.message, severity, type(err).__name__)

    def __str__(self) -> str:
        where = [str(self.path)] if self.path is not None else []
        if self.field is not None:
            where.append(f"field '{self.field}'")
        prefix = ": ".join(where)
        tag = "" if self.severity == "error" else "warning: "
        return f"{tag}{prefix}: {self.message}" if prefix else f"{tag}{self.message}"


def validate(root: str | Path, *, include_warnings: bool = False) -> list[Problem]:
    """Every problem in the dataset at ``root``; empty when it is sound.

    Args:
        root: dataset directory.
        include_warnings: also list leftovers of interrupted appends (see module docs).
    """
    root = Path(root)
    problems: list[Problem] = []

    def report(err: DataError) -> None:
        problems.append(Problem.from_error(err))

    try:
        cat = load_catalog(root, report=report)
    except DataError as e:  # info.json unusable: nothing else can be checked
        return [Problem.from_error(e)]
    _check_tasks(cat, report)
    _check_data(cat, report)
    _check_videos(cat, report)
    if cat.has_tables:
        _check_dense(cat, report)
        tables.read_records(root, tables.EXTRAS, cat.committed_files, report)
    if include_warnings:
        problems.extend(_leftovers(cat))
    return problems


def repair(root: str | Path) -> None:
    """Remove an interrupted append's leftovers; bring ``info.json``/``stats.json`` up to date."""
    from badbench.data.writer import DatasetWriter

    DatasetWriter(root).close()


# --------------------------------------------------------------------------------------------
# checks


def _check_tasks(cat: Catalog, report: Any) -> None:
    known = set(cat.tasks)
    for row in cat.episodes:
        for task in row.get("tasks") or []:
            if task not in known:
                report(
                    DataError(
                        f"episode {row['episode_index']} names task {task!r}, which "
                        "meta/tasks.parquet does not list",
                        path=cat.root / lerobot.EPISODES_DIR,
                        field="tasks",
                    )
                )


def _check_data(cat: Catalog, report: Any) -> None:
    by_file: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in cat.episodes:
        by_file[(row["data/chunk_index"], row["data/file_index"])].append(row)
    features = cat.info["features"]
    for (chunk, file), rows in sorted(by_file.items()):
        path = cat.root / cat.info["data_path"].format(chunk_index=chunk, file_index=file)
        if not path.is_file():
            report(DataError("data file is missing (meta/episodes refers to it)", path=path))
            continue
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as e:
            report(DataError(f"cannot read parquet: {e}", path=path))
            continue
        bad = datafile.data_schema_problems(table.schema, features)
        for field, message in bad:
            report(SchemaError(message, path=path, field=field))
        needed = {"index", "episode_index", "frame_index", "timestamp", "task_index"}
        if needed - set(table.column_names):
            continue  # already reported as missing columns
        for row in rows:
            _check_episode_rows(cat, table, row, path, report)


def _check_episode_rows(
    cat: Catalog, table: pa.Table, row: dict[str, Any], path: Path, report: Any
) -> None:
    i, length = row["episode_index"], int(row["length"])
    lo, hi = row["dataset_from_index"], row["dataset_to_index"]
    if hi - lo != length:
        report(
            DataError(
                f"episode {i}: dataset_to_index - dataset_from_index = {hi - lo}, but length is "
                f"{length}",
                path=cat.root / lerobot.EPISODES_DIR,
                field="length",
            )
        )
    idx = table.column("index")
    sub = table.filter(pc.and_(pc.greater_equal(idx, lo), pc.less(idx, hi)))
    if sub.num_rows != length:
        report(
            DataError(
                f"episode {i} should have {length} rows (index {lo}..{hi - 1}); the file has "
                f"{sub.num_rows}",
                path=path,
                field="index",
            )
        )
        return
    ep = np.asarray(sub.column("episode_index").to_numpy())
    if not np.all(ep == i):
        report(
            DataError(
                f"rows of episode {i} carry other episode indices", path=path, field="episode_index"
            )
        )
    frame = np.asarray(sub.column("frame_index").to_numpy())
    if not np.array_equal(frame, np.arange(length)):
        report(
            DataError(
                f"episode {i}: frame_index is not 0..{length - 1}", path=path, field="frame_index"
            )
        )
    ts = np.asarray(sub.column("timestamp").to_numpy(), dtype=np.float64)
    if not np.allclose(ts, np.arange(length) / cat.fps, atol=1e-4):
        report(
            DataError(
                f"episode {i}: timestamp is not frame_index / fps ({cat.fps})",
                path=path,
                field="timestamp",
            )
        )
    task = np.asarray(sub.column("task_index").to_numpy())
    if task.size and (task.min() < 0 or task.max() >= len(cat.tasks)):
        report(
            DataError(
                f"episode {i}: task_index outside the {len(cat.tasks)} tasks",
                path=path,
                field="task_index",
            )
        )


def _check_videos(cat: Catalog, report: Any) -> None:
    fps = cat.fps
    for key in lerobot.video_keys(cat.info):
        by_file: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
        for row in cat.episodes:
            c, f = row.get(f"videos/{key}/chunk_index"), row.get(f"videos/{key}/file_index")
            if c is None or f is None:
                report(
                    SchemaError(
                        f"episode {row['episode_index']} has no video location for '{key}'",
                        path=cat.root / lerobot.EPISODES_DIR,
                        field=f"videos/{key}/chunk_index",
                    )
                )
                continue
            by_file[(c, f)].append(row)
        shape = cat.info["features"][key]["shape"]
        for (chunk, file), rows in sorted(by_file.items()):
            path = cat.root / cat.info["video_path"].format(
                video_key=key, chunk_index=chunk, file_index=file
            )
            try:
                probe = probe_video(path)
            except VideoError as e:
                report(e)
                continue
            if lerobot.video_hw(cat.info["features"][key]) != (probe.height, probe.width):
                report(
                    VideoError(
                        f"video is {probe.height}x{probe.width}; info.json declares {shape}",
                        path=path,
                        field=f"features.{key}.shape",
                    )
                )
            for row in rows:
                t0 = float(row[f"videos/{key}/from_timestamp"])
                t1 = float(row[f"videos/{key}/to_timestamp"])
                n = int(row["length"])
                if abs((t1 - t0) * fps - n) > 0.5:
                    report(
                        VideoError(
                            f"episode {row['episode_index']} spans {(t1 - t0) * fps:.1f} frames "
                            f"of video ({t0:.3f}s..{t1:.3f}s at {fps:g} fps) but has {n} frames",
                            path=cat.root / lerobot.EPISODES_DIR,
                            field=f"videos/{key}/to_timestamp",
                        )
                    )
                end = round(t0 * fps) + n
                if end > probe.frames:
                    report(
                        VideoError(
                            f"the video holds {probe.frames} frames, but episode "
                            f"{row['episode_index']} needs frames up to {end} ({n} frames from "
                            f"{t0:.3f}s): the frame count disagrees with the video",
                            path=path,
                            field="length",
                        )
                    )


def _check_dense(cat: Catalog, report: Any) -> None:
    lengths = {r["episode_index"]: int(r["length"]) for r in cat.episodes}
    for i, reward in tables.read_records(cat.root, tables.DENSE, cat.committed_files, report):
        if i in lengths and len(reward) != lengths[i]:
            report(
                ValidationError(
                    f"episode {i} has {len(reward)} dense labels for {lengths[i]} frames",
                    path=cat.root / tables.BADBENCH_DIR / tables.DENSE,
                    field="reward",
                )
            )


def _leftovers(cat: Catalog) -> list[Problem]:
    out: list[Problem] = []
    info, n = cat.info, len(cat.episodes)
    frames = sum(int(r["length"]) for r in cat.episodes)
    for key, want in (("total_episodes", n), ("total_frames", frames)):
        if info.get(key) != want:
            out.append(
                Problem(
                    cat.root / lerobot.INFO_PATH,
                    key,
                    f"is {info.get(key)}, but meta/episodes holds {want}; an append was "
                    "interrupted: run repair (or open a DatasetWriter) to update it",
                    "warning",
                )
            )
    referenced = _referenced_files(cat)
    for path in _stream_files(cat):
        if path not in referenced:
            out.append(
                Problem(
                    path,
                    None,
                    "no committed episode refers to this file (left by an "
                    "interrupted append?); readers ignore it, repair removes it",
                    "warning",
                )
            )
    for base in (cat.root / "meta", cat.root / lerobot.DATA_DIR, cat.root / lerobot.VIDEO_DIR):
        for path in sorted(base.rglob(".*.tmp")):
            out.append(Problem(path, None, "temporary file of an interrupted write", "warning"))
    return out


def _referenced_files(cat: Catalog) -> set[Path]:
    root, info = cat.root, cat.info
    refs: set[Path] = set()
    committed = cat.committed_files
    for r in cat.episodes:
        refs.add(
            root
            / info["data_path"].format(
                chunk_index=r["data/chunk_index"], file_index=r["data/file_index"]
            )
        )
        for key in lerobot.video_keys(info):
            c, f = r.get(f"videos/{key}/chunk_index"), r.get(f"videos/{key}/file_index")
            if c is not None and f is not None:
                refs.add(
                    root / info["video_path"].format(video_key=key, chunk_index=c, file_index=f)
                )
    for name in tables.PER_EPISODE_TABLES:
        for c, f in committed:
            refs.add(tables.table_path(root, name, c, f))
    return refs


def _stream_files(cat: Catalog) -> list[Path]:
    root = cat.root
    files = sorted((root / lerobot.DATA_DIR).glob("chunk-*/*.parquet"))
    for key in lerobot.video_keys(cat.info):
        files.extend(sorted((root / lerobot.VIDEO_DIR / key).glob("chunk-*/*.mp4")))
    for name in tables.PER_EPISODE_TABLES:
        files.extend(tables.table_files(root, name))
    return files
