"""Encoding and decoding camera streams with PyAV.

Several episodes share one MP4 file, one after the other; each episode starts on a key frame and
is located by its ``[from_timestamp, to_timestamp)`` range, as in LeRobot v3. Decoding one episode
seeks to the key frame at ``from_timestamp`` instead of decoding the whole file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from badbench.errors import VideoError

CODEC_NAMES = {"libx264": "h264", "libsvtav1": "av1", "libaom-av1": "av1", "libx265": "hevc"}
"""Encoder name -> codec name LeRobot records in ``info.json`` (``codec.canonical_name``)."""


@dataclass(frozen=True)
class VideoSpec:
    """How camera streams are encoded.

    Attributes:
        codec: PyAV/FFmpeg encoder name (``libx264``, ``libsvtav1`` as LeRobot's default, ...).
        pix_fmt: pixel format of the stored stream.
        crf: constant rate factor (quality; lower is better). None leaves the encoder default.
        gop: key frame interval in frames; None means ``2 * fps``. Small values speed up random
            access, large values shrink files. Every episode starts on a key frame regardless.
        options: extra encoder options (e.g. ``{"preset": "veryfast"}``).
    """

    codec: str = "libx264"
    pix_fmt: str = "yuv420p"
    crf: int | None = 23
    gop: int | None = None
    options: dict[str, str] = field(default_factory=dict)

    def encoder_options(self, fps: float) -> dict[str, str]:
        opts = {"g": str(self.gop or max(1, round(2 * fps)))}
        if self.crf is not None:
            opts["crf"] = str(self.crf)
        opts.update(self.options)
        return opts


def _rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


class VideoEncoder:
    """Writes the episodes of one video file; the file appears only on :meth:`commit`.

    Frames are encoded into a hidden temp file beside ``path``; :meth:`commit` flushes the encoder
    and moves the file into place with :func:`os.replace`, :meth:`abort` deletes it.
    """

    def __init__(self, path: Path, *, fps: float, height: int, width: int, spec: VideoSpec):
        from badbench.data.lerobot import tmp_path

        if spec.pix_fmt.startswith("yuv420") and (height % 2 or width % 2):
            raise VideoError(
                f"frames are {width}x{height} (width x height); {spec.pix_fmt} needs even width "
                "and height (crop or pad the frames, or choose pix_fmt='yuv444p')",
                path=path,
            )
        self.path = path
        self.fps = fps
        self.height, self.width = height, width
        self.frames_written = 0
        self._bytes = self._packets = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = tmp_path(path)
        try:
            self._container = av.open(str(self._tmp), "w", format="mp4")
            self._stream = self._container.add_stream(
                spec.codec, rate=_rate(fps), options=spec.encoder_options(fps)
            )
        except (av.FFmpegError, ValueError) as e:
            self._cleanup()
            raise VideoError(f"cannot open encoder '{spec.codec}': {e}", path=path) from None
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = spec.pix_fmt

    def add(self, frames: np.ndarray | Iterable[np.ndarray]) -> tuple[float, float]:
        """Append one episode's frames; returns its ``(from_timestamp, to_timestamp)``."""
        start = self.frames_written
        for i, frame in enumerate(frames):
            if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
                raise VideoError(
                    f"frame {i} has shape {frame.shape} {frame.dtype}; expected "
                    f"({self.height}, {self.width}, 3) uint8",
                    path=self.path,
                )
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf.pts = self.frames_written
            vf.time_base = Fraction(1) / _rate(self.fps)
            if i == 0:  # every episode starts on a key frame so a seek lands on it exactly
                vf.pict_type = av.video.frame.PictureType.I
            self._mux(self._stream.encode(vf))
            self.frames_written += 1
        return start / self.fps, self.frames_written / self.fps

    def bytes_written(self) -> int:
        """Estimated size of the file so far: the bytes muxed, plus the frames the encoder still
        holds (its lookahead) at the average size of those muxed."""
        if not self._packets:
            return 0
        pending = self.frames_written - self._packets
        return int(self._bytes + max(0, pending) * self._bytes / self._packets)

    def _mux(self, packets: Iterable[Any]) -> None:
        for packet in packets:
            self._bytes += packet.size
            self._packets += 1
            self._container.mux(packet)

    def commit(self) -> None:
        """Flush, close and move the file into place."""
        self._mux(self._stream.encode())
        self._container.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        try:
            self._container.close()
        except Exception:  # noqa: BLE001 - the file is deleted anyway
            pass
        self._cleanup()

    def _cleanup(self) -> None:
        self._tmp.unlink(missing_ok=True)


def encode_video(path: Path, frames: np.ndarray, *, fps: float, spec: VideoSpec | None = None):
    """Encode (T, H, W, 3) uint8 frames into one MP4 file (atomically)."""
    spec = spec or VideoSpec()
    enc = VideoEncoder(path, fps=fps, height=frames.shape[1], width=frames.shape[2], spec=spec)
    try:
        enc.add(frames)
        enc.commit()
    except BaseException:
        enc.abort()
        raise


def _open(path: Path) -> Any:
    if not path.is_file():
        raise VideoError("video file is missing", path=path)
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as e:
        raise VideoError(f"cannot open video (corrupt or not a video): {e}", path=path) from None
    if not container.streams.video:
        container.close()
        raise VideoError("file has no video stream", path=path)
    return container


def decode_frames(
    path: Path,
    *,
    from_timestamp: float,
    length: int,
    fps: float,
    indices: Sequence[int] | None = None,
) -> np.ndarray:
    """Decode one episode's frames from a (possibly shared) video file.

    Seeks to the key frame at or before the first wanted frame, then decodes forward only as far
    as the last wanted frame.

    Args:
        path: the MP4 file.
        from_timestamp: where the episode starts in the file (seconds).
        length: the episode's number of frames.
        fps: frame rate.
        indices: frame indices within the episode to return (default: all), in any order.

    Returns:
        (len(indices), H, W, 3) uint8.

    Raises:
        VideoError: the file is missing or corrupt, or holds fewer frames than ``length``.
    """
    wanted = list(range(length)) if indices is None else [int(i) for i in indices]
    for i in wanted:
        if not 0 <= i < length:
            raise IndexError(f"frame index {i} outside [0, {length})")
    if not wanted:
        return np.zeros((0, 0, 0, 3), np.uint8)
    first, last = min(wanted), max(wanted)
    container = _open(path)
    got: dict[int, np.ndarray] = {}
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        t0 = from_timestamp + first / fps
        half = 0.5 / fps
        if t0 > half and stream.time_base is not None:
            container.seek(int((t0 - half) / stream.time_base), stream=stream, backward=True)
        need = set(wanted)
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            k = round((float(frame.pts * frame.time_base) - from_timestamp) * fps)
            if k in need and k not in got:
                got[k] = frame.to_ndarray(format="rgb24")
            if k >= last:
                break
    except av.FFmpegError as e:
        raise VideoError(f"cannot decode video (corrupt file?): {e}", path=path) from None
    finally:
        container.close()
    missing = [i for i in wanted if i not in got]
    if missing:
        raise VideoError(
            f"the video holds too few frames: frame {missing[0]} of {length} (episode starting at "
            f"{from_timestamp:.3f}s) could not be decoded; the episode's 'length' disagrees with "
            "the video",
            path=path,
            field="length",
        )
    return np.stack([got[i] for i in wanted])


@dataclass(frozen=True)
class VideoProbe:
    """What a video file holds, read from its packets (no decoding)."""

    frames: int
    width: int
    height: int
    codec: str
    pix_fmt: str | None
    fps: float


def probe_video(path: Path) -> VideoProbe:
    """Count a file's frames from its packets and read its stream parameters.

    Raises:
        VideoError: the file is missing, not a video, or unreadable.
    """
    container = _open(path)
    try:
        stream = container.streams.video[0]
        n = 0
        for packet in container.demux(stream):
            if packet.size:
                n += 1
        rate = stream.average_rate or stream.base_rate
        return VideoProbe(
            frames=n,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            codec=stream.codec.canonical_name,
            pix_fmt=stream.codec_context.pix_fmt,
            fps=float(rate) if rate else 0.0,
        )
    except av.FFmpegError as e:
        raise VideoError(f"cannot read video packets (corrupt file?): {e}", path=path) from None
    finally:
        container.close()


@dataclass(frozen=True)
class VideoScan:
    """The result of decoding every frame of a file (:func:`scan_video`).

    Attributes:
        frames: frames the file holds (its packets).
        undecodable: file frame indices (0-based, at the dataset's fps) that did not decode.
        error: the first decoder error, if any.
    """

    frames: int
    undecodable: tuple[int, ...] = ()
    error: str | None = None


def scan_video(path: Path, fps: float) -> VideoScan:
    """Decode every frame of a file once, packet by packet, noting the frames that fail.

    A packet the decoder rejects does not stop the scan: decoding goes on with the next packet,
    so every damaged stretch of the file is found in one pass.

    Args:
        path: the MP4 file.
        fps: the frame rate frame indices are counted at.

    Raises:
        VideoError: the file is missing or cannot be opened at all.
    """
    container = _open(path)
    expected: set[int] = set()
    decoded: set[int] = set()
    error: str | None = None

    def index(pts: int | None, time_base: Fraction | None) -> int | None:
        if pts is None or time_base is None:
            return None
        return round(float(pts * time_base) * fps)

    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for packet in container.demux(stream):
                if packet.size:
                    k = index(packet.pts, packet.time_base)
                    expected.add(len(expected) if k is None else k)
                try:
                    frames = stream.decode(packet)
                except av.FFmpegError as e:
                    error = error or str(e)
                    continue
                decoded.update(index(f.pts, f.time_base) for f in frames)
        except av.FFmpegError as e:  # the container itself is damaged past this point
            error = error or str(e)
    finally:
        container.close()
    return VideoScan(len(expected), tuple(sorted(expected - decoded)), error)


def frame_ranges(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Frame indices as inclusive ``(first, last)`` runs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def spec_video_info(spec: VideoSpec, *, height: int, width: int, fps: float) -> dict[str, Any]:
    """The ``info`` block of a video feature, known before encoding (same keys as
    :func:`video_info`, which reads them back from a file)."""
    try:
        codec = av.Codec(spec.codec, "w").canonical_name
    except (av.FFmpegError, ValueError):
        codec = CODEC_NAMES.get(spec.codec, spec.codec)
    return {
        "video.height": int(height),
        "video.width": int(width),
        "video.codec": CODEC_NAMES.get(spec.codec, codec),
        "video.pix_fmt": spec.pix_fmt,
        "video.is_depth_map": False,
        "video.fps": int(fps) if float(fps).is_integer() else float(fps),
        "video.channels": 3,
        "has_audio": False,
    }


def video_info(path: Path) -> dict[str, Any]:
    """The ``info`` block LeRobot stores for a video feature (``get_video_info``)."""
    p = probe_video(path)
    return {
        "video.height": p.height,
        "video.width": p.width,
        "video.codec": p.codec,
        "video.pix_fmt": p.pix_fmt,
        "video.is_depth_map": False,
        "video.fps": int(p.fps) if float(p.fps).is_integer() else p.fps,
        "video.channels": 3,
        "has_audio": False,
    }
