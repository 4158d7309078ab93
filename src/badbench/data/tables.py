"""badbench's own tables under ``meta/badbench/``: episode records, outcomes, tags, labels, extras.

Every append writes one new file per table, named like the append's ``meta/episodes`` file
(``meta/badbench/<table>/chunk-XXX/file-XXX.parquet``), so a table file belongs to exactly one
commit and is trusted only when that ``meta/episodes`` file exists. Preferences are their own
commits: each :meth:`~badbench.data.DatasetWriter.add_preferences` call writes one new file.

Decoders turn rows back into records; on a bad row they raise a :class:`~badbench.errors.DataError`
naming the file and field, or, given ``report``, hand it over and go on with the next row (this is
how ``validate`` lists every problem).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pydantic

from badbench.data.lerobot import read_many
from badbench.data.schema import Episode, EpisodeMeta, FailureTag, Outcome, Preference
from badbench.errors import BadbenchError, DataError, SchemaError, ValidationError

BADBENCH_DIR = "meta/badbench"
FORMAT_PATH = "meta/badbench/format.json"
FORMAT_VERSION = 2
"""2 added the optional columns of :data:`ADDED_COLUMNS` (files of version 1 read as null)."""

Report = Callable[[DataError], None] | None

EPISODES = "episodes"
OUTCOMES = "outcomes"
TAGS = "tags"
DENSE = "dense"
EXTRAS = "extras"
PREFERENCES = "preferences"

ADDED_COLUMNS: dict[str, frozenset[str]] = {
    "outcomes": frozenset({"score", "score_source"}),
    "tags": frozenset({"visibility"}),
}
"""Columns added after format 1, by table: a file without one reads it as null."""

SCHEMAS: dict[str, pa.Schema] = {
    EPISODES: pa.schema(
        [
            ("episode_index", pa.int64()),
            ("episode_id", pa.string()),
            ("instruction", pa.string()),
            ("task", pa.string()),
            ("task_category", pa.string()),
            ("embodiment", pa.string()),
            ("fps", pa.float64()),
            ("cameras", pa.list_(pa.string())),
            ("length", pa.int64()),
            ("source", pa.string()),
            ("generator", pa.string()),
            ("policy_id", pa.string()),
            ("context_id", pa.string()),
        ]
    ),
    OUTCOMES: pa.schema(
        [
            ("episode_index", pa.int64()),
            ("success", pa.bool_()),
            ("progress", pa.float64()),
            ("progress_source", pa.string()),
            ("dense_source", pa.string()),
            ("score", pa.float64()),
            ("score_source", pa.string()),
        ]
    ),
    TAGS: pa.schema(
        [
            ("episode_index", pa.int64()),
            ("category", pa.string()),
            ("mode", pa.string()),
            ("start_frame", pa.int64()),
            ("end_frame", pa.int64()),
            ("severity", pa.float64()),
            ("description", pa.string()),
            ("visibility", pa.string()),
        ]
    ),
    DENSE: pa.schema([("episode_index", pa.int64()), ("reward", pa.list_(pa.float32()))]),
    EXTRAS: pa.schema(
        [
            ("episode_index", pa.int64()),
            ("name", pa.string()),
            ("dtype", pa.string()),
            ("shape", pa.list_(pa.int64())),
            ("data", pa.binary()),
        ]
    ),
    PREFERENCES: pa.schema(
        [
            ("context_id", pa.string()),
            ("episode_a", pa.string()),
            ("episode_b", pa.string()),
            ("label", pa.string()),
            ("rater_id", pa.string()),
            ("source", pa.string()),
            ("progress_a", pa.float64()),
            ("progress_b", pa.float64()),
            ("feedback", pa.string()),
            ("time", pa.timestamp("us", tz="UTC")),
        ]
    ),
}
"""The schema of each table (column order as written)."""

PER_EPISODE_TABLES = (EPISODES, OUTCOMES, TAGS, DENSE, EXTRAS)


def table_dir(root: Path, name: str) -> Path:
    return root / BADBENCH_DIR / name


def table_path(root: Path, name: str, chunk_index: int, file_index: int) -> Path:
    return table_dir(root, name) / f"chunk-{chunk_index:03d}" / f"file-{file_index:03d}.parquet"


def table_files(root: Path, name: str) -> list[Path]:
    return sorted(table_dir(root, name).glob("chunk-*/file-*.parquet"))


def chunk_file_of(path: Path) -> tuple[int, int]:
    """``(chunk_index, file_index)`` parsed from ``.../chunk-XXX/file-YYY.<ext>``."""
    return int(path.parent.name.split("-")[1]), int(path.stem.split("-")[1])


# --------------------------------------------------------------------------------------------
# encoding


def episode_tables(episodes: Sequence[tuple[int, Episode]]) -> dict[str, pa.Table]:
    """The per-episode tables for ``(episode_index, episode)`` pairs (empty tables included)."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in PER_EPISODE_TABLES}
    for idx, ep in episodes:
        m = ep.meta
        rows[EPISODES].append(
            {
                "episode_index": idx,
                "episode_id": m.episode_id,
                "instruction": m.instruction,
                "task": m.task,
                "task_category": str(m.task_category),
                "embodiment": m.embodiment,
                "fps": float(m.fps),
                "cameras": list(m.cameras),
                "length": m.length,
                "source": str(m.source),
                "generator": json.dumps(m.generator, sort_keys=True, default=str),
                "policy_id": m.policy_id,
                "context_id": m.context_id,
            }
        )
        if ep.outcome is not None:
            o = ep.outcome
            rows[OUTCOMES].append(
                {
                    "episode_index": idx,
                    "success": o.success,
                    "progress": o.progress,
                    "progress_source": _opt_str(o.progress_source),
                    "dense_source": _opt_str(o.dense_source),
                    "score": o.score,
                    "score_source": _opt_str(o.score_source),
                }
            )
        for t in ep.tags:
            rows[TAGS].append(
                {
                    "episode_index": idx,
                    "category": str(t.category),
                    "mode": t.mode,
                    "start_frame": t.start_frame,
                    "end_frame": t.end_frame,
                    "severity": t.severity,
                    "description": t.description,
                    "visibility": _visibility_json(t),
                }
            )
        if ep.dense_reward is not None:
            reward = np.asarray(ep.dense_reward, dtype=np.float32).reshape(-1)
            rows[DENSE].append({"episode_index": idx, "reward": reward.tolist()})
        for name, arr in ep.extras.items():
            a = np.ascontiguousarray(arr)
            rows[EXTRAS].append(
                {
                    "episode_index": idx,
                    "name": name,
                    "dtype": a.dtype.str,
                    "shape": list(a.shape),
                    "data": a.tobytes(),
                }
            )
    return {name: pa.Table.from_pylist(r, schema=SCHEMAS[name]) for name, r in rows.items()}


def preferences_table(prefs: Iterable[Preference]) -> pa.Table:
    rows = [
        {
            "context_id": p.context_id,
            "episode_a": p.episode_a,
            "episode_b": p.episode_b,
            "label": p.label,
            "rater_id": p.rater_id,
            "source": str(p.source),
            "progress_a": p.progress_a,
            "progress_b": p.progress_b,
            "feedback": p.feedback,
            "time": p.time if p.time.tzinfo else p.time.replace(tzinfo=UTC),
        }
        for p in prefs
    ]
    return pa.Table.from_pylist(rows, schema=SCHEMAS[PREFERENCES])


def _opt_str(v: object) -> str | None:
    return None if v is None else str(v)


# --------------------------------------------------------------------------------------------
# reading


def read_table(path: Path, name: str, report: Report = None) -> pa.Table | None:
    """Read one table file and check its columns against :data:`SCHEMAS`.

    Returns None (after reporting) when the file cannot be used.
    """
    return _check_table(_read_raw(path), path, name, report)


def _check_table(
    table: pa.Table | DataError, path: Path, name: str, report: Report
) -> pa.Table | None:
    if isinstance(table, DataError):
        _emit(table, report)
        return None
    expected = SCHEMAS[name]
    bad = False
    for fld in expected:
        if fld.name not in table.column_names and fld.name in ADDED_COLUMNS.get(name, ()):
            table = table.append_column(fld, pa.nulls(table.num_rows, fld.type))
            continue
        if fld.name not in table.column_names:
            _emit(SchemaError("column is missing", path=path, field=fld.name), report)
            bad = True
            continue
        got = table.schema.field(fld.name).type
        if not _same_kind(got, fld.type):
            _emit(
                SchemaError(f"has type {got}, expected {fld.type}", path=path, field=fld.name),
                report,
            )
            bad = True
    if bad:
        return None
    try:
        return table.select(expected.names).cast(expected)
    except (pa.ArrowException, ValueError) as e:
        _emit(SchemaError(f"cannot cast to the expected schema: {e}", path=path), report)
        return None


def _same_kind(got: pa.DataType, want: pa.DataType) -> bool:
    if got == want:
        return True
    checks = (
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_boolean,
        pa.types.is_timestamp,
    )
    for check in checks:
        if check(want):
            return check(got) or (pa.types.is_floating(want) and pa.types.is_integer(got))
    if pa.types.is_string(want):
        return pa.types.is_string(got) or pa.types.is_large_string(got) or pa.types.is_null(got)
    if pa.types.is_list(want):
        return (pa.types.is_list(got) or pa.types.is_large_list(got)) and _same_kind(
            got.value_type, want.value_type
        )
    if pa.types.is_binary(want):
        return pa.types.is_binary(got) or pa.types.is_large_binary(got)
    return False


def _emit(err: DataError, report: Report) -> None:
    if report is None:
        raise err
    report(err)


def _where(path: Path, row: int, episode_index: int | None = None) -> str:
    ep = "" if episode_index is None else f", episode_index {episode_index}"
    return f"row {row}{ep}"


def _record_error(e: Exception, path: Path, where: str) -> DataError:
    """Turn a pydantic or badbench error about one row into a DataError naming file and field."""
    if isinstance(e, pydantic.ValidationError):
        err = e.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or None
        msg = err["msg"].removeprefix("Value error, ")
        if "input" in err and not isinstance(err["input"], dict):
            msg += f" (got {err['input']!r})"
        return ValidationError(f"{where}: {msg}", path=path, field=field)
    if isinstance(e, DataError):
        return type(e)(f"{where}: {e.message}", path=path, field=e.field)
    return ValidationError(f"{where}: {e}", path=path)


def decode_rows(
    table: pa.Table,
    path: Path,
    build: Callable[[dict[str, Any]], Any],
    report: Report = None,
) -> list[tuple[int, int | None, Any]]:
    """Apply ``build`` to every row; returns ``(row, episode_index or None, record)`` triples."""
    out = []
    for i, row in enumerate(table.to_pylist()):
        idx = row.get("episode_index")
        try:
            out.append((i, idx, build(row)))
        except (pydantic.ValidationError, BadbenchError, ValueError, TypeError) as e:
            _emit(_record_error(e, path, _where(path, i, idx)), report)
    return out


def build_meta(row: dict[str, Any]) -> EpisodeMeta:
    try:
        generator = json.loads(row["generator"] or "{}")
    except json.JSONDecodeError as e:
        raise ValidationError(f"generator is not JSON: {e}", field="generator") from None
    fields = {k: v for k, v in row.items() if k not in ("episode_index", "generator")}
    fields["cameras"] = tuple(fields["cameras"] or ())
    return EpisodeMeta(**fields, generator=generator)


def build_outcome(row: dict[str, Any]) -> Outcome:
    return Outcome(**{k: v for k, v in row.items() if k != "episode_index"})


def build_tag(row: dict[str, Any]) -> FailureTag:
    fields = {k: v for k, v in row.items() if k not in ("episode_index", "visibility")}
    try:
        views = json.loads(row.get("visibility") or "{}")
    except json.JSONDecodeError as e:
        raise ValidationError(f"visibility is not JSON: {e}", field="visibility") from None
    return FailureTag(**fields, visibility=views)


def _visibility_json(tag: FailureTag) -> str | None:
    if not tag.visibility:
        return None
    return json.dumps({k: v.model_dump() for k, v in tag.visibility.items()}, sort_keys=True)


def build_dense(row: dict[str, Any]) -> np.ndarray:
    return np.asarray(row["reward"] or [], dtype=np.float32)


@dataclass(frozen=True)
class Extra:
    name: str
    array: np.ndarray


def build_extra(row: dict[str, Any]) -> Extra:
    try:
        arr = np.frombuffer(row["data"], dtype=np.dtype(row["dtype"])).reshape(row["shape"])
    except (TypeError, ValueError) as e:
        raise ValidationError(f"cannot rebuild array '{row['name']}': {e}", field="data") from None
    return Extra(row["name"], arr.copy())


def build_preference(row: dict[str, Any]) -> Preference:
    return Preference(**row)


BUILDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    EPISODES: build_meta,
    OUTCOMES: build_outcome,
    TAGS: build_tag,
    DENSE: build_dense,
    EXTRAS: build_extra,
    PREFERENCES: build_preference,
}


def read_records(
    root: Path, name: str, committed: set[tuple[int, int]] | None, report: Report = None
) -> list[tuple[int | None, Any]]:
    """Decode every row of table ``name`` whose file belongs to a committed append.

    Args:
        committed: the ``(chunk_index, file_index)`` of committed ``meta/episodes`` files; files of
            other appends (interrupted ones) are ignored. None reads every file (preferences).

    Returns:
        ``(episode_index or None, record)`` pairs.
    """
    return [(idx, rec) for _, _, idx, rec in read_located(root, name, committed, report)]


def read_located(
    root: Path, name: str, committed: set[tuple[int, int]] | None, report: Report = None
) -> list[tuple[Path, int, int | None, Any]]:
    """Like :func:`read_records`, with each record's file and row: ``(path, row, index, rec)``."""
    paths = [
        p for p in table_files(root, name) if committed is None or chunk_file_of(p) in committed
    ]
    raw = read_many(_read_raw, paths)
    out: list[tuple[Path, int, int | None, Any]] = []
    for path, got in zip(paths, raw, strict=True):
        table = _check_table(got, path, name, report)
        if table is not None:
            out.extend((path, *t) for t in decode_rows(table, path, BUILDERS[name], report))
    return out


def _read_raw(path: Path) -> pa.Table | DataError:
    try:
        return pq.read_table(path, use_threads=False)
    except (OSError, pa.ArrowException) as e:
        return DataError(f"cannot read parquet: {e}", path=path)
