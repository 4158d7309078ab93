"""Import a folder of videos plus a JSONL file of per-episode metadata.

This is how labs usually keep evaluation rollouts: one video per camera per episode, and one
JSON line per episode saying what was asked, whether it worked and what went wrong. The field
reference, with examples, is in ``docs/importing.md``.

The whole manifest is checked first (types, ranges, failure modes, that every video file exists)
so a bad line fails before anything is decoded. Episodes are then decoded with PyAV and appended
one by one through :class:`~badbench.data.dataset.DatasetWriter`, which commits each episode:
an import that fails midway keeps every episode written before the failure, and running the
same import again skips the episode ids already present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from badbench.data.importers._common import (
    ImportReport,
    ProgressCallback,
    camera_key,
    existing_fps,
    no_progress,
)
from badbench.data.importers._labels import LABEL_FIELDS, LabelSpec, parse_labels
from badbench.data.importers._records import Row, read_jsonl
from badbench.data.importers._video import decode_video, probe_video
from badbench.data.schema import Episode, EpisodeMeta, EpisodeSource
from badbench.data.taxonomy import TaskCategory
from badbench.errors import DataError, SchemaError, VideoError

VIDEO_FIELDS = (
    "episode_id",
    "video",
    "videos",
    "instruction",
    "task",
    "task_category",
    "embodiment",
    "fps",
    "source",
    "generator",
    "policy_id",
    "context_id",
    *LABEL_FIELDS,
)
"""The fields a line of the videos manifest may hold."""

_FPS_TOLERANCE = 1e-3


@dataclass(frozen=True)
class VideoEpisodeSpec:
    """One line of the manifest, checked.

    Attributes:
        row: the line, for error messages.
        episode_id: the episode's id (default: the stem of its first video file).
        videos: camera key -> video file.
        instruction: the language instruction.
        task: the task name (default: the instruction).
        task_category: the paper's task category.
        embodiment: robot type.
        fps: the frame rate given in the line, or None to take the video's.
        source: real | sim | augmented.
        generator: the generator's name and parameters.
        policy_id: the policy that acted.
        context_id: episodes sharing a context are comparable.
        labels: success, progress, failure tags and dense labels.
    """

    row: Row
    episode_id: str
    videos: dict[str, Path]
    instruction: str
    task: str
    task_category: TaskCategory
    embodiment: str
    fps: float | None
    source: EpisodeSource
    generator: dict[str, Any] = field(default_factory=dict)
    policy_id: str = "unknown"
    context_id: str = ""
    labels: LabelSpec | None = None


def parse_video_manifest(
    manifest: str | Path,
    *,
    videos_dir: str | Path | None = None,
    camera: str = "front",
    progress_scale: float = 1.0,
    allow_extra: bool = False,
) -> list[VideoEpisodeSpec]:
    """Read and check a videos manifest without decoding any video.

    Args:
        manifest: the JSONL file, one episode per line.
        videos_dir: the folder that relative video paths are resolved against (default: the
            manifest's folder).
        camera: the camera name of lines that give a single ``video``.
        progress_scale: 1 when progress is written in [0, 1], 100 when in 0-100.
        allow_extra: ignore unknown fields instead of failing on them.

    Raises:
        DataError: a line is malformed, a value is invalid, a video file is missing, or two
            lines share an episode id or disagree on the cameras.
    """
    manifest = Path(manifest)
    base = Path(videos_dir) if videos_dir is not None else manifest.parent
    rows = read_jsonl(manifest)
    if not rows:
        raise DataError("the manifest holds no episodes", path=manifest)
    specs: list[VideoEpisodeSpec] = []
    seen: dict[str, int] = {}
    for row in rows:
        if not allow_extra:
            row.check_fields(VIDEO_FIELDS)
        spec = _parse_line(row, base, camera, progress_scale)
        if spec.episode_id in seen:
            raise row.error(
                f"episode id '{spec.episode_id}' is already used on line {seen[spec.episode_id]}",
                "episode_id",
            )
        seen[spec.episode_id] = row.line
        if specs and set(spec.videos) != set(specs[0].videos):
            raise row.error(
                f"cameras {sorted(spec.videos)} differ from line {specs[0].row.line}'s "
                f"{sorted(specs[0].videos)}; every episode of a dataset has the same cameras",
                "videos",
            )
        specs.append(spec)
    return specs


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
        The ids imported and skipped.

    Raises:
        DataError: the first problem found (file, line and field named); every episode
            appended before it stays in the dataset.
    """
    from badbench.data.dataset import DatasetWriter

    dest = Path(dest)
    specs = parse_video_manifest(
        manifest,
        videos_dir=videos_dir,
        camera=camera,
        progress_scale=progress_scale,
        allow_extra=allow_extra,
    )
    report = ImportReport(dest=dest)
    total = len(specs)
    progress(0, total, "")
    dataset_fps = existing_fps(dest) or _spec_fps(specs[0])
    with DatasetWriter(
        dest, fps=dataset_fps, robot_type=specs[0].embodiment, codec=codec
    ) as writer:
        existing = writer.existing_ids
        for done, spec in enumerate(specs, start=1):
            if spec.episode_id in existing:
                report.skipped.append(spec.episode_id)
            else:
                episode = load_video_episode(spec, resize=resize)
                if abs(episode.meta.fps - dataset_fps) > _FPS_TOLERANCE:
                    raise spec.row.error(
                        f"the videos play at {episode.meta.fps:g} fps but the dataset is "
                        f'{dataset_fps:g} fps; resample the videos or set "fps"',
                        "fps",
                    )
                try:
                    writer.append(episode)
                except DataError as e:  # e.g. a frame size the dataset does not have
                    hint = "" if resize else "; --resize WxH scales every video to one size"
                    raise spec.row.error(
                        f"cannot append to {dest}: {e.message}{hint}", e.field, type(e)
                    ) from None
                report.imported.append(spec.episode_id)
            progress(done, total, spec.episode_id)
    return report


def load_video_episode(spec: VideoEpisodeSpec, *, resize: tuple[int, int] | None = None) -> Episode:
    """Decode the videos of one manifest line and build its episode.

    Args:
        spec: the checked manifest line.
        resize: ``(width, height)`` to scale the frames to, or None to keep their size.

    Raises:
        VideoError: a video cannot be decoded, or the cameras disagree on frame count or fps.
        ValidationError: a failure tag or the dense labels do not fit the episode's length.
    """
    frames: dict[str, np.ndarray] = {}
    rates: dict[str, float | None] = {}
    for key, path in spec.videos.items():
        try:
            frames[key], rates[key] = decode_video(path, size=resize)
        except VideoError as e:
            raise _located(e, spec, path) from None
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
    return Episode(meta=meta, frames=frames, outcome=outcome, tags=tags, dense_reward=dense)


def _located(e: VideoError, spec: VideoEpisodeSpec, path: Path) -> VideoError:
    """The error of a video file, saying which manifest line named it."""
    return VideoError(f"{e.message} (the video of {spec.row.path.name}:{spec.row.line})", path=path)


def _common_rate(spec: VideoEpisodeSpec, rates: dict[str, float | None]) -> float:
    known = {k: r for k, r in rates.items() if r}
    if not known:
        raise spec.row.error('the videos do not state a frame rate; add "fps"', "fps")
    values = list(known.values())
    if max(values) - min(values) > _FPS_TOLERANCE:
        raise spec.row.error(f"cameras play at different frame rates {known}", "videos")
    return values[0]


def _spec_fps(spec: VideoEpisodeSpec) -> float:
    path = next(iter(spec.videos.values()))
    try:
        fps = spec.fps or probe_video(path).fps
    except VideoError as e:
        raise _located(e, spec, path) from None
    if not fps:
        raise spec.row.error('the videos do not state a frame rate; add "fps"', "fps")
    return fps


def _parse_line(row: Row, base: Path, camera: str, progress_scale: float) -> VideoEpisodeSpec:
    videos = _videos(row, base, camera)
    first = next(iter(videos.values()))
    instruction = row.text("instruction")
    if not instruction.strip():
        raise row.error("is empty", "instruction")
    fps = row.number("fps", default=None)
    if fps is not None and fps <= 0:
        raise row.error(f"{fps:g} is not a positive frame rate", "fps")
    generator = row.data.get("generator", {})
    if not isinstance(generator, dict):
        raise row.error("expected a JSON object", "generator", SchemaError)
    return VideoEpisodeSpec(
        row=row,
        episode_id=row.text("episode_id", default=first.stem),
        videos=videos,
        instruction=instruction,
        task=row.text("task", default=instruction),
        task_category=_enum(row, "task_category", TaskCategory, TaskCategory.OTHER),
        embodiment=row.text("embodiment", default="unknown"),
        fps=fps,
        source=_enum(row, "source", EpisodeSource, EpisodeSource.REAL),
        generator=generator,
        policy_id=row.text("policy_id", default="unknown"),
        context_id=row.text("context_id", default=""),
        labels=parse_labels(row, progress_scale=progress_scale),
    )


def _videos(row: Row, base: Path, camera: str) -> dict[str, Path]:
    if row.has("video") and row.has("videos"):
        raise row.error("give either 'video' or 'videos', not both", "videos", SchemaError)
    if row.has("video"):
        entries = {camera: row.text("video")}
        where = {camera: "video"}
    elif row.has("videos"):
        raw = row.data["videos"]
        if not isinstance(raw, dict) or not raw:
            raise row.error(
                'expected an object of camera name -> video path, e.g. {"front": "ep0.mp4"}',
                "videos",
                SchemaError,
            )
        entries = {}
        for name, value in raw.items():
            if not isinstance(value, str):
                raise row.error("expected a video path", f"videos.{name}", SchemaError)
            entries[name] = value
        where = {name: f"videos.{name}" for name in raw}
    else:
        raise row.error("is required but missing (or give 'videos')", "video", SchemaError)
    videos: dict[str, Path] = {}
    for name, text in entries.items():
        path = Path(text).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise row.error(f"video file not found: {path}", where[name], VideoError)
        videos[camera_key(name)] = path
    return videos


def _enum(row: Row, name: str, enum: type, default: Any) -> Any:
    text = row.text(name, default=None)
    if text is None:
        return default
    try:
        return enum(text.strip().lower())
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise row.error(f"unknown value {text!r}; use one of: {allowed}", name) from None
