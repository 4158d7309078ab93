"""Episodes prepared for appending in any process: :func:`prepare_episode`.

Encoding an episode's videos and computing its image statistics are most of the cost of an
append. :func:`prepare_episode` does that work wherever it is called (a worker process, say):
it encodes each camera's frames into a hidden temp file inside the dataset's ``videos``
directory, with the writer's exact encoder settings, and returns a small picklable
:class:`PreparedEpisode` (the temp paths, the image stats and the episode without its pixels).
:meth:`DatasetWriter.append <badbench.data.writer.DatasetWriter.append>` then moves the encoded
files into place instead of encoding: the dataset is the same as when appending the
:class:`~badbench.data.schema.Episode` itself.

Crash safety is unchanged: the temp files end in ``.tmp``, so readers ignore them, and the next
:class:`~badbench.data.writer.DatasetWriter` opened on the directory removes those of an episode
that was prepared but never committed. A prepared episode is consumed by the append that takes
it, whether that append succeeds or fails (:meth:`PreparedEpisode.discard` drops one unused).

**Referenced frames.** A :class:`PreparedVideo` with ``shared=True`` points at a committed video
file of another dataset instead of a temp file: the episode's frames are the
``[offset, offset + frames / fps)`` range of that file, and the append hard-links the file into
place (or copies it where the file system refuses a link) instead of encoding anything. Such a
file is never deleted by :meth:`PreparedEpisode.discard` or a failed append, and a file that the
dataset already holds (the same file linked by an earlier episode) is not linked twice. The
caller vouches that the file's frames have the writer's fps, codec and frame size (video
negatives built by ``badbench.generate.augment`` reference their source this way).
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from badbench.data import lerobot
from badbench.data.schema import Episode
from badbench.data.stats import image_stats
from badbench.data.video import VideoEncoder, VideoSpec
from badbench.errors import ValidationError


@dataclass(frozen=True)
class PreparedVideo:
    """One camera's encoded frames, waiting in a temp file.

    Attributes:
        path: the encoded MP4 (a hidden ``.tmp`` file in the dataset's ``videos`` directory).
        frames: number of frames.
        height, width: frame size in pixels.
        stats: LeRobot's per-episode image stats (with quantiles; the writer drops them when the
            dataset keeps none).
        offset: where the episode's first frame is in ``path``, in seconds (0 for a file
            encoded for this episode alone).
        shared: ``path`` is a committed video file of another dataset (see the module
            docstring): linked into place, never moved or deleted.
    """

    path: Path
    frames: int
    height: int
    width: int
    stats: dict[str, np.ndarray]
    offset: float = 0.0
    shared: bool = False


@dataclass(frozen=True)
class PreparedEpisode:
    """An episode whose videos are encoded and image stats computed, ready to append.

    Attributes:
        episode: the episode without its pixels (``frames`` is empty).
        root: the dataset directory the videos were staged in.
        fps: the frame rate the videos were encoded at.
        spec: the video settings they were encoded with.
        videos: camera key -> its :class:`PreparedVideo`.
    """

    episode: Episode
    root: Path
    fps: float
    spec: VideoSpec
    videos: dict[str, PreparedVideo] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.episode.id

    def stand_in(self) -> Episode:
        """The episode with zero-cost placeholder frames of the right shapes (for the checks
        an append runs; no pixel is ever read from them)."""
        black = np.zeros((1, 1, 1, 3), np.uint8)
        frames = {
            k: np.broadcast_to(black, (v.frames, v.height, v.width, 3))
            for k, v in self.videos.items()
        }
        return dataclasses.replace(self.episode, frames=frames)

    def discard(self) -> None:
        """Delete the staged video files (an episode prepared but not to be appended); shared
        files are left alone."""
        for video in self.videos.values():
            if not video.shared:
                video.path.unlink(missing_ok=True)


def staging_dir(root: str | Path) -> Path:
    """Where prepared videos wait: the dataset's ``videos`` directory (same file system as the
    final files, so moving one into place is an atomic rename)."""
    return Path(root) / lerobot.VIDEO_DIR


def prepare_episode(
    episode: Episode,
    root: str | Path,
    *,
    spec: VideoSpec | None = None,
    fps: float | None = None,
) -> PreparedEpisode:
    """Encode an episode's videos and compute its image stats, in this process.

    Args:
        episode: the episode to prepare.
        root: the dataset directory it will be appended to (the videos are staged inside it).
        spec: video settings; must equal the writer's (``DatasetWriter.spec``).
        fps: the dataset's frame rate; None takes the episode's. Must equal the writer's.

    Returns:
        a :class:`PreparedEpisode` to pass to ``DatasetWriter.append`` (or ``extend``).

    Raises:
        ValidationError: frames are not (T, H, W, 3) uint8, or cameras differ in length.
        VideoError: the frames cannot be encoded (odd size for yuv420p, unknown codec).
    """
    spec = spec or VideoSpec()
    rate = float(fps if fps is not None else episode.meta.fps)
    staging = staging_dir(root)
    staging.mkdir(parents=True, exist_ok=True)
    videos: dict[str, PreparedVideo] = {}
    try:
        for key, frames in episode.frames.items():
            a = np.asarray(frames)
            if a.ndim != 4 or a.shape[-1] != 3 or a.dtype != np.uint8:
                raise ValidationError(
                    f"episode '{episode.id}': frames of '{key}' are {a.shape} {a.dtype}; "
                    "expected (T, H, W, 3) uint8",
                    path=Path(root),
                    field=key,
                )
            # the encoder writes to a temp name beside this one and renames it on commit; both
            # names are hidden and end in .tmp, so an orphan of either is cleaned up
            target = staging / f".prepared-{os.getpid()}-{uuid.uuid4().hex}-{key}.mp4.tmp"
            enc = VideoEncoder(target, fps=rate, height=a.shape[1], width=a.shape[2], spec=spec)
            try:
                enc.add(a)
                enc.commit()
            except BaseException:
                enc.abort()
                raise
            videos[key] = PreparedVideo(
                path=target,
                frames=int(a.shape[0]),
                height=int(a.shape[1]),
                width=int(a.shape[2]),
                stats=image_stats(a, quantiles=True),
            )
    except BaseException:
        for video in videos.values():
            video.path.unlink(missing_ok=True)
        raise
    return PreparedEpisode(
        episode=dataclasses.replace(episode, frames={}),
        root=Path(root),
        fps=rate,
        spec=spec,
        videos=videos,
    )
