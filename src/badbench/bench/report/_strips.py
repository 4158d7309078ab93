"""Frame strips: a few small thumbnails of an episode, stored in the run directory.

When :func:`badbench.bench.report.write_report` is given the dataset, it decodes ~6 frames of each
showcased episode, shrinks them to thumbnails (128 pixels high) and writes them under
``RUN_DIR/strips/``::

    RUN_DIR/strips/
      index.json                      episode id -> camera and [{index, file}] (or an error)
      <episode-slug>/000042.jpg       one JPEG thumbnail per frame

Later renders read the thumbnails from there, so the report can be rebuilt from the run
directory alone. Frames are spread evenly over the episode, and each failure span gets at least
one frame inside it (its middle).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from badbench.bench.results import model_slug
from badbench.data.schema import FailureTag
from badbench.errors import BadbenchError, DataError

if TYPE_CHECKING:
    from badbench.data.dataset import Dataset

STRIPS_DIR = "strips"
INDEX_FILE = "index.json"
STRIP_VERSION = 1


@dataclass
class Strip:
    """The thumbnails of one episode, ready to inline.

    Attributes:
        camera: the camera the frames come from.
        frames: (frame index, ``data:`` URI) pairs in frame order.
        error: why no frames could be extracted, if so.
    """

    camera: str = ""
    frames: list[tuple[int, str]] = field(default_factory=list)
    error: str = ""


def strip_indices(length: int, tags: Sequence[FailureTag] = (), n: int = 6) -> list[int]:
    """Choose ``n`` frame indices: evenly spread, with the middle of every failure span.

    Args:
        length: number of frames in the episode.
        tags: failure tags; each span not yet covered gets its middle frame.
        n: how many frames (fewer if the episode is shorter).

    Returns:
        Sorted, distinct indices in ``[0, length)``.
    """
    if length <= 0 or n <= 0:
        return []
    picks = sorted({int(round(x)) for x in np.linspace(0, length - 1, min(n, length))})
    for tag in tags:
        start, end = min(tag.start_frame, length - 1), min(tag.end_frame, length - 1)
        if any(start <= i <= end for i in picks):
            continue
        mid = (start + end) // 2
        inner = [i for i in picks[1:-1] if i != mid] or picks  # keep first and last frames
        nearest = min(inner, key=lambda i: abs(i - mid))
        picks = sorted(set(picks) - {nearest} | {mid})
    return picks


def _episode_dir(episode_id: str) -> str:
    digest = hashlib.sha1(episode_id.encode("utf-8")).hexdigest()[:8]
    return f"{model_slug(episode_id)[:60]}-{digest}"


def _thumbnail(frame: np.ndarray, height: int) -> bytes:
    from io import BytesIO

    from PIL import Image  # pillow comes with matplotlib

    img = Image.fromarray(np.ascontiguousarray(frame[..., :3]).astype(np.uint8), "RGB")
    if img.height > height:
        width = max(1, round(img.width * height / img.height))
        img = img.resize((width, height), Image.Resampling.LANCZOS)
    buf = BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def _read_index(run_dir: Path) -> dict:
    path = run_dir / STRIPS_DIR / INDEX_FILE
    if not path.is_file():
        return {"version": STRIP_VERSION, "episodes": {}}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(
            f"not valid JSON ({e}); delete it to re-extract strips", path=path
        ) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("episodes"), dict):
        raise DataError("no 'episodes' table; delete it to re-extract strips", path=path)
    return raw


def _write_index(run_dir: Path, index: dict) -> None:
    path = run_dir / STRIPS_DIR / INDEX_FILE
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_strip(
    run_dir: str | Path,
    episode_id: str,
    frames: np.ndarray,
    indices: Sequence[int],
    *,
    camera: str = "",
    height: int = 128,
) -> list[str]:
    """Store thumbnails of already-decoded frames and record them in the strip index.

    Args:
        run_dir: the run directory.
        episode_id: the episode the frames belong to.
        frames: uint8 array (N, H, W, 3), one frame per entry of ``indices``.
        indices: the frames' indices in the episode.
        camera: the camera key, for the caption.
        height: thumbnail height in pixels (frames are only ever shrunk).

    Returns:
        The thumbnails' paths relative to the run directory.

    Raises:
        DataError: ``frames`` and ``indices`` disagree in length, or frames are not (N, H, W, 3).
    """
    run_dir = Path(run_dir)
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] < 3 or len(frames) != len(indices):
        raise DataError(
            f"expected {len(indices)} frames of shape (H, W, 3), got array {frames.shape}",
            field=f"frames of episode '{episode_id}'",
        )
    sub = _episode_dir(episode_id)
    (run_dir / STRIPS_DIR / sub).mkdir(parents=True, exist_ok=True)
    files = []
    for index, frame in zip(indices, frames, strict=True):
        rel = f"{STRIPS_DIR}/{sub}/{int(index):06d}.jpg"
        (run_dir / rel).write_bytes(_thumbnail(frame, height))
        files.append(rel)
    index_doc = _read_index(run_dir)
    index_doc["episodes"][episode_id] = {
        "camera": camera,
        "frames": [{"index": int(i), "file": f} for i, f in zip(indices, files, strict=True)],
    }
    _write_index(run_dir, index_doc)
    return files


def extract_strips(
    run_dir: str | Path,
    dataset: Dataset,
    episodes: Iterable[tuple[str, int, Sequence[FailureTag]]],
    *,
    camera: str | None = None,
    n: int = 6,
    height: int = 128,
) -> None:
    """Decode and store the strips of several episodes from a dataset.

    An episode whose frames cannot be read (no video, decoding error) gets an ``error`` entry in
    the index instead, which the report shows in place of its strip.

    Args:
        run_dir: the run directory.
        dataset: the evaluated dataset.
        episodes: (episode id, length, failure tags) of each episode; a length of 0 means "ask
            the dataset".
        camera: camera key; default: the dataset's first camera.
        n: frames per strip.
        height: thumbnail height in pixels.
    """
    run_dir = Path(run_dir)
    for episode_id, length, tags in episodes:
        try:
            cam = camera or (dataset.cameras[0] if dataset.cameras else None)
            if cam is None:
                raise DataError("the dataset has no video", path=dataset.root)
            length = length or dataset.meta(episode_id).length
            picks = strip_indices(length, tags, n)
            frames = dataset.frames(episode_id, cam, picks)
            write_strip(run_dir, episode_id, frames, picks, camera=cam, height=height)
        except (BadbenchError, KeyError) as e:  # Dataset raises KeyError for unknown ids
            message = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
            (run_dir / STRIPS_DIR).mkdir(parents=True, exist_ok=True)
            index_doc = _read_index(run_dir)
            index_doc["episodes"][episode_id] = {"camera": camera or "", "error": str(message)}
            _write_index(run_dir, index_doc)


def load_strips(run_dir: str | Path) -> dict[str, Strip]:
    """Read the stored strips as inline ``data:`` URIs (missing thumbnails are left out)."""
    run_dir = Path(run_dir)
    out: dict[str, Strip] = {}
    for episode_id, entry in _read_index(run_dir)["episodes"].items():
        strip = Strip(camera=entry.get("camera", ""), error=entry.get("error", ""))
        for item in entry.get("frames", []):
            path = run_dir / item["file"]
            if path.is_file():
                data = base64.b64encode(path.read_bytes()).decode("ascii")
                strip.frames.append((int(item["index"]), f"data:image/jpeg;base64,{data}"))
        out[episode_id] = strip
    return out
