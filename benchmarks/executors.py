"""Executor figures: an async model's throughput against the ideal, and decode prefetch.

- ``async``: a toy async model that sleeps 50 ms per episode with ``max_concurrency`` 16, driven
  by the score stage (:func:`badbench.bench.runner.score_model`, score cache with fsync) over
  640 label-only episodes. Ideal: 16 / 0.05 = 320 episodes/s. Issue 8 asks for >= 0.9x.
- ``prefetch``: a frame model that spends as long per episode as decoding its frames takes
  (measured first, then slept; a real model on torch releases the GIL the same way), scored by
  the sequential executor and by the local executor with decode prefetched in a thread. Ideal:
  2x. Issue 8 asks for >= 1.6x.

Usage: ``python benchmarks/executors.py [--episodes 640] [--contexts 4]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from badbench.bench.cache import ScoreCache
from badbench.bench.executors import LocalExecutor, SequentialExecutor
from badbench.bench.runner import load_episodes, score_model
from badbench.data import Dataset, Episode, EpisodeMeta
from badbench.data.example import build_example_dataset
from badbench.models import RewardModel, RewardOutput, config_hash
from badbench.models.base import episode_length


class Sleeper(RewardModel):
    """Async toy: 50 ms of waiting per episode (a server's latency), 16 calls in flight."""

    needs_frames = False
    max_concurrency = 16

    async def ascore(self, episode: Episode) -> RewardOutput:
        await asyncio.sleep(0.05)
        return RewardOutput.per_frame(np.linspace(0, 1, episode_length(episode)))


class SlowFrames(RewardModel):
    """Reads every frame, then spends ``seconds`` per episode (as long as decoding takes)."""

    batch_size = 1

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        out = []
        for ep in episodes:
            f = next(iter(ep.frames.values()))
            time.sleep(self.seconds)
            out.append(RewardOutput.per_frame(f.reshape(len(f), -1).mean(1) / 255.0))
        return out


def bench_async(root: Path, n: int) -> None:
    episodes = [
        Episode(EpisodeMeta(episode_id=f"e{i}", instruction="x", task="t", fps=10, length=20))
        for i in range(n)
    ]
    model = Sleeper()
    with ScoreCache(root / "async-cache", config_hash(model)) as cache:
        t0 = time.perf_counter()
        score_model(None, model, episodes, cache)  # type: ignore[arg-type]  (no video read)
        dt = time.perf_counter() - t0
    ideal = model.max_concurrency / 0.05
    print(
        f"async: {n} episodes in {dt:.2f} s = {n / dt:.0f} episodes/s, "
        f"ideal {ideal:.0f}: {n / dt / ideal:.2f}x"
    )


def bench_prefetch(root: Path, contexts: int) -> None:
    data = build_example_dataset(root / "ds", contexts_per_task=contexts, frames=30, size=96)
    ds = Dataset.open(data)
    episodes = load_episodes(ds)
    cam = ds.cameras[0]
    t0 = time.perf_counter()
    for ep in episodes:
        ds.frames(ep.id, cam)
    decode = (time.perf_counter() - t0) / len(episodes)
    model = SlowFrames(decode)
    rates = {}
    for name, ex in (("sequential", SequentialExecutor()), ("local", LocalExecutor(prefetch=2))):
        best = float("inf")
        for rep in range(2):
            with ScoreCache(root / f"cache-{name}-{rep}", config_hash(model), fsync=True) as c:
                t0 = time.perf_counter()
                score_model(ds, model, episodes, c, executor=ex)
                best = min(best, time.perf_counter() - t0)
        rates[name] = len(episodes) / best
        print(f"prefetch: {name:<10} {rates[name]:6.1f} episodes/s")
    print(
        f"prefetch: {len(episodes)} episodes, decode {1e3 * decode:.1f} ms each, model the "
        f"same; local / sequential = {rates['local'] / rates['sequential']:.2f}x (ideal 2x)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--episodes", type=int, default=640)
    ap.add_argument("--contexts", type=int, default=4, help="example contexts per task (x12)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_async(Path(tmp), args.episodes)
        bench_prefetch(Path(tmp), args.contexts)


if __name__ == "__main__":
    main()
