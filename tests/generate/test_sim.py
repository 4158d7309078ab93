"""Meta-World engine: each mode's ground-truth signature, labels, determinism and resume."""

from __future__ import annotations

import numpy as np
import pytest

from badbench.data.schema import FailureTag
from badbench.data.taxonomy import FailureCategory
from badbench.generate.sim import (
    SIM_TASKS,
    dense_reward,
    injector_names,
    modes_for,
    oracle_preferences,
    rubric_score,
)


def _job(task: str, mode: str, index: int = 0):
    from badbench.generate.sim import SimJob, run_job

    job = SimJob(
        task, mode, index, seed=0, fps=20, width=32, height=32, cameras=("corner",), render=False
    )
    return run_job(job)[1]


def test_every_task_has_all_four_categories_where_meaningful() -> None:
    assert len(SIM_TASKS) >= 16
    from badbench.generate.sim import injector_class

    for task in SIM_TASKS.values():
        cats = {injector_class(m).category for m in modes_for(task) if m != "good"}
        expected = set(FailureCategory) - (
            {FailureCategory.SHORTCUT} if task.shortcut == "none" else set()
        )
        assert expected <= cats, task.name


def test_dense_reward_falls_at_failure_and_rubric_orders_categories() -> None:
    p = np.linspace(0, 1, 10)
    unsafe = FailureTag(category="unsafe", mode="collision", start_frame=4, end_frame=5)
    r = dense_reward(p, [unsafe])
    assert r[3] == pytest.approx(p[3]) and r[4] < p[4] and r[-1] <= 0.5 + 1e-6
    poor = FailureTag(category="poor_execution", mode="jitter", start_frame=2, end_frame=3)
    assert dense_reward(p, [poor])[-1] == pytest.approx(1.0)
    # with the episode's score, the reward is capped at it from the first tag on and ends there
    capped = dense_reward(p, [poor], 0.9)
    assert capped[-1] == pytest.approx(0.9) and np.all(capped[:2] == pytest.approx(p[:2]))
    for tags in ([unsafe], [poor], [unsafe, poor]):
        score = rubric_score(True, 1.0, tags)
        assert dense_reward(p, tags, score)[-1] == pytest.approx(score, abs=1e-6)
    # an untagged failure: capped from the first frame, ends at 0.5 * p_T
    fail = dense_reward(p * 0.6, [], rubric_score(False, 0.6, []))
    assert fail[-1] == pytest.approx(0.3) and fail.max() <= 0.3 + 1e-6
    short = FailureTag(category="shortcut", mode="partial_completion", start_frame=0, end_frame=1)
    s = {
        k: rubric_score(True, 1.0, [t])
        for k, t in {"unsafe": unsafe, "shortcut": short, "poor": poor}.items()
    }
    assert rubric_score(True, 1.0, []) == 1.0
    assert s["unsafe"] < s["shortcut"] < s["poor"] < 1.0


def test_preferences_clean_and_noisy() -> None:
    scores = {"a": 1.0, "b": 0.2, "c": 0.2}
    clean = oracle_preferences("ctx", scores)
    assert [p.label for p in clean] == ["a", "a", "tie"]
    assert all(p.source == "oracle" and p.rater_id == "oracle" for p in clean)
    noisy = oracle_preferences("ctx", scores, temperature=0.1, seed=3)
    assert noisy == oracle_preferences("ctx", scores, temperature=0.1, seed=3)
    assert noisy[0].rater_id == "oracle-bt(T=0.1)" and {p.label for p in noisy} <= {"a", "b"}


# ---- signatures: every written tag is physically true --------------------------------------

SIGNATURE_CASES = [
    ("push-v3", "good"),
    ("pick-place-v3", "good"),
    ("pick-place-v3", "collision"),
    ("pick-place-v3", "excessive_force"),
    ("drawer-open-v3", "fast_motion"),
    ("window-open-v3", "jitter"),
    ("faucet-open-v3", "hesitation"),
    ("pick-place-v3", "regrasp"),
    ("window-open-v3", "detour"),
    ("drawer-open-v3", "slow"),
    ("drawer-open-v3", "partial_completion"),
    ("coffee-push-v3", "partial_completion"),
    ("handle-pull-v3", "partial_completion"),
    ("stick-push-v3", "early_stop"),
    ("window-close-v3", "collision"),
    ("faucet-close-v3", "timeout"),
    ("pick-place-low-v3", "push_instead_of_pick"),
    ("pick-place-v3", "push_instead_of_pick"),
    ("hammer-v3", "wrong_strategy"),
    ("stick-push-v3", "wrong_strategy"),
    ("pick-place-v3", "miss_grasp"),
    ("pick-place-v3", "drop"),
    ("push-v3", "wrong_goal"),
    ("drawer-open-v3", "early_stop"),
    ("door-open-v3", "timeout"),
    ("push-v3", "push_off"),  # full checks in test_sim_offtable.py
    ("coffee-push-v3", "knock_over"),
]


def _span(ep, mode: str) -> tuple[int, int]:
    (tag,) = [t for t in ep.tags if t.mode == mode]
    stride = ep.meta.generator["stride"]
    return tag.start_frame * stride, tag.end_frame * stride


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize(("task", "mode"), SIGNATURE_CASES)
def test_signature(task: str, mode: str, index: int) -> None:
    ep = _job(task, mode, index)
    assert ep is not None, f"{task}/{mode} could not be confirmed"
    x = ep.extras
    force, oforce = x["contact_force_full"], x["object_force_full"]
    state, grasp = x["state_full"], x["grasp_full"].astype(bool)
    hand, obj = state[:, :3], state[:, 4:7]
    speed = np.linalg.norm(np.diff(hand, axis=0), axis=1) * 80
    sim_ok = bool(x["sim_success"][-1])
    if mode == "good":
        assert ep.outcome.success and not ep.tags and sim_ok
        return
    # the injected tag, plus any side effect the detectors measured (tagged as detected)
    assert [t.mode for t in ep.tags if "(detected:" not in t.description] == [mode]
    a, b = _span(ep, mode)
    if mode == "collision":  # the tag starts at or before the strike, and none outside it
        assert force[a : b + 1].max() > 50.0
        strikes = np.flatnonzero(force > 50.0)
        assert strikes[0] >= a and strikes[-1] <= b
    elif mode == "excessive_force":
        assert oforce[a : b + 1].max() > 200.0
        assert np.flatnonzero(oforce > 200.0)[0] >= a
    elif mode == "fast_motion":
        near = np.linalg.norm(hand - obj, axis=1)[1:] < 0.2
        fast = np.flatnonzero((speed > 1.5) & near)
        assert fast.size and fast[0] >= a - 1 and np.any((fast >= a - 4) & (fast <= b + 4))
        assert force.max() < 50.0 and oforce.max() < 200.0  # the rush brakes, knocks nothing
    elif mode == "jitter":  # the hand visibly shakes between recorded frames
        s = ep.meta.generator["stride"]
        h = hand[::s]
        shake = np.linalg.norm(h[2:] - 2 * h[1:-1] + h[:-2], axis=1)
        k = np.arange(1, len(h) - 1) * s
        inside, outside = shake[(k >= a) & (k <= b)], shake[(k < a) | (k > b)]
        assert inside.mean() > 3 * np.median(outside) and ep.outcome.success
    elif mode == "hesitation":
        assert (speed[a:b] < 0.05).sum() >= 8 and ep.outcome.success
    elif mode == "regrasp":
        g = grasp[a : b + 1]
        assert g[0] and not g.all() and g[-1] and ep.outcome.success
    elif mode == "detour":
        assert np.linalg.norm(hand[a:b] - hand[a], axis=1).max() > 0.1 and ep.outcome.success
        assert force.max() < 50.0  # a poor-execution episode hides no strike
    elif mode == "slow":
        assert ep.outcome.success and speed.mean() < 0.4
    elif mode == "partial_completion":  # left visibly short and still
        assert 0.3 <= x["task_progress"][-1] <= 0.9 and not ep.outcome.success
        assert x["goal_distance"][-1] > SIM_TASKS[task].oracle_radius
        assert speed[-16:].max() < 0.05
    elif mode == "push_instead_of_pick":
        assert obj[:, 2].max() < obj[0, 2] + 0.01  # never leaves the table
        goal = state[:, -3:]
        assert np.linalg.norm(obj[-1, :2] - goal[-1, :2]) < 0.03  # ends below the goal
        assert not ep.outcome.success
        if task == "pick-place-low-v3":
            assert sim_ok  # and fools Meta-World's own success test
    elif mode == "wrong_strategy":
        assert obj[:, 2].max() < obj[0, 2] + 0.01  # the tool was never lifted
        assert x["goal_distance"][-1] <= SIM_TASKS[task].radius and not ep.outcome.success
    elif mode == "miss_grasp":
        assert not grasp.any() and obj[:, 2].max() < obj[0, 2] + 0.01
        assert not ep.outcome.success
    elif mode == "drop":  # held until the tag starts, released inside it
        assert grasp[max(0, a - 8) : a + 1].any() and not grasp[b]
        assert grasp[max(0, a - 8) : a].any()
        z = obj[a : b + 1, 2]
        assert z.max() - z[int(np.argmax(z)) :].min() > 0.015 and not ep.outcome.success
    elif mode == "wrong_goal":
        assert not sim_ok and not ep.outcome.success
    elif mode == "early_stop":  # stopped for good: the success flag never comes on
        assert speed[-16:].max() < 0.05 and not x["sim_success"].any()
    elif mode == "timeout":  # cut by the fixed horizon while still working, never done
        assert speed[-8:].max() > 0.02 and not x["sim_success"].any()
        assert b == (ep.meta.length - 1) * ep.meta.generator["stride"]  # ends at the cut
    # dense oracle reward never exceeds task progress; it is lower after an unsafe/failure event
    assert np.all(ep.dense_reward <= x["task_progress"] + 1e-6)
    # every episode of a task has the task's fixed length; the reward ends at the score
    assert ep.meta.length == SIM_TASKS[task].horizon // ep.meta.generator["stride"] + 1
    assert abs(float(ep.dense_reward[-1]) - ep.outcome.score) <= 1e-6


def test_every_mode_has_a_signature_case() -> None:
    assert {m for _, m in SIGNATURE_CASES} == set(injector_names())


def test_mode_registry_is_taxonomy_consistent() -> None:
    names = injector_names()
    assert names[0] == "good" and len(names) == len(set(names))
