"""A conformance check for dataset directories: list every problem instead of stopping at one.

``validate(root)`` reads everything a reader would (``info.json``, tasks, the episode index,
badbench's tables, every data file and every frame of every video) and returns one :class:`Problem`
per fault, each naming the file and field. Problems come in two severities:

* ``error``: the dataset is wrong (bad schema, missing or corrupt video, a frame count that
  disagrees with the video, an unknown failure mode, progress outside [0, 1], a preference naming
  a missing episode, ...);
* ``warning``: leftovers of an interrupted append (files no commit refers to, ``info.json``
  totals behind the episode index). Readers ignore them; :func:`repair` (``badbench data
  repair DIR``, or the next :class:`~badbench.data.DatasetWriter` on the directory) removes them.

Videos are decoded frame by frame (each file once) unless ``decode=False``; an episode whose
frames do not decode is reported with its file and frame range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from badbench.data import datafile, lerobot, tables
from badbench.data.catalog import Catalog, load_catalog
from badbench.data.video import frame_ranges, probe_video, scan_video
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


DecodeProgress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, file_name)``: once with ``done=0``, then after each video."""


def validate(
    root: str | Path,
    *,
    include_warnings: bool = False,
    decode: bool = True,
    progress: DecodeProgress | None = None,
) -> list[Problem]:
    """Every problem in the dataset at ``root``; empty when it is sound.

    Args:
        root: dataset directory.
        include_warnings: also list leftovers of interrupted appends (see module docs).
        decode: decode every frame of every video file (each file once) and report the episodes
            whose frames do not decode; False reads only the videos' packets (quick).
        progress: called as the video files are decoded (e.g. to drive a progress bar).
    """
    root = Path(root)
    problems: list[Problem] = []

    def report(err: DataError) -> None:
        problems.append(Problem.from_error(err))

    try:
        bad_info = lerobot.info_problems(lerobot.read_info_json(root), root / lerobot.INFO_PATH)
        if bad_info:  # info.json unusable: nothing else can be checked
            return [Problem.from_error(e) for e in bad_info]
        cat = load_catalog(root, report=report)
    except DataError as e:
        return [Problem.from_error(e)]
    _check_tasks(cat, report)
    _check_data(cat, report)
    _check_videos(cat, report, decode=decode, progress=progress)
    if cat.has_tables:
        _check_dense(cat, report)
        tables.read_records(root, tables.EXTRAS, cat.committed_files, report)
    if include_warnings:
        problems.extend(_leftovers(cat))
    return problems


def repair(root: str | Path) -> list[Problem]:
    """Remove an interrupted append's leftovers; bring ``info.json``/``stats.json`` up to date.

    Returns:
        The leftovers found (the warnings of :func:`validate`), now repaired.

    Raises:
        DataError: ``root`` is not a dataset, or one a writer cannot open (its errors must be
            fixed first; ``validate`` lists them).
    """
    from badbench.data.writer import DatasetWriter

    root = Path(root)
    lerobot.read_info(root)  # a directory that is no dataset is left as it is
    found = _leftovers(load_catalog(root))
    DatasetWriter(root).close()
    return found


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


def _check_videos(
    cat: Catalog, report: Any, *, decode: bool, progress: DecodeProgress | None
) -> None:
    files: list[tuple[str, Path, list[dict[str, Any]]]] = []
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
        for (chunk, file), rows in sorted(by_file.items()):
            path = cat.root / cat.info["video_path"].format(
                video_key=key, chunk_index=chunk, file_index=file
            )
            files.append((key, path, rows))
    if progress is not None:
        progress(0, len(files), "")
    for done, (key, path, rows) in enumerate(files, start=1):
        try:
            probe = probe_video(path)
        except VideoError as e:
            report(e)
        else:
            _check_video_file(cat, key, path, rows, probe.frames, report)
            h, w = lerobot.video_hw(cat.info["features"][key])
            if (probe.height, probe.width) != (h, w):
                report(
                    VideoError(
                        f"video is {probe.width}x{probe.height} (width x height); info.json "
                        f"declares {w}x{h}",
                        path=path,
                        field=f"features.{key}.shape",
                    )
                )
            if decode:
                _check_decoding(cat, key, path, rows, report)
        if progress is not None:
            progress(done, len(files), path.name)


def _episode_frames(cat: Catalog, key: str, row: dict[str, Any]) -> tuple[int, int]:
    """The file frames ``[first, end)`` an episode occupies in its video of ``key``."""
    first = round(float(row[f"videos/{key}/from_timestamp"]) * cat.fps)
    return first, first + int(row["length"])


def _check_video_file(
    cat: Catalog, key: str, path: Path, rows: list[dict[str, Any]], frames: int, report: Any
) -> None:
    fps = cat.fps
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
        end = _episode_frames(cat, key, row)[1]
        if end > frames:
            report(
                VideoError(
                    f"the video holds {frames} frames, but episode "
                    f"{row['episode_index']} needs frames up to {end} ({n} frames from "
                    f"{t0:.3f}s): the frame count disagrees with the video",
                    path=path,
                    field="length",
                )
            )


def _check_decoding(
    cat: Catalog, key: str, path: Path, rows: list[dict[str, Any]], report: Any
) -> None:
    """Decode the file once and report each episode with frames that do not decode."""
    scan = scan_video(path, cat.fps)
    if not scan.undecodable:
        return
    bad = set(scan.undecodable)
    for row in rows:
        first, end = _episode_frames(cat, key, row)
        mine = [k - first for k in range(first, end) if k in bad]
        if not mine:
            continue
        i = row["episode_index"]
        eid = cat.metas[i].episode_id if i < len(cat.metas) else str(i)
        in_file = _ranges(k + first for k in mine)
        report(
            VideoError(
                f"episode {i} ('{eid}'): frames {_ranges(mine)} of its {end - first} do not "
                f"decode (frames {in_file} of the file): corrupt video ({scan.error})",
                path=path,
                field=key,
            )
        )


def _ranges(indices: Any) -> str:
    return ", ".join(f"{a}..{b}" if a != b else f"{a}" for a, b in frame_ranges(list(indices)))


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
                    f"interrupted: `badbench data repair {cat.root}` updates it",
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
                    "no committed episode refers to this file (left by an interrupted "
                    f"append?); readers ignore it, `badbench data repair {cat.root}` removes it",
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
