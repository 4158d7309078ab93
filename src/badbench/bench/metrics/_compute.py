"""``compute_all``: every metric, overall and per breakdown, with bootstrap intervals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from badbench.bench.metrics._bootstrap import resample_counts
from badbench.bench.metrics._detection import (
    missing_lowest,
    weighted_auroc_auprc,
    weighted_fpr_at_tpr,
)
from badbench.bench.metrics._groupby import encode, group_indices
from badbench.bench.metrics._preference import pair_agreement, preference_pairs
from badbench.bench.metrics._ranking import best_of_k_credits, weighted_group_ranking_tau
from badbench.bench.metrics._types import EpisodeTable, PairTable
from badbench.bench.metrics._voc import voc_many
from badbench.bench.results import MetricValue
from badbench.errors import ValidationError

BREAKDOWNS = ("task_category", "failure_category", "failure_mode")
"""The episode columns metrics are broken down by."""

_CHUNK_CELLS = 4_000_000
"""Resample rows x episodes evaluated at once (bounds memory on large datasets)."""


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
        """JSON-ready nested dicts (undefined as ``None``), keyed like ``ModelMetrics``."""
        out: dict = {"overall": {k: v.model_dump() for k, v in self.overall.items()}}
        for dim, groups in self._dimensions().items():
            out[f"by_{dim}"] = {
                g: {k: v.model_dump() for k, v in m.items()} for g, m in groups.items()
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
        The metrics as :class:`~badbench.bench.results.MetricValue` records; an undefined value
        (e.g. an empty group) is ``None`` with n = 0.

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
            # a missing score (empty episode) ranks below every real one and is never "called"
            det=missing_lowest(table.detection_score),
            quality=table.quality_levels(),
            voc=voc_many(table.frame_values, table.frame_offsets),
            pair_a=a,
            pair_b=b,
            pair_credit=credit,
            ab=ab,
        )

    def metrics(self, focus: np.ndarray, rows: np.ndarray) -> dict[str, MetricValue]:
        """All metrics of one group (see :func:`compute_all` for focus and rows)."""
        full = _Group.of(self.ctx_codes, self.n_contexts, focus | rows, self.settings)
        # evaluate the resamples in chunks so (resamples x episodes) arrays stay ~32 MB
        step = max(1, _CHUNK_CELLS // max(1, int(rows.sum())))
        parts: list[dict[str, tuple[np.ndarray, int]]] = []
        for lo in range(0, full.weights.shape[0], step):
            g = full.rows(lo, lo + step)
            values: dict[str, tuple[np.ndarray, int]] = {}
            values.update(self._pairwise(g, focus))
            values.update(self._detection(g, focus, rows))
            values.update(self._ranking(g, focus, rows))
            values.update(self._errors(g, focus))
            parts.append(values)
        level = self.settings.level
        return {
            name: _value(np.concatenate([p[name][0] for p in parts]), n, level)
            for name, (_, n) in parts[0].items()
        }

    def _pairwise(self, g: _Group, focus: np.ndarray) -> dict[str, tuple[np.ndarray, int]]:
        """Pairs with at least one focus episode, counted in the focus side's context."""

        def one(a: np.ndarray, b: np.ndarray, credit: np.ndarray) -> tuple[np.ndarray, int]:
            sel = focus[a] | focus[b]
            pc = g.code[np.where(focus[a], a, b)[sel]]
            ok = pc >= 0
            cr, pc = credit[sel][ok], pc[ok]
            agree = np.bincount(pc, weights=cr, minlength=g.n)
            count = np.bincount(pc, minlength=g.n).astype(np.float64)
            return g.context_ratio(agree, count), len(cr)

        out = {"pairwise_accuracy": one(self.pair_a, self.pair_b, self.pair_credit)}
        if self.ab is not None:
            out["pairwise_accuracy_ab"] = one(*self.ab)
        return out

    def _detection(
        self, g: _Group, focus: np.ndarray, rows: np.ndarray
    ) -> dict[str, tuple[np.ndarray, int]]:
        """FPRs and success detection; the fixed FPR on focus, the rest on all rows."""
        s, good, det, r = self.settings, self.good, self.det, rows
        called = det >= s.threshold
        bad_focus = focus & ~good
        w = g.episode_weights(r)
        fpr, thr = weighted_fpr_at_tpr(det[r], good[r], w, s.tpr)
        roc, pr = weighted_auroc_auprc(det[r], good[r], w)
        tp = (called & good).astype(float)
        return {
            "fpr_fixed": (g.ratio(bad_focus, called.astype(float)), int(bad_focus.sum())),
            "fpr_calibrated": (fpr, int((r & ~good).sum())),
            "calibrated_threshold": (thr, int((r & good).sum())),
            "success_accuracy": (g.ratio(r, (called == good).astype(float)), int(r.sum())),
            "success_precision": (g.ratio(r, tp, called.astype(float)), int((r & called).sum())),
            "success_recall": (g.ratio(r, tp, good.astype(float)), int((r & good).sum())),
            "auroc": (roc, int(r.sum())),
            "auprc": (pr, int(r.sum())),
        }

    def _ranking(
        self, g: _Group, focus: np.ndarray, rows: np.ndarray
    ) -> dict[str, tuple[np.ndarray, int]]:
        """VOC on focus successes (with a defined VOC); quality tau on rows; best-of-K on focus
        contexts."""
        t, r = self.table, rows
        succ = focus & t.success.astype(bool) & np.isfinite(self.voc)
        quality = self.quality[r]
        _, taus = weighted_group_ranking_tau(
            t.score[r], t.task[r], quality, quality.astype(float), g.episode_weights(r)
        )
        defined = np.isfinite(taus)
        n_def = defined.sum(axis=1)
        tau = np.full(taus.shape[0], np.nan)
        tau[n_def > 0] = np.where(defined, taus, 0.0).sum(axis=1)[n_def > 0] / n_def[n_def > 0]
        return {
            "voc": (g.ratio(succ, self.voc), int(succ.sum())),
            "quality_tau": (tau, int(n_def[0]) if len(n_def) else 0),
            "best_of_k": self._best_of_k(g, focus, rows),
        }

    def _best_of_k(self, g: _Group, focus: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, int]:
        """Best-of-K credits of the contexts holding a focus episode, over the rows."""
        t = self.table
        idx = np.flatnonzero(rows)
        contexts, credits = best_of_k_credits(self.ctx_codes[idx], t.human_score[idx], t.score[idx])
        contexts = contexts.astype(np.int64)
        has_focus = np.zeros(self.n_contexts, dtype=bool)
        has_focus[self.ctx_codes[focus]] = True
        defined = np.isfinite(credits) & has_focus[contexts]
        num, den = np.zeros(g.n), np.zeros(g.n)
        num[g.local[contexts[defined]]] = credits[defined]
        den[g.local[contexts[defined]]] = 1.0
        return g.context_ratio(num, den), int(defined.sum())

    def _errors(self, g: _Group, focus: np.ndarray) -> dict[str, tuple[np.ndarray, int]]:
        """MAE on labelled focus episodes; over-reward on the bad ones among them."""
        t = self.table
        labelled = focus & np.isfinite(t.progress) & np.isfinite(t.final)
        err = np.where(labelled, np.nan_to_num(t.final) - np.nan_to_num(t.progress), 0.0)
        over = labelled & ~self.good
        return {
            "mae": (g.ratio(labelled, np.abs(err)), int(labelled.sum())),
            "over_reward": (g.ratio(over, err), int(over.sum())),
        }


@dataclass
class _Group:
    """The contexts of one group and their bootstrap weights.

    Attributes:
        local: global context code -> this group's context code (-1: not in the group).
        code: episode -> this group's context code (-1: outside).
        n: number of contexts in the group.
        weights: (1 + n_boot, n) context weights; row 0 is all ones (the point estimate).
    """

    local: np.ndarray
    code: np.ndarray
    n: int
    weights: np.ndarray

    @classmethod
    def of(
        cls, ctx_codes: np.ndarray, n_contexts: int, members: np.ndarray, s: MetricSettings
    ) -> _Group:
        group_ctx = np.unique(ctx_codes[members])
        local = np.full(n_contexts, -1, dtype=np.int64)
        local[group_ctx] = np.arange(len(group_ctx))
        n = len(group_ctx)
        weights = np.vstack([np.ones((1, n)), resample_counts(n, s.n_boot, s.seed)])
        return cls(local=local, code=local[ctx_codes], n=n, weights=weights)

    def rows(self, lo: int, hi: int) -> _Group:
        """The same group with only resample rows ``lo:hi`` of the weights."""
        return _Group(local=self.local, code=self.code, n=self.n, weights=self.weights[lo:hi])

    def episode_weights(self, sel: np.ndarray) -> np.ndarray:
        """(1 + n_boot, |sel|) weights of the selected episodes (their contexts' counts)."""
        return self.weights[:, self.code[sel]]

    def context_ratio(self, num: np.ndarray, den: np.ndarray) -> np.ndarray:
        """``W @ num / W @ den`` over per-context sums; NaN where the denominator is 0."""
        d = self.weights @ den
        out = np.full(self.weights.shape[0], np.nan)
        ok = d > 0
        out[ok] = (self.weights @ num)[ok] / d[ok]
        return out

    def ratio(
        self, sel: np.ndarray, values: np.ndarray, den: np.ndarray | None = None
    ) -> np.ndarray:
        """Weighted mean of ``values`` over the ``sel`` episodes (or their ratio to ``den``)."""
        c = self.code[sel]
        num_c = np.bincount(c, weights=values[sel], minlength=self.n)
        d = np.ones(len(c)) if den is None else den[sel]
        return self.context_ratio(num_c, np.bincount(c, weights=d, minlength=self.n))


def _value(values: np.ndarray, n: int, level: float) -> MetricValue:
    """Point estimate (first entry) and percentile interval (the rest) as a MetricValue."""
    values = np.asarray(values, dtype=np.float64)
    point = float(values[0])
    if not np.isfinite(point) or n == 0:
        return MetricValue(value=None, n=0)
    boots = values[1:][np.isfinite(values[1:])]
    if len(boots) == 0:
        return MetricValue(value=point, n=n)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(boots, [alpha, 1.0 - alpha])
    return MetricValue(value=point, ci_low=float(low), ci_high=float(high), n=n)
