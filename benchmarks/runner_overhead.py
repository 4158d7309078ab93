"""The runner's per-episode overhead against the model's own time.

Builds the synthetic example dataset (``badbench.data.example``), then times, per episode:

- ``model``: ``RewardModel.score`` alone on pre-loaded episodes (the baseline);
- ``runner``: :func:`badbench.bench.runner.score_model` (the score stage) on the same episodes
  with a fresh score cache (input keys, lazy views, output checks, a JSON line flushed per
  episode, grouped fsync), with fsync on and off;
- ``resume``: the same call when every episode is already cached (model never called);
- ``labels``: loading every episode without video;
- ``decode``: the frames a frame-reading model asks for, decoded by the runner;
- ``evaluate``: the whole ``evaluate`` (no report) for the baselines, metrics included.

Usage: ``python benchmarks/runner_overhead.py [--contexts 16] [--frames 30]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from badbench.bench.cache import ScoreCache
from badbench.bench.metrics import MetricSettings
from badbench.bench.runner import evaluate, load_episodes, score_model
from badbench.data import Dataset, Episode
from badbench.data.example import build_example_dataset
from badbench.models import RewardModel, RewardOutput, config_hash, create_model


class MeanPixel(RewardModel):
    """Reads 8 evenly spaced frames; reward = mean pixel value (a stand-in frame model)."""

    batch_size = 8

    def frame_indices(self, meta):  # type: ignore[no-untyped-def]
        return sorted({int(round(x)) for x in np.linspace(0, meta.length - 1, 8)})

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        out = []
        for ep in episodes:
            f = next(iter(ep.frames.values()))
            out.append(
                RewardOutput(f.reshape(len(f), -1).mean(1) / 255.0, self.frame_indices(ep.meta))
            )
        return out


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--contexts", type=int, default=16, help="contexts per task (x12 episodes)")
    ap.add_argument("--frames", type=int, default=30)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        data = build_example_dataset(
            root / "ds", contexts_per_task=args.contexts, frames=args.frames, size=48
        )
        print(f"built dataset in {time.perf_counter() - t0:.1f} s")
        ds = Dataset.open(data)
        n = len(ds)
        t_labels = _best(lambda: load_episodes(ds), repeat=2)
        episodes = load_episodes(ds)
        print(f"{n} episodes x {args.frames} frames\n")
        print(f"{'what':<44}{'ms/episode':>12}")
        print(f"{'labels: load without video':<44}{1e3 * t_labels / n:>12.3f}")

        for name in ("oracle", "time", "random"):
            model = create_model(name)
            t_model = _best(lambda m=model: m.score(episodes))
            rows = [(f"{name}: model.score alone", t_model)]
            for fsync in (True, False):
                counter = iter(range(100))

                def run(
                    m: RewardModel = model, fs: bool = fsync, tag: str = name, it=counter
                ) -> None:
                    d = root / f"cache-{tag}-{fs}-{next(it)}"
                    with ScoreCache(d, config_hash(m), fsync=fs) as c:
                        score_model(ds, m, episodes, c)

                rows.append((f"{name}: runner, fresh cache, fsync={fsync}", _best(run)))
            cached = root / f"cache-{name}-warm"
            with ScoreCache(cached, config_hash(model)) as c:
                score_model(ds, model, episodes, c)

            def resume(m: RewardModel = model, d: Path = cached) -> None:
                with ScoreCache(d, config_hash(m)) as c:
                    score_model(ds, m, episodes, c)

            rows.append((f"{name}: runner, all cached (resume)", _best(resume)))
            for label, t in rows:
                print(f"{label:<44}{1e3 * t / n:>12.3f}")
            overhead = (rows[1][1] - t_model) / n
            print(f"{'  -> runner overhead (fsync on)':<44}{1e3 * overhead:>12.3f}")

        frame_model = MeanPixel()
        counter2 = iter(range(100))

        def run_frames() -> None:
            d = root / f"cache-frames-{next(counter2)}"
            with ScoreCache(d, config_hash(frame_model)) as c:
                score_model(ds, frame_model, episodes, c)

        t_frames = _best(run_frames, repeat=2)
        print(f"{'frame model (8 frames decoded): runner':<44}{1e3 * t_frames / n:>12.3f}")

        settings = MetricSettings(n_boot=200)
        counter3 = iter(range(100))
        t_eval = _best(
            lambda: evaluate(
                ds,
                ["oracle", "time", "random"],
                root / f"run-{next(counter3)}",
                settings=settings,
                progress=False,
                report=False,
            ),
            repeat=2,
        )
        print(f"{'evaluate: 3 baselines, 200 bootstraps':<44}{1e3 * t_eval / n:>12.3f}")


if __name__ == "__main__":
    main()
