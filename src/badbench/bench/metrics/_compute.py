"""``compute_all``: every metric, overall and per breakdown, with bootstrap intervals."""

from __future__ import annotations

from dataclasses import dataclass, field

from badbench.bench.metrics._types import EpisodeTable, MetricValue, PairTable

BREAKDOWNS = ("task_category", "failure_category", "failure_mode")
"""The episode columns metrics are broken down by."""


@dataclass(frozen=True)
class MetricSettings:
    """How :func:`compute_all` computes the metrics.

    Attributes:
        threshold: fixed success threshold on the detection score (Robo-Dopamine: 0.95).
        tpr: true-positive rate on clean successes the calibrated threshold targets.
        tie_credit: pairwise credit of a model tie (0: disagreement, as the paper).
        n_boot: bootstrap resamples (0: no intervals).
        seed: bootstrap RNG seed.
        level: confidence level of the intervals.
    """

    threshold: float = 0.95
    tpr: float = 0.95
    tie_credit: float = 0.0
    n_boot: int = 1000
    seed: int = 0
    level: float = 0.95


@dataclass
class AllMetrics:
    """Every metric of one model, overall and per group of each breakdown.

    Attributes:
        overall: metric name -> value on all episodes.
        by_task_category: task category -> metric name -> value.
        by_failure_category: failure category -> metric name -> value.
        by_failure_mode: failure mode -> metric name -> value.

    The shape of :class:`badbench.bench.results.ModelMetrics`: ``ModelMetrics.model_validate(
    metrics.as_dict())``.
    """

    overall: dict[str, MetricValue] = field(default_factory=dict)
    by_task_category: dict[str, dict[str, MetricValue]] = field(default_factory=dict)
    by_failure_category: dict[str, dict[str, MetricValue]] = field(default_factory=dict)
    by_failure_mode: dict[str, dict[str, MetricValue]] = field(default_factory=dict)

    def flat(self) -> dict[str, MetricValue]:
        """One flat dict keyed ``"name"`` and ``"name|dimension=group"`` (:func:`metric_key`)."""
        raise NotImplementedError

    def as_dict(self) -> dict:
        """JSON-ready nested dicts (NaN as ``None``)."""
        raise NotImplementedError


def metric_key(name: str, dimension: str | None = None, group: str | None = None) -> str:
    """The flat key of a metric: ``"auroc"`` or ``"auroc|task_category=pour"``."""
    return name if dimension is None else f"{name}|{dimension}={group}"


def split_key(key: str) -> tuple[str, str | None, str | None]:
    """Inverse of :func:`metric_key`: ``(name, dimension, group)``."""
    name, _, rest = key.partition("|")
    if not rest:
        return name, None, None
    dim, _, group = rest.partition("=")
    return name, dim, group


def compute_all(
    table: EpisodeTable,
    pairs: PairTable | None = None,
    settings: MetricSettings | None = None,
    *,
    breakdowns: tuple[str, ...] = BREAKDOWNS,
) -> AllMetrics:
    """Compute every metric in :data:`METRICS` overall and per breakdown group.

    Groups: for ``task_category``, a group is the category's episodes and every metric is
    computed on them. For ``failure_category`` / ``failure_mode``, a group *focuses* on the
    episodes carrying that category/mode and keeps the clean successes of the same tasks as
    reference: pair metrics use the pairs with at least one focus episode; MAE, over-reward,
    VOC and the fixed-threshold FPR use focus episodes only; detection metrics (accuracy,
    precision, recall, AUROC, AUPRC, calibrated FPR), the quality tau and best-of-K use focus
    plus reference episodes. Intervals resample the contexts of the group's episodes.

    Args:
        table: one model's episode table.
        pairs: explicit A/B judgements (adds ``pairwise_accuracy_ab``), or None.
        settings: thresholds and bootstrap settings; default :class:`MetricSettings`.
        breakdowns: which columns to break down by (a subset of :data:`BREAKDOWNS`).

    Returns:
        The metrics; undefined values (e.g. an empty group) are NaN with n = 0.
    """
    raise NotImplementedError
