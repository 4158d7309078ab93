"""Why a metric has no value ("—" in the report), worked out from the run's records alone.

Every reason follows from the labels that travel with the score rows (success, progress, failure
tags, context, task) and the model's own rows, with the metrics' definitions
(:func:`badbench.bench.metrics.compute_all`): pairwise accuracy and best-of-K need a context
holding two episodes with different labels; the false-positive rates and over-reward need bad
episodes; the calibrated threshold and recall need clean successes; AUROC and AUPRC need both;
VOC needs successful episodes; MAE needs progress labels; the quality tau needs a task with two
quality levels. A reason starts with a short phrase (``no contexts``, ``no failures``, ``no
labels``, ...) that the report shows as a footnote and in tooltips.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from badbench.bench.results import EpisodeScore, RunSummary
from badbench.bench.tables import human_score, primary_tag, quality_label

NO_FAILURE = "none"
"""The breakdown group of episodes without failure tags."""


@dataclass(frozen=True)
class _Ep:
    """What the reasons need of one scored episode."""

    context: str
    task: str
    task_category: str
    category: str
    mode: str
    human: float
    success: bool
    good: bool
    progress: float | None
    detection: float

    @classmethod
    def of(cls, row: EpisodeScore, output_range: tuple[float, float]) -> _Ep:
        lab = row.labels
        tag = primary_tag(lab.tags)
        lo, hi = output_range
        if row.success_prob is not None:
            detection = float(row.success_prob)
        elif row.rewards:
            detection = (float(row.rewards[-1]) - lo) / (hi - lo) if hi > lo else math.nan
        else:
            detection = math.nan
        return cls(
            context=lab.context_id or lab.task or lab.episode_id,
            task=lab.task,
            task_category=lab.task_category,
            category=str(tag.category) if tag else NO_FAILURE,
            mode=tag.mode if tag else NO_FAILURE,
            human=human_score(lab),
            success=bool(lab.success),
            good=bool(lab.success) and tag is None,
            progress=quality_label(lab),
            detection=detection,
        )


def _pairs(eps: Sequence[_Ep], focus: Sequence[bool]) -> str:
    """Why no within-context pair (with a focus episode) has different labels; "" if one does."""
    labelled = [(e, f) for e, f in zip(eps, focus, strict=True) if math.isfinite(e.human)]
    if not labelled:
        return "no labels: no episode has a success or progress label"
    by_ctx: dict[str, list[tuple[float, bool]]] = {}
    for e, f in labelled:
        by_ctx.setdefault(e.context, []).append((e.human, f))
    shared = [m for m in by_ctx.values() if len(m) >= 2 and any(f for _, f in m)]
    if not shared:
        return (
            "no contexts: every episode is alone in its context (no context_id shared by two "
            "episodes), so there is no pair to compare"
        )
    for members in shared:
        for i, (hi, fi) in enumerate(members):
            if any(hj != hi and (fi or fj) for hj, fj in members[i + 1 :]):
                return ""
    return (
        "no pairs: the episodes sharing a context all have the same label (e.g. all "
        "successes), so no pair can be ordered"
    )


class Reasons:
    """The reasons of a run, looked up per model, metric and breakdown group.

    Args:
        summary: the run's summary (settings, models and their declared ranges).
        scores: model key -> its score rows.
    """

    def __init__(self, summary: RunSummary, scores: Mapping[str, Sequence[EpisodeScore]]):
        self.threshold = float(summary.settings.get("threshold", 0.95))
        self._eps: dict[str, list[_Ep]] = {}
        self._failed: dict[str, int] = {}
        for m in summary.models:
            rows = scores.get(m.spec.key, [])
            ok = [r for r in rows if r.error is None]
            self._eps[m.spec.key] = [_Ep.of(r, m.spec.output_range) for r in ok]
            self._failed[m.spec.key] = len(rows) - len(ok)

    def overall(self, model: str, metric: str) -> str:
        """Why ``metric`` of ``model`` is undefined on the whole run."""
        eps = self._eps.get(model, [])
        return self._why(model, metric, eps, [True] * len(eps), "in this run")

    def group(self, model: str, dimension: str, group: str, metric: str) -> str:
        """Why ``metric`` is undefined in one breakdown group (``dimension`` is
        ``task_category``, ``failure_category`` or ``failure_mode``), with the group's episodes
        chosen as :func:`~badbench.bench.metrics.compute_all` does."""
        eps = self._eps.get(model, [])
        if dimension == "task_category":
            rows = [e for e in eps if e.task_category == group]
            return self._why(model, metric, rows, [True] * len(rows), "in this group")
        attr = "category" if dimension == "failure_category" else "mode"
        focus = [getattr(e, attr) == group for e in eps]
        tasks = {e.task for e, f in zip(eps, focus, strict=True) if f}
        keep = [f or (e.good and e.task in tasks) for e, f in zip(eps, focus, strict=True)]
        rows = [e for e, k in zip(eps, keep, strict=True) if k]
        sub = [f for f, k in zip(focus, keep, strict=True) if k]
        return self._why(model, metric, rows, sub, "in this group")

    def _why(
        self, model: str, metric: str, eps: Sequence[_Ep], focus: Sequence[bool], where: str
    ) -> str:
        if not eps:
            n = self._failed.get(model, 0)
            if n and where == "in this run":
                return (
                    f"model failed: it could not score any episode ({n} failed; the errors "
                    "are in its scores file)"
                )
            return f"no episodes {where}"
        foc = [e for e, f in zip(eps, focus, strict=True) if f]
        bad_focus = [e for e in foc if not e.good]
        n_good = sum(e.good for e in eps)
        n_bad = len(eps) - n_good
        no_bad = f"no failures: no bad episode (failed or tagged) {where}"
        no_good = f"no clean successes {where}"
        why = ""
        if metric in ("pairwise_accuracy", "best_of_k"):
            why = _pairs(eps, focus)
        elif metric == "pairwise_accuracy_ab":
            why = "no preferences: no A/B judgement between the scored episodes"
        elif metric == "fpr_fixed":
            why = "" if bad_focus else no_bad
        elif metric == "fpr_calibrated":
            why = no_bad if not n_bad else ("" if n_good else f"{no_good} to calibrate on")
        elif metric in ("calibrated_threshold", "success_recall"):
            why = "" if n_good else no_good
        elif metric in ("auroc", "auprc"):
            if not n_bad or not n_good:
                have = "clean successes" if n_good else "bad episodes"
                why = (no_bad if not n_bad else no_good) + f" (it needs both; only {have})"
        elif metric == "success_precision":
            called = [e for e in eps if e.detection >= self.threshold]
            why = "" if called else f"no episode reaches the success threshold {self.threshold:g}"
        elif metric == "voc":
            why = "" if any(e.success for e in foc) else f"no successful episodes {where}"
        elif metric == "mae":
            why = "" if any(e.progress is not None for e in foc) else f"no progress labels {where}"
        elif metric == "over_reward":
            if not bad_focus:
                why = no_bad
            elif all(e.progress is None for e in bad_focus):
                why = f"no progress labels on the bad episodes {where}"
        elif metric == "quality_tau":
            why = self._quality(eps) or (
                "tied scores: in every task the model's mean scores of the quality levels tie "
                "(a constant ranking), so Kendall's tau is undefined"
            )
        return why or "undefined: the model's scores leave it undefined on these episodes"

    @staticmethod
    def _quality(eps: Sequence[_Ep]) -> str:
        levels: dict[str, set[int]] = {}
        for e in eps:
            level = 2 if e.good else (1 if e.success else 0)
            levels.setdefault(e.task, set()).add(level)
        if any(len(s) >= 2 for s in levels.values()):
            return ""
        return (
            "no quality levels: no task has episodes of two levels (failure, suboptimal, "
            "clean success) to rank"
        )


def short(reason: str) -> str:
    """The reason's leading phrase (``"no contexts"``), for compact marks."""
    return reason.split(":", 1)[0]
