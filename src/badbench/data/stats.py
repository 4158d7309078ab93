"""Feature statistics as LeRobot computes them (``lerobot/datasets/compute_stats.py``).

Per episode, every feature gets ``min``/``max``/``mean``/``std`` over its frames and a ``count``;
images get per-channel values of shape (3, 1, 1) scaled to [0, 1], computed on LeRobot's sample of
frames. Episode stats are stored in ``meta/episodes`` (``stats/<feature>/<name>`` columns) and
aggregated into ``meta/stats.json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def _sample_indices(n: int) -> list[int]:
    num = max(min(100, n), min(int(n**0.75), 10_000))
    return np.round(np.linspace(0, n - 1, num)).astype(int).tolist()


QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
"""Quantiles LeRobot (v3.0 and later) stores beside min/max/mean/std: keys ``q01`` ... ``q99``."""
QUANTILE_KEYS = tuple(f"q{round(q * 100):02d}" for q in QUANTILES)


def feature_stats(array: np.ndarray, *, quantiles: bool = True) -> dict[str, np.ndarray]:
    """LeRobot's per-episode stats of a (T,) or (T, D) array (shape (1,) or (D,) each)."""
    keepdims = array.ndim == 1
    out = {
        "min": np.min(array, axis=0, keepdims=keepdims),
        "max": np.max(array, axis=0, keepdims=keepdims),
        "mean": np.mean(array, axis=0, keepdims=keepdims),
        "std": np.std(array, axis=0, keepdims=keepdims),
        "count": np.array([len(array)]),
    }
    if quantiles:
        values = np.asarray(array, dtype=np.float64)
        for key, q in zip(QUANTILE_KEYS, QUANTILES, strict=True):
            out[key] = np.quantile(values, q, axis=0, keepdims=keepdims)
    return out


def image_stats(frames: np.ndarray, *, quantiles: bool = True) -> dict[str, np.ndarray]:
    """LeRobot's per-channel stats of (T, H, W, 3) uint8 frames: shape (3, 1, 1), in [0, 1].

    Same frame sampling and downsampling as LeRobot's ``compute_episode_stats``; the moments and
    quantiles are computed exactly from per-channel histograms, much faster than float reductions.
    """
    sample = frames[_sample_indices(len(frames))]
    h, w = sample.shape[1:3]
    if max(h, w) >= 300:
        step = int(w / 150) if w > h else int(h / 150)
        sample = sample[:, ::step, ::step]
    pixels = np.ascontiguousarray(sample).reshape(-1, 3)
    values = np.arange(256, dtype=np.float64)
    names = ["min", "max", "mean", "std", *(QUANTILE_KEYS if quantiles else ())]
    st: dict[str, list[float]] = {k: [] for k in names}
    for c in range(3):
        hist = np.bincount(pixels[:, c], minlength=256).astype(np.float64)
        n = hist.sum()
        mean = float(hist @ values) / n
        nonzero = np.flatnonzero(hist)
        st["min"].append(float(nonzero[0]))
        st["max"].append(float(nonzero[-1]))
        st["mean"].append(mean)
        st["std"].append(float(np.sqrt(hist @ (values - mean) ** 2 / n)))
        if quantiles:
            cdf = np.cumsum(hist)
            for key, q in zip(QUANTILE_KEYS, QUANTILES, strict=True):
                st[key].append(float(np.searchsorted(cdf, q * n)))
    out = {k: np.asarray(v, dtype=np.float64).reshape(3, 1, 1) / 255.0 for k, v in st.items()}
    out["count"] = np.array([len(sample)])
    return {k: out[k] for k in ["min", "max", "mean", "std", "count", *names[4:]]}


def aggregate_stats(stats_list: Sequence[Mapping[str, Mapping[str, np.ndarray]]]) -> dict:
    """Combine per-episode stats as LeRobot does: min of mins, max of maxes, count-weighted
    mean, parallel-algorithm variance, and count-weighted quantiles (when every item has them)."""
    keys: list[str] = []
    for st in stats_list:
        keys.extend(k for k in st if k not in keys)
    out: dict[str, dict[str, np.ndarray]] = {}
    for key in keys:
        items = [st[key] for st in stats_list if key in st]
        means = np.stack([np.asarray(s["mean"], dtype=np.float64) for s in items])
        variances = np.stack([np.asarray(s["std"], dtype=np.float64) ** 2 for s in items])
        counts = np.stack([np.asarray(s["count"]) for s in items])
        total = counts.sum(axis=0)
        while counts.ndim < means.ndim:
            counts = np.expand_dims(counts, -1)
        mean = (means * counts).sum(axis=0) / total
        var = ((variances + (means - mean) ** 2) * counts).sum(axis=0) / total
        out[key] = {
            "min": np.min(np.stack([np.asarray(s["min"]) for s in items]), axis=0),
            "max": np.max(np.stack([np.asarray(s["max"]) for s in items]), axis=0),
            "mean": mean,
            "std": np.sqrt(var),
            "count": total,
        }
        for q in QUANTILE_KEYS:
            if all(q in s for s in items):
                qs = np.stack([np.asarray(s[q], dtype=np.float64) for s in items])
                out[key][q] = (qs * counts).sum(axis=0) / total
    return out


def stats_to_json(stats: Mapping[str, Mapping[str, np.ndarray]]) -> dict:
    return {k: {n: np.asarray(v).tolist() for n, v in st.items()} for k, st in stats.items()}


def stats_from_row(row: Mapping[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    """Per-episode stats back from a ``meta/episodes`` row's ``stats/<feature>/<name>`` columns."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for col, value in row.items():
        if not col.startswith("stats/") or value is None:
            continue
        feat, _, name = col[len("stats/") :].rpartition("/")
        out.setdefault(feat, {})[name] = np.asarray(value)
    return {k: v for k, v in out.items() if {"min", "max", "mean", "std", "count"} <= set(v)}
