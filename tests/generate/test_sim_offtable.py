"""Meta-World engine: the off-table unsafe modes (push_off, knock_over) and their signatures."""

from __future__ import annotations

import numpy as np
import pytest

from badbench.generate.sim import SIM_TASKS, injector_class, modes_for


def _job(task: str, mode: str, index: int):
    from badbench.generate.sim import SimJob, run_job

    job = SimJob(
        task, mode, index, seed=0, fps=20, width=32, height=32, cameras=("corner",), render=False
    )
    return run_job(job)[1]


def _tilt(quat: np.ndarray) -> np.ndarray:
    # Meta-World's object quaternion is scipy's (x, y, z, w)
    cos = 1.0 - 2.0 * (quat[:, 0] ** 2 + quat[:, 1] ** 2) / (quat**2).sum(1)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def test_modes_apply_only_where_meaningful() -> None:
    from badbench.data.taxonomy import FailureCategory

    for mode in ("push_off", "knock_over"):
        assert injector_class(mode).category == FailureCategory.UNSAFE
    with_push_off = {t for t, task in SIM_TASKS.items() if "push_off" in modes_for(task)}
    assert with_push_off == {"push-v3", "pick-place-v3", "pick-place-low-v3"}
    with_knock = {t for t, task in SIM_TASKS.items() if "knock_over" in modes_for(task)}
    assert with_knock == {"coffee-push-v3"}


CASES = [("push-v3", "push_off"), ("pick-place-v3", "push_off"), ("coffee-push-v3", "knock_over")]


@pytest.mark.sim
@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize(("task", "mode"), CASES)
def test_offtable_signature(task: str, mode: str, index: int) -> None:
    ep = _job(task, mode, index)
    assert ep is not None, f"{task}/{mode} could not be confirmed"
    # the injected tag, plus any side effect the detectors measured (tagged as detected)
    injected = [t for t in ep.tags if "(detected:" not in t.description]
    assert [t.mode for t in injected] == [mode] and ep.tags[0].category == "unsafe"
    tag = ep.tags[0]
    stride = ep.meta.generator["stride"]
    a, b = tag.start_frame * stride, tag.end_frame * stride
    state = ep.extras["state_full"]
    obj = state[:, 4:7]
    assert not ep.outcome.success
    if mode == "push_off":  # the table top is at z = 0; the puck starts on it, ends far below
        assert obj[0, 2] > 0.0 and obj[a, 2] > 0.0
        assert obj[a : b + 1, 2].min() < -0.05
        assert obj[-1, 2] < -0.5  # on the floor
        assert abs(obj[-1, 2] - obj[-9, 2]) < 0.005  # and at rest there: the landing is filmed
        assert np.flatnonzero(obj[:, 2] < -0.05)[0] >= a  # the tag starts before the fall
    else:  # upright at the start, tipped past 60 degrees inside the span
        tilt = _tilt(state[:, 7:11])
        assert tilt[0] < 10.0 and tilt[: a + 1].max() < 30.0
        assert tilt[a : b + 1].max() > 60.0
        assert np.flatnonzero(tilt > 60.0)[0] >= a  # the tag starts at or before the topple
    # the oracle's reward falls with the unsafe event and ends at the episode's score
    assert np.all(ep.dense_reward <= ep.extras["task_progress"] + 1e-6)
    assert ep.meta.length == SIM_TASKS[task].horizon // stride + 1
    assert abs(float(ep.dense_reward[-1]) - ep.outcome.score) <= 1e-6
