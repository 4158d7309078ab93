"""Import a folder of videos plus a JSONL file of per-episode metadata.

This is how labs usually keep evaluation rollouts: one video per camera per episode, and one
JSON line per episode saying what was asked, whether it worked and what went wrong. The field
reference, with examples, is in ``docs/importing.md``.

The whole manifest is checked first (types, ranges, failure modes, that every video file exists),
then the header of every new clip (frame size and rate against the dataset's), so a bad line
fails before anything is decoded. Episodes are then decoded with PyAV and appended through
:class:`~badbench.data.dataset.DatasetWriter` as one commit: an import that fails on any clip
writes none of them. Running an import again skips the episode ids already present whose video
and labels are unchanged, and refuses a line that reuses an id with other content.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from badbench.data.importers._checks import FPS_TOLERANCE, changes, check_clips, located
from badbench.data.importers._common import (
    CAMERA_PREFIX,
    ImportReport,
    ProgressCallback,
    existing_fps,
    no_progress,
)
from badbench.data.importers._manifest import VideoEpisodeSpec, parse_video_manifest
from badbench.data.importers._video import decode_video, probe_video
from badbench.data.schema import Episode, EpisodeMeta
from badbench.errors import DataError, VideoError

if TYPE_CHECKING:
    from badbench.data.dataset import Dataset


def import_videos(
    manifest: str | Path,
    dest: str | Path,
    *,
    videos_dir: str | Path | None = None,
    camera: str = "front",
    progress_scale: float = 1.0,
    allow_extra: bool = False,
    codec: str = "libx264",
    resize: tuple[int, int] | None = None,
    progress: ProgressCallback = no_progress,
) -> ImportReport:
    """Import the episodes of a videos manifest into the dataset at ``dest``.

    Args:
        manifest: the JSONL file, one episode per line (fields: ``docs/importing.md``).
        dest: the badbench dataset directory; created if missing, appended to (resumed) if not.
        videos_dir: the folder that relative video paths are resolved against (default: the
            manifest's folder).
        camera: the camera name of lines that give a single ``video``.
        progress_scale: 1 when progress is written in [0, 1], 100 when in 0-100.
        allow_extra: ignore unknown fields instead of failing on them.
        codec: the video codec the dataset is written with.
        resize: ``(width, height)`` to scale every camera's frames to, e.g. to put clips of
            different sizes in one dataset (a camera has one frame size per dataset).
        progress: called after each episode, e.g. to drive a progress bar.

    Returns:
        The ids imported, and those skipped as already present and unchanged.

    Raises:
        DataError: the first problem found (file, line and field named), including a line
            whose episode id is in the dataset with a different video or labels; nothing of
            the import is written.
    """
    dest = Path(dest)
    specs = parse_video_manifest(
        manifest,
        videos_dir=videos_dir,
        camera=camera,
        progress_scale=progress_scale,
        allow_extra=allow_extra,
    )
    report = ImportReport(dest=dest)
    progress(0, len(specs), "")
    dataset_fps = existing_fps(dest) or _spec_fps(specs[0])
    created = not dest.exists()
    try:
        _import(specs, dest, dataset_fps, codec, resize, report, progress)
    except BaseException:
        if created and not (dest / "meta" / "info.json").exists():
            shutil.rmtree(dest, ignore_errors=True)  # only the writer's lock file: leave nothing
        raise
    return report


def _import(
    specs: list[VideoEpisodeSpec],
    dest: Path,
    dataset_fps: float,
    codec: str,
    resize: tuple[int, int] | None,
    report: ImportReport,
    progress: ProgressCallback,
) -> None:
    """Check every line against ``dest`` (re-imports, clip headers), then append as one commit."""
    from badbench.data.dataset import Dataset, DatasetWriter

    total = len(specs)
    with DatasetWriter(
        dest, fps=dataset_fps, robot_type=specs[0].embodiment, codec=codec
    ) as writer:
        existing = writer.existing_ids
        stored = Dataset.open(dest) if existing else None
        new: list[VideoEpisodeSpec] = []
        for done, spec in enumerate(specs, start=1):
            if spec.episode_id not in existing:
                new.append(spec)
                continue
            assert stored is not None
            _check_unchanged(spec, stored, resize)
            report.skipped.append(spec.episode_id)
            progress(done, total, spec.episode_id)
        check_clips(new, writer.info, dataset_fps, resize)
        current: list[VideoEpisodeSpec] = []  # the line the writer is appending, if any

        def episodes() -> Iterator[Episode]:
            for spec in new:
                current.clear()
                episode = load_video_episode(spec, resize=resize)
                if abs(episode.meta.fps - dataset_fps) > FPS_TOLERANCE:
                    raise spec.row.error(
                        f"the videos play at {episode.meta.fps:g} fps but the dataset is "
                        f'{dataset_fps:g} fps; resample the videos or set "fps"',
                        "fps",
                    )
                current.append(spec)
                yield episode
                report.imported.append(spec.episode_id)
                progress(len(report.skipped) + len(report.imported), total, spec.episode_id)

        try:
            writer.extend(episodes())  # one commit: a failure on any clip writes none of them
        except DataError as e:
            if not current:  # a loading error, already located
                raise
            spec = current[0]  # the writer's own check (e.g. a frame size the dataset lacks)
            hint = "" if resize else "; --resize WxH scales every video to one size"
            raise spec.row.error(
                f"cannot append to {dest}: {e.message}{hint}", e.field, type(e)
            ) from None


def _check_unchanged(
    spec: VideoEpisodeSpec, stored: Dataset, resize: tuple[int, int] | None
) -> None:
    """Refuse a line whose episode id is in the dataset with other video or labels."""
    length = stored.meta(spec.episode_id).length
    frames, _ = _decode(spec, resize)
    diff = [
        f"another video of '{key.removeprefix(CAMERA_PREFIX)}' ({len(f)} frames, stored {length})"
        for key, f in frames.items()
        if len(f) != length
    ]  # a new length: its labels need not fit the stored episode, nor be compared
    if not diff:
        diff = changes(load_video_episode(spec, resize=resize), stored)
    if diff:
        raise spec.row.error(
            f"episode '{spec.episode_id}' is already in {stored.root}, with "
            f"{' and '.join(diff)}; an import does not replace episodes: give this line a new "
            '"episode_id", or import into a new dataset',
            "episode_id",
        )


def load_video_episode(spec: VideoEpisodeSpec, *, resize: tuple[int, int] | None = None) -> Episode:
    """Decode the videos of one manifest line and build its episode.

    Args:
        spec: the checked manifest line.
        resize: ``(width, height)`` to scale the frames to, or None to keep their size.

    Raises:
        VideoError: a video cannot be decoded, or the cameras disagree on frame count or fps.
        ValidationError: a failure tag or the dense labels do not fit the episode's length.
    """
    frames, rates = _decode(spec, resize)
    lengths = {key: len(f) for key, f in frames.items()}
    if len(set(lengths.values())) > 1:
        raise spec.row.error(
            f"cameras have different frame counts {lengths}; trim the videos to the same length",
            "videos",
            VideoError,
        )
    fps = spec.fps or _common_rate(spec, rates)
    length = next(iter(lengths.values()))
    outcome, tags, dense = spec.labels.build(length) if spec.labels else (None, [], None)
    meta = EpisodeMeta(
        episode_id=spec.episode_id,
        instruction=spec.instruction,
        task=spec.task,
        task_category=spec.task_category,
        embodiment=spec.embodiment,
        fps=fps,
        cameras=tuple(spec.videos),
        length=length,
        source=spec.source,
        generator=spec.generator,
        policy_id=spec.policy_id,
        context_id=spec.context_id,
    )
    return Episode(
        meta=meta,
        frames=frames,
        state=_array(spec, "state", spec.state, length),
        action=_array(spec, "action", spec.action, length),
        outcome=outcome,
        tags=tags,
        dense_reward=dense,
    )


def _decode(
    spec: VideoEpisodeSpec, resize: tuple[int, int] | None
) -> tuple[dict[str, np.ndarray], dict[str, float | None]]:
    """Every camera's frames and frame rate."""
    frames: dict[str, np.ndarray] = {}
    rates: dict[str, float | None] = {}
    for key, path in spec.videos.items():
        try:
            frames[key], rates[key] = decode_video(path, size=resize)
        except VideoError as e:
            raise located(e, spec, path) from None
    return frames, rates


def _array(spec: VideoEpisodeSpec, name: str, path: Path | None, length: int) -> np.ndarray | None:
    """Load a (T, D) float32 array from a ``.npy`` file and check it has one row per frame."""
    if path is None:
        return None
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise spec.row.error(f"cannot read {path} as a .npy array: {e}", name) from None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] != length or not np.issubdtype(array.dtype, np.number):
        raise spec.row.error(
            f"{path.name} holds a {array.dtype} array of shape {array.shape}; expected numbers "
            f"of shape ({length}, D), one row per frame",
            name,
        )
    return array.astype(np.float32)


def _common_rate(spec: VideoEpisodeSpec, rates: dict[str, float | None]) -> float:
    known = {k: r for k, r in rates.items() if r}
    if not known:
        raise spec.row.error('the videos do not state a frame rate; add "fps"', "fps")
    values = list(known.values())
    if max(values) - min(values) > FPS_TOLERANCE:
        raise spec.row.error(f"cameras play at different frame rates {known}", "videos")
    return values[0]


def _spec_fps(spec: VideoEpisodeSpec) -> float:
    path = next(iter(spec.videos.values()))
    try:
        fps = spec.fps or probe_video(path).fps
    except VideoError as e:
        raise located(e, spec, path) from None
    if not fps:
        raise spec.row.error('the videos do not state a frame rate; add "fps"', "fps")
    return fps
