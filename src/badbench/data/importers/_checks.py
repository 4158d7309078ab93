"""Checks an import of videos makes before it writes anything.

:func:`check_clips` reads the header of every new clip (frame size, frame rate) so that an import
whose second clip cannot join the dataset fails before the first is written. :func:`changes`
compares a manifest line with the episode of the same id already in the dataset, so a re-import
skips only what it would write identically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from badbench.data import lerobot
from badbench.data.importers._manifest import VideoEpisodeSpec
from badbench.data.importers._video import probe_video
from badbench.data.schema import Episode
from badbench.errors import SchemaError, VideoError

if TYPE_CHECKING:
    from badbench.data.dataset import Dataset

FPS_TOLERANCE = 1e-3

VIDEO_TOLERANCE = 10.0
"""Mean absolute difference (0-255) above which a clip is a different video from the stored one
(which went through one lossy encode; the same clip differs by a few levels)."""

_META_FIELDS = (
    "instruction",
    "task",
    "task_category",
    "embodiment",
    "source",
    "generator",
    "policy_id",
    "context_id",
)


def check_clips(
    specs: Sequence[VideoEpisodeSpec],
    info: Mapping[str, Any] | None,
    fps: float,
    resize: tuple[int, int] | None,
) -> None:
    """Check every new clip's header against the dataset (or, for a new one, the first clip).

    Args:
        specs: the manifest lines to import.
        info: the dataset's ``info.json``, None while it has no episode.
        fps: the dataset's frame rate.
        resize: ``(width, height)`` every frame is scaled to, or None.

    Raises:
        VideoError: a clip cannot be opened.
        SchemaError: a clip's frame size or cameras differ from the dataset's.
        ValidationError: a clip plays at another frame rate than the dataset.
    """
    sizes: dict[str, tuple[tuple[int, int], str]] = {}
    if info is not None and info.get("total_episodes"):
        for key in lerobot.video_keys(info):
            height, width = lerobot.video_hw(info["features"][key])
            sizes[key] = ((width, height), "the dataset's (fixed by its first episode)")
        spec = specs[0] if specs else None
        if spec is not None and set(spec.videos) != set(sizes):
            raise spec.row.error(
                f"cameras {sorted(spec.videos)} differ from the dataset's {sorted(sizes)}",
                "videos",
                SchemaError,
            )
    for spec in specs:
        for key, path in spec.videos.items():
            try:
                probe = probe_video(path)
            except VideoError as e:
                raise located(e, spec, path) from None
            rate = spec.fps or probe.fps
            if rate and abs(rate - fps) > FPS_TOLERANCE:
                raise spec.row.error(
                    f"{path.name} plays at {rate:g} fps but the dataset is {fps:g} fps; "
                    'resample the videos or set "fps"',
                    "fps",
                )
            size = resize or (probe.width, probe.height)
            want, whose = sizes.setdefault(key, (size, f"those of line {spec.row.line}"))
            if size != want:
                hint = "" if resize else f"; --resize {want[0]}x{want[1]} scales every clip to it"
                raise spec.row.error(
                    f"frames of {path.name} are {size[0]}x{size[1]} (width x height); "
                    f"{whose} are {want[0]}x{want[1]}, and a camera has one frame size per "
                    f"dataset{hint}",
                    key,
                    SchemaError,
                )


def changes(new: Episode, ds: Dataset) -> list[str]:
    """What differs between an episode about to be imported and the stored one of its id.

    Returns:
        Descriptions such as ``"another video of 'front' (12 frames, stored 8)"`` or
        ``"other labels (success, failure_tags)"``; empty when a re-import would write the same.
    """
    eid = new.id
    old = ds.load(eid, video=False)
    out: list[str] = []
    videos = [_video_change(new, ds, key) for key in sorted(new.frames)]
    out.extend(v for v in videos if v)
    meta = [f for f in _META_FIELDS if getattr(new.meta, f) != getattr(old.meta, f)]
    if meta:
        out.append(f"other metadata ({', '.join(meta)})")
    labels = _label_changes(new, old)
    if labels:
        out.append(f"other labels ({', '.join(labels)})")
    arrays = [k for k in ("state", "action") if not _same(getattr(new, k), getattr(old, k))]
    if arrays:
        out.append(f"other arrays ({', '.join(arrays)})")
    return out


def _video_change(new: Episode, ds: Dataset, key: str) -> str | None:
    name = key.removeprefix("observation.images.")
    if key not in ds.cameras:
        return f"cameras ('{name}' is not in the dataset)"
    frames = new.frames[key]
    stored_len = ds.meta(new.id).length
    if len(frames) != stored_len:
        return f"another video of '{name}' ({len(frames)} frames, stored {stored_len})"
    stored = ds.frames(new.id, key)
    if stored.shape != frames.shape:
        return f"another video of '{name}' (frames {frames.shape[1:3]}, stored {stored.shape[1:3]})"
    diff = float(np.abs(stored.astype(np.int16) - frames.astype(np.int16)).mean())
    if diff > VIDEO_TOLERANCE:
        return f"another video of '{name}' (content: mean difference {diff:.0f} of 255)"
    return None


def _label_changes(new: Episode, old: Episode) -> list[str]:
    fields: list[str] = []
    a, b = new.outcome, old.outcome
    for name in ("success", "progress", "progress_source", "dense_source"):
        if (getattr(a, name, None) if a else None) != (getattr(b, name, None) if b else None):
            fields.append(name)
    if sorted(t.model_dump_json() for t in new.tags) != sorted(
        t.model_dump_json() for t in old.tags
    ):
        fields.append("failure_tags")
    if not _same(new.dense_reward, old.dense_reward):
        fields.append("dense_reward")
    return fields


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return a.shape == b.shape and bool(np.allclose(a, b, atol=1e-6))


def located(e: VideoError, spec: VideoEpisodeSpec, path: Any) -> VideoError:
    """The error of a video file, saying which manifest line named it."""
    return VideoError(f"{e.message} (the video of {spec.row.path.name}:{spec.row.line})", path=path)
