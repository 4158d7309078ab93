"""Checks an episode must pass before it is appended: consistent in itself, and with the
features the dataset's first episode fixed (cameras, frame sizes, state and action sizes)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from badbench.data import lerobot
from badbench.data.schema import Episode
from badbench.errors import SchemaError, ValidationError


def check_episode(
    ep: Episode,
    path: Path,
    existing_ids: set[str],
    fps: float | None,
    info: Mapping[str, Any] | None,
) -> int:
    """Check an episode against itself and the dataset; returns its number of frames.

    Args:
        ep: the episode to append.
        path: the dataset directory (named in errors).
        existing_ids: ids already taken.
        fps: the dataset's frame rate, None while it has none.
        info: the dataset's ``info.json``, None before its first episode.

    Raises:
        ValidationError: the episode is inconsistent (lengths, shapes, id, fps, tags).
        SchemaError: its cameras, frame sizes, state or action sizes differ from the dataset's.
    """
    where = f"episode '{ep.id}'"
    if ep.id in existing_ids:
        raise ValidationError(f"{where} is already in the dataset", path=path, field="episode_id")
    if fps is not None and abs(ep.meta.fps - fps) > 1e-9:
        raise ValidationError(
            f"{where} has fps {ep.meta.fps}; the dataset's is {fps}", path=path, field="fps"
        )
    lengths: dict[str, int] = {}
    for key, frames in ep.frames.items():
        if "/" in key:
            raise ValidationError(f"{where}: camera key '{key}' contains '/'", field="cameras")
        a = np.asarray(frames)
        if a.ndim != 4 or a.shape[-1] != 3 or a.dtype != np.uint8:
            raise ValidationError(
                f"{where}: frames of '{key}' are {a.shape} {a.dtype}; expected (T, H, W, 3) uint8",
                path=path,
                field=key,
            )
        lengths[key] = a.shape[0]
    if ep.meta.cameras and set(ep.meta.cameras) != set(ep.frames):
        raise ValidationError(
            f"{where}: meta.cameras {list(ep.meta.cameras)} but frames for {list(ep.frames)}",
            path=path,
            field="cameras",
        )
    for key, arr in (("state", ep.state), ("action", ep.action)):
        if arr is not None:
            a = np.asarray(arr)
            if a.ndim != 2:
                raise ValidationError(
                    f"{where}: {key} has shape {a.shape}; expected (T, D)", path=path, field=key
                )
            lengths[key] = a.shape[0]
    if ep.dense_reward is not None:
        a = np.asarray(ep.dense_reward)
        if a.ndim != 1:
            raise ValidationError(
                f"{where}: dense_reward has shape {a.shape}; expected (T,)",
                path=path,
                field="dense_reward",
            )
        lengths["dense_reward"] = a.shape[0]
    if ep.meta.length:
        lengths["meta.length"] = ep.meta.length
    if not lengths:
        raise ValidationError(f"{where} has no frames, state or action", path=path, field="frames")
    if len(set(lengths.values())) != 1:
        raise ValidationError(
            f"{where}: lengths disagree: {lengths}", path=path, field=next(iter(lengths))
        )
    length = next(iter(lengths.values()))
    if length == 0:
        raise ValidationError(f"{where} has no frames", path=path, field="length")
    for tag in ep.tags:
        if tag.end_frame >= length:
            raise ValidationError(
                f"{where}: tag '{tag.mode}' ends at frame {tag.end_frame}, past its {length} "
                "frames",
                path=path,
                field="end_frame",
            )
    if info is not None:
        _check_features(ep, info["features"], where, path)
    return length


def _check_features(ep: Episode, features: Mapping[str, Any], where: str, path: Path) -> None:
    cams = {k for k, ft in features.items() if ft["dtype"] == "video"}
    if set(ep.frames) != cams:
        raise SchemaError(
            f"{where} has cameras {sorted(ep.frames)}; the dataset's are {sorted(cams)} "
            "(fixed by its first episode)",
            path=path,
            field="cameras",
        )
    for key in cams:
        want = lerobot.video_hw(features[key])
        got = tuple(np.asarray(ep.frames[key]).shape[1:3])
        if got != want:
            raise SchemaError(
                f"{where}: frames of '{key}' are {got[1]}x{got[0]} (width x height); the "
                f"dataset's are {want[1]}x{want[0]} (fixed by its first episode)",
                path=path,
                field=key,
            )
    for key, arr in ((lerobot.STATE_KEY, ep.state), (lerobot.ACTION_KEY, ep.action)):
        want_dim = features[key]["shape"][0] if key in features else None
        got_dim = None if arr is None else int(np.asarray(arr).shape[1])
        if want_dim != got_dim:
            raise SchemaError(
                f"{where}: {key} has size {got_dim}; the dataset's is {want_dim} "
                "(fixed by its first episode)",
                path=path,
                field=key,
            )
