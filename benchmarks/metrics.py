"""How fast the metrics are: 1M preference pairs, 10k contexts, bootstrap over 3k episodes.

Run: ``python benchmarks/metrics.py`` (add ``--quick`` for a smaller smoke run).

Targets (issue 4): pairwise accuracy over 1M preference pairs in under 1 s; 1000 bootstrap
resamples of every metric over a few thousand episodes in well under a few seconds. Each
vectorised timing is printed beside a plain-Python baseline computed in the same process on the
same data, so the numbers compare on any machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from badbench.bench.metrics import (
    EpisodeTable,
    MetricSettings,
    compute_all,
    pairwise_accuracy,
    pairwise_accuracy_labels,
)


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def naive_labels(model: np.ndarray, a: np.ndarray, b: np.ndarray, label: np.ndarray) -> float:
    """Baseline: one Python iteration per judgement."""
    m, ia, ib, lab = model.tolist(), a.tolist(), b.tolist(), label.tolist()
    agree = total = 0
    for i, j, y in zip(ia, ib, lab, strict=True):
        if y == 0:
            continue
        d = m[i] - m[j]
        s = (d > 0) - (d < 0)
        agree += s == y
        total += 1
    return agree / total


def naive_contexts(context: np.ndarray, human: np.ndarray, model: np.ndarray) -> float:
    """Baseline: group by context with a dict, then a double loop per context."""
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(context.tolist()):
        groups.setdefault(c, []).append(i)
    h, m = human.tolist(), model.tolist()
    agree = total = 0
    for rows in groups.values():
        for x, i in enumerate(rows):
            for j in rows[x + 1 :]:
                if h[i] == h[j]:
                    continue
                dh, dm = h[i] - h[j], m[i] - m[j]
                total += 1
                agree += ((dh > 0) - (dh < 0)) == ((dm > 0) - (dm < 0))
    return agree / total


def synthetic_table(n_ctx: int, k: int, seed: int = 0) -> EpisodeTable:
    """``n_ctx`` contexts of ``k`` episodes, mixed failure categories, noisy rising curves."""
    rng = np.random.default_rng(seed)
    n = n_ctx * k
    cats = np.array(["none", "unsafe", "poor_execution", "shortcut", "failure"])
    modes = {
        "none": ["none"],
        "unsafe": ["collision", "knock_over"],
        "poor_execution": ["jitter", "slow"],
        "shortcut": ["push_instead_of_pick"],
        "failure": ["drop", "miss_grasp"],
    }
    fc = cats[rng.integers(0, len(cats), n)]
    fm = np.array([modes[c][rng.integers(len(modes[c]))] for c in fc])
    success = np.where(fc == "none", True, np.where(fc == "failure", False, rng.random(n) < 0.5))
    progress = np.where(fc == "none", 1.0, rng.random(n) * 0.9)
    lengths = rng.integers(10, 60, n)
    frames = [
        np.linspace(0, p, t) + rng.normal(0, 0.1, t) for p, t in zip(progress, lengths, strict=True)
    ]
    task_ids = np.arange(n_ctx) % 20
    categories = np.array(["pick_place", "push_pull", "open_close", "stack", "pour", "tool_use"])
    return EpisodeTable.build(
        episode_id=[f"e{i}" for i in range(n)],
        frame_predictions=frames,
        success=success,
        context_id=np.repeat(np.arange(n_ctx), k).astype(str),
        task=np.repeat(task_ids, k).astype(str),
        task_category=np.repeat(categories[task_ids % len(categories)], k),
        failure_category=fc,
        failure_mode=fm,
        progress=progress,
        score_kind="return",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    rng = np.random.default_rng(0)
    rows = []

    # 1. explicit A/B judgements: 1M pairs over 200k episodes
    n_pairs, n_eps = 1_000_000 // scale, 200_000 // scale
    model = rng.random(n_eps)
    a = rng.integers(0, n_eps, n_pairs)
    b = (a + rng.integers(1, n_eps, n_pairs)) % n_eps
    label = rng.choice(np.array([-1, 0, 1], dtype=np.int8), n_pairs)
    t_fast, (acc, n) = timed(lambda: pairwise_accuracy_labels(model, a, b, label))
    t_base, acc_base = timed(lambda: naive_labels(model, a, b, label), repeat=1)
    assert abs(acc - acc_base) < 1e-12
    rows.append((f"A/B labels, {n_pairs:,} pairs", t_fast, t_base, 1.0))

    # 2. score-based pairs: 10k contexts x 15 episodes = 1.05M within-context pairs
    n_ctx, k = 10_000 // scale, 15
    context = np.repeat(np.arange(n_ctx), k)
    human = rng.integers(0, 11, n_ctx * k) / 10.0
    model = human + rng.normal(0, 0.3, n_ctx * k)
    t_fast, (acc, n) = timed(lambda: pairwise_accuracy(context, human, model))
    t_base, acc_base = timed(lambda: naive_contexts(context, human, model), repeat=1)
    assert abs(acc - acc_base) < 1e-12
    rows.append((f"scores, {n_ctx:,} contexts ({n:,} pairs)", t_fast, t_base, 1.0))

    # 3. compute_all: 3,000 episodes (500 contexts x 6), 1000 resamples, all breakdowns
    table = synthetic_table(500 // scale, 6)
    t_boot, res = timed(lambda: compute_all(table, settings=MetricSettings(n_boot=1000)), 1)
    t_point, _ = timed(lambda: compute_all(table, settings=MetricSettings(n_boot=0)), 1)
    n_groups = 1 + sum(
        len(g) for g in (res.by_task_category, res.by_failure_category, res.by_failure_mode)
    )
    label3 = f"compute_all, {len(table):,} episodes, {n_groups} groups, 1000 resamples"
    rows.append((label3, t_boot, t_point, 3.0))

    print(f"{'case':<62} {'time s':>8} {'baseline s':>11} {'speed-up':>9}  target")
    for name, fast, base, target in rows:
        ok = "ok" if fast < target else "MISSED"
        print(f"{name:<62} {fast:8.3f} {base:11.3f} {base / fast:8.1f}x  < {target:g} s {ok}")
    print("(baseline: plain Python loops; for compute_all, the same call without resamples)")


if __name__ == "__main__":
    main()
