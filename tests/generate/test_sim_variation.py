"""Meta-World engine: seed families that differ, and onsets and severities that spread."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from badbench.generate.sim import SIM_TASKS

SEED = 41
"""A base seed no other test uses."""


def _starts(task_name: str, families: list[int]) -> np.ndarray:
    """Hand, object and goal start (9 numbers) after the reset of each seed family."""
    import warnings

    from badbench.generate.sim._mujoco import make_env
    from badbench.generate.sim._rollout import set_start_ranges

    task = SIM_TASKS[task_name]
    env = make_env(task.env_name, width=32, height=32, cameras=("scene",), render=False)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fs in families:
            set_start_ranges(env, task, fs)
            env.seed(fs)
            obs, _ = env.reset()
            out.append(np.r_[obs[:3], obs[4:7], env._target_pos])
    env.close()
    return np.asarray(out)


def _median_pairwise(x: np.ndarray) -> float:
    return float(np.median([np.linalg.norm(a - b) for a, b in itertools.combinations(x, 2)]))


@pytest.mark.sim
@pytest.mark.parametrize("task", sorted(SIM_TASKS))
def test_seed_families_start_apart(task: str) -> None:
    families = [SEED * 100_003 + i for i in range(6)]
    starts = _starts(task, families)
    hand = _median_pairwise(starts[:, :3])
    scene = _median_pairwise(starts)
    print(f"{task}: median pairwise start distance hand {hand:.3f} m, all {scene:.3f} m")
    assert hand >= 0.04, task  # hand starts several centimetres apart
    assert scene >= 0.06, task
    # the same family starts the same way every time (every mode of a family shares it)
    again = _starts(task, families[:2])
    np.testing.assert_allclose(again, starts[:2])


SPREAD_CASES = [
    # early_stop and timeout left out here: severity follows progress (std 0.045, 0.06)
    ("drawer-open-v3", ["jitter", "hesitation", "detour", "slow"]),
    ("push-v3", ["collision", "fast_motion", "wrong_goal", "partial_completion"]),
    ("pick-place-v3", ["drop", "regrasp", "miss_grasp", "excessive_force"]),
]
ONSET_BY_PROGRESS = {"partial_completion", "wrong_goal", "miss_grasp", "drop", "regrasp"}
"""Modes whose onset is where the expert gets to (a progress, the wrong goal, the grasp, a
point of the short carry), not a drawn step: their onsets only need to differ; their variation
is in the severity."""


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize(("task", "modes"), SPREAD_CASES)
def test_onset_and_severity_spread(task: str, modes: list[str]) -> None:
    from badbench.generate.sim import SimJob, run_job

    for mode in modes:
        onsets, severities = [], []
        for index in range(6):
            job = SimJob(task, mode, index, seed=SEED, fps=20, width=32, height=32,
                         cameras=("scene",), render=False)
            ep = run_job(job)[1]
            if ep is None:
                continue
            (tag,) = [t for t in ep.tags if t.mode == mode]
            onsets.append(tag.start_frame / ep.meta.length)
            severities.append(tag.severity)
            assert ep.meta.generator["injector"]["drawn"]["severity"] is not None
        print(f"{task}/{mode}: onset fraction {np.round(onsets, 2).tolist()}, "
              f"severity {np.round(severities, 2).tolist()}")
        assert len(onsets) >= 4, mode
        if mode in ONSET_BY_PROGRESS:
            assert len(set(onsets)) >= 2, mode
        else:
            assert np.std(onsets) > 0.02, mode
        assert np.std(severities) > 0.08, mode
        assert all(0.0 <= s <= 1.0 for s in severities)
