"""The metric names :func:`compute_all` reports, with their definitions and units."""

from __future__ import annotations

from dataclasses import dataclass

from badbench.registry import unknown_name


@dataclass(frozen=True)
class MetricInfo:
    """What one reported metric is.

    Attributes:
        name: the key in :func:`compute_all`'s results.
        title: short label for tables and plots.
        description: one-sentence definition.
        units: what the number measures (e.g. "fraction of pairs").
        n_of: what :attr:`MetricValue.n` counts (pairs, episodes, tasks or contexts).
        higher_is_better: the direction of "better".
    """

    name: str
    title: str
    description: str
    units: str
    n_of: str
    higher_is_better: bool


def _m(name: str, title: str, description: str, units: str, n_of: str, up: bool) -> MetricInfo:
    return MetricInfo(name, title, description, units, n_of, up)


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        _m(
            "pairwise_accuracy",
            "Pairwise acc.",
            "Fraction of within-context pairs with different human scores that the trajectory "
            "score orders like the humans (model ties count as wrong).",
            "fraction of pairs, 0.5 = chance",
            "pairs",
            True,
        ),
        _m(
            "pairwise_accuracy_ab",
            "Pairwise acc. (A/B)",
            "As pairwise_accuracy, over explicit A/B judgements, human ties left out.",
            "fraction of judgements, 0.5 = chance",
            "judgements",
            True,
        ),
        _m(
            "fpr_fixed",
            "FPR @ threshold",
            "Fraction of bad episodes whose detection score is >= the fixed success threshold "
            "(default 0.95).",
            "fraction of bad episodes",
            "bad episodes",
            False,
        ),
        _m(
            "fpr_calibrated",
            "FPR @ 95% TPR",
            "Fraction of bad episodes called a success at the threshold that keeps 95% of "
            "clean successes.",
            "fraction of bad episodes",
            "bad episodes",
            False,
        ),
        _m(
            "calibrated_threshold",
            "Calibrated threshold",
            "The detection-score threshold calibrated to 95% TPR on clean successes.",
            "detection-score units",
            "clean successes",
            True,
        ),
        _m(
            "success_accuracy",
            "Success acc.",
            "Accuracy of calling clean success (score >= fixed threshold) against the labels.",
            "fraction of episodes",
            "episodes",
            True,
        ),
        _m(
            "success_precision",
            "Success precision",
            "Of the episodes called a success at the fixed threshold, the fraction that are "
            "clean successes.",
            "fraction of called episodes",
            "called episodes",
            True,
        ),
        _m(
            "success_recall",
            "Success recall",
            "Of the clean successes, the fraction called a success at the fixed threshold.",
            "fraction of clean successes",
            "clean successes",
            True,
        ),
        _m(
            "auroc",
            "AUROC",
            "Area under the ROC curve of the detection score, clean success vs bad "
            "(Mann-Whitney, ties count half).",
            "probability, 0.5 = chance",
            "episodes",
            True,
        ),
        _m(
            "auprc",
            "AUPRC",
            "Average precision of the detection score for finding clean successes.",
            "area, chance = share of clean successes",
            "episodes",
            True,
        ),
        _m(
            "voc",
            "VOC",
            "Mean Value-Order Correlation (Spearman of per-frame predictions with the frame "
            "index, 0 when undefined) over successful episodes.",
            "correlation in [-1, 1]",
            "successful episodes",
            True,
        ),
        _m(
            "quality_tau",
            "Quality Kendall tau",
            "Mean over tasks of Kendall tau-b between quality levels (failure < suboptimal < "
            "success) ranked by mean trajectory score and by their true order.",
            "correlation in [-1, 1]",
            "tasks",
            True,
        ),
        _m(
            "best_of_k",
            "Best-of-K",
            "Mean over contexts of the chance that the model's top-scored episode is among the "
            "humans' top (1 / number tied at the model's maximum).",
            "fraction of contexts",
            "contexts",
            True,
        ),
        _m(
            "mae",
            "MAE",
            "Mean absolute error of the predicted final progress against the progress label.",
            "progress, [0, 1] scale",
            "episodes",
            False,
        ),
        _m(
            "over_reward",
            "Over-reward",
            "Mean predicted final progress minus the progress label, over bad episodes.",
            "progress, [0, 1] scale; > 0 over-rewards",
            "bad episodes",
            False,
        ),
    ]
}
"""Metric name -> its :class:`MetricInfo`, in report order."""


def metric_info(name: str) -> MetricInfo:
    """Look a metric up by name.

    Raises:
        RegistryError: unknown name (the message suggests close names and lists the known).
    """
    try:
        return METRICS[name]
    except KeyError:
        raise unknown_name("metric", name, list(METRICS)) from None


def list_metrics() -> list[str]:
    """The metric names, in report order."""
    return list(METRICS)
