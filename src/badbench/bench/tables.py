"""The tables a run is measured on: each episode's labels, and the comparison pairs.

An episode's labels (success, progress, failure tags, oracle dense reward) travel with its score
rows, so a report can be rebuilt from the run directory alone. The pairs for pairwise accuracy
come from the dataset's explicit A/B judgements and from different progress labels inside a
context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from badbench.bench import results as R
from badbench.bench.metrics import NO_FAILURE, SCORE_KINDS, EpisodeTable, pairwise_accuracy
from badbench.data.schema import Episode, FailureTag
from badbench.data.taxonomy import FailureCategory

_CATEGORY_ORDER = {c: i for i, c in enumerate(FailureCategory)}  # worst first


# -- labels -------------------------------------------------------------------------------------


def primary_tag(tags: Sequence[FailureTag]) -> FailureTag | None:
    """The tag an episode is filed under: highest severity, then worst category, then earliest."""
    if not tags:
        return None
    return min(tags, key=lambda t: (-t.severity, _CATEGORY_ORDER[t.category], t.start_frame))


def episode_labels(ep: Episode) -> R.EpisodeLabels:
    """The labels of an episode, as stored in the score rows."""
    out = ep.outcome
    success = out.success if out is not None else None
    quality = None
    if success is not None:
        quality = 0 if not success else (1 if ep.tags else 2)
    return R.EpisodeLabels(
        episode_id=ep.id,
        instruction=ep.meta.instruction,
        task=ep.meta.task,
        task_category=str(ep.meta.task_category),
        context_id=ep.meta.context_id,
        policy_id=ep.meta.policy_id,
        length=ep.meta.length,
        fps=ep.meta.fps,
        success=success,
        progress=out.progress if out is not None else None,
        progress_source=str(out.progress_source) if out and out.progress_source else None,
        score=out.score if out is not None else None,
        score_source=str(out.score_source) if out and out.score_source else None,
        is_bad=ep.is_bad,
        quality=quality,
        tags=list(ep.tags),
        dense_reward=None if ep.dense_reward is None else [float(x) for x in ep.dense_reward],
        dense_source=str(out.dense_source) if out and out.dense_source else None,
    )


def quality_label(labels: R.EpisodeLabels) -> float | None:
    """The episode's graded label: its score when labelled, else its progress (else None)."""
    return labels.score if labels.score is not None else labels.progress


def human_score(labels: R.EpisodeLabels) -> float:
    """The quality target, on which preference pairs are formed: the episode's score, else its
    progress, else success as 1/0, else NaN."""
    if quality_label(labels) is not None:
        return float(quality_label(labels))
    if labels.success is not None:
        return float(labels.success)
    return float("nan")


# -- tables for the metrics ---------------------------------------------------------------------


def episode_table(
    rows: Sequence[R.EpisodeScore],
    score_kind: str,
    output_range: tuple[float, float] = (0.0, 1.0),
) -> EpisodeTable:
    """The metrics' per-episode table of one model's rows (failed rows must be left out).

    Rewards are mapped linearly from the model's declared ``output_range`` onto [0, 1], so
    metrics on an absolute scale (the fixed threshold, MAE, over-reward) mean the same for a
    model scoring 0-100 as for its /100 twin.
    """
    failed = [r.episode_id for r in rows if r.error is not None]
    if failed:
        raise ValueError(f"failed episodes must be left out of the table: {failed[:3]}")
    lo, hi = output_range
    prim = [primary_tag(r.labels.tags) for r in rows]
    probs = [r.success_prob for r in rows]
    return EpisodeTable.build(
        episode_id=[r.episode_id for r in rows],
        frame_predictions=[(np.asarray(r.rewards, np.float64) - lo) / (hi - lo) for r in rows],
        success=[bool(r.labels.success) for r in rows],
        context_id=[r.labels.context_id or r.labels.task or r.episode_id for r in rows],
        task=[r.labels.task for r in rows],
        task_category=[r.labels.task_category for r in rows],
        failure_category=[str(t.category) if t else NO_FAILURE for t in prim],
        failure_mode=[t.mode if t else NO_FAILURE for t in prim],
        human_score=[human_score(r.labels) for r in rows],
        progress=[quality_label(r.labels) for r in rows],
        success_prob=None if any(p is None for p in probs) else probs,
        score_kind=score_kind,
    )


def build_pairs(
    labels: Sequence[R.EpisodeLabels], preferences: Sequence
) -> tuple[list[R.PairRecord], list[tuple[str, str, str]]]:
    """The comparisons of a run: explicit A/B judgements, and progress pairs within contexts.

    Returns:
        ``(records, ab)``: every pair as a :class:`~badbench.bench.results.PairRecord`, and the
        explicit judgements between evaluated episodes as ``(a, b, label)`` triples.
    """
    known = {lab.episode_id for lab in labels}
    records: list[R.PairRecord] = []
    ab: list[tuple[str, str, str]] = []
    for p in preferences:
        if p.episode_a in known and p.episode_b in known:
            ab.append((p.episode_a, p.episode_b, p.label))
            records.append(
                R.PairRecord(
                    context_id=p.context_id,
                    episode_a=p.episode_a,
                    episode_b=p.episode_b,
                    label=p.label,
                    origin="preference",
                    rater_id=p.rater_id,
                )
            )
    by_ctx: dict[str, list[R.EpisodeLabels]] = {}
    for lab in labels:
        by_ctx.setdefault(lab.context_id or lab.task or lab.episode_id, []).append(lab)
    for ctx, group in by_ctx.items():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                ya, yb = human_score(a), human_score(b)
                if np.isnan(ya) or np.isnan(yb) or ya == yb:
                    continue
                records.append(
                    R.PairRecord(
                        context_id=ctx,
                        episode_a=a.episode_id,
                        episode_b=b.episode_id,
                        label="a" if ya > yb else "b",
                        origin="progress",
                        rater_id=_label_source(a),
                    )
                )
    return records, ab


def _label_source(labels: R.EpisodeLabels) -> str:
    if labels.score is not None:
        return labels.score_source or ""
    if labels.progress is not None:
        return labels.progress_source or ""
    return "success"


def pairwise_by_score_kind(
    scores: Mapping[str, Sequence[R.EpisodeScore]],
    output_ranges: Mapping[str, tuple[float, float]] | None = None,
    *,
    tie_credit: float = 0.0,
) -> dict[str, dict[str, float]]:
    """Score-based pairwise accuracy of each model under every trajectory score.

    ``return`` sums the per-frame predictions, so it also rewards reaching progress early;
    ``last`` compares end states only; ``mean`` is the return over the frame count. A run is
    measured under one of them; this shows how much that choice moves the result.

    Args:
        scores: model key -> that model's score rows (labels travel with them); failed rows
            are left out.
        output_ranges: model key -> declared output range (default (0, 1)).
        tie_credit: credit of a model tie (0: disagreement, as the paper).

    Returns:
        model key -> {score kind -> accuracy} (NaN where no pair has different human scores).
    """
    out: dict[str, dict[str, float]] = {}
    for key, rows in scores.items():
        out[key] = {}
        ok = [r for r in rows if r.error is None]
        rng = (output_ranges or {}).get(key, (0.0, 1.0))
        for kind in SCORE_KINDS:
            if not ok:
                out[key][kind] = float("nan")
                continue
            table = episode_table(ok, kind, rng)
            acc, _ = pairwise_accuracy(
                table.context_id, table.human_score, table.score, tie_credit=tie_credit
            )
            out[key][kind] = float(acc)
    return out
