"""What a model reads of an episode: the lazy view it is handed, and the key its score is cached by.

The score cache is keyed by a model's *inputs*, never by labels: relabelling an episode, adding
preferences or re-tagging failures re-scores nothing; changing a frame (or the instruction, the
state, the frames asked for) does. :func:`input_key` hashes

- the episode id, instruction, task, length and frame rate;
- the state and action arrays (a model may read them);
- for a model that reads frames: for each camera it reads, the video file's content hash, the
  episode's timestamps in that file, and the frame indices the model asks for;
- for a model that reads labels (:attr:`~badbench.models.RewardModel.reads_labels`, the oracle):
  the outcome, tags and dense labels as well.

Hashing a video file is the one costly step, so :class:`FileHashes` remembers each file's hash
by (size, modification time) in a small JSON file beside the score cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from badbench.data.dataset import Dataset
from badbench.data.schema import Episode
from badbench.errors import ValidationError
from badbench.models.base import LazyFrames, RewardModel

HASHES_FILE = "file-hashes.json"
"""Name of the file-hash memo inside a score-cache directory."""


class FileHashes:
    """SHA-256 of files, remembered by (path, size, mtime) in an optional JSON memo.

    Args:
        memo: the JSON file to read and update (``None``: remember in memory only).
    """

    def __init__(self, memo: str | Path | None = None) -> None:
        self.memo = Path(memo) if memo is not None else None
        self._known: dict[str, list] = {}
        self._dirty = False
        if self.memo is not None and self.memo.is_file():
            try:
                self._known = dict(json.loads(self.memo.read_text()))
            except (ValueError, TypeError):
                self._known = {}  # a torn memo only costs re-hashing

    def __call__(self, path: str | Path) -> str:
        """The file's content hash (hex, 32 characters)."""
        path = Path(path)
        st = path.stat()
        tag = [st.st_size, st.st_mtime_ns]
        known = self._known.get(str(path.resolve()))
        if known is not None and known[:2] == tag:
            return str(known[2])
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        digest = h.hexdigest()[:32]
        self._known[str(path.resolve())] = [*tag, digest]
        self._dirty = True
        return digest

    def save(self) -> None:
        """Write the memo (atomically) if anything was hashed."""
        if self.memo is None or not self._dirty:
            return
        self.memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.memo.with_name(f".{self.memo.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self._known, sort_keys=True))
        os.replace(tmp, self.memo)
        self._dirty = False


def model_cameras(ds: Dataset, model: RewardModel) -> tuple[str, ...]:
    """The cameras a model reads on a dataset.

    Raises:
        ValidationError: the model asks for a camera the dataset lacks, or the dataset has none.
    """
    if not model.needs_frames:
        return ()
    cams = tuple(model.cameras) if model.cameras else tuple(ds.cameras[:1])
    if not cams:
        raise ValidationError(
            f"{model!r} reads video frames but the dataset {ds.root} has no cameras",
            field="cameras",
        )
    missing = [c for c in cams if c not in ds.cameras]
    if missing:
        raise ValidationError(
            f"{model!r} reads camera(s) {missing}, which {ds.root} lacks; "
            f"its cameras: {ds.cameras}",
            field="cameras",
        )
    return cams


def hash_array(h: hashlib._Hash, arr: np.ndarray | None) -> None:
    """Feed an array's dtype, shape and bytes (or ``b"none"``) into a hash."""
    if arr is None:
        h.update(b"none")
        return
    a = np.ascontiguousarray(arr)
    h.update(f"{a.dtype}{a.shape}".encode())
    h.update(a.tobytes())


def _frames_key(file_hash: str, t0: float, t1: float, indices: Sequence[int] | None) -> str:
    blob = json.dumps([file_hash, round(t0, 9), round(t1, 9), indices]).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def input_key(
    ds: Dataset,
    model: RewardModel,
    episode: Episode,
    hashes: FileHashes,
    cameras: Sequence[str] | None = None,
) -> str:
    """The score-cache key of one episode for one model: a hash of what the model reads.

    Args:
        ds: the dataset the episode comes from.
        model: the model (its cameras, frame indices and whether it reads labels matter).
        episode: the episode, loaded without video.
        hashes: the video-file hasher.
        cameras: the model's cameras (default :func:`model_cameras`).
    """
    cams = model_cameras(ds, model) if cameras is None else tuple(cameras)
    meta = episode.meta
    h = hashlib.sha256()
    h.update(
        json.dumps([meta.episode_id, meta.instruction, meta.task, meta.length, meta.fps]).encode()
    )
    hash_array(h, episode.state)
    hash_array(h, episode.action)
    if cams:
        idx = model.frame_indices(meta)
        indices = None if idx is None else [int(i) for i in idx]
        for cam in cams:
            path, t0, t1 = ds.video_ref(episode.id, cam)
            h.update(cam.encode())
            h.update(_frames_key(hashes(path), t0, t1, indices).encode())
    if model.reads_labels:
        h.update((episode.outcome.model_dump_json() if episode.outcome else "null").encode())
        for tag in episode.tags:
            h.update(tag.model_dump_json().encode())
        hash_array(h, episode.dense_reward)
    return h.hexdigest()[:32]


def episode_view(
    ds: Dataset,
    model: RewardModel,
    episode: Episode,
    hashes: FileHashes,
    cameras: Sequence[str] | None = None,
) -> Episode:
    """What the model is handed: a copy of the episode whose frames decode when first read.

    ``view.frames`` is a :class:`~badbench.models.LazyFrames` over the model's cameras at its
    frame indices; its content keys let a model key its own cache without decoding. The tag and
    extras containers are fresh, so a model that mutates its input cannot touch the dataset's.
    """
    copy = replace(episode, frames={}, tags=list(episode.tags), extras=dict(episode.extras))
    cams = model_cameras(ds, model) if cameras is None else tuple(cameras)
    if not cams:
        return copy
    idx = model.frame_indices(episode.meta)
    indices = None if idx is None else [int(i) for i in idx]
    loaders = {}
    keys = {}
    for cam in cams:
        path, t0, t1 = ds.video_ref(episode.id, cam)
        loaders[cam] = _loader(ds, episode.id, cam, indices)
        keys[cam] = _frames_key(hashes(path), t0, t1, indices)
    return replace(copy, frames=LazyFrames(loaders, keys))  # type: ignore[arg-type]


def _loader(ds: Dataset, episode_id: str, camera: str, indices: list[int] | None):  # noqa: ANN202
    return lambda: ds.frames(episode_id, camera, indices)
