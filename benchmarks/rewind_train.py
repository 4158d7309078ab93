"""ReWiND training speed on cached embeddings: optimiser steps per second.

Examples are 64 synthetic episodes of 16 embedded frames (the embeddings' values do not change
the cost) in 4 tasks; each configuration trains with :func:`badbench.models.rewind.train`
(clip sampling with rewinds and swaps, in-batch mismatched pairs, loss, Adam, gradient clip;
one validation pass) for ``--steps`` steps and for 1 step, and the difference gives the time per
step. Configurations: ReWiND's architecture (512 wide, 4 layers, ff 2048) on EfficientNet-Lite0's
1280-d and DINOv2-B's 768-d embeddings, and two smaller ones, at batch 16.

Usage: ``python benchmarks/rewind_train.py [--steps 30] [--batch 16]``. Torch threads are left as
torch sets them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from badbench.models.rewind import Example, TrainConfig, text_embeddings, text_encoder, train

ARCHS = {
    "rewind (512x4, ff 2048), 1280-d": (1280, {}),
    "rewind (512x4, ff 2048), 768-d": (768, {}),
    "256x2, ff 1024, 1280-d": (1280, {"hidden": 256, "layers": 2, "ff": 1024}),
    "128x2, ff 512, 1280-d": (1280, {"hidden": 128, "layers": 2, "heads": 4, "ff": 512}),
}


def examples(dim: int) -> list[Example]:
    rng = np.random.default_rng(0)
    return [
        Example(
            f"e{i}",
            f"do task {i % 4}",
            f"task-{i % 4}",
            np.arange(16) * 4,
            rng.normal(size=(16, dim)).astype(np.float32),
            np.linspace(0, 1, 16),
            61,
            encoder="bench",
        )
        for i in range(64)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    print(f"torch threads: {torch.get_num_threads()}, batch {args.batch} (+25% mismatched pairs)")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        text_embeddings([f"do task {i}" for i in range(4)], text_encoder(), cache)
        for name, (dim, arch) in ARCHS.items():
            exs = examples(dim)
            times = []
            for steps in (1, args.steps):
                config = TrainConfig(
                    encoder="bench", steps=steps, batch_size=args.batch, eval_every=10_000, **arch
                )
                t = time.perf_counter()
                train(exs, config, Path(tmp) / f"{name}-{steps}", progress=False, cache_dir=cache)
                times.append(time.perf_counter() - t)
            per_step = (times[1] - times[0]) / (args.steps - 1)
            print(f"{name:34s} {1 / per_step:6.2f} steps/s  ({per_step * 1000:.0f} ms/step)")


if __name__ == "__main__":
    main()
