"""Metrics of an ablation arm pooled over its seeds, with intervals over seeds and contexts.

One benchmark run scores every arm's model on the whole suite. For an arm and a test split,
the score rows of the arm's seeds (restricted to the split's episodes) are stacked into one
table in which every context is made distinct per seed (``"s1|push-v3/s0004"``). The benchmark's
own :func:`~badbench.bench.metrics.compute_all` then computes each metric on that table, and
its bootstrap, which resamples contexts, resamples (seed, context) units: the interval covers
the spread over training seeds and over test contexts together. A baseline with no seed (the
``motion`` cue-only model, ``random``) is one "seed".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from badbench.bench import results as R
from badbench.bench.metrics import MetricSettings, compute_all
from badbench.bench.results import MetricValue
from badbench.bench.tables import episode_table

REPORTED = ("pairwise_accuracy", "fpr_fixed", "over_reward")
"""The metrics the ablation tables show (definitions in docs/metrics.md)."""


def pooled_rows(
    rows_by_seed: Mapping[int, Sequence[R.EpisodeScore]], episodes: frozenset[str]
) -> list[R.EpisodeScore]:
    """The rows of ``episodes`` from every seed, each context made distinct per seed."""
    out = []
    for seed, rows in sorted(rows_by_seed.items()):
        for row in rows:
            if row.episode_id not in episodes or row.error is not None:
                continue
            ctx = row.labels.context_id or row.labels.task or row.episode_id
            labels = row.labels.model_copy(update={"context_id": f"s{seed}|{ctx}"})
            out.append(
                row.model_copy(update={"episode_id": f"s{seed}|{row.episode_id}", "labels": labels})
            )
    return out


def pooled_metrics(
    rows_by_seed: Mapping[int, Sequence[R.EpisodeScore]],
    episodes: frozenset[str],
    *,
    score_kind: str,
    settings: MetricSettings | None = None,
    output_range: tuple[float, float] = (0.0, 1.0),
) -> dict[str, dict[str, MetricValue]]:
    """``{"overall" | <failure category>: {metric: value}}`` for :data:`REPORTED` metrics."""
    rows = pooled_rows(rows_by_seed, episodes)
    if not rows:
        return {}
    table = episode_table(rows, score_kind, output_range)
    metrics = compute_all(table, None, settings, breakdowns=("failure_category",))
    out = {"overall": {k: metrics.overall[k] for k in REPORTED}}
    for cat, values in metrics.by_failure_category.items():
        out[cat] = {k: values[k] for k in REPORTED if k in values}
    return out
