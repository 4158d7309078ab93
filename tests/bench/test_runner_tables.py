"""How the runner turns labels into the metrics' tables: pairs, primary tags, human scores."""

from __future__ import annotations

import math

from badbench.bench.results import EpisodeLabels, EpisodeScore
from badbench.bench.tables import build_pairs, human_score, pairwise_by_score_kind, primary_tag
from badbench.data import FailureCategory, FailureTag, Preference


def _lab(eid: str, ctx: str, progress: float | None, success: bool | None = None) -> EpisodeLabels:
    return EpisodeLabels(episode_id=eid, context_id=ctx, progress=progress, success=success)


def test_progress_pairs_skip_ties_unknowns_and_other_contexts() -> None:
    labels = [
        _lab("a", "c1", 1.0),
        _lab("b", "c1", 0.5),
        _lab("c", "c1", 0.5),  # tie with b: no pair
        _lab("d", "c1", None),  # no score: no pairs
        _lab("e", "c2", 0.2),  # alone in its context
    ]
    records, ab = build_pairs(labels, [])
    assert ab == []
    got = {(p.episode_a, p.episode_b, p.label) for p in records}
    assert got == {("a", "b", "a"), ("a", "c", "a")}
    assert all(p.origin == "progress" and p.context_id == "c1" for p in records)


def test_preferences_between_unknown_episodes_are_dropped() -> None:
    labels = [_lab("a", "c", None, True), _lab("b", "c", None, False)]
    prefs = [
        Preference(context_id="c", episode_a="a", episode_b="b", label="tie"),
        Preference(context_id="c", episode_a="a", episode_b="zz", label="a"),
    ]
    records, ab = build_pairs(labels, prefs)
    assert ab == [("a", "b", "tie")]
    assert [(p.origin, p.label) for p in records] == [("preference", "tie"), ("progress", "a")]
    assert records[1].rater_id == "success"


def test_human_score_falls_back_to_success() -> None:
    assert human_score(_lab("a", "c", 0.3, False)) == 0.3
    assert human_score(_lab("a", "c", None, True)) == 1.0
    assert math.isnan(human_score(_lab("a", "c", None, None)))


def _tag(mode: str, cat: FailureCategory, severity: float, start: int) -> FailureTag:
    return FailureTag(
        category=cat, mode=mode, start_frame=start, end_frame=start, severity=severity
    )


def test_primary_tag_is_most_severe_then_worst_category_then_first() -> None:
    drop = _tag("drop", FailureCategory.FAILURE, 1.0, 5)
    hit = _tag("collision", FailureCategory.UNSAFE, 1.0, 9)
    jit = _tag("jitter", FailureCategory.POOR_EXECUTION, 0.5, 0)
    assert primary_tag([]) is None
    assert primary_tag([jit, drop, hit]) == hit
    assert primary_tag([jit, drop]) == drop
    assert primary_tag([_tag("drop", FailureCategory.FAILURE, 1.0, 7), drop]) == drop


def _score_row(key: str, lab: EpisodeLabels, rewards: list[float]) -> EpisodeScore:
    return EpisodeScore(
        model_key=key,
        episode_id=lab.episode_id,
        frame_indices=list(range(len(rewards))),
        rewards=rewards,
        scores={
            "return": sum(rewards),
            "last": rewards[-1],
            "mean": sum(rewards) / len(rewards),
        },
        labels=lab,
    )


def test_pairwise_by_score_kind_by_hand() -> None:
    """A slow clean success (0.94) against a fast unsafe one (0.76) and a failure (0.3).

    Returns: slow 0.2+0.5+0.94 = 1.64, fast 0.76*3 = 2.28, fail 0.3+0.3+0.3 = 0.9. Pairs
    (slow > fast), (slow > fail), (fast > fail): return and mean get the last two (2/3),
    last (0.94 > 0.76 > 0.3) all three. A second model ties everything: 0 under each kind.
    """
    slow, fast, fail = _lab("slow", "c", 0.94), _lab("fast", "c", 0.76), _lab("fail", "c", 0.3)
    rows = {
        "m": [
            _score_row("m", slow, [0.2, 0.5, 0.94]),
            _score_row("m", fast, [0.76, 0.76, 0.76]),
            _score_row("m", fail, [0.3, 0.3, 0.3]),
        ],
        "flat": [_score_row("flat", lab, [1.0, 1.0, 1.0]) for lab in (slow, fast, fail)],
    }
    got = pairwise_by_score_kind(rows)
    assert got["m"] == {"return": 2 / 3, "last": 1.0, "mean": 2 / 3}
    assert got["flat"] == {"return": 0.0, "last": 0.0, "mean": 0.0}
    assert pairwise_by_score_kind(rows, tie_credit=0.5)["flat"]["last"] == 0.5
