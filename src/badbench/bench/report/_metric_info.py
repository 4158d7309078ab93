"""How the report names, orders, explains and ranks metrics.

The report renders whatever metric names a run's ``results.json`` holds. A name found in the
metrics registry (:data:`badbench.bench.metrics.METRICS`) takes its title, definition, units and
direction from there; an unknown name is shown as it is, with a direction guessed from the name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

HEADLINE = (
    "pairwise_accuracy",
    "pairwise_accuracy_ab",
    "fpr_fixed",
    "fpr_calibrated",
    "auroc",
    "voc",
    "quality_tau",
    "best_of_k",
    "mae",
    "over_reward",
)
"""Metrics of the main leaderboard table; the others go to a second table below it."""

UNRANKED = frozenset({"calibrated_threshold"})
"""Reported quantities that are not scores: shown, never highlighted as best."""

_LOWER_HINTS = ("fpr", "mae", "error", "over_reward", "loss", "brier", "ece")


@dataclass(frozen=True)
class MetricInfo:
    """What the report says about one metric.

    Attributes:
        name: the metric's key in ``results.json``.
        label: a short column header.
        definition: one or two sentences, with units, for the hover text and definitions list.
        higher_is_better: direction used to highlight the best model in a column.
        ranked: whether models are ranked on it at all (a threshold, say, is not).
    """

    name: str
    label: str
    definition: str
    higher_is_better: bool = True
    ranked: bool = True

    @property
    def direction(self) -> str:
        """``"higher is better"``, ``"lower is better"`` or ``""`` when not ranked."""
        if not self.ranked:
            return ""
        return "higher is better" if self.higher_is_better else "lower is better"


def _registry() -> dict[str, MetricInfo]:
    """The metrics registry's entries, converted (registry order)."""
    from badbench.bench.metrics import METRICS as registry

    out = {}
    for name, m in registry.items():
        definition = m.description + (f" Units: {m.units}." if m.units else "")
        out[name] = MetricInfo(name, m.title, definition, m.higher_is_better, name not in UNRANKED)
    return out


def metric_info(name: str) -> MetricInfo:
    """The report's description of a metric; a generic one for names the registry lacks."""
    registered = _registry().get(name)
    if registered is not None:
        return registered
    lower = any(hint in name.lower() for hint in _LOWER_HINTS)
    label = name.replace("_", " ")
    label = label[:1].upper() + label[1:]
    return MetricInfo(
        name, label, f"Metric '{name}' as computed by the run.", not lower, name not in UNRANKED
    )


def order_metrics(names: Iterable[str]) -> list[str]:
    """Registered metrics first, in registry order, then the others alphabetically."""
    rank = {n: i for i, n in enumerate(_registry())}
    return sorted(set(names), key=lambda n: (rank.get(n, len(rank)), n))


def split_headline(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Ordered names split into (main leaderboard, further metrics).

    When none of the names is a headline metric, all of them go to the main table.
    """
    ordered = order_metrics(names)
    main = [n for n in ordered if n in HEADLINE]
    if not main:
        return ordered, []
    return main, [n for n in ordered if n not in HEADLINE]
