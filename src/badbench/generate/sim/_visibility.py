"""What the stored cameras show of an event: a measurement, not a decision.

:func:`event_views` says, per stored camera, whether an event (the bodies it is about: the
task's object(s), the hand) is in view during a span of steps, and how many pixels the object
covers. It draws segmentation frames (:meth:`~._render.FrameRenderer.segment`: the body each
pixel shows), so a body hidden behind the arm or outside the frame counts as not seen.

The rule (:data:`MIN_PIXELS`, :data:`MAX_FRAMES`): an event is **in view** of a camera when, in
at least one checked frame of its span, *every* named body (with the bodies attached below it,
e.g. the fingers below ``hand``) covers at least ``min_pixels`` pixels. ``pixels`` is the most
pixels the *first* named body (the event's object) covers in one checked frame. The checked
frames are the span's recorded frames, at most ``max_frames`` of them spread evenly from its
first to its last (a span shorter than one frame checks the nearest recorded frame), so the
measurement costs a few renders per camera.

:func:`task_bodies` names the main object body(ies) of a Meta-World scene, and
:func:`image_path` / :func:`project` give where world points land in each camera's frames
(e.g. the hand's path, to see whether jitter moves it by pixels).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from badbench.data.schema import TagView
from badbench.generate.sim import _cameras
from badbench.generate.sim._mujoco import import_sim, place_cameras, renderer
from badbench.generate.sim._rollout import Trace

MIN_PIXELS = 20
"""Pixels each named body must cover in one checked frame for the event to be in view (at 224 x
224 a 4.5 x 4.5 pixel patch; the puck of pick-place covers about 90 in ``scene``)."""

MAX_FRAMES = 4
"""Recorded frames of a span checked per camera (evenly spread, first and last included)."""

HAND = "hand"
"""The gripper's body in every Meta-World model (its fingers hang below it)."""


def task_bodies(env: Any) -> tuple[str, ...]:
    """The main object body(ies) of a Meta-World scene, first object first.

    The observation's ``obs[4:7]`` (and ``obs[11:14]`` when the task has a second object) is a
    point of the object: a body's origin, or a site or geom on it. The body named is the one
    outside the robot and the world whose origin, site or geom lies nearest to that point.
    """
    model, data = env.model, env.data
    obs = np.asarray(env._get_obs(), np.float64)
    targets = [obs[4:7]] + ([obs[11:14]] if np.any(obs[11:14] != 0) else [])
    robot = model.body_rootid[model.body(HAND).id]
    ids = np.arange(model.nbody)
    ok = (ids != 0) & (model.body_rootid != robot) & (model.body_mocapid < 0)
    candidates = [
        (data.xpos, np.arange(model.nbody)),
        (data.site_xpos, model.site_bodyid),
        (data.geom_xpos, model.geom_bodyid),
    ]
    names: list[str] = []
    for target in targets:
        best, best_d = -1, np.inf
        for pos, body in candidates:
            if len(body) == 0:
                continue
            d = np.linalg.norm(pos - target, axis=1)
            d[~ok[body]] = np.inf
            i = int(np.argmin(d))
            if d[i] < best_d - 1e-9:
                best, best_d = int(body[i]), float(d[i])
        while best > 0 and not model.body(best).name:  # an unnamed body: its named parent
            best = int(model.body_parentid[best])
        if best > 0 and model.body(best).name not in names:
            names.append(model.body(best).name)
    return tuple(names)


def _subtree(model: Any, name: str) -> np.ndarray:
    """Bool mask over bodies: ``name`` and every body below it."""
    root = model.body(name).id
    mask = np.zeros(model.nbody, bool)
    for b in range(model.nbody):
        c = b
        while c != 0 and c != root:
            c = int(model.body_parentid[c])
        mask[b] = c == root
    return mask


def span_frames(trace: Trace, start_step: int, end_step: int, max_frames: int) -> np.ndarray:
    """Indices of the recorded frames checked for steps ``start_step..end_step`` (inclusive)."""
    steps = trace.frame_steps
    inside = np.flatnonzero((steps >= start_step) & (steps <= end_step))
    if len(inside) == 0:
        mid = (start_step + end_step) / 2
        return np.array([int(np.argmin(np.abs(steps - mid)))])
    pick = np.unique(np.round(np.linspace(0, len(inside) - 1, max(1, max_frames))).astype(int))
    return inside[pick]


def body_pixels(
    env: Any, trace: Trace, frames: Sequence[int], bodies: Sequence[str]
) -> dict[str, np.ndarray]:
    """Pixels each body (with its subtree) covers, per camera: ``camera -> (len(frames), B)``."""
    mujoco, _ = import_sim()
    if trace.states is None:
        raise ValueError("the trace kept no states; run rollout(..., keep_states=True)")
    rend = renderer(env)
    place_cameras(env, trace.obs[0])
    masks = [_subtree(env.model, b) for b in bodies]
    out = {v.name: np.zeros((len(frames), len(bodies)), np.int64) for v in rend.views}
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    for k, frame in enumerate(frames):
        mujoco.mj_setState(env.model, env.data, trace.states[frame], spec)
        mujoco.mj_forward(env.model, env.data)
        for view in rend.views:
            seg = rend.segment(env.data, view)
            counts = np.bincount(seg[seg >= 0].ravel(), minlength=env.model.nbody)
            out[view.name][k] = [int(counts[m].sum()) for m in masks]
    return out


def event_views(
    env: Any,
    trace: Trace,
    start_step: int,
    end_step: int,
    bodies: Sequence[str],
    *,
    min_pixels: int = MIN_PIXELS,
    max_frames: int = MAX_FRAMES,
) -> dict[str, TagView]:
    """Whether each stored camera shows the event on ``bodies`` during control steps
    ``start_step..end_step`` (see the module doc for the rule), and the object's pixels.

    Args:
        env: the environment the trace was run in, built with ``render=True``.
        trace: a rollout that kept its states.
        start_step, end_step: the event's span in control steps (inclusive).
        bodies: body names, the event's object first (e.g. ``(*task_bodies(env), "hand")``).
        min_pixels: pixels each body must cover in one frame.
        max_frames: recorded frames checked per camera.

    Returns:
        ``camera name -> TagView(in_view, pixels)`` for every stored camera (leaves the
        environment in the state of the last checked frame).
    """
    if not bodies:
        raise ValueError("event_views needs at least one body")
    frames = span_frames(trace, start_step, end_step, max_frames)
    counts = body_pixels(env, trace, frames, bodies)
    return {
        name: TagView(
            in_view=bool(np.any(np.all(c >= min_pixels, axis=1))), pixels=int(c[:, 0].max())
        )
        for name, c in counts.items()
    }


def project(env: Any, camera: str, points_world: np.ndarray) -> np.ndarray:
    """Pixel ``(column, row)`` of world points (N, 3) in ``camera``'s upright frame, now.

    The camera is as placed for the current episode (:func:`render_trace` or
    :func:`~._mujoco.place_cameras` place it); the environment's current state counts (the
    ``wrist`` camera follows the hand). Row 0 is the top; points behind the camera are NaN.
    """
    rend = renderer(env)
    view = next((v for v in rend.views if v.name == camera), None)
    if view is None:
        raise ValueError(f"no stored camera '{camera}' (have: {', '.join(rend.names)})")
    _cameras.aim([view], env.model, env.data)
    return _cameras.project(env.model, env.data, view, points_world, rend.width, rend.height)


def image_path(env: Any, trace: Trace, points: np.ndarray) -> dict[str, np.ndarray]:
    """Where a moving point lands in every stored camera, frame by frame.

    Args:
        points: one world point per recorded frame, (T, 3) (e.g. ``trace.hand[trace.frame_steps]``).

    Returns:
        ``camera -> (T, 2)`` pixel ``(column, row)`` (for a ``wrist`` camera the hand stays put,
        and the world moves instead). Frame-to-frame motion in pixels is
        ``np.linalg.norm(np.diff(path, axis=0), axis=1)``.
    """
    mujoco, _ = import_sim()
    if trace.states is None:
        raise ValueError("the trace kept no states; run rollout(..., keep_states=True)")
    rend = renderer(env)
    place_cameras(env, trace.obs[0])
    points = np.asarray(points, np.float64)
    out = {v.name: np.zeros((len(points), 2)) for v in rend.views}
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    for k in range(len(points)):  # cameras on the hand move with the state
        mujoco.mj_setState(env.model, env.data, trace.states[k], spec)
        mujoco.mj_forward(env.model, env.data)
        for view in rend.views:
            out[view.name][k] = project(env, view.name, points[k : k + 1])[0]
    return out
