"""How the report names, orders, explains and ranks metrics.

The report renders whatever metric names a run's ``results.json`` holds. What a metric is (title,
definition, units, direction, range, chance level, ranked or not) lives in one place, the metrics
registry :data:`badbench.bench.metrics.METRICS`; this module only reads it. An unknown name is
shown as it is, with a direction guessed from the name.
"""

from __future__ import annotations

from collections.abc import Iterable

from badbench.bench.metrics import METRICS, MetricInfo

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

_LOWER_HINTS = ("fpr", "mae", "error", "over_reward", "loss", "brier", "ece")


def metric_info(name: str) -> MetricInfo:
    """The registry's entry for a metric; a generic one for names the registry lacks."""
    registered = METRICS.get(name)
    if registered is not None:
        return registered
    lower = any(hint in name.lower() for hint in _LOWER_HINTS)
    title = name.replace("_", " ")
    return MetricInfo(
        name=name,
        title=title[:1].upper() + title[1:],
        description=f"Metric '{name}' as computed by the run.",
        units="",
        n_of="",
        higher_is_better=not lower,
    )


def order_metrics(names: Iterable[str]) -> list[str]:
    """Registered metrics first, in registry order, then the others alphabetically."""
    rank = {n: i for i, n in enumerate(METRICS)}
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
