"""How the report names, orders, explains and ranks metrics.

The report renders whatever metric names a run's ``results.json`` holds. A name found in the
metrics registry (:data:`badbench.bench.metrics.METRICS`) takes its title, definition and direction
from there; otherwise the report's own table below is used; unknown names are shown as they are,
with a direction guessed from the name. Each gets a label, a one-sentence definition (shown on
hover and under the leaderboard) and a direction (for highlighting the best model).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricInfo:
    """What the report says about one metric.

    Attributes:
        name: the metric's key in ``results.json``.
        label: a short column header.
        definition: one sentence, with units, for the hover text and the definitions list.
        higher_is_better: direction used to highlight the best model in a column.
    """

    name: str
    label: str
    definition: str
    higher_is_better: bool = True


_KNOWN = [
    MetricInfo(
        "pairwise_accuracy",
        "Pairwise acc.",
        "Fraction of same-context episode pairs with different labels (or explicit A/B "
        "preferences, ties left out) that the model orders like the labels; model ties count "
        "as wrong. 0.5 is chance.",
    ),
    MetricInfo(
        "fpr_fixed",
        "FPR (fixed)",
        "False-positive rate: fraction of bad episodes whose final predicted progress reaches "
        "the fixed success threshold.",
        higher_is_better=False,
    ),
    MetricInfo(
        "fpr_calibrated",
        "FPR (@95% TPR)",
        "False-positive rate at the threshold that accepts 95% of successful episodes.",
        higher_is_better=False,
    ),
    MetricInfo(
        "success_accuracy",
        "Success acc.",
        "Accuracy of the success call (final progress at or above the fixed threshold).",
    ),
    MetricInfo("precision", "Precision", "Precision of the success call at the fixed threshold."),
    MetricInfo("recall", "Recall", "Recall of the success call at the fixed threshold."),
    MetricInfo(
        "auroc", "AUROC", "Area under the ROC curve of the final score as a success detector."
    ),
    MetricInfo(
        "auprc",
        "AUPRC",
        "Area under the precision-recall curve of the final score as a success detector.",
    ),
    MetricInfo(
        "voc",
        "VOC",
        "Value-order correlation: Spearman correlation of per-frame predictions with the frame "
        "index, on successful episodes (0 when constant). It cannot see failures.",
    ),
    MetricInfo(
        "kendall_tau",
        "Kendall tau",
        "Kendall rank correlation between mean model score and quality level "
        "(failure < suboptimal < success), per task.",
    ),
    MetricInfo(
        "best_of_k",
        "Best-of-K",
        "For each context, credit when the model's top-scored episode is among the best "
        "labelled ones (1 / number tied at the model's maximum).",
    ),
    MetricInfo(
        "mae",
        "MAE",
        "Mean absolute error of the final predicted progress against the progress label, "
        "in [0, 1].",
        higher_is_better=False,
    ),
    MetricInfo(
        "over_reward",
        "Over-reward",
        "Mean final predicted progress minus the progress label on bad episodes; positive "
        "means failures are over-rewarded.",
        higher_is_better=False,
    ),
]

METRICS: dict[str, MetricInfo] = {m.name: m for m in _KNOWN}
"""The metrics the report knows, in leaderboard order."""

_LOWER_HINTS = ("fpr", "mae", "error", "over_reward", "loss", "brier", "ece")

# Synonyms other modules may use for the same metric.
_ALIASES = {
    "pairwise": "pairwise_accuracy",
    "pairwise_acc": "pairwise_accuracy",
    "fpr": "fpr_fixed",
    "fpr_at_threshold": "fpr_fixed",
    "fpr_at_tpr95": "fpr_calibrated",
    "fpr_tpr95": "fpr_calibrated",
    "accuracy": "success_accuracy",
    "best_of_k_accuracy": "best_of_k",
    "kendall": "kendall_tau",
}


def _registry() -> dict[str, MetricInfo]:
    """The metrics registry's entries, converted; empty if it is not importable."""
    try:
        from badbench.bench.metrics import METRICS as registry
    except ImportError:  # pragma: no cover - metrics are part of the base install
        return {}
    out = {}
    for name, m in registry.items():
        definition = m.description + (f" Units: {m.units}." if m.units else "")
        out[name] = MetricInfo(name, m.title, definition, m.higher_is_better)
    return out


def metric_info(name: str) -> MetricInfo:
    """The report's description of a metric; a generic one for names it does not know."""
    registered = _registry().get(name)
    if registered is not None:
        return registered
    known = METRICS.get(name) or METRICS.get(_ALIASES.get(name, ""))
    if known is not None:
        if known.name == name:
            return known
        return MetricInfo(name, known.label, known.definition, known.higher_is_better)
    lower = any(hint in name.lower() for hint in _LOWER_HINTS)
    label = name.replace("_", " ")
    label = label[:1].upper() + label[1:]
    return MetricInfo(name, label, f"Metric '{name}' as computed by the run.", not lower)


def order_metrics(names: Iterable[str]) -> list[str]:
    """Registered metrics first (registry order), then the report's known ones, then the rest."""
    rank: dict[str, int] = {}
    for n in [*_registry(), *METRICS]:
        rank.setdefault(n, len(rank))
    unique = set(names)

    def key(n: str) -> tuple[int, str]:
        canonical = n if n in rank else _ALIASES.get(n, n)
        return (rank.get(canonical, len(rank)), n)

    return sorted(unique, key=key)
