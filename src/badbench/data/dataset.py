"""Reading badbench datasets (LeRobot v3 layout plus ``meta/badbench/`` tables).

:class:`Dataset` opens a directory read-only: metadata and annotations eagerly, data rows and
video frames lazily. It trusts only what ``meta/episodes`` lists, so the leftovers of an
interrupted append are invisible. A plain LeRobot v3 dataset (no ``meta/badbench/``) opens too:
its episodes get ids ``episode_000000``, ... and their task string as instruction, and carry no
annotations. :class:`DatasetWriter` (re-exported here) appends.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from badbench.data import datafile, lerobot
from badbench.data.catalog import Catalog, load_catalog
from badbench.data.schema import Episode, EpisodeMeta, FailureTag, Outcome, Preference
from badbench.data.video import decode_frames
from badbench.data.writer import DatasetWriter
from badbench.errors import DataError

__all__ = ["Dataset", "DatasetWriter"]

_CACHE_FILES = 2


class Dataset:
    """A dataset on disk, opened read-only. Loads metadata eagerly, video lazily.

    Attributes:
        root: the dataset directory.
        info: ``meta/info.json``.
    """

    root: Path
    info: dict

    def __init__(self, catalog: Catalog) -> None:
        self._cat = catalog
        self.root = catalog.root
        self.info = catalog.info
        self._by_id = {m.episode_id: i for i, m in enumerate(catalog.metas)}
        self._tables: OrderedDict[Path, pa.Table] = OrderedDict()
        self._lock = threading.Lock()  # the data-file cache may be shared by threads

    @classmethod
    def open(cls, root: str | Path) -> Dataset:
        """Open a badbench or plain LeRobot v3 dataset directory (no tables -> no annotations).

        Raises:
            DataError: (or SchemaError / ValidationError) naming the file and field at fault.
        """
        return cls(load_catalog(Path(root)))

    def __len__(self) -> int:
        return len(self._cat.metas)

    def __iter__(self) -> Iterator[EpisodeMeta]:
        return iter(self._cat.metas)

    def __contains__(self, episode_id: object) -> bool:
        return episode_id in self._by_id

    def __repr__(self) -> str:
        return f"Dataset({str(self.root)!r}, episodes={len(self)}, cameras={self.cameras})"

    # ----------------------------------------------------------------------------------------
    # dataset-level facts

    @property
    def episode_ids(self) -> list[str]:
        return [m.episode_id for m in self._cat.metas]

    @property
    def cameras(self) -> list[str]:
        """Video feature keys, e.g. ``["observation.images.top"]``."""
        return lerobot.video_keys(self.info)

    @property
    def fps(self) -> float:
        return self._cat.fps

    @property
    def robot_type(self) -> str | None:
        return self.info.get("robot_type")

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return self.info["features"]

    @property
    def tasks(self) -> list[str]:
        """LeRobot task strings by ``task_index``."""
        return list(self._cat.tasks)

    @property
    def total_frames(self) -> int:
        return sum(int(r["length"]) for r in self._cat.episodes)

    @property
    def has_annotations(self) -> bool:
        """Whether the dataset has badbench tables (``meta/badbench/``)."""
        return self._cat.has_tables

    @property
    def stats(self) -> dict[str, dict[str, np.ndarray]] | None:
        """``meta/stats.json`` as arrays, or None when absent."""
        path = self.root / lerobot.STATS_PATH
        if not path.exists():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {k: {n: np.asarray(v) for n, v in st.items()} for k, st in raw.items()}

    # ----------------------------------------------------------------------------------------
    # per-episode records

    def episode_index(self, episode_id: str) -> int:
        """The LeRobot ``episode_index`` of an episode id."""
        try:
            return self._by_id[episode_id]
        except KeyError:
            raise KeyError(f"no episode '{episode_id}' in {self.root}") from None

    def meta(self, episode_id: str) -> EpisodeMeta:
        return self._cat.metas[self.episode_index(episode_id)]

    def outcome(self, episode_id: str) -> Outcome | None:
        return self._cat.outcomes.get(self.episode_index(episode_id))

    def tags(self, episode_id: str) -> list[FailureTag]:
        return list(self._cat.tags.get(self.episode_index(episode_id), []))

    def dense_reward(self, episode_id: str) -> np.ndarray | None:
        value = self._cat.dense().get(self.episode_index(episode_id))
        return None if value is None else value.copy()

    def extras(self, episode_id: str) -> dict[str, np.ndarray]:
        found = self._cat.extras().get(self.episode_index(episode_id), {})
        return {k: v.copy() for k, v in found.items()}

    def preferences(self) -> list[Preference]:
        return list(self._cat.preferences)

    # ----------------------------------------------------------------------------------------
    # arrays

    def _row(self, episode_id: str) -> dict[str, Any]:
        return self._cat.episodes[self.episode_index(episode_id)]

    def _data_file(self, path: Path) -> pa.Table:
        with self._lock:
            if path in self._tables:
                self._tables.move_to_end(path)
                return self._tables[path]
        if not path.is_file():
            raise DataError("data file is missing (meta/episodes refers to it)", path=path)
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as e:
            raise DataError(f"cannot read parquet: {e}", path=path) from None
        datafile.check_data_schema(table.schema, self.features, path)
        with self._lock:
            self._tables[path] = table
            if len(self._tables) > _CACHE_FILES:
                self._tables.popitem(last=False)
        return table

    def data(self, episode_id: str) -> pa.Table:
        """The episode's rows of its ``data/`` parquet file (all columns)."""
        row = self._row(episode_id)
        path = self.root / self.info["data_path"].format(
            chunk_index=row["data/chunk_index"], file_index=row["data/file_index"]
        )
        table = self._data_file(path)
        idx = table.column("index")
        lo, hi = row["dataset_from_index"], row["dataset_to_index"]
        mask = pc.and_(pc.greater_equal(idx, lo), pc.less(idx, hi))
        rows = table.filter(mask)
        if rows.num_rows != row["length"]:
            raise DataError(
                f"episode {row['episode_index']} should have {row['length']} rows "
                f"(index {lo}..{hi - 1}) but the file has {rows.num_rows}",
                path=path,
                field="index",
            )
        return rows

    def state(self, episode_id: str) -> np.ndarray | None:
        """float32 (T, D) ``observation.state``, or None when the dataset has none."""
        return self._vector(episode_id, lerobot.STATE_KEY)

    def action(self, episode_id: str) -> np.ndarray | None:
        """float32 (T, A) ``action``, or None when the dataset has none."""
        return self._vector(episode_id, lerobot.ACTION_KEY)

    def _vector(self, episode_id: str, key: str) -> np.ndarray | None:
        if key not in self.features:
            return None
        return _matrix(self.data(episode_id).column(key))

    def video_path(self, episode_id: str, camera: str) -> Path:
        row = self._row(episode_id)
        return self.root / self.info["video_path"].format(
            video_key=camera,
            chunk_index=row[f"videos/{camera}/chunk_index"],
            file_index=row[f"videos/{camera}/file_index"],
        )

    def video_ref(self, episode_id: str, camera: str) -> tuple[Path, float, float]:
        """Where one camera's frames of an episode are stored, without decoding them.

        Returns:
            ``(video file, from_timestamp, to_timestamp)`` (seconds into the shared file).
        """
        row = self._row(episode_id)
        return (
            self.video_path(episode_id, camera),
            float(row[f"videos/{camera}/from_timestamp"]),
            float(row[f"videos/{camera}/to_timestamp"]),
        )

    def frames(
        self, episode_id: str, camera: str | None = None, indices: Sequence[int] | None = None
    ) -> np.ndarray:
        """Decode frames (T, H, W, 3) uint8 of one camera (default: the first).

        Seeks to the episode's start in its (shared) video file; with ``indices`` only the frames
        up to the last index asked for are decoded.

        Raises:
            KeyError: no such episode or camera.
            VideoError: the video is missing, corrupt, or holds fewer frames than the episode.
        """
        cams = self.cameras
        if not cams:
            raise KeyError(f"dataset {self.root} has no video features")
        camera = camera or cams[0]
        if camera not in cams:
            raise KeyError(f"no camera '{camera}' in {self.root}; cameras: {cams}")
        row = self._row(episode_id)
        return decode_frames(
            self.video_path(episode_id, camera),
            from_timestamp=float(row[f"videos/{camera}/from_timestamp"]),
            length=int(row["length"]),
            fps=self.fps,
            indices=indices,
        )

    def load(self, episode_id: str, *, video: bool = True) -> Episode:
        """The whole episode: records, arrays, labels, and (if ``video``) decoded frames."""
        state = action = None
        if lerobot.STATE_KEY in self.features or lerobot.ACTION_KEY in self.features:
            rows = self.data(episode_id)
            if lerobot.STATE_KEY in self.features:
                state = _matrix(rows.column(lerobot.STATE_KEY))
            if lerobot.ACTION_KEY in self.features:
                action = _matrix(rows.column(lerobot.ACTION_KEY))
        frames = {c: self.frames(episode_id, c) for c in self.cameras} if video else {}
        return Episode(
            meta=self.meta(episode_id),
            frames=frames,
            state=state,
            action=action,
            outcome=self.outcome(episode_id),
            tags=self.tags(episode_id),
            dense_reward=self.dense_reward(episode_id),
            extras=self.extras(episode_id),
        )

    def iter_episodes(self, *, video: bool = True) -> Iterator[Episode]:
        """Load every episode in order (data files are read once each, thanks to a small cache)."""
        for eid in self.episode_ids:
            yield self.load(eid, video=video)


def _matrix(column: pa.ChunkedArray) -> np.ndarray:
    """A state/action column as float32 (T, D); a scalar column (LeRobot's shape [1]) is D = 1."""
    arr = datafile.column_to_numpy(column, "float32")
    return arr.reshape(len(arr), -1)
