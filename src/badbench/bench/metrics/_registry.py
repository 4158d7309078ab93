"""The metric names :func:`compute_all` reports, with their definitions and units."""

from __future__ import annotations

from dataclasses import dataclass

from badbench.errors import RegistryError


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


METRICS: dict[str, MetricInfo] = {}
"""Metric name -> its :class:`MetricInfo`, in report order."""


def metric_info(name: str) -> MetricInfo:
    """Look a metric up by name.

    Raises:
        RegistryError: unknown name (the message lists the known ones).
    """
    raise NotImplementedError


def list_metrics() -> list[str]:
    """The metric names, in report order."""
    return list(METRICS)
