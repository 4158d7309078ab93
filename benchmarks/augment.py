"""``augment``: referencing the source video against re-encoding it, same negatives, same run.

Builds a dataset of clean successes (smooth synthetic frames, two tasks, two cameras), then
makes the same ``clip`` and ``swap_instruction`` negatives twice: with their frames referenced
(the source's video file hard-linked into the output, image stats from LeRobot's frame sample
or the source's own stats) and with ``reference=False`` (decoded and re-encoded, as the
reordering kinds must be). Prints the median time of each over ``--repeats`` runs, the speedup,
and the output sizes (a hard link costs no space; its size is counted once, with the source).
``--data DIR`` times an existing dataset instead (all five kinds as well).

Usage: ``python benchmarks/augment.py [--episodes 16] [--length 100] [--size 128]
[--per-episode 2] [--repeats 3] [--data DIR]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from badbench.data import DatasetWriter, Episode, EpisodeMeta, LabelSource, Outcome
from badbench.generate.augment import augment

CAMERAS = ("observation.images.top", "observation.images.wrist")


def _frames(length: int, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 200, size=3)
    y, x = np.mgrid[0:size, 0:size]
    t = np.arange(length)[:, None, None, None]
    c = np.arange(3)[None, None, None, :]
    wave = np.sin((x[None, :, :, None] + 2 * y[None, :, :, None] + 3 * t + 7 * c) / 9.0)
    return (base + 40 * wave).clip(0, 255).astype(np.uint8)


def build(root: Path, episodes: int, length: int, size: int) -> Path:
    with DatasetWriter(root) as w:
        for i in range(episodes):
            task = f"task-{i % 2}"
            meta = EpisodeMeta(
                episode_id=f"{task}/{i:04d}",
                instruction=f"do {task}",
                task=task,
                fps=10.0,
                length=length,
            )
            w.append(
                Episode(
                    meta=meta,
                    frames={c: _frames(length, size, i * 2 + j) for j, c in enumerate(CAMERAS)},
                    outcome=Outcome(success=True, progress=1.0, progress_source=LabelSource.HUMAN),
                )
            )
    return root


def _du(root: Path) -> int:
    """Bytes of the files under ``root`` that are not hard links shared with another file."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.stat().st_nlink == 1)


def timed(data: Path, tmp: Path, repeats: int, **kw) -> tuple[float, int]:
    times, size = [], 0
    for r in range(repeats):
        out = tmp / f"out-{os.getpid()}-{time.monotonic_ns()}-{r}"
        t0 = time.perf_counter()
        augment(data, out, **kw)
        times.append(time.perf_counter() - t0)
        size = _du(out)
    return statistics.median(times), size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--episodes", type=int, default=16)
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--per-episode", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        data = args.data or build(tmp / "src", args.episodes, args.length, args.size)
        kinds = ["clip", "swap_instruction"]
        common = {"kinds": kinds, "per_episode": args.per_episode, "seed": 0}
        ref, ref_size = timed(data, tmp, args.repeats, **common)
        enc, enc_size = timed(data, tmp, args.repeats, reference=False, **common)
        print(f"dataset: {data}")
        print(f"clip + swap_instruction, {args.per_episode} per episode:")
        print(f"  referenced  {ref:7.2f} s   new bytes {ref_size / 2**20:7.2f} MiB")
        print(f"  re-encoded  {enc:7.2f} s   new bytes {enc_size / 2**20:7.2f} MiB")
        print(f"  speedup     {enc / ref:7.2f}x")
        if args.data is not None:
            every, size = timed(data, tmp, args.repeats, per_episode=args.per_episode)
            print(f"all five kinds: {every:.2f} s, new bytes {size / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
