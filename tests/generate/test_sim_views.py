"""Stored cameras (scene, wrist, Meta-World's), upright frames, framing and the visibility API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from badbench.errors import ValidationError


def _env_and_trace(task_name: str, cameras=("scene", "wrist"), size: int = 64):
    from metaworld.policies import ENV_POLICY_MAP

    import badbench.generate.sim as sim
    from badbench.generate.sim._mujoco import make_env

    task = sim.sim_task(task_name)
    env = make_env(task.env_name, width=size, height=size, cameras=cameras, render=True)
    trace = sim.rollout(
        env,
        ENV_POLICY_MAP[task.env_name](),
        task,
        sim.make_injector("good", seed=1),
        family_seed=5,
        stride=8,
    )
    return env, trace


def test_camera_option_is_checked() -> None:
    from badbench.generate.sim._cameras import check_cameras

    assert check_cameras("scene, corner") == ("scene", "corner")
    bad_options = (("nope", "unknown camera 'nope'"), ("", "no camera"), ("scene,scene", "twice"))
    for bad, needle in bad_options:
        with pytest.raises(ValidationError, match=needle):
            check_cameras(bad)


@pytest.mark.sim
@pytest.mark.parametrize("task", ["pick-place-v3", "drawer-open-v3", "hammer-v3"])
def test_scene_frames_the_object_and_goal_and_keeps_the_table_down(task: str) -> None:
    from badbench.generate.sim._mujoco import close_env, renderer
    from badbench.generate.sim._rollout import render_trace
    from badbench.generate.sim._visibility import project, task_bodies

    env, trace = _env_and_trace(task)
    try:
        frames = render_trace(env, trace)
        assert set(frames) == {"scene", "wrist"}
        assert frames["scene"].shape == (len(trace.frame_steps), 64, 64, 3)
        obs0 = trace.obs[0]
        px = project(env, "scene", np.array([obs0[:3], obs0[4:7], obs0[-3:]]))
        assert np.all((px > 0) & (px < 64)), px  # hand, object and goal inside the image
        # upright: the table (world body or tablelink) fills the bottom rows of the scene view
        seg = renderer(env).segment(env.data, renderer(env).views[0])
        table = {0, env.model.body("tablelink").id}
        assert np.isin(seg[-4:], list(table)).mean() > 0.5
        assert task_bodies(env)
    finally:
        close_env(env)


@pytest.mark.sim
def test_event_views_see_the_object_and_not_once_it_is_moved_away() -> None:
    import mujoco

    from badbench.generate.sim._mujoco import close_env
    from badbench.generate.sim._visibility import event_views, task_bodies

    env, trace = _env_and_trace("pick-place-v3")
    try:
        bodies = task_bodies(env)
        assert bodies == ("obj",)
        views = event_views(env, trace, 0, 16, (*bodies, "hand"), min_pixels=3)
        assert views["scene"].in_view and views["scene"].pixels > 0
        # the same span with the puck put 5 m away: no camera shows it
        spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
        adr = env.model.jnt_qposadr[env.model.body("obj").jntadr[0]]
        for k in range(len(trace.states)):
            mujoco.mj_setState(env.model, env.data, trace.states[k], spec)
            env.data.qpos[adr : adr + 3] = [5.0, 5.0, -5.0]
            mujoco.mj_getState(env.model, env.data, trace.states[k], spec)
        gone = event_views(env, trace, 0, 16, bodies, min_pixels=3)
        assert not any(v.in_view for v in gone.values())
        assert all(v.pixels == 0 for v in gone.values())
    finally:
        close_env(env)


@pytest.mark.sim
@pytest.mark.slow
def test_two_cameras_stored_recorded_and_a_resume_with_others_refused(tmp_path: Path) -> None:
    from badbench.data.dataset import Dataset
    from badbench.generate.sim import generate_sim

    kw = dict(tasks=["drawer-open-v3"], modes=["good"], episodes_per_mode=1, resolution=32,
              fps=10, workers=1)  # fmt: skip
    generate_sim(tmp_path / "d", **kw)
    ds = Dataset.open(tmp_path / "d")
    meta = ds.meta(ds.episode_ids[0])
    assert meta.cameras == ("observation.images.scene", "observation.images.wrist")
    for cam in meta.cameras:
        assert ds.frames(meta.episode_id, cam).shape[1:] == (32, 32, 3)
    assert "scene" in meta.generator["camera_placement"]
    stored = json.loads((tmp_path / "d/meta/badbench/sim.json").read_text())
    assert stored["cameras"] == ["scene", "wrist"]
    with pytest.raises(ValidationError, match="cameras scene,wrist \\(dataset\\) vs corner"):
        generate_sim(tmp_path / "d", cameras="corner", **kw)
