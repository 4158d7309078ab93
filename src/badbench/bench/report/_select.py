"""Which episodes the report shows as reward curves.

The choice is automatic and deterministic: one clean success, then, for every failure category
present in the run (worst first: unsafe, shortcut, poor execution, failure), the episode of that
category that the models (the ``oracle`` baseline left out) over-reward most: highest mean final
predicted progress minus the progress label. Ties keep dataset order. An untagged bad episode is
shown only when no tagged one is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from badbench.bench.results import EpisodeLabels, EpisodeScore, ModelSpec
from badbench.bench.tables import quality_label
from badbench.data.taxonomy import FailureCategory

ORACLE_NAME = "oracle"
"""Registry name of the baseline that reads the labels; it is not judged like the others."""


@dataclass(frozen=True)
class Showcase:
    """One episode chosen for the curves section.

    Attributes:
        episode_id: the episode.
        kind: ``"success"``, a failure category value, or ``"bad"`` for an untagged bad episode.
        reason: a short sentence saying why it was picked.
        labels: the episode's labels (from the score rows).
    """

    episode_id: str
    kind: str
    reason: str
    labels: EpisodeLabels


def normalise(values: Sequence[float], output_range: tuple[float, float]) -> list[float]:
    """Map values from a model's declared range onto [0, 1] (unchanged if the range is empty)."""
    lo, hi = output_range
    if hi <= lo:
        return [float(v) for v in values]
    return [(float(v) - lo) / (hi - lo) for v in values]


def episode_labels(scores: Mapping[str, Sequence[EpisodeScore]]) -> dict[str, EpisodeLabels]:
    """Episode id -> labels, in dataset order (the first model's row order, then the others')."""
    out: dict[str, EpisodeLabels] = {}
    for rows in scores.values():
        for row in rows:
            out.setdefault(row.episode_id, row.labels)
    return out


def _final_progress(
    scores: Mapping[str, Sequence[EpisodeScore]], specs: Mapping[str, ModelSpec]
) -> dict[str, list[float]]:
    """Episode id -> final predicted progress on [0, 1] of each model but the oracle."""
    out: dict[str, list[float]] = {}
    for key, rows in scores.items():
        spec = specs.get(key)
        if spec is None or spec.name == ORACLE_NAME:
            continue
        for row in rows:
            if row.rewards:
                final = normalise(row.rewards[-1:], spec.output_range)[0]
                out.setdefault(row.episode_id, []).append(final)
    return out


def _over_reward(labels: EpisodeLabels, finals: Sequence[float]) -> float:
    """Mean final predicted progress minus the label (0 without predictions)."""
    quality = quality_label(labels)
    target = quality if quality is not None else float(bool(labels.success))
    return sum(f - target for f in finals) / len(finals) if finals else 0.0


def choose_showcase(
    scores: Mapping[str, Sequence[EpisodeScore]],
    specs: Mapping[str, ModelSpec],
    *,
    max_episodes: int = 6,
) -> list[Showcase]:
    """Pick the episodes whose reward curves the report draws.

    Args:
        scores: model key -> that model's score rows.
        specs: model key -> the model's spec (for its output range and registry name).
        max_episodes: at most this many episodes are returned.

    Returns:
        The chosen episodes: a clean success first (if any), then one per failure category.
    """
    labels = episode_labels(scores)
    finals = _final_progress(scores, specs)
    chosen: list[Showcase] = []

    success = next((e for e, lab in labels.items() if lab.success and not lab.is_bad), None)
    if success is not None:
        chosen.append(Showcase(success, "success", "a clean success", labels[success]))

    taken = {s.episode_id for s in chosen}
    for category in FailureCategory:
        candidates = [
            e
            for e, lab in labels.items()
            if e not in taken and any(t.category == category for t in lab.tags)
        ]
        if not candidates:
            continue
        gaps = {e: _over_reward(labels[e], finals.get(e, ())) for e in candidates}
        best = max(candidates, key=lambda e: gaps[e])  # max keeps the first of equals
        modes = sorted({t.mode for t in labels[best].tags if t.category == category})
        which = (
            "the only such episode"
            if len(candidates) == 1
            else f"the most over-rewarded of {len(candidates)} such episodes"
        )
        reason = (
            f"{category.value.replace('_', ' ')} ({', '.join(modes)}): {which} "
            f"(models' mean final progress minus label: {gaps[best]:+.2f})"
        )
        chosen.append(Showcase(best, category.value, reason, labels[best]))
        taken.add(best)

    if not any(s.kind != "success" for s in chosen):
        bad = next((e for e, lab in labels.items() if lab.is_bad and e not in taken), None)
        if bad is not None:
            chosen.append(
                Showcase(bad, "bad", "a failed episode without failure tags", labels[bad])
            )

    return chosen[:max_episodes]
