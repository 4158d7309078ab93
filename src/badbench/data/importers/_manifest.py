"""The videos manifest: one JSON line per episode naming its video files and labels.

:func:`parse_video_manifest` checks a whole manifest (types, ranges, failure modes, that every
file exists) without decoding any video; the field reference is in ``docs/importing.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from badbench.data.importers._common import camera_key
from badbench.data.importers._labels import LABEL_FIELDS, LabelSpec, parse_labels
from badbench.data.importers._records import Row, read_jsonl
from badbench.data.schema import EpisodeSource
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
    "state",
    "action",
    "policy_id",
    "context_id",
    *LABEL_FIELDS,
)
"""The fields a line of the videos manifest may hold."""


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
        state: a ``.npy`` file of the robot state (T, D), or None.
        action: a ``.npy`` file of the actions (T, A), or None.
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
    state: Path | None = None
    action: Path | None = None


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
        state=_file(row, base, "state"),
        action=_file(row, base, "action"),
    )


def _file(row: Row, base: Path, name: str) -> Path | None:
    text = row.text(name, default=None)
    if text is None:
        return None
    path = Path(text).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise row.error(f"file not found: {path}", name)
    return path


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
