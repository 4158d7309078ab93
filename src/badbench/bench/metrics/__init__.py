"""Benchmark metrics: small pure functions over numpy arrays, plus ``compute_all``.

Definitions follow the paper (see ``docs/metrics.md``): pairwise preference accuracy, FPR on
bad episodes, success detection, VOC, quality-ranking Kendall tau, best-of-K, MAE, over-reward,
each broken down by task category and failure category/mode with bootstrap intervals that
resample contexts.
"""

from __future__ import annotations

from badbench.bench.metrics._bootstrap import bootstrap, ratio_statistic, resample_counts
from badbench.bench.metrics._compute import (
    BREAKDOWNS,
    AllMetrics,
    MetricSettings,
    compute_all,
    metric_key,
    split_key,
)
from badbench.bench.metrics._detection import (
    accuracy,
    auprc,
    auroc,
    confusion,
    fpr_at_threshold,
    fpr_at_tpr,
    precision,
    recall,
    threshold_at_tpr,
)
from badbench.bench.metrics._groupby import encode, group_indices
from badbench.bench.metrics._preference import (
    pair_agreement,
    pairwise_accuracy,
    pairwise_accuracy_labels,
    per_context_agreement,
    preference_pairs,
)
from badbench.bench.metrics._rank import kendall_tau_b, rankdata, spearman
from badbench.bench.metrics._ranking import (
    best_of_k,
    group_ranking_tau,
    quality_levels,
    quality_ranking_tau,
)
from badbench.bench.metrics._registry import METRICS, MetricInfo, list_metrics, metric_info
from badbench.bench.metrics._regression import mae, over_reward
from badbench.bench.metrics._trajectory import SCORE_KINDS, trajectory_score, trajectory_scores
from badbench.bench.metrics._types import NO_FAILURE, EpisodeTable, PairTable
from badbench.bench.metrics._voc import voc, voc_many
from badbench.bench.results import MetricValue

__all__ = [
    "BREAKDOWNS",
    "METRICS",
    "NO_FAILURE",
    "SCORE_KINDS",
    "AllMetrics",
    "EpisodeTable",
    "MetricInfo",
    "MetricSettings",
    "MetricValue",
    "PairTable",
    "accuracy",
    "auprc",
    "auroc",
    "best_of_k",
    "bootstrap",
    "compute_all",
    "confusion",
    "encode",
    "fpr_at_threshold",
    "fpr_at_tpr",
    "group_indices",
    "group_ranking_tau",
    "kendall_tau_b",
    "list_metrics",
    "mae",
    "metric_info",
    "metric_key",
    "over_reward",
    "pair_agreement",
    "pairwise_accuracy",
    "pairwise_accuracy_labels",
    "per_context_agreement",
    "precision",
    "preference_pairs",
    "quality_levels",
    "quality_ranking_tau",
    "rankdata",
    "ratio_statistic",
    "recall",
    "resample_counts",
    "spearman",
    "split_key",
    "threshold_at_tpr",
    "trajectory_score",
    "trajectory_scores",
    "voc",
    "voc_many",
]
