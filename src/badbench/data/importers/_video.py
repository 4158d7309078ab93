"""Decoding whole video files with PyAV, with errors that name the file."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from badbench.errors import VideoError


@dataclass(frozen=True)
class VideoProbe:
    """What a video's header says, without decoding it.

    Attributes:
        fps: the stream's average frame rate (frames per second), None if the header has none.
        width: frame width in pixels.
        height: frame height in pixels.
        frames: the frame count stored in the container (0 when unknown).
        codec: the codec's name, e.g. ``"h264"``.
    """

    fps: float | None
    width: int
    height: int
    frames: int
    codec: str


def probe_video(path: str | Path) -> VideoProbe:
    """Read a video's header.

    Raises:
        VideoError: the file is missing, not a video, or has no video stream.
    """
    import av

    path = Path(path)
    if not path.is_file():
        raise VideoError("video file not found", path=path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError("the file has no video stream", path=path)
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            return VideoProbe(
                fps=_fps(rate),
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                frames=int(stream.frames or 0),
                codec=stream.codec_context.name,
            )
    except (av.FFmpegError, OSError, ValueError) as e:
        raise VideoError(f"cannot open video (corrupt or not a video): {e}", path=path) from None


def decode_video(
    path: str | Path, *, size: tuple[int, int] | None = None
) -> tuple[np.ndarray, float | None]:
    """Decode every frame of a video's first stream as RGB.

    Args:
        path: the video file.
        size: ``(width, height)`` to scale every frame to (FFmpeg's bicubic scaler), or None
            to keep the stored size.

    Returns:
        ``(frames, fps)``: uint8 array (T, H, W, 3) and the stream's frame rate (None if the
        header has none).

    Raises:
        VideoError: the file is missing, corrupt, or holds no frames.
    """
    import av

    path = Path(path)
    probe = probe_video(path)
    frames: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                if size is not None:
                    frame = frame.reformat(width=size[0], height=size[1])
                frames.append(frame.to_ndarray(format="rgb24"))
    except (av.FFmpegError, OSError, ValueError) as e:
        raise VideoError(
            f"cannot decode video after {len(frames)} frames: {e}", path=path
        ) from None
    if not frames:
        raise VideoError("the video holds no decodable frames", path=path)
    if probe.frames and len(frames) < probe.frames:
        raise VideoError(
            f"only {len(frames)} of the {probe.frames} frames its header announces could be "
            "decoded (truncated or corrupt file?)",
            path=path,
        )
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise VideoError(f"frame size changes within the video: {sorted(shapes)}", path=path)
    return np.stack(frames), probe.fps


def _fps(rate: Fraction | None) -> float | None:
    return float(rate) if rate else None
