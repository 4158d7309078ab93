"""What each metric :func:`compute_all` reports is: the one place for metric information.

Title, definition, units, what ``n`` counts, direction, value range, chance level and whether
models are ranked on it. The report (:mod:`badbench.bench.report`) reads it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from badbench.registry import unknown_name


@dataclass(frozen=True)
class MetricInfo:
    """What one reported metric is.

    Attributes:
        name: the key in :func:`compute_all`'s results and in ``results.json``.
        title: short label for tables and plots.
        description: one-sentence definition.
        units: what the number measures (e.g. "fraction of pairs"); "" when unknown.
        n_of: what :attr:`MetricValue.n` counts (pairs, episodes, tasks or contexts).
        higher_is_better: the direction of "better".
        value_range: ``(low, high)`` the value can take, or None when unbounded or in the
            model's own units.
        chance: the expected value of an uninformative model, or None when it depends on the
            data or the settings (e.g. the share of clean successes, the number of rollouts).
        ranked: whether models are ranked on it (False for reported quantities that are not
            scores, such as the calibrated threshold).
    """

    name: str
    title: str
    description: str
    units: str
    n_of: str
    higher_is_better: bool
    value_range: tuple[float, float] | None = None
    chance: float | None = None
    ranked: bool = True

    @property
    def label(self) -> str:
        """The column header the report shows: the :attr:`title`."""
        return self.title

    @property
    def direction(self) -> str:
        """``"higher is better"``, ``"lower is better"``, or ``""`` when not ranked."""
        if not self.ranked:
            return ""
        return "higher is better" if self.higher_is_better else "lower is better"

    @property
    def definition(self) -> str:
        """The full definition the report shows: description, units, range and chance level."""
        parts = [self.description]
        if self.units:
            parts.append(f"Units: {self.units}.")
        if self.value_range is not None:
            low, high = self.value_range
            parts.append(f"Range [{low:g}, {high:g}].")
        if self.chance is not None:
            parts.append(f"Chance: {self.chance:g}.")
        return " ".join(parts)


_UNIT = (0.0, 1.0)
_SIGNED = (-1.0, 1.0)


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        MetricInfo(
            "pairwise_accuracy",
            "Pairwise acc.",
            "Fraction of within-context pairs with different human scores that the trajectory "
            "score orders like the humans (model ties count as wrong).",
            "fraction of pairs",
            "pairs",
            True,
            value_range=_UNIT,
            chance=0.5,
        ),
        MetricInfo(
            "pairwise_accuracy_ab",
            "Pairwise acc. (A/B)",
            "As pairwise_accuracy, over explicit A/B judgements, human ties left out.",
            "fraction of judgements",
            "judgements",
            True,
            value_range=_UNIT,
            chance=0.5,
        ),
        MetricInfo(
            "fpr_fixed",
            "FPR @ threshold",
            "Fraction of bad episodes whose detection score is >= the fixed success threshold "
            "(default 0.95).",
            "fraction of bad episodes",
            "bad episodes",
            False,
            value_range=_UNIT,
        ),
        MetricInfo(
            "fpr_calibrated",
            "FPR @ 95% TPR",
            "Fraction of bad episodes called a success at the threshold that keeps 95% of "
            "clean successes (an uninformative score gets about the target TPR, 0.95).",
            "fraction of bad episodes",
            "bad episodes",
            False,
            value_range=_UNIT,
        ),
        MetricInfo(
            "calibrated_threshold",
            "Calibrated threshold",
            "The detection-score threshold calibrated to 95% TPR on clean successes.",
            "detection-score units",
            "clean successes",
            True,
            ranked=False,
        ),
        MetricInfo(
            "success_accuracy",
            "Success acc.",
            "Accuracy of calling clean success (score >= fixed threshold) against the labels.",
            "fraction of episodes",
            "episodes",
            True,
            value_range=_UNIT,
        ),
        MetricInfo(
            "success_precision",
            "Success precision",
            "Of the episodes called a success at the fixed threshold, the fraction that are "
            "clean successes.",
            "fraction of called episodes",
            "called episodes",
            True,
            value_range=_UNIT,
        ),
        MetricInfo(
            "success_recall",
            "Success recall",
            "Of the clean successes, the fraction called a success at the fixed threshold.",
            "fraction of clean successes",
            "clean successes",
            True,
            value_range=_UNIT,
        ),
        MetricInfo(
            "auroc",
            "AUROC",
            "Area under the ROC curve of the detection score, clean success vs bad "
            "(Mann-Whitney, ties count half).",
            "probability",
            "episodes",
            True,
            value_range=_UNIT,
            chance=0.5,
        ),
        MetricInfo(
            "auprc",
            "AUPRC",
            "Average precision of the detection score for finding clean successes (chance: the "
            "share of clean successes).",
            "area",
            "episodes",
            True,
            value_range=_UNIT,
        ),
        MetricInfo(
            "voc",
            "VOC",
            "Mean Value-Order Correlation (Spearman of per-frame predictions with the frame "
            "index; 0 for constant predictions) over successful episodes; an episode with a "
            "NaN prediction is left out.",
            "correlation",
            "successful episodes",
            True,
            value_range=_SIGNED,
            chance=0.0,
        ),
        MetricInfo(
            "quality_tau",
            "Quality Kendall tau",
            "Mean over tasks of Kendall tau-b between quality levels (failure < suboptimal < "
            "success) ranked by mean trajectory score and by their true order.",
            "correlation",
            "tasks",
            True,
            value_range=_SIGNED,
            chance=0.0,
        ),
        MetricInfo(
            "best_of_k",
            "Best-of-K",
            "Mean over contexts of the chance that the model's top-scored episode is among the "
            "humans' top (1 / number tied at the model's maximum; chance about 1 / K).",
            "fraction of contexts",
            "contexts",
            True,
            value_range=_UNIT,
        ),
        MetricInfo(
            "mae",
            "MAE",
            "Mean absolute error of the predicted final progress against the progress label.",
            "progress, [0, 1] scale",
            "episodes",
            False,
            value_range=_UNIT,
        ),
        MetricInfo(
            "over_reward",
            "Over-reward",
            "Mean predicted final progress minus the progress label, over bad episodes "
            "(> 0: bad behaviour gets more progress than it made).",
            "progress, [0, 1] scale",
            "bad episodes",
            False,
            value_range=_SIGNED,
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
