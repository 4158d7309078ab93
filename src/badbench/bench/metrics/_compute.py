"""``compute_all``: every metric, overall and per breakdown, with bootstrap intervals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from badbench.bench.metrics._bootstrap import resample_counts
from badbench.bench.metrics._detection import (
    weighted_auprc,
    weighted_auroc,
    weighted_fpr_at_tpr,
)
from badbench.bench.metrics._groupby import encode, group_indices
from badbench.bench.metrics._preference import pair_agreement, preference_pairs
from badbench.bench.metrics._ranking import best_of_k_credits, weighted_group_ranking_tau
from badbench.bench.metrics._types import EpisodeTable, MetricValue, PairTable
from badbench.bench.metrics._voc import voc_many
from badbench.errors import ValidationError

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

    def _dimensions(self) -> dict[str, dict[str, dict[str, MetricValue]]]:
        return {
            "task_category": self.by_task_category,
            "failure_category": self.by_failure_category,
            "failure_mode": self.by_failure_mode,
        }

    def flat(self) -> dict[str, MetricValue]:
        """One flat dict keyed ``"name"`` and ``"name|dimension=group"`` (:func:`metric_key`)."""
        out = dict(self.overall)
        for dim, groups in self._dimensions().items():
            for group, metrics in groups.items():
                for name, value in metrics.items():
                    out[metric_key(name, dim, group)] = value
        return out

    def as_dict(self) -> dict:
        """JSON-ready nested dicts (NaN as ``None``), keyed like ``ModelMetrics``."""
        out: dict = {"overall": {k: v.as_dict() for k, v in self.overall.items()}}
        for dim, groups in self._dimensions().items():
            out[f"by_{dim}"] = {
                g: {k: v.as_dict() for k, v in m.items()} for g, m in groups.items()
            }
        return out


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
    plus reference episodes (best-of-K only in contexts holding a focus episode). Intervals
    resample the contexts of the group's episodes; all metrics of a group share the resamples.
    ``pairwise_accuracy_ab`` is reported only when ``pairs`` is given.

    Args:
        table: one model's episode table.
        pairs: explicit A/B judgements (adds ``pairwise_accuracy_ab``), or None.
        settings: thresholds and bootstrap settings; default :class:`MetricSettings`.
        breakdowns: which columns to break down by (a subset of :data:`BREAKDOWNS`).

    Returns:
        The metrics; undefined values (e.g. an empty group) are NaN with n = 0.

    Raises:
        ValidationError: an unknown breakdown column.
    """
    settings = settings or MetricSettings()
    for dim in breakdowns:
        if dim not in BREAKDOWNS:
            raise ValidationError(
                f"unknown breakdown '{dim}'; choose from {', '.join(BREAKDOWNS)}",
                field="breakdowns",
            )
    ctx = _Context.of(table, pairs, settings)
    everyone = np.ones(len(table), dtype=bool)
    result = AllMetrics(overall=ctx.metrics(focus=everyone, rows=everyone))
    targets = result._dimensions()
    for dim in breakdowns:
        column = getattr(table, dim)
        for group, idx in group_indices(column).items():
            focus = np.zeros(len(table), dtype=bool)
            focus[idx] = True
            if dim == "task_category":
                rows = focus
            else:
                same_task = np.isin(table.task, np.unique(table.task[focus]))
                rows = focus | (ctx.good & same_task)
            targets[dim][group] = ctx.metrics(focus=focus, rows=rows)
    return result


@dataclass
class _Context:
    """Per-table quantities computed once and shared by every group."""

    table: EpisodeTable
    settings: MetricSettings
    ctx_codes: np.ndarray
    n_contexts: int
    good: np.ndarray
    det: np.ndarray
    quality: np.ndarray
    voc: np.ndarray
    pair_a: np.ndarray
    pair_b: np.ndarray
    pair_credit: np.ndarray
    ab: tuple[np.ndarray, np.ndarray, np.ndarray] | None

    @classmethod
    def of(cls, table: EpisodeTable, pairs: PairTable | None, s: MetricSettings) -> _Context:
        uniques, codes = encode(table.context_id)
        a, b, sign = preference_pairs(table.context_id, table.human_score)
        credit = pair_agreement(table.score, a, b, sign, tie_credit=s.tie_credit)
        ab = None
        if pairs is not None:
            keep = np.asarray(pairs.label) != 0
            pa, pb = pairs.idx_a[keep], pairs.idx_b[keep]
            ab_credit = pair_agreement(
                table.score, pa, pb, pairs.label[keep], tie_credit=s.tie_credit
            )
            ab = (pa, pb, ab_credit)
        return cls(
            table=table,
            settings=s,
            ctx_codes=codes,
            n_contexts=len(uniques),
            good=table.good,
            det=np.asarray(table.detection_score, dtype=np.float64),
            quality=table.quality_levels(),
            voc=voc_many(table.frame_values, table.frame_offsets),
            pair_a=a,
            pair_b=b,
            pair_credit=credit,
            ab=ab,
        )

    def metrics(self, focus: np.ndarray, rows: np.ndarray) -> dict[str, MetricValue]:
        """All metrics of one group (see :func:`compute_all` for focus and rows)."""
        t, s = self.table, self.settings
        group_ctx = np.unique(self.ctx_codes[focus | rows])
        local = np.full(self.n_contexts, -1, dtype=np.int64)
        local[group_ctx] = np.arange(len(group_ctx))
        code = local[self.ctx_codes]  # episode -> group context (-1: outside)
        n_c = len(group_ctx)
        weights = np.vstack([np.ones((1, n_c)), resample_counts(n_c, s.n_boot, s.seed)])

        def ew(sel: np.ndarray) -> np.ndarray:
            return weights[:, code[sel]]

        def ratio(sel: np.ndarray, values: np.ndarray, den: np.ndarray | None = None) -> np.ndarray:
            """Weighted mean of ``values`` over ``sel`` episodes (or ratio to ``den``)."""
            c = code[sel]
            num_c = np.bincount(c, weights=values[sel], minlength=n_c)
            d = np.ones(len(c)) if den is None else den[sel]
            den_c = np.bincount(c, weights=d, minlength=n_c)
            dw, nw = weights @ den_c, weights @ num_c
            out = np.full(weights.shape[0], np.nan)
            ok = dw > 0
            out[ok] = nw[ok] / dw[ok]
            return out

        out: dict[str, MetricValue] = {}

        def put(name: str, values: np.ndarray, n: int) -> None:
            out[name] = _value(values, n, s.level)

        # pairwise accuracy: pairs with at least one focus episode, in the focus side's context
        def pair_metric(a: np.ndarray, b: np.ndarray, credit: np.ndarray) -> tuple[np.ndarray, int]:
            sel = focus[a] | focus[b]
            pc = code[np.where(focus[a], a, b)[sel]]
            ok = pc >= 0
            cr, pc = credit[sel][ok], pc[ok]
            agree = np.bincount(pc, weights=cr, minlength=n_c)
            count = np.bincount(pc, minlength=n_c).astype(np.float64)
            dw = weights @ count
            vals = np.full(weights.shape[0], np.nan)
            good = dw > 0
            vals[good] = (weights @ agree)[good] / dw[good]
            return vals, len(cr)

        put("pairwise_accuracy", *pair_metric(self.pair_a, self.pair_b, self.pair_credit))
        if self.ab is not None:
            put("pairwise_accuracy_ab", *pair_metric(*self.ab))

        called = self.det >= s.threshold
        bad_focus = focus & ~self.good
        put("fpr_fixed", ratio(bad_focus, called.astype(float)), int(bad_focus.sum()))
        r = rows
        if r.any():
            fpr, thr = weighted_fpr_at_tpr(self.det[r], self.good[r], ew(r), s.tpr)
        else:
            fpr = thr = np.full(weights.shape[0], np.nan)
        put("fpr_calibrated", fpr, int((r & ~self.good).sum()))
        put("calibrated_threshold", thr, int((r & self.good).sum()))
        correct = (called == self.good).astype(float)
        tp = (called & self.good).astype(float)
        put("success_accuracy", ratio(r, correct), int(r.sum()))
        put("success_precision", ratio(r, tp, called.astype(float)), int((r & called).sum()))
        put("success_recall", ratio(r, tp, self.good.astype(float)), int((r & self.good).sum()))
        if r.any():
            put("auroc", weighted_auroc(self.det[r], self.good[r], ew(r)), int(r.sum()))
            put("auprc", weighted_auprc(self.det[r], self.good[r], ew(r)), int(r.sum()))
        else:
            put("auroc", np.full(1, np.nan), 0)
            put("auprc", np.full(1, np.nan), 0)

        succ = focus & t.success.astype(bool)
        put("voc", ratio(succ, self.voc), int(succ.sum()))

        if r.any():
            _, taus = weighted_group_ranking_tau(
                t.score[r], t.task[r], self.quality[r], self.quality[r].astype(float), ew(r)
            )
            defined = np.isfinite(taus)
            with np.errstate(invalid="ignore"):
                tau = np.where(
                    defined.any(axis=1),
                    np.nansum(np.where(defined, taus, 0.0), axis=1)
                    / np.maximum(defined.sum(axis=1), 1),
                    np.nan,
                )
            put("quality_tau", tau, int(defined[0].sum()))
        else:
            put("quality_tau", np.full(1, np.nan), 0)

        put("best_of_k", *self._best_of_k(focus, rows, local, weights))

        labelled = focus & np.isfinite(t.progress)
        err = np.where(labelled, t.final - np.nan_to_num(t.progress), 0.0)
        put("mae", ratio(labelled, np.abs(err)), int(labelled.sum()))
        over = labelled & ~self.good
        put("over_reward", ratio(over, err), int(over.sum()))
        return out

    def _best_of_k(
        self,
        focus: np.ndarray,
        rows: np.ndarray,
        local: np.ndarray,
        weights: np.ndarray,
    ) -> tuple[np.ndarray, int]:
        """Best-of-K credits of the contexts holding a focus episode, over the rows."""
        t = self.table
        n_c = weights.shape[1]
        idx = np.flatnonzero(rows)
        if len(idx) == 0:
            return np.full(1, np.nan), 0
        contexts, credits = best_of_k_credits(self.ctx_codes[idx], t.human_score[idx], t.score[idx])
        contexts = contexts.astype(np.int64)
        has_focus = np.zeros(self.n_contexts, dtype=bool)
        has_focus[self.ctx_codes[focus]] = True
        defined = np.isfinite(credits) & has_focus[contexts]
        num = np.zeros(n_c)
        den = np.zeros(n_c)
        num[local[contexts[defined]]] = credits[defined]
        den[local[contexts[defined]]] = 1.0
        dw = weights @ den
        vals = np.full(weights.shape[0], np.nan)
        ok = dw > 0
        vals[ok] = (weights @ num)[ok] / dw[ok]
        return vals, int(defined.sum())


def _value(values: np.ndarray, n: int, level: float) -> MetricValue:
    """Point estimate (first entry) and percentile interval (the rest) as a MetricValue."""
    values = np.asarray(values, dtype=np.float64)
    point = float(values[0])
    if not np.isfinite(point) or n == 0:
        return MetricValue(float("nan"), float("nan"), float("nan"), 0)
    boots = values[1:][np.isfinite(values[1:])]
    if len(boots) == 0:
        return MetricValue(point, float("nan"), float("nan"), n)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(boots, [alpha, 1.0 - alpha])
    return MetricValue(point, float(low), float(high), n)
