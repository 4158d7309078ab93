"""The ablation's parts, checked by hand: splits, arms and bad-example draws, pooled metrics."""

from __future__ import annotations

import pytest

from badbench.bench.results import EpisodeLabels, EpisodeScore
from badbench.data.schema import EpisodeMeta
from badbench.errors import ValidationError
from badbench.train import (
    Arm,
    bad_count,
    draw_bad,
    make_splits,
    plan_arms,
    pooled_metrics,
    pooled_rows,
)


def meta(task: str, mode: str, fam: int) -> EpisodeMeta:
    return EpisodeMeta(
        episode_id=f"{task}/{mode}/s{fam:04d}",
        instruction=task,
        task=task,
        context_id=f"{task}/s{fam:04d}",
        length=10,
        fps=20.0,
        generator={"mode": mode},
    )


def suite() -> list[EpisodeMeta]:
    out = []
    for task in ("a", "b", "c"):
        for fam in range(3):
            out += [meta(task, m, fam) for m in ("good", "drop", "jitter", "slow")]
        out += [meta(task, "good", fam) for fam in (3, 4)]  # good-only families
    return out


def test_splits_hold_out_families_modes_and_tasks():
    s = make_splits(suite(), heldout_tasks=["c"], heldout_modes=["slow"], heldout_families=1)
    # train: tasks a, b; families 0, 1 (with failures) and 3, 4 (good only); no 'slow'
    assert s.train == {
        *(f"{t}/{m}/s000{f}" for t in "ab" for f in (0, 1) for m in ("good", "drop", "jitter")),
        *(f"{t}/good/s000{f}" for t in "ab" for f in (3, 4)),
    }
    assert s.tests["seeds"] == {f"{t}/{m}/s0002" for t in "ab" for m in ("good", "drop", "jitter")}
    assert s.tests["modes"] == {f"{t}/{m}/s0002" for t in "ab" for m in ("good", "slow")}
    assert len(s.tests["tasks"]) == 3 * 4 + 2 and all(i.startswith("c/") for i in s.tests["tasks"])
    # no test context appears in training
    train_ctx = {i.rsplit("/", 2)[0] + i[-6:] for i in s.train}
    for ids in s.tests.values():
        assert not train_ctx & {i.rsplit("/", 2)[0] + i[-6:] for i in ids}
    assert s.split_of("a/slow/s0000") is None  # held-out mode in a training family: unused


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        (dict(heldout_tasks=["x"], heldout_modes=[], heldout_families=1), "task(s) x"),
        (dict(heldout_tasks=[], heldout_modes=["nope"], heldout_families=1), "mode(s) nope"),
        (dict(heldout_tasks=["a", "b", "c"], heldout_modes=[], heldout_families=1), "every task"),
        (dict(heldout_tasks=[], heldout_modes=[], heldout_families=3), "leaves none"),
        (dict(heldout_tasks=[], heldout_modes=["good"], heldout_families=1), "'good'"),
    ],
)
def test_bad_splits_are_one_clear_error(kwargs, needle):
    with pytest.raises(ValidationError) as e:
        make_splits(suite(), **kwargs)
    assert needle in str(e.value)


def test_arms_and_bad_counts():
    arms = plan_arms(["none", "sim", "both"], [0.1, 0.5], [0, 1])
    assert [a.name for a in arms] == [
        "none-00-s0", "sim-10-s0", "sim-50-s0", "both-10-s0", "both-50-s0",
        "none-00-s1", "sim-10-s1", "sim-50-s1", "both-10-s1", "both-50-s1",
    ]  # fmt: skip
    # f / (1 - f) * S: 10% of 18 successes -> 2 bad (2 / 20), 50% -> 18, 25% -> 6
    assert (bad_count(0.1, 18), bad_count(0.5, 18), bad_count(0.25, 18), bad_count(0, 18)) == (
        2, 18, 6, 0,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="fractions"):
        plan_arms(["sim"], [1.0], [0])
    with pytest.raises(ValidationError, match="unknown source"):
        plan_arms(["videos"], [0.1], [0])


def test_bad_draws_are_nested_split_between_pools_and_checked():
    pools = {"sim": [f"s{i}" for i in range(40)], "video": [f"v{i}" for i in range(40)]}
    small = draw_bad(Arm("sim", 0.1, 3), 18, pools)
    large = draw_bad(Arm("sim", 0.5, 3), 18, pools)
    assert len(small) == 2 and len(large) == 18 and set(small) <= set(large)
    assert draw_bad(Arm("sim", 0.5, 4), 18, pools) != large  # another seed, another draw
    both = draw_bad(Arm("both", 0.5, 3), 18, pools)
    assert sum(b.startswith("v") for b in both) == 9 and sum(b.startswith("s") for b in both) == 9
    assert draw_bad(Arm("none", 0.0, 3), 18, pools) == []
    with pytest.raises(ValidationError, match="needs 18 'sim' examples"):
        draw_bad(Arm("sim", 0.5, 0), 18, {"sim": ["a"], "video": []})


def row(eid: str, ctx: str, score: float, predicted: float) -> EpisodeScore:
    labels = EpisodeLabels(
        episode_id=eid, context_id=ctx, task="t", success=score == 1.0, progress=score,
        score=score, is_bad=score < 1.0,
    )  # fmt: skip
    return EpisodeScore(
        model_key="m", episode_id=eid, frame_indices=[0, 1], rewards=[0.0, predicted],
        scores={"last": predicted}, labels=labels,
    )  # fmt: skip


def test_pooled_metrics_count_each_seed_context_as_its_own_unit():
    # context c: scores 1.0 > 0.5 > 0.2 (3 pairs). Seed 0 orders all 3 right; seed 1 gets the
    # pair (x, y) wrong: pooled accuracy 5 / 6.
    seed0 = [row("x", "c", 1.0, 0.9), row("y", "c", 0.5, 0.6), row("z", "c", 0.2, 0.1)]
    seed1 = [row("x", "c", 1.0, 0.5), row("y", "c", 0.5, 0.7), row("z", "c", 0.2, 0.1)]
    seed1.append(row("w", "d", 1.0, 0.3))  # not in the split: left out
    ids = frozenset({"x", "y", "z"})
    rows = pooled_rows({0: seed0, 1: seed1}, ids)
    assert sorted(r.labels.context_id for r in rows) == ["s0|c"] * 3 + ["s1|c"] * 3
    m = pooled_metrics({0: seed0, 1: seed1}, ids, score_kind="last")
    pa = m["overall"]["pairwise_accuracy"]
    assert pa.value == pytest.approx(5 / 6) and pa.n == 6
    assert pa.ci_low <= 5 / 6 <= pa.ci_high
    # over-reward over bad episodes: (0.6-0.5 + 0.1-0.2 + 0.7-0.5 + 0.1-0.2) / 4 = 0.025
    assert m["overall"]["over_reward"].value == pytest.approx(0.025)
