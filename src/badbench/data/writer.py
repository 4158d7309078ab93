"""Appending episodes to a dataset directory, crash-safely.

One append (``append`` or a batch ``extend``) writes new files only, each to a hidden temp file
then :func:`os.replace`: the videos, the data parquet, badbench's tables, ``meta/tasks.parquet``
(when it gains a task), then the ``meta/episodes`` file, which is the commit point, and finally
``meta/info.json`` and ``meta/stats.json``. A writer killed at any moment leaves a dataset whose
committed episodes all load; the files of the interrupted append are ignored by readers and
removed, with the stale totals repaired, by the next :class:`DatasetWriter` on that directory.

An append takes an :class:`~badbench.data.schema.Episode` (encoded here) or a
:class:`~badbench.data.prepared.PreparedEpisode` (encoded by :func:`prepare_episode
<badbench.data.prepared.prepare_episode>`, possibly in another process, into a temp file that the
append moves into place); both give the same dataset. A prepared episode may also reference a
range of another dataset's committed video file (``PreparedVideo.shared``): the append links
that file into place, once per dataset, and encodes nothing.
"""

from __future__ import annotations

import copy
import dataclasses
import fcntl
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from badbench.data import datafile, lerobot, tables
from badbench.data.catalog import Catalog, load_catalog
from badbench.data.episode_checks import check_episode
from badbench.data.prepared import PreparedEpisode, PreparedVideo
from badbench.data.schema import Episode, Preference
from badbench.data.stats import (
    QUANTILE_KEYS,
    aggregate_stats,
    feature_stats,
    image_stats,
    stats_from_row,
    stats_to_json,
)
from badbench.data.video import VideoEncoder, VideoSpec, spec_video_info
from badbench.errors import DataError, ValidationError


class DatasetWriter:
    """Appends episodes to a dataset directory, creating it if needed.

    Crash-safe: each append is committed atomically; a writer killed mid-append leaves a dataset
    that loads with every episode completed before the kill. Reopening an existing directory
    resumes (``existing_ids`` tells what is already there) after removing what an interrupted
    append left behind. Features (cameras and their sizes, state and action sizes) are fixed by
    the first episode. One writer per directory at a time (enforced with a lock file).

    Args:
        root: dataset directory.
        fps: frame rate; None takes the first episode's.
        robot_type: LeRobot ``robot_type``; None takes the first episode's embodiment.
        codec: video encoder (``libx264``; ``libsvtav1`` is LeRobot's default).
        spec: full video settings (overrides ``codec``).
        names: optional dimension names for ``observation.state`` / ``action``.
        chunks_size: files per ``chunk-XXX`` directory (LeRobot: 1000).
        data_files_size_in_mb: a batch (``extend``) starts a new data file once the current one
            holds this much (LeRobot: 100). Kept in ``info.json``; a dataset keeps its own.
        video_files_size_in_mb: the same for video files (LeRobot: 500).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        fps: float | None = None,
        robot_type: str | None = None,
        codec: str = "libx264",
        spec: VideoSpec | None = None,
        names: Mapping[str, Sequence[str]] | None = None,
        chunks_size: int = lerobot.DEFAULT_CHUNK_SIZE,
        data_files_size_in_mb: float = lerobot.DEFAULT_DATA_FILE_SIZE_IN_MB,
        video_files_size_in_mb: float = lerobot.DEFAULT_VIDEO_FILE_SIZE_IN_MB,
    ) -> None:
        self.root = Path(root)
        self.spec = spec or VideoSpec(codec=codec)
        self._names = dict(names or {})
        self._fps = fps
        self._robot_type = robot_type
        self._data_mb, self._video_mb = data_files_size_in_mb, video_files_size_in_mb
        self._lock_fd: int | None = None
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock()
        self.info: dict[str, Any] | None = None
        self.tasks: list[str] = []
        self._task_index: dict[str, int] = {}
        self._ids: set[str] = set()
        self._n_episodes = 0
        self._n_frames = 0
        self._next: dict[str, int] = {"data": 0, "meta": 0}
        self._stats: dict | None = None  # running aggregate, as LeRobot keeps it
        self._quantiles = True  # q01..q99 stats, unless the dataset's episode files lack them
        self._stats_columns: set[str] | None = None  # those of existing episode files, if any
        self._linked: dict[str, dict[tuple[int, int], int]] = {}  # key -> file id -> position
        if (self.root / lerobot.INFO_PATH).exists():
            try:
                self._resume(chunks_size)
            except BaseException:
                self.close()
                raise
        else:
            self._chunks_size = chunks_size
            _remove_tmp_files(self.root)

    # ----------------------------------------------------------------------------------------
    # public API

    @property
    def existing_ids(self) -> set[str]:
        """Ids of the episodes committed so far."""
        return set(self._ids)

    def __len__(self) -> int:
        return self._n_episodes

    def append(self, episode: Episode | PreparedEpisode) -> int:
        """Write one episode into its own files; returns its LeRobot ``episode_index``.

        ``episode`` may be a :class:`~badbench.data.prepared.PreparedEpisode` (videos already
        encoded, with this writer's ``spec`` and fps, into this dataset's staging area): its
        files are moved into place instead of encoded, and the dataset is the same. A prepared
        episode is consumed: its staged files are moved or, if the append fails, deleted.
        """
        return self.extend([episode])[0]

    def extend(self, episodes: Iterable[Episode | PreparedEpisode]) -> list[int]:
        """Write several episodes as one commit, packed into one file per stream (a new file
        when one reaches its size limit).

        Episodes are encoded one at a time (their frames need not all be in memory at once, so
        ``episodes`` can be a generator). If any episode is rejected, nothing of the batch is
        written. Returns their LeRobot ``episode_index`` values. A prepared episode keeps the
        video file it was encoded into (episodes after it start new video files), so only a
        batch of plain episodes packs several episodes into one video file.
        """
        self._check_open()
        snapshot = self._snapshot()
        batch = _Batch(self)
        try:
            for ep in episodes:
                batch.add(ep)
            if not batch.indices:
                return []
            batch.commit()
        except BaseException:
            batch.abort()
            self._restore(snapshot)
            raise
        return batch.indices

    def add_preferences(self, preferences: Iterable[Preference]) -> None:
        """Append preferences; every episode they name must exist in the dataset."""
        self._check_open()
        prefs = list(preferences)
        for i, p in enumerate(prefs):
            for fld in ("episode_a", "episode_b"):
                if getattr(p, fld) not in self._ids:
                    raise ValidationError(
                        f"preference {i} names episode '{getattr(p, fld)}', which is not in the "
                        "dataset; append the episode first",
                        path=self.root,
                        field=fld,
                    )
        if not prefs:
            return
        files = tables.table_files(self.root, tables.PREFERENCES)
        pos = 0
        if files:
            pos = lerobot.file_position(*tables.chunk_file_of(files[-1]), self._chunks_size) + 1
        path = tables.table_path(
            self.root, tables.PREFERENCES, *lerobot.chunk_file(pos, self._chunks_size)
        )
        self._write_format()
        lerobot.write_parquet_atomic(tables.preferences_table(prefs), path)

    def close(self) -> None:
        """Release the directory (every append is already committed; nothing is flushed here)."""
        fd = getattr(self, "_lock_fd", None)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            self._lock_fd = None

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    # ----------------------------------------------------------------------------------------
    # opening, locking, recovery

    def _lock(self) -> None:
        path = self.root / tables.BADBENCH_DIR / ".writer.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataError(
                "another DatasetWriter has this dataset open; close it first", path=self.root
            ) from None
        self._lock_fd = fd

    def _check_open(self) -> None:
        if self._lock_fd is None:
            raise DataError("this DatasetWriter is closed", path=self.root)

    def _resume(self, chunks_size: int) -> None:
        cat = load_catalog(self.root)
        info = cat.info
        self.info = info
        self._chunks_size = int(info.get("chunks_size", chunks_size))
        if self._fps is not None and abs(float(self._fps) - cat.fps) > 1e-9:
            raise ValidationError(
                f"the dataset's fps is {cat.fps}, not {self._fps}",
                path=self.root / lerobot.INFO_PATH,
                field="fps",
            )
        self._fps = cat.fps
        self.tasks = list(cat.tasks)
        self._task_index = {t: i for i, t in enumerate(self.tasks)}
        self._ids = {m.episode_id for m in cat.metas}
        self._n_episodes = len(cat.episodes)
        self._n_frames = cat.episodes[-1]["dataset_to_index"] if cat.episodes else 0
        self._next = _next_positions(cat, self._chunks_size)
        full = lerobot.read_episodes_index(self.root, with_stats=True).to_pylist()
        per_episode = [stats_from_row(r) for r in full]
        if full:  # keep every meta/episodes file's columns alike (HF datasets concatenates them)
            self._stats_columns = {k for k in full[-1] if k.startswith("stats/")}
            self._quantiles = any(k.endswith("/q01") for k in self._stats_columns)
        self._stats = aggregate_stats(per_episode) if per_episode else None
        _remove_leftovers(self.root, cat, self._next, self._chunks_size)
        self._repair(cat)

    def _repair(self, cat: Catalog) -> None:
        """Drop tasks of an interrupted append and bring info.json/stats.json up to date."""
        used = {t for r in cat.episodes for t in (r.get("tasks") or [])}
        last = max((self._task_index[t] for t in used if t in self._task_index), default=-1)
        if len(self.tasks) > last + 1:
            self.tasks = self.tasks[: last + 1]
            self._task_index = {t: i for i, t in enumerate(self.tasks)}
            lerobot.write_parquet_atomic(
                lerobot.tasks_table(self.tasks), self.root / lerobot.TASKS_PATH
            )
        assert self.info is not None
        if (
            self.info.get("total_episodes") != self._n_episodes
            or self.info.get("total_frames") != self._n_frames
            or self.info.get("total_tasks") != len(self.tasks)
            or not (self.root / lerobot.STATS_PATH).exists()
        ):
            self._write_info_and_stats()

    # ----------------------------------------------------------------------------------------
    # state helpers used by _Batch

    def _snapshot(self) -> dict[str, Any]:
        return {
            "info": copy.deepcopy(self.info),
            "tasks": list(self.tasks),
            "ids": set(self._ids),
            "n": (self._n_episodes, self._n_frames),
            "next": dict(self._next),
            "stats": self._stats,
            "fps": self._fps,
        }

    def _restore(self, s: dict[str, Any]) -> None:
        self.info = s["info"]
        self.tasks = s["tasks"]
        self._task_index = {t: i for i, t in enumerate(self.tasks)}
        self._ids = s["ids"]
        self._n_episodes, self._n_frames = s["n"]
        self._next = s["next"]
        self._stats = s["stats"]
        self._fps = s["fps"]

    def _linked_files(self, key: str) -> dict[tuple[int, int], int]:
        """``(st_dev, st_ino)`` -> position of the committed video files of ``key`` (scanned once
        per writer; a shared file linked in holds its source's inode, so it is found again after
        a resume)."""
        if key not in self._linked:
            found: dict[tuple[int, int], int] = {}
            assert self.info is not None
            for pos in range(self._next.get(f"video:{key}", 0)):
                cf = lerobot.chunk_file(pos, self._chunks_size)
                path = self.root / self.info["video_path"].format(
                    video_key=key, chunk_index=cf[0], file_index=cf[1]
                )
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue
                found[(st.st_dev, st.st_ino)] = pos
            self._linked[key] = found
        return self._linked[key]

    def _task(self, instruction: str) -> tuple[int, bool]:
        if instruction in self._task_index:
            return self._task_index[instruction], False
        self._task_index[instruction] = len(self.tasks)
        self.tasks.append(instruction)
        return self._task_index[instruction], True

    def _write_format(self) -> None:
        path = self.root / tables.FORMAT_PATH
        if not path.exists():
            lerobot.write_json_atomic({"badbench_format": tables.FORMAT_VERSION}, path)

    def _write_info_and_stats(self) -> None:
        assert self.info is not None
        self.info["total_episodes"] = self._n_episodes
        self.info["total_frames"] = self._n_frames
        self.info["total_tasks"] = len(self.tasks)
        self.info["splits"] = {"train": f"0:{self._n_episodes}"} if self._n_episodes else {}
        lerobot.write_json_atomic(self.info, self.root / lerobot.INFO_PATH)
        if self._stats:
            agg = self._stats
            order = [k for k in self.info["features"] if k in agg]
            stats = stats_to_json({k: agg[k] for k in order})
            lerobot.write_json_atomic(stats, self.root / lerobot.STATS_PATH)


def _next_positions(cat: Catalog, chunks_size: int) -> dict[str, int]:
    nxt = {"data": 0, "meta": 0}
    for r in cat.episodes:
        pos = lerobot.file_position(r["data/chunk_index"], r["data/file_index"], chunks_size)
        nxt["data"] = max(nxt["data"], pos + 1)
        pos = lerobot.file_position(
            r["meta/episodes/chunk_index"], r["meta/episodes/file_index"], chunks_size
        )
        nxt["meta"] = max(nxt["meta"], pos + 1)
        for key in lerobot.video_keys(cat.info):
            c, f = r.get(f"videos/{key}/chunk_index"), r.get(f"videos/{key}/file_index")
            if c is not None and f is not None:
                pos = lerobot.file_position(c, f, chunks_size)
                nxt[f"video:{key}"] = max(nxt.get(f"video:{key}", 0), pos + 1)
    return nxt


def _remove_leftovers(root: Path, cat: Catalog, nxt: dict[str, int], chunks_size: int) -> None:
    """Delete temp files, and files past the last committed position of each stream.

    Such files can only come from an interrupted append; files in the middle of a stream are
    never touched (``validate`` reports unreferenced ones).
    """
    streams: list[tuple[Path, str, int]] = [
        (root / lerobot.DATA_DIR, "*.parquet", nxt["data"]),
        (root / lerobot.EPISODES_DIR, "*.parquet", nxt["meta"]),
    ]
    for key in lerobot.video_keys(cat.info):
        streams.append((root / lerobot.VIDEO_DIR / key, "*.mp4", nxt.get(f"video:{key}", 0)))
    for name in tables.PER_EPISODE_TABLES:
        streams.append((tables.table_dir(root, name), "*.parquet", nxt["meta"]))
    for base, pattern, first_free in streams:
        for path in base.glob("chunk-*/" + pattern):
            try:
                pos = lerobot.file_position(*tables.chunk_file_of(path), chunks_size)
            except (IndexError, ValueError):
                continue
            if pos >= first_free:
                path.unlink()
    _remove_tmp_files(root)


def _remove_tmp_files(root: Path) -> None:
    for base in (root / "meta", root / lerobot.DATA_DIR, root / lerobot.VIDEO_DIR):
        for path in base.rglob(".*.tmp"):
            path.unlink(missing_ok=True)


class _Batch:
    """The files of one commit, built episode by episode.

    Episodes go into the current data file and the current video file of each camera; once a
    file has reached its size limit (``data_files_size_in_mb`` / ``video_files_size_in_mb`` of
    ``info.json``), the next episode starts a new one, as LeRobot does.
    """

    def __init__(self, w: DatasetWriter) -> None:
        self.w = w
        self.indices: list[int] = []
        self.encoders: dict[str, list[VideoEncoder | _StagedVideo | _LinkedVideo]] = {}
        self.linked: dict[str, dict[tuple[int, int], int]] = {}  # shared files of this batch
        self.data: list[list[pa.Table]] = []
        self.rows: list[dict[str, Any]] = []
        self.records: list[tuple[int, Episode]] = []
        self.new_features = w.info is None or w._n_episodes == 0
        self.new_tasks = False
        self.meta_cf = lerobot.chunk_file(w._next["meta"], w._chunks_size)

    # -- per episode

    def add(self, item: Episode | PreparedEpisode) -> None:
        if not isinstance(item, PreparedEpisode):
            self._add(item, None)
            return
        try:
            self._check_prepared(item)
            self._add(item.stand_in(), item)
        except BaseException:
            item.discard()  # consumed either way (staged files of an added one: by abort)
            raise

    def _check_prepared(self, p: PreparedEpisode) -> None:
        w = self.w
        where = f"prepared episode '{p.id}'"
        if p.root.resolve() != w.root.resolve():
            raise ValidationError(
                f"{where} was staged for the dataset at {p.root}; prepare it for this one",
                path=w.root,
            )
        if p.spec != w.spec:
            raise ValidationError(
                f"{where} was encoded with {p.spec}; this writer's settings are {w.spec} "
                "(pass the writer's spec to prepare_episode)",
                path=w.root,
                field="spec",
            )
        fps = w._fps if w._fps is not None else p.episode.meta.fps
        if abs(p.fps - fps) > 1e-9:
            raise ValidationError(
                f"{where} was encoded at {p.fps} fps; the dataset's is {fps}",
                path=w.root,
                field="fps",
            )
        for key, video in p.videos.items():
            if not video.path.is_file():
                raise ValidationError(
                    f"{where}: its staged video of '{key}' is gone (already appended, or "
                    "removed by a writer opened since it was prepared); prepare it again",
                    path=video.path,
                    field=key,
                )

    def _add(self, ep: Episode, prepared: PreparedEpisode | None) -> None:
        w = self.w
        length = check_episode(ep, w.root, w._ids, w._fps, w.info)
        if w.info is None:
            self._init_features(ep, length)
        assert w.info is not None
        idx = w._n_episodes
        task_index, new = w._task(ep.meta.instruction)
        self.new_tasks |= new
        feats = w.info["features"]
        videos: dict[str, tuple[int, int, float, float]] = {}
        stats: dict[str, dict[str, np.ndarray]] = {}
        for key in lerobot.video_keys(w.info):
            if prepared is not None:
                pos, t0, t1 = self._staged(key, prepared.videos[key])
                stats[key] = {
                    n: v
                    for n, v in prepared.videos[key].stats.items()
                    if w._quantiles or n not in QUANTILE_KEYS
                }
            else:
                pos, enc = self._encoder(key, lerobot.video_hw(feats[key]))
                t0, t1 = enc.add(ep.frames[key])
                stats[key] = image_stats(np.asarray(ep.frames[key]), quantiles=w._quantiles)
            videos[key] = (*lerobot.chunk_file(pos, w._chunks_size), t0, t1)
        table, columns = datafile.episode_table(
            ep,
            feats,
            episode_index=idx,
            length=length,
            start=w._n_frames,
            task_index=task_index,
            fps=w._fps or ep.meta.fps,
            path=w.root,
        )
        data_pos = self._data_file()
        self.data[-1].append(table)
        for key, values in columns.items():
            if feats[key]["dtype"] != "string":  # LeRobot keeps no stats of strings
                stats[key] = feature_stats(values, quantiles=w._quantiles)
        ordered = {k: stats[k] for k in feats if k in stats}
        self.rows.append(
            lerobot.episode_row(
                episode_index=idx,
                tasks=[ep.meta.instruction],
                length=length,
                data=lerobot.chunk_file(data_pos, w._chunks_size),
                dataset_from_index=w._n_frames,
                videos=videos,
                stats=self._row_stats(ordered),
                meta_file=self.meta_cf,
            )
        )
        meta = ep.meta.model_copy(
            update={
                "length": length,
                "cameras": tuple(lerobot.video_keys(w.info)),
                "fps": float(w._fps or ep.meta.fps),
            }
        )
        self.records.append((idx, dataclasses.replace(ep, meta=meta, frames={})))  # no pixels
        w._stats = aggregate_stats([w._stats, ordered]) if w._stats else ordered
        w._ids.add(ep.id)
        w._n_episodes += 1
        w._n_frames += length
        self.indices.append(idx)

    def _row_stats(self, stats: dict[str, dict[str, np.ndarray]]) -> dict:
        """The stats columns to write: all, or those the dataset's episode files already have."""
        cols = self.w._stats_columns
        if cols is None:
            return stats
        kept = {
            f: {n: v for n, v in st.items() if f"stats/{f}/{n}" in cols} for f, st in stats.items()
        }
        return {f: st for f, st in kept.items() if st}

    def _init_features(self, ep: Episode, length: int) -> None:
        w = self.w
        w._fps = float(w._fps or ep.meta.fps)
        cams = {k: (int(v.shape[1]), int(v.shape[2])) for k, v in ep.frames.items()}
        feats = lerobot.build_features(
            cameras=cams,
            state_dim=None if ep.state is None else int(np.asarray(ep.state).shape[1]),
            action_dim=None if ep.action is None else int(np.asarray(ep.action).shape[1]),
            names=w._names,
        )
        robot = w._robot_type or (ep.meta.embodiment if ep.meta.embodiment != "unknown" else None)
        w.info = lerobot.create_info(
            fps=w._fps,
            features=feats,
            robot_type=robot,
            chunks_size=w._chunks_size,
            data_files_size_in_mb=w._data_mb,
            video_files_size_in_mb=w._video_mb,
        )

    def _data_file(self) -> int:
        """The position of the data file the next episode goes to (a new one when full)."""
        assert self.w.info is not None
        limit = float(
            self.w.info.get("data_files_size_in_mb", lerobot.DEFAULT_DATA_FILE_SIZE_IN_MB)
        )
        if not self.data or sum(t.nbytes for t in self.data[-1]) >= limit * 2**20:
            self.data.append([])
        return self.w._next["data"] + len(self.data) - 1

    def _video_path(self, key: str, pos: int) -> Path:
        w = self.w
        assert w.info is not None
        cf = lerobot.chunk_file(pos, w._chunks_size)
        return w.root / w.info["video_path"].format(
            video_key=key, chunk_index=cf[0], file_index=cf[1]
        )

    def _encoder(self, key: str, hw: tuple[int, int]) -> tuple[int, VideoEncoder]:
        """The position and encoder of the video file the next episode of ``key`` goes to."""
        w = self.w
        assert w.info is not None
        limit = float(w.info.get("video_files_size_in_mb", lerobot.DEFAULT_VIDEO_FILE_SIZE_IN_MB))
        encs = self.encoders.setdefault(key, [])
        first = w._next.get(f"video:{key}", 0)
        last = encs[-1] if encs else None
        if not isinstance(last, VideoEncoder) or last.bytes_written() >= limit * 2**20:
            path = self._video_path(key, first + len(encs))
            last = VideoEncoder(path, fps=w._fps or 0.0, height=hw[0], width=hw[1], spec=w.spec)
            encs.append(last)
        return first + len(encs) - 1, last

    def _staged(self, key: str, video: PreparedVideo) -> tuple[int, float, float]:
        """Give a prepared video its own file (a shared one: the dataset's link to it, made
        once); returns its position and timestamps."""
        w = self.w
        encs = self.encoders.setdefault(key, [])
        fps = w._fps or 0.0
        if video.shared:
            st = video.path.stat()
            ident = (st.st_dev, st.st_ino)
            mine = self.linked.setdefault(key, {})
            pos = mine.get(ident, w._linked_files(key).get(ident))
            if pos is None:
                pos = w._next.get(f"video:{key}", 0) + len(encs)
                encs.append(_LinkedVideo(video, self._video_path(key, pos), fps))
                mine[ident] = pos
            return pos, video.offset, video.offset + video.frames / fps
        pos = w._next.get(f"video:{key}", 0) + len(encs)
        encs.append(_StagedVideo(video, self._video_path(key, pos), fps))
        return pos, 0.0, video.frames / fps

    # -- commit

    def commit(self) -> None:
        w = self.w
        assert w.info is not None
        if self.new_features:  # first commit: info.json first, so the directory opens from now on
            for key, encs in self.encoders.items():
                enc = encs[0]
                w.info["features"][key]["info"] = spec_video_info(
                    w.spec, height=enc.height, width=enc.width, fps=enc.fps
                )
            lerobot.write_json_atomic(w.info, w.root / lerobot.INFO_PATH)
        for encs in self.encoders.values():
            for enc in encs:
                enc.commit()
        for i, group in enumerate(self.data):
            cf = lerobot.chunk_file(w._next["data"] + i, w._chunks_size)
            path = w.root / w.info["data_path"].format(chunk_index=cf[0], file_index=cf[1])
            lerobot.write_parquet_atomic(pa.concat_tables(group), path)
        w._write_format()
        for name, table in tables.episode_tables(self.records).items():
            if table.num_rows or name == tables.EPISODES:
                lerobot.write_parquet_atomic(table, tables.table_path(w.root, name, *self.meta_cf))
        if self.new_tasks:
            lerobot.write_parquet_atomic(lerobot.tasks_table(w.tasks), w.root / lerobot.TASKS_PATH)
        episodes_path = w.root / lerobot.DEFAULT_EPISODES_PATH.format(
            chunk_index=self.meta_cf[0], file_index=self.meta_cf[1]
        )
        lerobot.write_parquet_atomic(lerobot.episodes_table(self.rows), episodes_path)  # commit
        w._next["data"] += len(self.data)
        w._next["meta"] += 1
        for key, encs in self.encoders.items():
            w._next[f"video:{key}"] = w._next.get(f"video:{key}", 0) + len(encs)
        for key, found in self.linked.items():
            w._linked_files(key).update(found)
        w._write_info_and_stats()

    def abort(self) -> None:
        for encs in self.encoders.values():
            for enc in encs:
                enc.abort()


class _StagedVideo:
    """A prepared video file in a batch: moved into place on commit, deleted on abort."""

    def __init__(self, video: PreparedVideo, path: Path, fps: float) -> None:
        self.staged, self.path, self.fps = video.path, path, fps
        self.height, self.width = video.height, video.width

    def commit(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.staged, self.path)

    def abort(self) -> None:
        self.staged.unlink(missing_ok=True)


class _LinkedVideo:
    """A shared video file in a batch: hard-linked (or, across file systems, copied) into place
    on commit; the source file is never touched."""

    def __init__(self, video: PreparedVideo, path: Path, fps: float) -> None:
        self.source, self.path, self.fps = video.path, path, fps
        self.height, self.width = video.height, video.width

    def commit(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = lerobot.tmp_path(self.path)
        tmp.unlink(missing_ok=True)
        try:
            os.link(self.source, tmp)
        except OSError:  # another file system, or links refused: a copy reads the same
            shutil.copyfile(self.source, tmp)
        os.replace(tmp, self.path)

    def abort(self) -> None:
        lerobot.tmp_path(self.path).unlink(missing_ok=True)
