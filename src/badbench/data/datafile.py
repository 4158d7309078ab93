"""The per-frame data files, ``data/chunk-XXX/file-XXX.parquet``: schema, rows, checks.

One row per frame: the dataset's non-visual features in ``info.json`` order, then LeRobot's
``timestamp`` (float32), ``frame_index``, ``episode_index``, ``index`` and ``task_index`` (int64).
Vector features are fixed-size lists, as HF ``datasets`` writes ``Sequence(length=n)``, and the
schema carries HF's ``huggingface`` metadata.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from badbench.data.lerobot import ACTION_KEY, STATE_KEY
from badbench.data.schema import Episode
from badbench.errors import SchemaError


def _arrow_type(dtype: str, shape: Sequence[int]) -> pa.DataType:
    base = pa.string() if dtype == "string" else pa.from_numpy_dtype(np.dtype(dtype))
    if list(shape) == [1]:
        return base
    for dim in reversed(list(shape)):
        base = pa.list_(base, int(dim))
    return base


def _hf_feature(dtype: str, shape: Sequence[int]) -> dict[str, Any]:
    value = {"dtype": dtype, "_type": "Value"}
    if list(shape) == [1]:
        return value
    if len(shape) == 1:
        return {"feature": value, "length": int(shape[0]), "_type": "Sequence"}
    return {"shape": list(shape), "dtype": dtype, "_type": f"Array{len(shape)}D"}


def data_schema(features: Mapping[str, Mapping[str, Any]]) -> pa.Schema:
    """The arrow schema of ``data/`` files: non-visual features in ``features`` order.

    Carries the ``huggingface`` schema metadata that HF ``datasets.Dataset.to_parquet`` writes, so
    ``datasets`` restores the same ``Features`` when LeRobot loads the file.
    """
    fields = []
    hf: dict[str, Any] = {}
    for key, ft in features.items():
        if ft["dtype"] in ("video", "image"):
            continue
        fields.append(pa.field(key, _arrow_type(ft["dtype"], ft["shape"])))
        hf[key] = _hf_feature(ft["dtype"], ft["shape"])
    meta = {b"huggingface": json.dumps({"info": {"features": hf}}).encode()}
    return pa.schema(fields, metadata=meta)


def check_data_schema(schema: pa.Schema, features: Mapping[str, Mapping[str, Any]], path: Path):
    """Raise :class:`SchemaError` if a data file's columns disagree with ``info.json``."""
    for problem in data_schema_problems(schema, features):
        raise SchemaError(problem[1], path=path, field=problem[0])


def data_schema_problems(
    schema: pa.Schema, features: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """(column, message) for each column of a data file that disagrees with ``info.json``."""
    problems = []
    for key, ft in features.items():
        if ft["dtype"] in ("video", "image"):
            continue
        if key not in schema.names:
            problems.append((key, "column is missing (info.json declares it)"))
            continue
        got = schema.field(key).type
        want = _arrow_type(ft["dtype"], ft["shape"])
        if not _compatible(got, want):
            problems.append((key, f"has type {got}, info.json declares {ft['dtype']}{ft['shape']}"))
    return problems


def _compatible(got: pa.DataType, want: pa.DataType) -> bool:
    if got == want:
        return True
    # A variable-size list of the right value type is what pandas/pyarrow writers produce.
    if pa.types.is_fixed_size_list(want) and (
        pa.types.is_list(got) or pa.types.is_large_list(got) or pa.types.is_fixed_size_list(got)
    ):
        return _compatible(got.value_type, want.value_type)
    if pa.types.is_string(want) and pa.types.is_large_string(got):
        return True
    return False


def column_to_numpy(column: pa.ChunkedArray | pa.Array, dtype: str | None = None) -> np.ndarray:
    """A scalar column as a 1-D array; a list column as (rows, values per row).

    Raises:
        ValueError: the rows of a variable-size list column are not all the same length.
    """
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(arr)
    if not (
        pa.types.is_fixed_size_list(arr.type)
        or pa.types.is_list(arr.type)
        or pa.types.is_large_list(arr.type)
    ):
        out = np.asarray(arr.to_numpy(zero_copy_only=False))
        return out.astype(dtype, copy=False) if dtype else out
    values = arr
    while hasattr(values.type, "value_type"):
        values = values.flatten()
    flat = np.asarray(values.to_numpy(zero_copy_only=False))
    if n == 0:
        out = flat.reshape(0, 0)
    elif flat.size % n:
        raise ValueError(
            f"list column has rows of different lengths ({flat.size} values, {n} rows)"
        )
    else:
        out = flat.reshape(n, -1)
    return out.astype(dtype, copy=False) if dtype else out


def episode_table(
    ep: Episode,
    features: Mapping[str, Mapping[str, Any]],
    *,
    episode_index: int,
    length: int,
    start: int,
    task_index: int,
    fps: float,
    path: Path,
) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """One episode's rows, and each column as an array (for its stats).

    Args:
        ep: the episode (state and action; other declared features from ``ep.extras``).
        features: the dataset's features.
        episode_index: the episode's LeRobot index.
        length: its number of frames.
        start: the global ``index`` of its first frame.
        task_index: its task.
        fps: frame rate (``timestamp = frame_index / fps``).
        path: the dataset, for error messages.
    """
    frame_index = np.arange(length, dtype=np.int64)
    cols: dict[str, np.ndarray] = {
        "timestamp": (frame_index / fps).astype(np.float32),
        "frame_index": frame_index,
        "episode_index": np.full(length, episode_index, dtype=np.int64),
        "index": frame_index + start,
        "task_index": np.full(length, task_index, dtype=np.int64),
    }
    if ep.state is not None:
        cols[STATE_KEY] = np.asarray(ep.state, dtype=np.float32)
    if ep.action is not None:
        cols[ACTION_KEY] = np.asarray(ep.action, dtype=np.float32)
    schema = data_schema(features)
    arrays = []
    for fld in schema:
        if fld.name not in cols:
            cols[fld.name] = _extra_column(ep, fld.name, features[fld.name], length, path)
        arrays.append(_to_arrow(cols[fld.name], fld.type))
    return pa.Table.from_arrays(arrays, schema=schema), cols


def _to_arrow(values: np.ndarray, typ: pa.DataType) -> pa.Array:
    if not pa.types.is_fixed_size_list(typ):  # shape [1]: LeRobot stores a scalar per row
        return pa.array(np.asarray(values).reshape(len(values)), type=typ)
    sizes, inner = [], typ
    while pa.types.is_fixed_size_list(inner):
        sizes.append(inner.list_size)
        inner = inner.value_type
    arr = pa.array(np.ascontiguousarray(values).reshape(-1), type=inner)
    for size in reversed(sizes):
        arr = pa.FixedSizeListArray.from_arrays(arr, size)
    return arr


def _extra_column(
    ep: Episode, key: str, feature: Mapping[str, Any], length: int, path: Path
) -> np.ndarray:
    """A data column the dataset declares but badbench episodes do not model (``next.done``, ...).

    It is taken from ``episode.extras[key]``, which must hold one row per frame.
    """
    arr = ep.extras.get(key)
    if arr is None or len(arr) != length:
        raise SchemaError(
            f"episode '{ep.id}' lacks the dataset's feature '{key}' "
            f"({feature['dtype']}{feature['shape']}); pass it as episode.extras['{key}'] with one "
            "row per frame",
            path=path,
            field=key,
        )
    dtype = "U" if feature["dtype"] == "string" else feature["dtype"]
    out = np.asarray(arr).astype(dtype)
    if list(feature["shape"]) == [1]:
        return out.reshape(length)
    return out.reshape(length, *[int(d) for d in feature["shape"]])
