"""Import a LeRobot v3 dataset directory, optionally attaching labels from a JSONL file.

The LeRobot files (``meta/``, ``data/``, ``videos/``) are copied as they are: no video is
re-encoded. badbench's tables (episode records, outcomes, failure tags, dense labels) are then
written beside them under ``meta/badbench/``, one table file per ``meta/episodes`` file, which is
how :class:`~badbench.data.dataset.DatasetWriter` lays out its own commits. The copy is built in
a hidden directory next to ``dest`` and renamed into place at the end, so a failed import leaves
nothing behind.

The annotation file has one JSON object per episode, keyed by ``episode_index`` (LeRobot's) or
``episode_id`` (``episode_000003`` for a plain LeRobot dataset); see ``docs/importing.md``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic

from badbench.data.importers._common import ImportReport, ProgressCallback, no_progress
from badbench.data.importers._labels import LABEL_FIELDS, LabelSpec, parse_labels
from badbench.data.importers._records import Row, read_jsonl
from badbench.data.schema import Episode, EpisodeMeta, EpisodeSource
from badbench.data.taxonomy import TaskCategory
from badbench.errors import DataError, SchemaError

ANNOTATION_FIELDS = (
    "episode_index",
    "episode_id",
    "task",
    "task_category",
    "embodiment",
    "source",
    "generator",
    "policy_id",
    "context_id",
    *LABEL_FIELDS,
)
"""The fields a line of a LeRobot annotation file may hold."""

_META_FIELDS = ("task", "embodiment", "policy_id", "context_id")


@dataclass(frozen=True)
class _Annotation:
    row: Row
    index: int
    meta: dict[str, Any]
    labels: LabelSpec


def import_lerobot(
    source: str | Path,
    dest: str | Path,
    *,
    annotations: str | Path | None = None,
    progress_scale: float = 1.0,
    allow_extra: bool = False,
    progress: ProgressCallback = no_progress,
) -> ImportReport:
    """Copy a LeRobot v3 dataset to ``dest`` and add badbench tables.

    Args:
        source: the LeRobot v3 dataset directory (a badbench dataset works too).
        dest: a new directory (it must not exist, or be empty).
        annotations: JSONL of per-episode labels and metadata (optional).
        progress_scale: 1 when progress is written in [0, 1], 100 when in 0-100.
        allow_extra: ignore unknown fields in the annotation file.
        progress: called as episodes are written.

    Returns:
        The ids of the imported episodes.

    Raises:
        DataError: ``source`` is not a LeRobot v3 dataset, ``dest`` is not empty, or an
            annotation line is bad (file, line and field named). Nothing is written then.
    """
    from badbench.data import lerobot, tables
    from badbench.data.catalog import load_catalog

    source, dest = Path(source), Path(dest)
    if not source.is_dir():
        raise DataError("not a directory; pass a LeRobot v3 dataset's root", path=source)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DataError("already exists and is not empty; choose a new directory", path=dest)
    cat = load_catalog(source)
    notes = _read_annotations(annotations, cat.metas, progress_scale, allow_extra)
    if notes and cat.has_tables:
        raise DataError(
            "already holds badbench tables (meta/badbench/); annotate a plain LeRobot dataset, "
            "or copy this one without --annotations",
            path=source,
        )
    episodes = [_episode(meta, notes.get(i)) for i, meta in enumerate(cat.metas)]
    _check_unique_ids(episodes, notes)

    total = len(episodes)
    progress(0, total, "")
    tmp = dest.parent / f".{dest.name}.importing-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        shutil.copytree(source, tmp, ignore=_ignore)
        if not cat.has_tables:
            by_file: dict[tuple[int, int], list[tuple[int, Episode]]] = {}
            for row, ep in zip(cat.episodes, episodes, strict=True):
                key = (row["meta/episodes/chunk_index"], row["meta/episodes/file_index"])
                by_file.setdefault(key, []).append((row["episode_index"], ep))
            done = 0
            for (chunk, file), group in sorted(by_file.items()):
                for name, table in tables.episode_tables(group).items():
                    if table.num_rows:
                        path = tables.table_path(tmp, name, chunk, file)
                        lerobot.write_parquet_atomic(table, path)
                done += len(group)
                progress(done, total, group[-1][1].id)
            lerobot.write_json_atomic(
                {"badbench_format": tables.FORMAT_VERSION}, tmp / tables.FORMAT_PATH
            )
        else:
            progress(total, total, "")
        if dest.exists():
            dest.rmdir()
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ImportReport(dest=dest, imported=[ep.id for ep in episodes])


def _ignore(directory: str, names: list[str]) -> set[str]:
    """Skip writer locks and half-written temp files of the source."""
    return {n for n in names if n == ".writer.lock" or (n.startswith(".") and n.endswith(".tmp"))}


def _read_annotations(
    path: str | Path | None,
    metas: list[EpisodeMeta],
    progress_scale: float,
    allow_extra: bool,
) -> dict[int, _Annotation]:
    if path is None:
        return {}
    by_id = {m.episode_id: i for i, m in enumerate(metas)}
    notes: dict[int, _Annotation] = {}
    for row in read_jsonl(path):
        if not allow_extra:
            row.check_fields(ANNOTATION_FIELDS)
        index = _index(row, by_id, len(metas))
        if index in notes:
            raise row.error(
                f"episode {index} is already annotated on line {notes[index].row.line}",
                "episode_index" if row.has("episode_index") else "episode_id",
            )
        notes[index] = _Annotation(
            row, index, _meta_fields(row), parse_labels(row, progress_scale=progress_scale)
        )
    return notes


def _index(row: Row, by_id: dict[str, int], n: int) -> int:
    if row.has("episode_index"):
        index = row.integer("episode_index")
        if not 0 <= index < n:
            raise row.error(
                f"episode_index {index} is not in the dataset (it has episodes 0..{n - 1})",
                "episode_index",
            )
        return index
    if row.has("episode_id"):
        episode_id = row.text("episode_id")
        if episode_id not in by_id:
            raise row.error(f"episode '{episode_id}' is not in the dataset", "episode_id")
        return by_id[episode_id]
    raise row.error("is required but missing (or give 'episode_id')", "episode_index", SchemaError)


def _meta_fields(row: Row) -> dict[str, Any]:
    meta: dict[str, Any] = {k: row.text(k) for k in _META_FIELDS if row.has(k)}
    if row.has("episode_index") and row.has("episode_id"):
        meta["episode_id"] = row.text("episode_id")  # keyed by index: the id is a new name
    for name, enum in (("task_category", TaskCategory), ("source", EpisodeSource)):
        if row.has(name):
            text = row.text(name)
            try:
                meta[name] = enum(text.strip().lower())
            except ValueError:
                allowed = ", ".join(e.value for e in enum)
                raise row.error(f"unknown value {text!r}; use one of: {allowed}", name) from None
    if row.has("generator"):
        if not isinstance(row.data["generator"], dict):
            raise row.error("expected a JSON object", "generator", SchemaError)
        meta["generator"] = row.data["generator"]
    return meta


def _episode(meta: EpisodeMeta, note: _Annotation | None) -> Episode:
    if note is None:
        return Episode(meta=meta)
    outcome, tags, dense = note.labels.build(meta.length)
    try:
        new_meta = EpisodeMeta.model_validate({**meta.model_dump(), **note.meta})
    except pydantic.ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(x) for x in first["loc"]) or None
        raise note.row.error(first["msg"], field) from None
    return Episode(
        meta=new_meta,
        outcome=outcome,
        tags=tags,
        dense_reward=dense,
    )


def _check_unique_ids(episodes: list[Episode], notes: dict[int, _Annotation]) -> None:
    seen: dict[str, int] = {}
    for i, ep in enumerate(episodes):
        if ep.id in seen:
            note = notes.get(i) or notes.get(seen[ep.id])
            if note is not None:
                raise note.row.error(
                    f"episode id '{ep.id}' is used by episodes {seen[ep.id]} and {i}",
                    "episode_id",
                )
            raise DataError(f"episode id '{ep.id}' is used twice", field="episode_id")
        seen[ep.id] = i
