"""Whole-episode event detectors: what physically happened, whatever was injected.

After every rollout the same detectors run over the full 80 Hz trace, good episodes included.
An injector's own spans say what it meant to do; the detectors say what the physics shows. Every
event found becomes a tag (:func:`merge_events`): an event that overlaps a span of its own mode
widens that span (so a tag always starts at or before its event), any other becomes a tag of its
own. A ``good`` episode with any event is not good and is re-sampled by the engine.

The detectors (thresholds in :mod:`._injector` and here; severity is a continuous measure of the
event, mapped into [0.2, 1] so that every kept tag costs something under the rubric):

* ``collision``: a robot contact (gripper-object contacts excluded, see :mod:`._mujoco`) above
  :data:`COLLISION_FORCE_N`; severity ``0.2 + 0.8 * clip((F - 50) / 400)`` of the peak force ``F``.
* ``excessive_force``: an object-scene contact above :data:`IMPACT_FORCE_N` that is an impact
  (the object came down faster than :data:`SLAM_SPEED` in the :data:`SLAM_LOOKBACK` steps
  before) or a crushing press (above :data:`CRUSH_FORCE_N`); severity
  ``0.2 + 0.8 * clip((F - 200) / 600)``. One-step solver spikes of an object slid along the
  table (the push expert's, up to ~310 N) are neither.
* ``fast_motion``: the hand faster than :data:`SPEED_LIMIT` within :data:`NEAR_OBJECT` of the
  task's object; severity ``0.2 + 0.8 * clip((v - 1.5) / 1.5)``.
* ``knock_over``: an upright loose object (free joint, taller than wide: a mug, a thermos; a
  puck on its edge is no toppled object, :func:`upright_bodies`) not held and tilted more than
  :data:`TILT_DEG` from its start for :data:`TILT_STEPS` steps; severity
  ``0.5 + 0.5 * clip((a - 45) / 45)``.
* ``push_off``: a loose object below the table top by :data:`FALL_Z` (it left the table);
  severity 1.
* ``drop``: the gripper lets go of a lifted object away from the goal and it falls at least
  :data:`DROP_FALL` m within :data:`DROP_WINDOW` steps; severity 1.
* ``undone``: Meta-World's success flag was on and is off at the end (the task was done, then
  undone), unless a drop, fall or toppling after it already says why; severity 1. In an
  episode injected to never succeed (``early_stop``, ``timeout``,
  ``miss_grasp``, ``wrong_goal``) a success flag that was ever on contradicts the injected tag:
  :func:`contradictions` reports it, and the engine re-samples the episode.

Runs of a detector less than :data:`GAP_STEPS` apart are one event.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from badbench.data.taxonomy import FAILURE_MODES, FailureCategory
from badbench.generate.sim._injector import (
    COLLISION_FORCE_N,
    IMPACT_FORCE_N,
    NEAR_OBJECT,
    SPEED_LIMIT,
    Span,
)
from badbench.generate.sim._rollout import Trace

TILT_DEG = 45.0
"""Tilt (degrees from the object's start orientation) at which a loose object counts as toppled."""

TILT_STEPS = 16
"""Control steps (0.2 s) the tilt must last (a held object swinging past it does not count)."""

FALL_Z = -0.05
"""Height (m) below the table top (z = 0) at which a loose object has left the table."""

DROP_FALL = 0.03
"""How far (m) a released object must fall for the release to count as a drop."""

DROP_WINDOW = 40
"""Control steps (0.5 s) after the release in which the fall is looked for."""

LIFT_Z = 0.02
"""An object counts as lifted when this far (m) above its start."""

SLAM_SPEED = 0.15
"""Downward speed (m/s) of an object just before a contact that makes the contact a slam."""

SLAM_LOOKBACK = 4
"""Control steps before a contact in which the object's downward speed is looked at."""

CRUSH_FORCE_N = 600.0
"""Object-scene force (N) that counts as excessive however the object got there."""

GAP_STEPS = 8
"""Runs of one detector closer than this (control steps) are merged into one event."""

GRACE_STEPS = 16
"""An event within this many steps of a span of its own mode widens that span."""

EXPLAINED_BY: dict[str, frozenset[str]] = {
    "drop": frozenset({"regrasp", "push_off"}),
    "fast_motion": frozenset({"collision", "excessive_force"}),
}
"""Events that are part of an injected behaviour of another mode when they overlap its span:
the release of a ``regrasp`` or a ``push_off`` is no separate drop, the swing of a strike no
separate fast motion."""

NEVER_SUCCEED = frozenset({"early_stop", "timeout", "miss_grasp", "wrong_goal"})
"""Injected modes whose tag says the task was never done."""


@dataclass(frozen=True)
class Event:
    """One physical event found in a trace.

    Attributes:
        mode: the failure mode it is evidence of.
        start, end: control steps (inclusive).
        severity: in [0.2, 1] (see the module docstring).
        peak: the measured magnitude (N, m/s, degrees or m; see ``unit``).
        unit: the unit of ``peak``.
        bodies: the MuJoCo bodies involved (what a camera must show).
    """

    mode: str
    start: int
    end: int
    severity: float
    peak: float
    unit: str
    bodies: tuple[str, ...]

    @property
    def description(self) -> str:
        return (
            f"{FAILURE_MODES[self.mode].description} (detected: peak {self.peak:.3g} {self.unit})"
        )


def runs(mask: np.ndarray, gap: int = GAP_STEPS) -> list[tuple[int, int]]:
    """Inclusive ``(start, end)`` index runs of True in ``mask``, merging gaps under ``gap``."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    out = [[int(idx[0]), int(idx[0])]]
    for i in idx[1:]:
        if i - out[-1][1] <= gap:
            out[-1][1] = int(i)
        else:
            out.append([int(i), int(i)])
    return [(a, b) for a, b in out]


def _ramp(value: float, low: float, width: float, floor: float = 0.2) -> float:
    return float(floor + (1.0 - floor) * np.clip((value - low) / width, 0.0, 1.0))


def _z_axis(quat: np.ndarray) -> np.ndarray:
    """The body's local z axis in the world, for (w, x, y, z) quaternions (..., 4)."""
    w, x, y, z = (quat[..., i] for i in range(4))
    return np.stack([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)], -1)


def _tilt_deg(q0: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Angle (degrees) between each orientation's z axis and the start orientation's."""

    cos = np.clip(np.sum(_z_axis(q) * _z_axis(q0), axis=-1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def upright_bodies(model: Any) -> frozenset[str]:
    """Names of the loose bodies that stand upright: their geoms' box is taller than wide."""
    from badbench.generate.sim._rollout import free_bodies

    out = set()
    for b in free_bodies(model):
        geoms = [g for g in range(model.ngeom) if _below(model, int(model.geom_bodyid[g]), int(b))]
        if not geoms:
            continue
        half = np.max(np.abs(model.geom_aabb[geoms, 3:]), axis=0)  # local half sizes
        if half[2] > max(half[0], half[1]):
            out.add(model.body(int(b)).name)
    return frozenset(out)


def _below(model: Any, body: int, root: int) -> bool:
    while body > 0:
        if body == root:
            return True
        body = int(model.body_parentid[body])
    return False


def detect_events(
    trace: Trace, object_body: str = "obj", upright: Collection[str] = ()
) -> list[Event]:
    """Every event of the module docstring in ``trace``, in order of start step.

    Args:
        trace: a full-rate rollout trace.
        object_body: the name of the task's main object body (for the bodies of an event).
        upright: the loose bodies that can be knocked over (:func:`upright_bodies`).
    """
    events: list[Event] = []
    steps = trace.n_steps + 1
    hand, obj = ("hand",), (object_body,)

    for a, b in runs(trace.contact_force > COLLISION_FORCE_N):
        peak = float(trace.contact_force[a : b + 1].max())
        events.append(
            Event("collision", a, b, _ramp(peak, COLLISION_FORCE_N, 400), peak, "N", hand + obj)
        )
    vz = np.diff(trace.obj[:, 2], prepend=trace.obj[0, 2]) * 80.0
    for a, b in runs(trace.object_force > IMPACT_FORCE_N):
        peak = float(trace.object_force[a : b + 1].max())
        falling = float(vz[max(0, a - SLAM_LOOKBACK) : a + 1].min()) < -SLAM_SPEED
        if not falling and peak < CRUSH_FORCE_N:
            continue
        events.append(
            Event("excessive_force", a, b, _ramp(peak, IMPACT_FORCE_N, 600), peak, "N", obj)
        )

    speed = np.append(trace.hand_speed, 0.0)  # step t's speed leads to t+1
    near = np.linalg.norm(trace.hand - trace.obj, axis=1) < NEAR_OBJECT
    for a, b in runs((speed > SPEED_LIMIT) & near):
        peak = float(speed[a : b + 1].max())
        events.append(Event("fast_motion", a, b, _ramp(peak, SPEED_LIMIT, 1.5), peak, "m/s", hand))

    if trace.body_pos is not None and trace.body_quat is not None and trace.body_names:
        for k, name in enumerate(trace.body_names):
            z = trace.body_pos[:, k, 2]
            fell = np.flatnonzero(z < FALL_Z)
            if fell.size:
                # it left the table when it last stood at its starting height before falling
                before = np.flatnonzero(z[: fell[0]] >= z[0] - 0.005)
                start = int(before[-1]) if before.size else 0
                events.append(
                    Event("push_off", start, steps - 1, 1.0, float(-z.min()), "m", (name,))
                )
                continue
            standing = _z_axis(trace.body_quat[0, k])[2] > 0.9  # its tall axis points up
            if name not in upright or not standing:
                continue
            tilt = _tilt_deg(trace.body_quat[0, k], trace.body_quat[:, k])
            for a, b in runs((tilt > TILT_DEG) & ~trace.grasp, gap=1):
                if b - a + 1 >= TILT_STEPS:
                    peak = float(tilt[a : b + 1].max())
                    sev = _ramp(peak, TILT_DEG, 45.0, floor=0.5)
                    events.append(Event("knock_over", a, b, sev, peak, "deg", (name,)))
                    break

    events += _drops(trace, object_body)
    on = np.flatnonzero(trace.sim_success)
    explained = any(e.mode in ("drop", "push_off", "knock_over") for e in events)
    if on.size and not trace.sim_success[-1] and not explained:
        events.append(Event("undone", int(on[0]), steps - 1, 1.0, float(on.size), "steps on", obj))
    return sorted(events, key=lambda e: (e.start, e.mode))


def _drops(trace: Trace, object_body: str) -> list[Event]:
    """Releases of a lifted object away from the goal, followed by a fall."""
    out = []
    z0 = float(trace.obj[0, 2])
    grasp = trace.grasp.astype(bool)
    released = np.flatnonzero(grasp[:-1] & ~grasp[1:]) + 1
    for t in released:
        held = t - 1  # the last step the object was held
        if trace.obj[held, 2] < z0 + LIFT_Z or trace.distance[held] <= trace.task.radius:
            continue
        window = trace.obj[held : held + DROP_WINDOW, 2]
        fall = float(trace.obj[held, 2] - window.min())
        if fall >= DROP_FALL:
            end = held + int(np.argmin(window))
            out.append(Event("drop", int(t), end, 1.0, fall, "m", (object_body,)))
    return out


def contradictions(trace: Trace, injected_mode: str) -> list[str]:
    """Why the injected tag is false of ``trace`` (empty when it is not).

    Today one rule: a mode that says the task was never done (:data:`NEVER_SUCCEED`) while
    Meta-World's success flag was on at some step.
    """
    on = int(np.count_nonzero(trace.sim_success))
    if injected_mode in NEVER_SUCCEED and on:
        return [f"{injected_mode}: the success flag was on for {on} of {trace.n_steps + 1} steps"]
    return []


def merge_events(spans: list[Span], events: list[Event]) -> list[Span]:
    """The tags of an episode: the injector's spans, widened by and joined with the events.

    An event that overlaps (within :data:`GRACE_STEPS`) a span of its own mode widens that span
    to cover it; for an unsafe mode the span's severity becomes the larger of the two (the
    measured one is the truth of what happened). An event that overlaps a span of a mode that
    explains it (:data:`EXPLAINED_BY`) is part of that span. Any other event becomes a span of
    its own.
    """
    out = [Span(s.mode, s.start, s.end, s.severity, s.description) for s in spans]

    def near(s: Span, ev: Event) -> bool:
        return ev.start <= s.end + GRACE_STEPS and ev.end >= s.start - GRACE_STEPS

    for ev in events:
        if any(s.mode in EXPLAINED_BY.get(ev.mode, ()) and near(s, ev) for s in spans):
            continue
        match = next((s for s in out if s.mode == ev.mode and near(s, ev)), None)
        if match is None:
            out.append(Span(ev.mode, ev.start, ev.end, ev.severity, ev.description))
            continue
        match.start, match.end = min(match.start, ev.start), max(match.end, ev.end)
        if FAILURE_MODES[ev.mode].category == FailureCategory.UNSAFE:
            match.severity = max(match.severity, ev.severity)
    return sorted(out, key=lambda s: (s.start, s.mode))


def episode_spans(
    trace: Trace, mode: str, object_body: str = "obj", upright: Collection[str] = ()
) -> tuple[list[Span], str]:
    """The spans an episode's tags are made from, or why the attempt must be re-sampled.

    Returns:
        ``(spans, "")`` for an episode to keep: the injector's spans merged with every detected
        event; ``([], reason)`` for one to re-sample: a ``good`` episode with an event, or an
        injected tag the trace contradicts.
    """
    events = detect_events(trace, object_body, upright)
    if mode == "good" and events:
        found = ", ".join(f"{e.mode} ({e.peak:.3g} {e.unit})" for e in events)
        return [], f"a good episode with events: {found}"
    why = contradictions(trace, mode)
    if why:
        return [], "; ".join(why)
    return merge_events(list(trace.spans), events), ""
