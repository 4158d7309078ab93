"""Write and read throughput of DatasetWriter / Dataset against bare PyAV, same frames, same run.

Throughput is in images per second (one image = one camera frame). Baselines:

- ``pyav encode``: PyAV encodes each episode's frames of each camera into its own MP4, with the
  very same encoder settings (codec, pix_fmt, crf, gop) as the writer; nothing else is written.
- ``pyav decode``: PyAV decodes each of those files completely into RGB arrays.

Measured:

- ``append``: ``DatasetWriter.append`` per episode (videos, data parquet, badbench tables, stats,
  episode index, info.json: everything a crash-safe commit writes);
- ``extend``: ``DatasetWriter.extend`` of all episodes (one file per stream);
- ``load``: ``Dataset.load`` of every episode (frames of every camera, state, action, labels);
- ``frames (packed)``: ``Dataset.frames`` of every episode from the packed (``extend``) dataset,
  where each decode seeks to its episode inside a shared file;
- ``open``: ``Dataset.open`` (metadata and annotations of all episodes).

Usage: ``python benchmarks/io.py [--episodes 20] [--length 100] [--size 128] [--codec libx264]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from badbench.data import Dataset, DatasetWriter, Episode, EpisodeMeta, Outcome
from badbench.data.schema import LabelSource
from badbench.data.video import VideoSpec

CAMERAS = ("observation.images.top", "observation.images.wrist")


def _frames(length: int, size: int, seed: int) -> np.ndarray:
    """Smooth moving content (a gradient and a square), like a simple rendered scene."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    out = np.empty((length, size, size, 3), np.uint8)
    for t in range(length):
        for c in range(3):
            out[t, :, :, c] = 128 + 60 * np.sin((x + 2 * y + 3 * t + 7 * c + seed) / (size / 6))
        k = (2 * t) % (size - size // 4)
        out[t, k : k + size // 4, k : k + size // 4] = (230, 40, 40)
    return out


def _episodes(n: int, length: int, size: int) -> list[Episode]:
    rng = np.random.default_rng(0)
    eps = []
    for i in range(n):
        meta = EpisodeMeta(
            episode_id=f"ep{i:05d}", instruction="pick up the block", task="pick", fps=20.0
        )
        eps.append(
            Episode(
                meta=meta,
                frames={c: _frames(length, size, 10 * i + j) for j, c in enumerate(CAMERAS)},
                state=rng.normal(size=(length, 7)).astype(np.float32),
                action=rng.normal(size=(length, 7)).astype(np.float32),
                outcome=Outcome(
                    success=i % 2 == 0, progress=1.0, progress_source=LabelSource.HUMAN
                ),
                dense_reward=np.linspace(0, 1, length, dtype=np.float32),
            )
        )
    return eps


def _pyav_encode(path: Path, frames: np.ndarray, fps: float, spec: VideoSpec) -> None:
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream(spec.codec, rate=int(fps), options=spec.encoder_options(fps))
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], spec.pix_fmt
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, int(fps))
            for p in stream.encode(vf):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)


def _pyav_decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(stream)])


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--codec", default="libx264")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the best of each is kept")
    args = ap.parse_args()
    spec = VideoSpec(codec=args.codec)
    eps = _episodes(args.episodes, args.length, args.size)
    images = args.episodes * args.length * len(CAMERAS)

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        runs = {"bare": 0, "append": 0, "extend": 0}

        def fresh(kind: str) -> Path:
            runs[kind] += 1
            return tmpdir / f"{kind}{runs[kind]}"

        def bare_encode() -> None:
            d = fresh("bare")
            d.mkdir()
            for ep in eps:
                for cam, frames in ep.frames.items():
                    _pyav_encode(d / f"{ep.id}-{cam}.mp4", frames, ep.meta.fps, spec)

        def writer(batch: bool) -> Callable[[], None]:
            def run() -> None:
                with DatasetWriter(fresh("extend" if batch else "append"), spec=spec) as w:
                    if batch:
                        w.extend(eps)
                    else:
                        for ep in eps:
                            w.append(ep)

            return run

        def load_all() -> None:
            d = Dataset.open(tmpdir / "append1")
            for e in d.episode_ids:
                d.load(e)

        def packed_frames() -> None:
            d = Dataset.open(tmpdir / "extend1")
            for e in d.episode_ids:
                for c in CAMERAS:
                    d.frames(e, c)

        def bare_decode() -> None:
            for p in sorted((tmpdir / "bare1").glob("*.mp4")):
                _pyav_decode(p)

        # Rounds interleave every measurement, so a busy machine slows them all alike; the best
        # round of each is kept.
        steps = {
            "encode": bare_encode,
            "append": writer(False),
            "extend": writer(True),
            "decode": bare_decode,
            "load": load_all,
            "packed": packed_frames,
            "open": lambda: Dataset.open(tmpdir / "append1"),
        }
        best = {k: float("inf") for k in steps}
        for _ in range(args.repeat):
            for name, fn in steps.items():
                best[name] = min(best[name], _timed(fn))
        t_bare_enc, t_append, t_extend = best["encode"], best["append"], best["extend"]
        t_bare_dec, t_load, t_packed, t_open = (
            best["decode"],
            best["load"],
            best["packed"],
            best["open"],
        )

    rows = [
        ("pyav encode (baseline)", t_bare_enc, None),
        ("DatasetWriter.append", t_append, t_bare_enc),
        ("DatasetWriter.extend", t_extend, t_bare_enc),
        ("pyav decode (baseline)", t_bare_dec, None),
        ("Dataset.open + load", t_load, t_bare_dec),
        ("Dataset.frames (packed)", t_packed, t_bare_dec),
    ]
    print(
        f"{args.episodes} episodes x {args.length} frames x {len(CAMERAS)} cameras of "
        f"{args.size}x{args.size}, {args.codec}: {images} images"
    )
    print(f"{'':26s} {'seconds':>8s} {'images/s':>10s} {'vs baseline':>12s}")
    for name, t, base in rows:
        ratio = "" if base is None else f"{base / t:11.2f}x"
        print(f"{name:26s} {t:8.3f} {images / t:10.0f} {ratio:>12s}")
    print(f"Dataset.open of {args.episodes} appended episodes: {t_open * 1000:.1f} ms")
    print("ratios = baseline time / our time (throughput relative to bare PyAV; 1.0 = no overhead)")


if __name__ == "__main__":
    main()
