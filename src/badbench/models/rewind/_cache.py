"""The on-disk embedding cache: each frame embedded once per encoder, shared by every user.

Training, evaluation and every arm of an ablation read the same entries. An entry is the
embeddings of the frames one model reads of one camera of one episode, keyed by

- the frames' content key (:func:`badbench.models.frame_content_key`: the video file's content
  hash, the episode's timestamps in it and the frame indices read; pixels for in-memory
  frames), the row ``i`` of the entry being the ``i``-th frame read, and
- the encoder's fingerprint (name, weights hash, options): one directory per fingerprint.

Layout: ``ROOT/<fingerprint hash>/encoder.json`` (the fingerprint) and
``ROOT/<fingerprint hash>/<key[:2]>/<key>.npy``, one float32 array (frames, dim) per entry.
Each file is written to a temporary name in the same directory and renamed into place, so a kill
mid-write leaves either the whole entry or none (a leftover ``.*.tmp`` is ignored); an entry
that cannot be read, or has the wrong shape, counts as missing and is written again. A rerun
therefore encodes only what is missing.

:func:`embed_dataset` embeds a dataset's episodes through the cache, with the same frame view
the benchmark runner hands a model, so the keys it writes are the keys ``rewind`` reads when
it evaluates the same frames (16 evenly spaced frames per episode by default).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from badbench.data.dataset import Dataset
from badbench.data.schema import Episode, EpisodeMeta
from badbench.errors import DataError, ValidationError
from badbench.models.base import RewardModel, evenly_spaced, frame_content_key
from badbench.models.rewind._encoders import (
    ImageEncoder,
    TextEncoder,
    fingerprint_hash,
    image_encoder,
)

FRAMES = 16
"""Frames per episode by default: ReWiND's clip length, and what ``rewind`` evaluates."""


def default_cache_dir() -> Path:
    """``$BADBENCH_CACHE/embeddings``, else ``~/.cache/badbench/embeddings``."""
    env = os.environ.get("BADBENCH_CACHE")
    return (Path(env) if env else Path.home() / ".cache" / "badbench") / "embeddings"


class EmbeddingCache:
    """The embeddings one encoder made, on disk (module docstring).

    Args:
        root: the cache directory (shared by every encoder; default :func:`default_cache_dir`).
        fingerprint: the encoder's :meth:`fingerprint`.
    """

    def __init__(self, root: str | Path | None, fingerprint: dict[str, Any]) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.fingerprint = fingerprint
        self.dir = self.root / fingerprint_hash(fingerprint)
        self.hits = 0
        """Entries read (a test counts them)."""
        self.writes = 0
        """Entries written."""

    def path(self, key: str) -> Path:
        """Where the entry of ``key`` lives."""
        return self.dir / key[:2] / f"{key}.npy"

    def get(self, key: str, rows: int | None = None) -> np.ndarray | None:
        """The cached embeddings of ``key`` (float32 (rows, dim)), or ``None`` when missing,
        unreadable or of another number of rows."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if arr.ndim != 2 or arr.dtype != np.float32 or (rows is not None and len(arr) != rows):
            return None
        self.hits += 1
        return arr

    def put(self, key: str, embeddings: np.ndarray) -> None:
        """Store an entry atomically (temporary file, then rename)."""
        arr = np.ascontiguousarray(embeddings, dtype=np.float32)
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._describe()
        _atomic_write(path, lambda f: np.save(f, arr, allow_pickle=False))
        self.writes += 1

    def _describe(self) -> None:
        info = self.dir / "encoder.json"
        if not info.is_file():
            text = json.dumps(self.fingerprint, indent=2, sort_keys=True, default=str)
            _atomic_write(info, lambda f: f.write(text.encode()))


def _atomic_write(path: Path, write: Callable[[Any], Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def text_embeddings(
    texts: Sequence[str], encoder: TextEncoder, cache_dir: str | Path | None = None
) -> dict[str, np.ndarray]:
    """Embed each distinct text once, through the cache (keyed by the text's hash)."""
    cache = EmbeddingCache(cache_dir, encoder.fingerprint())
    out: dict[str, np.ndarray] = {}
    todo = []
    for text in dict.fromkeys(texts):
        key = hashlib.sha256(text.encode()).hexdigest()[:32]
        found = cache.get(key, 1)
        if found is None:
            todo.append((text, key))
        else:
            out[text] = found[0]
    if todo:
        embedded = encoder.encode([t for t, _ in todo])
        for (text, key), row in zip(todo, embedded, strict=True):
            cache.put(key, row[None])
            out[text] = row
    return out


class _Selection(RewardModel):
    """A frame selection in the shape the runner's frame view takes (a model's indices)."""

    def __init__(self, pick: Callable[[int], list[int]]) -> None:
        self._pick = pick

    def frame_indices(self, meta: EpisodeMeta) -> Sequence[int] | None:
        return self._pick(int(meta.length))


def frame_selection(
    frames_per_episode: int | None = FRAMES, stride: int | None = None
) -> Callable[[int], list[int]]:
    """The frame indices read of an episode of ``T`` frames: ``frames_per_episode`` evenly
    spaced (first and last included; all when ``None``), or every ``stride``-th frame from 0
    (the last included).

    Raises:
        ValidationError: both or a non-positive value given.
    """
    if stride is not None and frames_per_episode not in (None, FRAMES):
        raise ValidationError("give frames_per_episode or stride, not both", field="stride")
    if stride is not None:
        if not isinstance(stride, int) or stride < 1:
            raise ValidationError(
                f"stride must be a positive integer, got {stride!r}", field="stride"
            )

        def every(length: int) -> list[int]:
            idx = list(range(0, length, stride))
            return idx if not idx or idx[-1] == length - 1 else [*idx, length - 1]

        return every
    if frames_per_episode is not None and (
        not isinstance(frames_per_episode, int) or frames_per_episode < 2
    ):
        raise ValidationError(
            f"frames_per_episode must be an integer >= 2, got {frames_per_episode!r}",
            field="frames_per_episode",
        )
    return lambda length: evenly_spaced(length, frames_per_episode)


def embed_dataset(
    dataset_dir: str | Path | Dataset,
    encoder: str | ImageEncoder | None = None,
    camera: str | None = None,
    frames_per_episode: int | None = FRAMES,
    *,
    stride: int | None = None,
    cache_dir: str | Path | None = None,
    episodes: Sequence[str] | None = None,
    progress: bool = True,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Embed the frames of a dataset's episodes, once per frame and encoder (resumable).

    Args:
        dataset_dir: a dataset directory (or an open dataset).
        encoder: an image encoder or its spec (default ``efficientnet-lite0``).
        camera: the camera to read (default the dataset's first); ignored by ``state``.
        frames_per_episode: evenly spaced frames per episode (default 16, what ``rewind``
            evaluates, so evaluation then hits the cache); ``None`` for every frame.
        stride: instead, every ``stride``-th frame.
        cache_dir: the embedding cache (default :func:`default_cache_dir`).
        episodes: the episode ids to embed (default all).
        progress: show a progress bar (frames encoded) on stderr.

    Returns:
        episode id -> (frame indices int64 (K,), embeddings float32 (K, dim)).

    Raises:
        DataError: the dataset cannot be read, lacks the camera or (for ``state``) the state.
    """
    ds = dataset_dir if isinstance(dataset_dir, Dataset) else Dataset.open(dataset_dir)
    enc = image_encoder(encoder)
    pick = frame_selection(frames_per_episode, stride)
    ids = list(episodes) if episodes is not None else ds.episode_ids
    missing = [i for i in ids if i not in ds]
    if missing:
        raise DataError(f"no episode '{missing[0]}' in the dataset", path=ds.root)
    if enc.reads == "state":
        return {eid: _state_rows(ds, eid, pick, enc) for eid in ids}
    cam = _camera(ds, camera)
    from badbench.bench.inputs import HASHES_FILE, FileHashes, episode_view

    cache = EmbeddingCache(cache_dir, enc.fingerprint())
    hashes = FileHashes(cache.root / HASHES_FILE)
    selection = _Selection(pick)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    todo: list[tuple[str, Episode, str, np.ndarray]] = []
    for eid in ids:
        idx = np.asarray(pick(ds.meta(eid).length), dtype=np.int64)
        view = episode_view(ds, selection, Episode(meta=ds.meta(eid)), hashes, cameras=(cam,))
        key = frame_content_key(view, cam)
        found = cache.get(key, len(idx))
        if found is not None:
            out[eid] = (idx, found)
        else:
            todo.append((eid, view, key, idx))
    hashes.save()
    label = f"embedding ({enc.fingerprint()['name']})"
    with _Bar(progress, sum(len(t[3]) for t in todo), label) as advance:
        for eid, view, key, idx in todo:
            emb = enc.encode(view.frames[cam])
            cache.put(key, emb)
            out[eid] = (idx, emb)
            advance(len(idx))
    return {eid: out[eid] for eid in ids}


def _camera(ds: Dataset, camera: str | None) -> str:
    cams = ds.cameras
    if not cams:
        raise DataError("the dataset has no cameras to embed (use encoder 'state')", path=ds.root)
    if camera is None:
        return cams[0]
    if camera not in cams:
        raise DataError(
            f"no camera '{camera}'; its cameras: {', '.join(cams)}", path=ds.root, field="camera"
        )
    return camera


def _state_rows(
    ds: Dataset, eid: str, pick: Callable[[int], list[int]], enc: ImageEncoder
) -> tuple[np.ndarray, np.ndarray]:
    state = ds.state(eid)
    if state is None:
        raise DataError(
            "encoder 'state' needs an observation.state feature, which the dataset lacks",
            path=ds.root,
            field="observation.state",
        )
    idx = np.asarray(pick(len(state)), dtype=np.int64)
    return idx, enc.encode(state[idx])


class _Bar:
    """A rich progress bar on stderr (or nothing), advanced by the number of frames done."""

    def __init__(self, enabled: bool, total: int, label: str) -> None:
        self.enabled = enabled and total > 0
        self.total, self.label = total, label
        self._bar: Any = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("frames"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        task = self._bar.add_task(self.label, total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
