"""LeRobot v3.0 on-disk format: paths, ``info.json``, tasks, episode index, data schema and stats.

This module knows the layout LeRobot's ``LeRobotDataset`` (codebase_version ``"v3.0"``) reads and
writes, and nothing about badbench's own tables. The names, dtypes and layouts follow
``lerobot/datasets/utils.py``, ``dataset_metadata.py`` and ``compute_stats.py``:

* ``meta/info.json``: written with ``json.dump(indent=4)``; the ``features`` block lists every
  column with ``dtype``/``shape``/``names``; video features carry an ``info`` block.
* ``meta/tasks.parquet``: pandas-style table, column ``task_index`` (int64) plus the task strings as
  the pandas index named ``task`` (LeRobot writes ``pd.DataFrame(..., index=pd.Index(tasks,
  name="task")).to_parquet``). Older files name the index ``__index_level_0__``; both are read.
* ``meta/episodes/chunk-XXX/file-XXX.parquet``: one row per episode (see :func:`episode_row`).
* ``data/chunk-XXX/file-XXX.parquet``: one row per frame; vector features are fixed-size lists,
  as HF ``datasets`` writes ``Sequence(length=n)``; the schema carries HF's ``huggingface``
  metadata.
* ``meta/stats.json``: per feature ``min``/``max``/``mean``/``std``/``count``; image stats are
  per channel, shape (3, 1, 1), scaled to [0, 1].
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from badbench.errors import DataError, SchemaError

_T = TypeVar("_T")

CODEBASE_VERSION = "v3.0"
DEFAULT_CHUNK_SIZE = 1000
"""Max number of files per ``chunk-XXX`` directory."""
DEFAULT_DATA_FILE_SIZE_IN_MB = 100
DEFAULT_VIDEO_FILE_SIZE_IN_MB = 500

INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
EPISODES_DIR = "meta/episodes"
DATA_DIR = "data"
VIDEO_DIR = "videos"
CHUNK_FILE_PATTERN = "chunk-{chunk_index:03d}/file-{file_index:03d}"
DEFAULT_EPISODES_PATH = EPISODES_DIR + "/" + CHUNK_FILE_PATTERN + ".parquet"
DEFAULT_DATA_PATH = DATA_DIR + "/" + CHUNK_FILE_PATTERN + ".parquet"
DEFAULT_VIDEO_PATH = VIDEO_DIR + "/{video_key}/" + CHUNK_FILE_PATTERN + ".mp4"

STATE_KEY = "observation.state"
ACTION_KEY = "action"
IMAGE_PREFIX = "observation.images."

DEFAULT_FEATURES: dict[str, dict[str, Any]] = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}
"""Columns every LeRobot data file has, in this order, after the dataset's own features."""

EPISODE_INDEX_COLUMNS: dict[str, pa.DataType] = {
    "episode_index": pa.int64(),
    "tasks": pa.list_(pa.string()),
    "length": pa.int64(),
    "data/chunk_index": pa.int64(),
    "data/file_index": pa.int64(),
    "dataset_from_index": pa.int64(),
    "dataset_to_index": pa.int64(),
    "meta/episodes/chunk_index": pa.int64(),
    "meta/episodes/file_index": pa.int64(),
}
"""Required columns of ``meta/episodes`` files (besides per-video and ``stats/`` columns)."""

VIDEO_INDEX_COLUMNS: dict[str, pa.DataType] = {
    "chunk_index": pa.int64(),
    "file_index": pa.int64(),
    "from_timestamp": pa.float64(),
    "to_timestamp": pa.float64(),
}
"""Per video key ``videos/<key>/<name>`` columns of ``meta/episodes`` files."""


# --------------------------------------------------------------------------------------------
# paths and chunking


def chunk_file(position: int, chunks_size: int = DEFAULT_CHUNK_SIZE) -> tuple[int, int]:
    """The ``(chunk_index, file_index)`` of the ``position``-th file of a stream (0-based)."""
    return divmod(position, chunks_size)


def file_position(chunk_index: int, file_index: int, chunks_size: int = DEFAULT_CHUNK_SIZE) -> int:
    """Inverse of :func:`chunk_file`."""
    return chunk_index * chunks_size + file_index


def tmp_path(path: Path) -> Path:
    """Where a file is written before :func:`os.replace` moves it into place.

    The name starts with ``.`` and does not end in ``.parquet``/``.mp4``, so no glob of LeRobot
    (``*/*.parquet``) ever picks up a half-written file.
    """
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


# --------------------------------------------------------------------------------------------
# atomic writes


def write_json_atomic(data: Any, path: Path) -> None:
    """Write JSON like LeRobot (``indent=4``, UTF-8), via a temp file and :func:`os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(path)
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=4, ensure_ascii=False)
    os.replace(tmp, path)


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write a parquet file (snappy, like LeRobot) via a temp file and :func:`os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(path)
    pq.write_table(table, tmp, compression="snappy", use_dictionary=True)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# info.json


def create_info(
    *,
    fps: float,
    features: dict[str, dict],
    robot_type: str | None,
    chunks_size: int = DEFAULT_CHUNK_SIZE,
    data_files_size_in_mb: float = DEFAULT_DATA_FILE_SIZE_IN_MB,
    video_files_size_in_mb: float = DEFAULT_VIDEO_FILE_SIZE_IN_MB,
) -> dict[str, Any]:
    """A fresh ``info.json`` dict in LeRobot's key order (``create_empty_dataset_info``)."""
    return {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": robot_type,
        "total_episodes": 0,
        "total_frames": 0,
        "total_tasks": 0,
        "chunks_size": chunks_size,
        "data_files_size_in_mb": data_files_size_in_mb,
        "video_files_size_in_mb": video_files_size_in_mb,
        "fps": json_fps(fps),
        "splits": {},
        "data_path": DEFAULT_DATA_PATH,
        "video_path": DEFAULT_VIDEO_PATH
        if any(ft["dtype"] == "video" for ft in features.values())
        else None,
        "features": features,
    }


def json_fps(fps: float) -> int | float:
    """LeRobot stores ``fps`` as an int; keep a float only when it is not integral."""
    return int(fps) if float(fps).is_integer() else float(fps)


_INFO_REQUIRED = ("codebase_version", "fps", "features", "data_path")
MISSING_KEY = "required key is missing"


def read_info(root: Path) -> dict[str, Any]:
    """Load and check ``meta/info.json``.

    Raises:
        DataError: the file is missing or not JSON.
        SchemaError: a required key is missing, the version is not v3.x, or a feature is
            malformed (the first such problem; :func:`info_problems` lists them all).
    """
    info = read_info_json(root)
    problems = info_problems(info, root / INFO_PATH)
    if problems:
        first, others = problems[0], [p.field for p in problems[1:] if p.message == MISSING_KEY]
        if first.message == MISSING_KEY and others:
            also = ", ".join(repr(k) for k in others)
            raise SchemaError(f"{MISSING_KEY} (so are {also})", path=first.path, field=first.field)
        raise first
    return info


def read_info_json(root: Path) -> dict[str, Any]:
    """Load ``meta/info.json`` as a JSON object, without checking its keys.

    Raises:
        DataError: the file is missing or not JSON.
        SchemaError: it is JSON but not an object.
    """
    path = root / INFO_PATH
    if not path.is_file():
        raise DataError(
            "not a LeRobot v3 dataset: meta/info.json is missing; pass the dataset's root "
            "directory",
            path=path,
        )
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"cannot parse JSON: {e}", path=path) from None
    if not isinstance(info, dict):
        raise SchemaError("expected a JSON object", path=path)
    return info


def info_problems(info: Mapping[str, Any], path: Path) -> list[SchemaError]:
    """Every problem of an ``info.json`` object: missing keys, version, malformed features."""
    problems = [
        SchemaError(MISSING_KEY, path=path, field=key) for key in _INFO_REQUIRED if key not in info
    ]
    if "codebase_version" in info and not str(info["codebase_version"]).startswith("v3."):
        problems.append(
            SchemaError(
                f"codebase_version is {str(info['codebase_version'])!r}; only LeRobot v3.x "
                "datasets are supported (convert v2.1 datasets with lerobot's "
                "convert_dataset_v21_to_v30)",
                path=path,
                field="codebase_version",
            )
        )
    features = info.get("features", {})
    if not isinstance(features, dict):
        problems.append(
            SchemaError("expected an object of features", path=path, field="features")
        )
        features = {}
    for key, ft in features.items():
        if not isinstance(ft, dict) or "dtype" not in ft or "shape" not in ft:
            problems.append(
                SchemaError(
                    "each feature needs 'dtype' and 'shape'", path=path, field=f"features.{key}"
                )
            )
    return problems


def video_keys(info: Mapping[str, Any]) -> list[str]:
    return [k for k, ft in info["features"].items() if ft["dtype"] == "video"]


def video_hw(feature: Mapping[str, Any]) -> tuple[int, int]:
    """(height, width) of a video feature, whatever its axis order (LeRobot allows HWC and CHW,
    telling them apart by ``names``)."""
    shape, names = list(feature["shape"]), list(feature.get("names") or [])
    if len(names) == 3 and "height" in names and "width" in names:
        return int(shape[names.index("height")]), int(shape[names.index("width")])
    return int(shape[0]), int(shape[1])


def build_features(
    *,
    cameras: Mapping[str, tuple[int, int]],
    state_dim: int | None,
    action_dim: int | None,
    names: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The ``features`` block for camera streams, an optional state and an optional action.

    Args:
        cameras: video key -> (height, width).
        state_dim: size of ``observation.state``, or None for no state column.
        action_dim: size of ``action``, or None for no action column.
        names: optional per-feature dimension names (default ``state_0``, ``action_0``, ...).
    """
    names = names or {}
    features: dict[str, dict[str, Any]] = {}
    for key, (h, w) in cameras.items():
        features[key] = {
            "dtype": "video",
            "shape": [int(h), int(w), 3],
            "names": ["height", "width", "channels"],
        }
    for key, dim, stem in ((STATE_KEY, state_dim, "state"), (ACTION_KEY, action_dim, "action")):
        if dim is not None:
            n = list(names.get(key, [f"{stem}_{i}" for i in range(dim)]))
            features[key] = {"dtype": "float32", "shape": [int(dim)], "names": n}
    for key, ft in DEFAULT_FEATURES.items():
        features[key] = dict(ft)
    return features


# --------------------------------------------------------------------------------------------
# tasks.parquet


def tasks_table(tasks: Sequence[str]) -> pa.Table:
    """``meta/tasks.parquet`` exactly as pandas writes LeRobot's task DataFrame.

    Columns ``task_index`` (int64) then ``task`` (the index), with pandas metadata that makes
    ``pd.read_parquet`` restore ``task`` as the index.
    """
    pandas_meta = {
        "index_columns": ["task"],
        "column_indexes": [
            {
                "name": None,
                "field_name": None,
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": {"encoding": "UTF-8"},
            }
        ],
        "columns": [
            {
                "name": "task_index",
                "field_name": "task_index",
                "pandas_type": "int64",
                "numpy_type": "int64",
                "metadata": None,
            },
            {
                "name": "task",
                "field_name": "task",
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            },
        ],
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.3",
    }
    schema = pa.schema(
        [pa.field("task_index", pa.int64()), pa.field("task", pa.string())],
        metadata={b"pandas": json.dumps(pandas_meta).encode()},
    )
    return pa.table(
        {"task_index": pa.array(range(len(tasks)), pa.int64()), "task": list(tasks)},
        schema=schema,
    )


def read_tasks(root: Path) -> list[str]:
    """Task strings by ``task_index``.

    Raises:
        DataError: the file is missing or unreadable.
        SchemaError: no ``task_index`` column or no string task column.
    """
    path = root / TASKS_PATH
    if not path.is_file():
        raise DataError("meta/tasks.parquet is missing", path=path)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as e:
        raise DataError(f"cannot read parquet: {e}", path=path) from None
    if "task_index" not in table.column_names:
        raise SchemaError("column is missing", path=path, field="task_index")
    task_col = _task_column(table)
    if task_col is None:
        raise SchemaError(
            "no task string column (expected 'task' or the pandas index)", path=path, field="task"
        )
    if not pa.types.is_integer(table.schema.field("task_index").type):
        raise SchemaError("expected an integer column", path=path, field="task_index")
    indices = table.column("task_index").to_pylist()
    strings = table.column(task_col).to_pylist()
    out: list[str | None] = [None] * (max(indices) + 1 if indices else 0)
    for i, s in zip(indices, strings, strict=True):
        out[i] = s
    if any(s is None for s in out):
        raise SchemaError("task indices are not contiguous from 0", path=path, field="task_index")
    return [str(s) for s in out]


def _task_column(table: pa.Table) -> str | None:
    meta = table.schema.metadata or {}
    candidates = ["task", "__index_level_0__"]
    if b"pandas" in meta:
        try:
            idx = json.loads(meta[b"pandas"]).get("index_columns", [])
            candidates = [c for c in idx if isinstance(c, str)] + candidates
        except json.JSONDecodeError:
            pass
    for name in candidates:
        if name in table.column_names and (
            pa.types.is_string(table.schema.field(name).type)
            or pa.types.is_large_string(table.schema.field(name).type)
        ):
            return name
    return None


# --------------------------------------------------------------------------------------------
# meta/episodes


def read_many(read: Callable[[Path], _T], paths: Sequence[Path]) -> list[_T]:
    """``[read(p) for p in paths]``, on a few threads when there are many (parquet reads spend
    most of their time in Arrow's C++ code, outside the GIL)."""
    if len(paths) < 8:
        return [read(p) for p in paths]
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) * 2)) as pool:
        return list(pool.map(read, paths))


def episodes_files(root: Path) -> list[Path]:
    """Committed ``meta/episodes`` files in order (temp files are never matched)."""
    return sorted((root / EPISODES_DIR).glob("chunk-*/file-*.parquet"))


def read_episodes_index(
    root: Path, *, with_stats: bool = False, report: Callable[[DataError], None] | None = None
) -> pa.Table:
    """All committed episode rows, sorted by ``episode_index`` (``stats/`` columns only on request).

    Args:
        root: dataset directory.
        with_stats: also read the ``stats/...`` columns.
        report: if given, a bad file is handed over as an error and skipped; otherwise it raises.

    Raises:
        DataError: a file cannot be read.
        SchemaError: a required column is missing or has the wrong type.
    """

    def read(path: Path) -> pa.Table | DataError:
        try:
            pf = pq.ParquetFile(path)
            names = pf.schema_arrow.names
            cols = names if with_stats else [n for n in names if not n.startswith("stats/")]
            return pf.read(columns=cols, use_threads=False)
        except (OSError, pa.ArrowException) as e:
            return DataError(f"cannot read parquet: {e}", path=path)

    tables = []
    paths = episodes_files(root)
    for path, table in zip(paths, read_many(read, paths), strict=True):
        if isinstance(table, DataError):
            if report is None:
                raise table
            report(table)
            continue
        problems = episodes_schema_problems(table.schema)
        for field, message in problems:
            if report is None:
                raise SchemaError(message, path=path, field=field)
            report(SchemaError(message, path=path, field=field))
        if not problems:
            tables.append(table)
    if not tables:
        return pa.table({k: pa.array([], t) for k, t in EPISODE_INDEX_COLUMNS.items()})
    table = pa.concat_tables(tables, promote_options="permissive")
    return table.sort_by("episode_index")


def episodes_schema_problems(schema: pa.Schema) -> list[tuple[str, str]]:
    """(column, message) for each required ``meta/episodes`` column missing or mistyped."""
    problems = []
    for name, typ in EPISODE_INDEX_COLUMNS.items():
        if name not in schema.names:
            problems.append((name, "column is missing"))
        elif name == "tasks":
            t = schema.field(name).type
            if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
                problems.append((name, f"has type {t}, expected list<string>"))
        elif not pa.types.is_integer(schema.field(name).type):
            problems.append((name, f"has type {schema.field(name).type}, expected {typ}"))
    return problems


def episode_row(
    *,
    episode_index: int,
    tasks: Sequence[str],
    length: int,
    data: tuple[int, int],
    dataset_from_index: int,
    videos: Mapping[str, tuple[int, int, float, float]],
    stats: Mapping[str, Mapping[str, np.ndarray]],
    meta_file: tuple[int, int],
) -> dict[str, Any]:
    """One ``meta/episodes`` row, keys in the order LeRobot's ``save_episode`` produces.

    Args:
        videos: video key -> (chunk_index, file_index, from_timestamp, to_timestamp).
        stats: feature -> stat name -> array (per-episode stats).
    """
    row: dict[str, Any] = {
        "episode_index": episode_index,
        "tasks": list(tasks),
        "length": length,
        "data/chunk_index": data[0],
        "data/file_index": data[1],
        "dataset_from_index": dataset_from_index,
        "dataset_to_index": dataset_from_index + length,
    }
    for key, (chunk, file, t0, t1) in videos.items():
        row[f"videos/{key}/chunk_index"] = chunk
        row[f"videos/{key}/file_index"] = file
        row[f"videos/{key}/from_timestamp"] = float(t0)
        row[f"videos/{key}/to_timestamp"] = float(t1)
    for feat, st in stats.items():
        for name, value in st.items():
            row[f"stats/{feat}/{name}"] = np.asarray(value).tolist()
    row["meta/episodes/chunk_index"] = meta_file[0]
    row["meta/episodes/file_index"] = meta_file[1]
    return row


def episodes_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows as LeRobot builds them: ``pa.Table.from_pydict`` over plain Python values."""
    columns: dict[str, list[Any]] = {k: [] for k in rows[0]}
    for row in rows:
        for k in columns:
            columns[k].append(row[k])
    return pa.Table.from_pydict(columns)
