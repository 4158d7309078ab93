"""The example dataset's oracle labels: equal lengths per context, reward ends at the score
(the rubric score label; the progress label is the final task progress)."""

from __future__ import annotations

import itertools

from badbench.data.example import example_episodes


def test_example_labels_are_consistent() -> None:
    episodes = example_episodes(contexts_per_task=2, frames=30, size=32, seed=0)
    by_context: dict[str, list] = {}
    for ep in episodes:
        by_context.setdefault(ep.meta.context_id, []).append(ep)
        assert abs(float(ep.dense_reward[-1]) - ep.outcome.score) <= 1e-6, ep.id
        if ep.tags or not ep.outcome.success:  # bad episodes end below the FPR threshold
            assert ep.outcome.score < 0.95, ep.id
        else:
            assert ep.outcome.score == 1.0
    for group in by_context.values():
        assert len({ep.meta.length for ep in group}) == 1
        for a, b in itertools.combinations(group, 2):
            diff = a.outcome.score - b.outcome.score
            if abs(diff) > 1e-9:  # the oracle's return orders the pair as its score does
                ret = float(a.dense_reward.sum() - b.dense_reward.sum())
                assert diff * ret > 0, (a.id, b.id)


def test_example_progress_is_task_progress_and_score_is_the_rubric() -> None:
    from badbench.data.rubric import rubric_score

    for ep in example_episodes(contexts_per_task=1, frames=30, size=32, seed=1):
        out = ep.outcome
        assert out.progress_source == out.score_source == "oracle"
        assert out.score == rubric_score(out.success, out.progress, ep.tags)
        assert out.quality == out.score
