"""One rollout: the scripted expert, an injector's hooks, and a full-rate trace.

Control runs at Meta-World's 80 Hz. Frames are kept only every ``stride`` steps (the record
rate, e.g. 20 fps -> stride 4). The rollout itself does not render: it saves MuJoCo's full
physics state at each kept step, and :func:`render_trace` draws the frames afterwards, once the
injected failure is confirmed, so retried rollouts cost physics only. Everything else (state,
action, contact force, grasp, goal distance, Meta-World's success flag) is kept at the full
control rate in a :class:`Trace`.

Every episode of a task has the same length: the task's horizon (rounded up to a recorded
frame), as Meta-World's own fixed ``max_path_length``. The episode's *natural end* comes
``settle`` steps after Meta-World's success flag first turns on (unless the injector's
``end_on_success`` is False) or when the injector asks (:meth:`RolloutContext.end_in`); from
there to the horizon the robot holds still (the xyz action only servoes the hand back to where
it was at the natural end, so that a mocap target left ahead of the hand does not drag it on;
the gripper action is kept) and the injector's hooks are no longer called. These steps are
simulated and rendered like the others.
An episode with no natural end before the horizon is cut there (``timeout``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from badbench.generate.sim._injector import FailureInjector
from badbench.generate.sim._mujoco import (
    ContactProbe,
    import_sim,
    place_cameras,
    render_frame,
    restore_limits,
)
from badbench.generate.sim._style import Style
from badbench.generate.sim._tasks import SimTask

PRESETTLE_STEPS = 10
"""Unrecorded idle control steps after reset, so that objects spawned into the table (e.g. the
hammer) have settled when the episode starts."""

REST_CLEAR = 0.1
"""A hand closer than this (m) to an object at the natural end holds still (it may be hooked in a
handle: rising or going home would drag the object back)."""

SETTLE_STEPS = 24
"""Control steps kept after the simulator's success flag first turns on (0.3 s)."""


@dataclass
class Trace:
    """Everything recorded during a rollout. Arrays indexed by control step ``0..n``.

    Step 0 is the state after reset; ``action[t]`` leads from step ``t`` to ``t + 1`` (so it has
    ``n`` rows). ``frames[camera][i]`` shows step ``i * stride``.
    """

    task: SimTask
    stride: int
    obs: np.ndarray
    action: np.ndarray
    hand: np.ndarray
    obj: np.ndarray
    goal: np.ndarray
    distance: np.ndarray
    sim_success: np.ndarray
    contact_force: np.ndarray
    object_force: np.ndarray
    grasp: np.ndarray
    frames: dict[str, np.ndarray] | None
    states: np.ndarray | None = None
    spans: list = field(default_factory=list)
    style: Style = field(default_factory=lambda: Style())
    """How the episode moved (:mod:`._style`)."""
    body_names: tuple[str, ...] = ()
    """The free-floating bodies of the scene (objects with a free joint), for the detectors."""
    body_pos: np.ndarray | None = None
    """World position of each of :attr:`body_names` per step, (n+1, B, 3)."""
    body_quat: np.ndarray | None = None
    """World orientation (w, x, y, z) of each of :attr:`body_names` per step, (n+1, B, 4)."""
    end_step: int = 0
    """The episode's natural end (success + settle, or the injector's ``end_in``); the robot
    holds still from there to the horizon. Equal to ``n_steps`` when the horizon cut it."""

    @property
    def n_steps(self) -> int:
        return len(self.action)

    @property
    def frame_steps(self) -> np.ndarray:
        """Control-step index of each recorded frame."""
        return np.arange(0, self.n_steps + 1, self.stride)

    @property
    def hand_speed(self) -> np.ndarray:
        """End-effector speed (m/s) per step, length ``n`` (between step t and t+1)."""
        return np.linalg.norm(np.diff(self.hand, axis=0), axis=1) * 80.0


class RolloutContext:
    """What an injector sees and may change during a rollout.

    Attributes:
        env: the Meta-World environment (raw class, no wrappers).
        task: the task being run.
        policy: Meta-World's scripted expert for the task.
        step: control steps taken so far.
        obs: the current observation (39-d, goal visible).
        horizon: the episode length in control steps: the task's, rounded up to a recorded
            frame, the same for every mode (read-only).
        obj0: the main object's position after reset.
        distance: the current goal distance; ``distance0`` the one after reset.
        sim_success: Meta-World's success flag now.
        grasp: both finger pads touch a movable object now.
        force: the peak robot contact force (N) of the last step (gripper-object excluded).
        object_force: the peak object-scene contact force (N) of the last step.
    """

    def __init__(self, env: Any, task: SimTask, policy: Any, horizon: int) -> None:
        self.env = env
        self.task = task
        self.policy = policy
        self.horizon = horizon
        self.step = 0
        self.obs: np.ndarray = np.zeros(39)
        self.obj0: np.ndarray = np.zeros(3)
        self.distance = 0.0
        self.distance0 = 1.0
        self.sim_success = False
        self.grasp = False
        self.force = 0.0
        self.object_force = 0.0
        self.end_at: int | None = None
        self.style = Style()

    @property
    def hand(self) -> np.ndarray:
        return self.obs[:3]

    @property
    def obj(self) -> np.ndarray:
        return self.obs[4:7]

    @property
    def goal(self) -> np.ndarray:
        return self.obs[-3:]

    @property
    def lifted(self) -> bool:
        """The object is held and raised off its start (2 cm, or the carry height if lower)."""
        rise = min(0.02, self.task.carry_height or 0.02)
        return bool(self.grasp and self.obj[2] > self.obj0[2] + rise)

    @property
    def progress(self) -> float:
        """Task progress in [0, 1] (see :func:`progress_of`)."""
        return float(progress_of(self.distance, self.distance0, self.task.oracle_radius))

    def expert(self, obs: np.ndarray | None = None) -> np.ndarray:
        """The scripted expert's action for ``obs`` (default: the true observation), as the
        episode's :class:`~._style.Style` performs it (its start delay and pace)."""
        raw = self.policy.get_action(self.obs if obs is None else obs)
        return self.style.shape(self.step, raw)

    def move_to(self, target: np.ndarray, gain: float = 10.0) -> np.ndarray:
        """An xyz action (clipped to [-1, 1]) that drives the hand toward ``target``."""
        return np.clip(gain * (np.asarray(target) - self.hand), -1.0, 1.0)

    def end_in(self, steps: int) -> None:
        """Ask the engine to end the episode ``steps`` control steps from now (earliest wins)."""
        at = self.step + max(0, int(steps))
        self.end_at = at if self.end_at is None else min(self.end_at, at)


def progress_of(d: np.ndarray | float, d0: float, oracle_radius: float) -> np.ndarray:
    """Task progress ``clip((d0 - d) / (d0 - r), 0, 1)``: 0 at the start, 1 at the oracle radius.

    ``d`` is the goal distance, ``d0`` its value at the start and ``r`` the task's oracle radius.
    """
    span = max(float(d0) - oracle_radius, 1e-6)
    return np.clip((float(d0) - np.asarray(d, np.float64)) / span, 0.0, 1.0)


def goal_distance(task: SimTask, env: Any, info: dict) -> float:
    """The task's goal distance (see :class:`~badbench.generate.sim._tasks.SimTask`)."""
    if task.distance == "info":
        return float(info["obj_to_target"])
    if task.distance == "door_x":  # the door opens toward -x; swung past the target is open
        return float(max(0.0, env._get_pos_objects()[0] - env._target_pos[0]))
    if task.distance == "nail":
        return float(0.09 - env.data.joint("NailSlideJoint").qpos[0])
    if task.distance == "objects":
        return float(np.linalg.norm(env._get_pos_objects()[:3] - env._target_pos))
    if task.distance == "container":
        return float(np.linalg.norm(env._get_pos_objects()[3:6] - env._target_pos))
    raise ValueError(f"unknown distance kind '{task.distance}'")


def set_start_ranges(env: Any, task: SimTask, family_seed: int) -> None:
    """Set what the next reset draws from, for the seed family ``family_seed``.

    The object and goal start come from Meta-World's ``_random_reset_space`` (the task's own
    ``reset_low``/``reset_high`` where set), drawn with the environment's seeded generator; the
    hand starts at Meta-World's ``hand_init_pos`` plus an offset drawn here in
    ``+/- task.hand_spread``. Both depend only on the task and ``family_seed``, so every mode of
    a family starts from the same state.
    """
    from gymnasium.spaces import Box

    if not hasattr(env, "_badbench_default_start"):
        env._badbench_default_start = (env._random_reset_space, np.array(env.hand_init_pos))
    space, hand0 = env._badbench_default_start
    if task.reset_low:
        space = Box(np.array(task.reset_low), np.array(task.reset_high), dtype=np.float64)
    env._random_reset_space = space
    spread = np.asarray(task.hand_spread, np.float64)
    offset = np.random.default_rng([family_seed, 13]).uniform(-spread, spread)
    env.hand_init_pos = hand0 + offset


def _redraw_goal(env: Any, task: SimTask, family_seed: int) -> np.ndarray:
    """Apply the task's goal-height override (same for every mode of one seed family)."""
    if task.goal_z is not None:
        z = np.random.default_rng([family_seed, 11]).uniform(*task.goal_z)
        env._target_pos = np.array([env._target_pos[0], env._target_pos[1], z])
        env.model.site("goal").pos = env._target_pos
        env._set_pos_site("goal", env._target_pos)
    return env._get_obs()


def rollout(
    env: Any,
    policy: Any,
    task: SimTask,
    injector: FailureInjector,
    *,
    family_seed: int,
    stride: int,
    keep_states: bool = True,
    settle: int = SETTLE_STEPS,
    style: Style | None = None,
) -> Trace:
    """Run one episode of ``task`` from the initial condition of ``family_seed``, moving in
    ``style`` (default: the plain expert)."""
    mujoco, _ = import_sim()
    restore_limits(env)
    set_start_ranges(env, task, family_seed)
    env.seed(int(family_seed))
    env.reset()
    horizon = -(-task.horizon // stride) * stride  # the last step is a recorded frame
    ctx = RolloutContext(env, task, policy, horizon)
    ctx.style = style or Style()
    ctx.obs = _redraw_goal(env, task, family_seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(PRESETTLE_STEPS):  # let spawned objects come to rest (not recorded)
            ctx.obs, _, _, _, _ = env.step(np.zeros(4))
    probe: ContactProbe = getattr(env, "_badbench_probe", None) or ContactProbe.build(env.model)
    env._badbench_probe = probe
    free = free_bodies(env.model)
    bpos_l, bquat_l = [env.data.xpos[free].copy()], [env.data.xquat[free].copy()]
    buf = np.zeros(6)

    _, info = env.evaluate_state(ctx.obs, np.zeros(4))
    ctx.distance = ctx.distance0 = goal_distance(task, env, info)
    ctx.obj0 = ctx.obj.copy()
    ctx.force, ctx.object_force, ctx.grasp = probe.measure(mujoco, env.model, env.data, buf)
    injector.on_reset(ctx)

    obs_l, act_l = [ctx.obs.copy()], []
    dist_l, succ_l = [ctx.distance], [bool(info["success"])]
    force_l, grasp_l = [ctx.force], [ctx.grasp]
    oforce_l = [ctx.object_force]
    goal_l = [np.asarray(env._target_pos, np.float64).copy()]
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    size = mujoco.mj_stateSize(env.model, spec)
    states: list[np.ndarray] = []

    def save_state() -> None:
        buf_s = np.empty(size)
        mujoco.mj_getState(env.model, env.data, buf_s, spec)
        states.append(buf_s)

    if keep_states:
        save_state()
    first_success: int | None = None
    end_step: int | None = None
    grip, hold = 0.0, np.zeros(3)
    rest: list[np.ndarray] = []

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Meta-World's experts warn when actions saturate
        while ctx.step < horizon:
            if end_step is None:
                action = injector.before_action(ctx, ctx.expert())
                action = np.clip(np.asarray(action, np.float64), -1.0, 1.0)
                grip = float(action[3])
            else:  # after the natural end: the style's rest path, the gripper as it was
                if len(rest) > 1 and np.linalg.norm(rest[0] - ctx.hand) < 0.01:
                    rest.pop(0)
                action = np.array([*ctx.move_to(rest[0]), grip])
            boost = ctx.style.speed_boost(ctx.hand, _objects(ctx.obs, env.data.xpos[free]))
            scale = env.action_scale
            if boost != 1.0 and scale == env._badbench_default_limits[2]:
                env.action_scale = scale * boost  # a fast transit, far from every object
            obs, _, _, _, info = env.step(action)
            env.action_scale = scale
            ctx.step += 1
            ctx.obs = obs
            ctx.distance = goal_distance(task, env, info)
            ctx.sim_success = bool(info["success"])
            ctx.force, ctx.object_force, ctx.grasp = probe.measure(mujoco, env.model, env.data, buf)
            act_l.append(action)
            obs_l.append(obs.copy())
            dist_l.append(ctx.distance)
            succ_l.append(ctx.sim_success)
            force_l.append(ctx.force)
            grasp_l.append(ctx.grasp)
            oforce_l.append(ctx.object_force)
            goal_l.append(np.asarray(env._target_pos, np.float64).copy())
            bpos_l.append(env.data.xpos[free].copy())
            bquat_l.append(env.data.xquat[free].copy())
            if keep_states and ctx.step % stride == 0:
                save_state()
            if end_step is not None:
                continue
            injector.after_step(ctx)
            if ctx.sim_success and first_success is None:
                first_success = ctx.step
                if injector.end_on_success:
                    ctx.end_in(settle)
            if ctx.end_at is not None and ctx.step >= ctx.end_at:
                end_step, hold = ctx.step, ctx.hand.copy()
                rest = [hold]
                objs = _objects(ctx.obs, env.data.xpos[free])
                clear = float(np.min(np.linalg.norm(objs - ctx.hand, axis=1)))
                if not ctx.grasp and clear > REST_CLEAR:  # a free hand may rise or go home
                    rest = ctx.style.rest_path(hold, obs_l[0][:3])

    obs_a = np.asarray(obs_l)
    return Trace(
        task=task,
        stride=stride,
        obs=obs_a,
        action=np.asarray(act_l),
        hand=obs_a[:, :3].copy(),
        obj=obs_a[:, 4:7].copy(),
        goal=np.asarray(goal_l),
        distance=np.asarray(dist_l),
        sim_success=np.asarray(succ_l),
        contact_force=np.asarray(force_l),
        object_force=np.asarray(oforce_l),
        grasp=np.asarray(grasp_l),
        frames=None,
        states=np.asarray(states) if keep_states else None,
        spans=list(injector.spans),
        style=ctx.style,
        body_names=tuple(env.model.body(int(b)).name for b in free),
        body_pos=np.asarray(bpos_l),
        body_quat=np.asarray(bquat_l),
        end_step=ctx.step if end_step is None else end_step,
    )


def _objects(obs: np.ndarray, loose: np.ndarray) -> np.ndarray:
    """Positions of the scene's objects: the observed ones (non-zero slots) and the loose ones."""
    seen = [obs[4:7]] + ([obs[11:14]] if np.any(obs[11:14]) else [])
    return np.concatenate([np.asarray(seen), np.asarray(loose).reshape(-1, 3)])


def free_bodies(model: Any) -> np.ndarray:
    """Ids of the bodies that hang on a free joint (the loose objects of a scene)."""
    import mujoco

    free = [
        int(model.jnt_bodyid[j])
        for j in range(model.njnt)
        if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE
    ]
    return np.asarray(sorted(set(free)), dtype=np.int64)


def render_trace(env: Any, trace: Trace) -> dict[str, np.ndarray]:
    """Draw the kept frames of ``trace`` from its saved states, from every stored camera.

    The cameras are placed for the trace's first observation (see
    :mod:`~badbench.generate.sim._cameras`); returns ``camera -> (T, H, W, 3)`` uint8.
    """
    mujoco, _ = import_sim()
    if trace.states is None:
        raise ValueError("the trace kept no states; run rollout(..., keep_states=True)")
    place_cameras(env, trace.obs[0])
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    frames: dict[str, list[np.ndarray]] = {}
    for state in trace.states:
        mujoco.mj_setState(env.model, env.data, state, spec)
        mujoco.mj_forward(env.model, env.data)
        for name, frame in render_frame(env).items():
            frames.setdefault(name, []).append(frame)
    return {name: np.asarray(f, np.uint8) for name, f in frames.items()}
