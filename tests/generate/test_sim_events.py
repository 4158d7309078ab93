"""The whole-episode event detectors on hand-made traces, checked against values by hand."""

from __future__ import annotations

import numpy as np
import pytest

from badbench.generate.sim._events import (
    contradictions,
    detect_events,
    episode_spans,
    merge_events,
    runs,
)
from badbench.generate.sim._injector import Span
from badbench.generate.sim._rollout import Trace
from badbench.generate.sim._tasks import sim_task

N = 80  # control steps


def trace(**over: np.ndarray) -> Trace:
    """A still scene: hand 30 cm above a puck far from its goal, nothing touching."""
    hand = np.tile([0.0, 0.6, 0.3], (N + 1, 1))
    obj = np.tile([0.0, 0.6, 0.02], (N + 1, 1))
    fields = dict(
        hand=hand,
        obj=obj,
        distance=np.full(N + 1, 0.3),
        sim_success=np.zeros(N + 1, bool),
        contact_force=np.zeros(N + 1),
        object_force=np.zeros(N + 1),
        grasp=np.zeros(N + 1, bool),
    )
    fields.update(over)
    obs = np.zeros((N + 1, 39))
    obs[:, :3], obs[:, 4:7] = fields["hand"], fields["obj"]
    return Trace(
        task=sim_task("pick-place-v3"),
        stride=4,
        obs=obs,
        action=np.zeros((N, 4)),
        goal=np.zeros((N + 1, 3)),
        frames=None,
        **fields,
    )


def test_runs_merge_short_gaps() -> None:
    mask = np.zeros(40, bool)
    mask[[3, 4, 10, 30]] = True
    assert runs(mask, gap=8) == [(3, 10), (30, 30)]
    assert runs(np.zeros(5, bool)) == []


def test_strike_and_slam_with_severity_by_hand() -> None:
    force = np.zeros(N + 1)
    force[10:13] = [120.0, 250.0, 90.0]
    slam = np.zeros(N + 1)
    slam[40] = 500.0
    obj = np.tile([0.0, 0.6, 0.02], (N + 1, 1))
    obj[:40, 2] = 0.05  # the puck comes down 3 cm in one step just before: 2.4 m/s
    slid = trace(object_force=slam)  # the same force on a puck that did not come down
    assert detect_events(slid) == []
    events = detect_events(trace(contact_force=force, object_force=slam, obj=obj))
    assert [(e.mode, e.start, e.end) for e in events] == [
        ("collision", 10, 12),
        ("excessive_force", 40, 40),
    ]
    # collision: 0.2 + 0.8 * (250 - 50) / 400 = 0.6; slam: 0.2 + 0.8 * (500 - 200) / 600 = 0.6
    assert events[0].severity == pytest.approx(0.6) and events[0].peak == 250.0
    assert events[1].severity == pytest.approx(0.6)


def test_fast_motion_only_near_the_object() -> None:
    hand = np.tile([0.0, 0.6, 0.1], (N + 1, 1))
    hand[21:, 0] = np.minimum(0.03 * np.arange(1, N - 19), 0.3)  # 3 cm per step: 2.4 m/s
    (ev,) = detect_events(trace(hand=hand))
    assert ev.mode == "fast_motion" and ev.start == 20
    assert ev.peak == pytest.approx(2.4)
    assert ev.severity == pytest.approx(0.2 + 0.8 * 0.9 / 1.5)
    far = hand + [0.0, 0.0, 0.5]  # the same motion 60 cm above the puck
    assert detect_events(trace(hand=far)) == []


def test_drop_is_a_lifted_release_away_from_the_goal_followed_by_a_fall() -> None:
    obj = np.tile([0.0, 0.6, 0.02], (N + 1, 1))
    obj[10:31, 2] = 0.1  # carried 8 cm up
    obj[31:, 2] = 0.02  # released at 31, falls back
    grasp = np.zeros(N + 1, bool)
    grasp[10:31] = True
    (ev,) = detect_events(trace(obj=obj, grasp=grasp))
    assert (ev.mode, ev.start) == ("drop", 31) and ev.peak == pytest.approx(0.08)
    at_goal = trace(obj=obj, grasp=grasp, distance=np.full(N + 1, 0.01))
    assert detect_events(at_goal) == []  # a place at the goal is no drop


def test_undone_and_contradicted_tags() -> None:
    flag = np.zeros(N + 1, bool)
    flag[30:50] = True
    t = trace(sim_success=flag)
    (ev,) = detect_events(t)
    assert (ev.mode, ev.start, ev.end) == ("undone", 30, N)
    assert contradictions(t, "early_stop") == [
        "early_stop: the success flag was on for 20 of 81 steps"
    ]
    assert contradictions(t, "drop") == []


def test_an_event_widens_its_own_span_and_joins_as_a_new_tag_otherwise() -> None:
    force = np.zeros(N + 1)
    force[10:13] = 250.0  # a strike 4 steps before the injector's span starts
    force[70] = 90.0  # a second, unrelated strike
    t = trace(contact_force=force)
    spans = [Span("collision", 14, 20, 0.3)]
    got = merge_events(spans, detect_events(t))
    assert [(s.mode, s.start, s.end) for s in got] == [("collision", 10, 20), ("collision", 70, 70)]
    assert got[0].severity == pytest.approx(0.6)  # the measured strike, not the planned one
    assert spans[0].start == 14  # the injector's own record is left as it was


def test_a_good_episode_with_an_event_is_resampled() -> None:
    force = np.zeros(N + 1)
    force[5] = 60.0
    spans, why = episode_spans(trace(contact_force=force), "good")
    assert spans == [] and why.startswith("a good episode with events: collision (60 N)")
    assert episode_spans(trace(), "good") == ([], "")


def test_a_regrasp_release_is_no_separate_drop() -> None:
    obj = np.tile([0.0, 0.6, 0.02], (N + 1, 1))
    obj[10:31, 2] = 0.1
    obj[31:, 2] = 0.02
    grasp = np.zeros(N + 1, bool)
    grasp[10:31] = True
    t = trace(obj=obj, grasp=grasp)
    t.spans = [Span("regrasp", 28, 45, 0.5)]
    spans, why = episode_spans(t, "regrasp")
    assert why == "" and [s.mode for s in spans] == ["regrasp"]
