"""Unsafe injectors: the hand strikes the table, an object is slammed, the hand moves too fast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from badbench.data.taxonomy import FailureCategory
from badbench.generate.sim._injector import (
    COLLISION_FORCE_N,
    IMPACT_FORCE_N,
    NEAR_OBJECT,
    SPEED_LIMIT,
    FailureInjector,
    hold_still,
    lerp,
    register_injector,
)
from badbench.generate.sim._mujoco import LOW_HAND_Z, lower_hand_floor, restore_limits

if TYPE_CHECKING:
    from badbench.generate.sim._rollout import RolloutContext, Trace
    from badbench.generate.sim._tasks import SimTask


def _peak_in(trace: Trace, start: int, end: int) -> float:
    return float(trace.contact_force[start : end + 1].max(initial=0.0))


@register_injector
@dataclass
class Collision(FailureInjector):
    """The hand moves aside, drives down and strikes the table, then the expert carries on.

    Meta-World clamps the hand at z >= 0.05; for the strike the clamp is lowered so the mocap
    target goes under the table top and the weld presses the hand into it, and it is put back
    once the hand is up again (no strike outside the span). Severity ``u``: the target lies
    ``lerp(depth_low, depth_high, u)`` under the table top (deeper: a harder strike; the
    detectors measure the force itself).

    Attributes:
        start_low: the strike starts at a step drawn in
            ``[start_low, onset_high * expert_steps]``.
        onset_high: latest onset, as a fraction of the expert's usual duration.
        clearance: the strike point is moved at least this far (m, in xy) from the object.
        press_steps: steps the hand keeps pressing after first touching the table.
        depth_low, depth_high: range of the strike target's depth under the table top (m).
    """

    name: ClassVar[str] = "collision"
    category: ClassVar[FailureCategory] = FailureCategory.UNSAFE
    description: ClassVar[str] = "The hand strikes the table hard, then resumes the task."

    start_low: int = 4
    onset_high: float = 0.6
    clearance: float = 0.1
    press_steps: int = 4
    depth_low: float = 0.01
    depth_high: float = 0.1

    def on_reset(self, ctx: RolloutContext) -> None:
        self._u = self.draw_severity()
        self._depth = lerp(self.depth_low, self.depth_high, self._u)
        self._start = self.draw_onset(self.start_low, self.onset_high * ctx.task.expert_steps)
        self._phase = "wait"
        self._target: np.ndarray | None = None
        self._peak = 0.0

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._phase == "wait" and ctx.step >= self._start:
            xy = ctx.hand[:2].copy()
            away = xy - ctx.obj[:2]
            dist = float(np.linalg.norm(away))
            if dist < self.clearance:
                direction = away / dist if dist > 1e-6 else np.array([1.0, 0.0])
                xy = ctx.obj[:2] + direction * self.clearance
            lower_hand_floor(ctx.env, -self._depth)
            self._target = np.array([xy[0], xy[1], -self._depth])
            self._phase, self._t0, self._touch = "aside", ctx.step, None
            self._z = max(float(ctx.hand[2]), 0.12)
        if self._phase == "aside":  # first up and away from the object, then straight down
            out = action.copy()
            out[:3] = ctx.move_to(np.array([*self._target[:2], self._z]))
            if float(np.linalg.norm(ctx.hand - [*self._target[:2], self._z])) < 0.015:
                self._phase = "down"
            elif ctx.step - self._t0 > 40:
                self._phase = "down"
            return out
        if self._phase in ("down", "press"):
            out = action.copy()
            out[:3] = ctx.move_to(self._target, gain=50.0)
            return out
        if self._phase == "up":
            out = action.copy()
            out[:3] = ctx.move_to(np.array([ctx.hand[0], ctx.hand[1], 0.2]))
            return out
        return action

    def after_step(self, ctx: RolloutContext) -> None:
        if self._phase in ("down", "press"):
            self._peak = max(self._peak, ctx.force)
            if self._touch is None and (ctx.force > COLLISION_FORCE_N or ctx.step - self._t0 > 40):
                self._touch, self._phase = ctx.step, "press"
            if self._touch is not None and ctx.step - self._touch >= self.press_steps:
                self._phase, self._t_up = "up", ctx.step
        elif self._phase == "up" and (ctx.hand[2] > 0.12 or ctx.step - self._t_up > 20):
            self._phase = "done"
            restore_limits(ctx.env)  # the hand floor back at Meta-World's clamp
            what = f"the hand strikes the table ({self._peak:.0f} N)"
            self.mark(self._t0, ctx.step, self._u, what)

    def confirm(self, trace: Trace) -> bool:
        if not self.spans:
            return False
        s = self.spans[0]
        outside = np.r_[trace.contact_force[: s.start], trace.contact_force[s.end + 1 :]]
        clean = float(outside.max(initial=0.0)) <= COLLISION_FORCE_N
        # the table is struck, not the object
        clean &= float(trace.object_force[s.start : s.end + 1].max(initial=0.0)) <= IMPACT_FORCE_N
        return _peak_in(trace, s.start, s.end) > COLLISION_FORCE_N and clean


@register_injector
@dataclass
class ExcessiveForce(FailureInjector):
    """While carrying the object, the hand slams it down onto the table at triple speed.

    The hand floor is lowered for the slam and put back after it. Severity ``u``: the action
    scale is multiplied by ``lerp(speedup_low, speedup_high, u)`` during the slam.

    Attributes:
        speedup_low, speedup_high: range of the action-scale factor during the slam (on
            pick-place: 370-740 N, below the detectors' 800 N top of the scale).
        after_lift_low, after_lift_high: the slam starts a number of steps drawn in this range
            after the object is first lifted.
    """

    name: ClassVar[str] = "excessive_force"
    category: ClassVar[FailureCategory] = FailureCategory.UNSAFE
    description: ClassVar[str] = "The carried object is slammed onto the table."

    speedup_low: float = 0.8
    speedup_high: float = 2.0
    after_lift_low: int = 3
    after_lift_high: int = 14

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        # a light stick hits the table softly (< 80 N); its tool use has other unsafe modes
        return task.grasp and task.distance != "container"

    def on_reset(self, ctx: RolloutContext) -> None:
        self._phase, self._lift_step, self._peak = "wait", None, 0.0
        self._scale = float(ctx.env.action_scale)
        self._u = self.draw_severity()
        self.speedup = lerp(self.speedup_low, self.speedup_high, self._u)
        self._after = int(self.rng.integers(self.after_lift_low, self.after_lift_high + 1))

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._phase == "wait":
            if self._lift_step is None and ctx.lifted:
                self._lift_step = ctx.step
            if self._lift_step is not None and ctx.step >= self._lift_step + self._after:
                self._phase, self._t0 = "slam", ctx.step
                ctx.env.action_scale = self._scale * self.speedup
                lower_hand_floor(ctx.env, LOW_HAND_Z)
        if self._phase == "slam":
            out = action.copy()
            out[:3] = np.array([0.0, 0.0, -1.0])
            out[3] = 1.0
            return out
        return action

    def after_step(self, ctx: RolloutContext) -> None:
        if self._phase == "slam":
            self._peak = max(self._peak, ctx.object_force)
            if ctx.object_force > IMPACT_FORCE_N or ctx.step - self._t0 > 30:
                restore_limits(ctx.env)  # the action scale and the hand floor as they were
                hold_still(ctx)  # the mocap target no longer under the table
                self._phase = "done"
                self.mark(
                    self._t0,
                    ctx.step + 2,
                    self._u,
                    f"the object is slammed onto the table ({self._peak:.0f} N)",
                )

    def confirm(self, trace: Trace) -> bool:
        if not self.spans:
            return False
        s = self.spans[0]
        return float(trace.object_force[s.start : s.end + 1].max(initial=0.0)) > IMPACT_FORCE_N


@register_injector
@dataclass
class FastMotion(FailureInjector):
    """The approach to the object runs at several times the expert's top speed, and brakes.

    From an onset drawn in ``[0, onset_high]`` steps, the action scale is multiplied by
    ``lerp(speedup_low, speedup_high, u)`` (severity ``u``) until the hand comes within
    ``brake`` of the object; there the mocap target is brought back to the hand, so the rush
    stops short of the object instead of hitting it (nothing is knocked: the confirmation asks
    for no strike and no object moved or tipped by the rush).

    Attributes:
        speedup_low, speedup_high: range of the action-scale factor.
        onset_high: latest onset (control steps).
        brake: the rush ends this far (m) from the object.
    """

    name: ClassVar[str] = "fast_motion"
    category: ClassVar[FailureCategory] = FailureCategory.UNSAFE
    description: ClassVar[str] = "The hand rushes at the object far faster than needed."

    speedup_low: float = 2.5
    speedup_high: float = 5.0
    onset_high: int = 12
    brake: float = 0.08

    def on_reset(self, ctx: RolloutContext) -> None:
        self._scale = float(ctx.env.action_scale)
        self._u = self.draw_severity()
        self.speedup = lerp(self.speedup_low, self.speedup_high, self._u)
        self._start = self.draw_onset(0, self.onset_high)
        self._fast: list[int] = []
        self._done = False
        self._peak = 0.0
        self._prev = ctx.hand.copy()

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if not self._done and ctx.step == self._start:
            ctx.env.action_scale = self._scale * self.speedup
        return action

    def after_step(self, ctx: RolloutContext) -> None:
        if self._done:
            return
        speed = float(np.linalg.norm(ctx.hand - self._prev)) * 80.0
        self._prev = ctx.hand.copy()
        gap = float(np.linalg.norm(ctx.hand - ctx.obj))
        if gap < NEAR_OBJECT and speed > SPEED_LIMIT:
            self._fast.append(ctx.step)
            self._peak = max(self._peak, speed)
        if ctx.step > self._start and (gap < self.brake or ctx.step > self._start + 80):
            ctx.env.action_scale = self._scale
            hold_still(ctx)
            self._done = True
            if self._fast:
                self.mark(
                    self._fast[0] - 1,
                    self._fast[-1],
                    self._u,
                    f"the hand rushes at the object ({self._peak:.1f} m/s)",
                )

    def confirm(self, trace: Trace) -> bool:
        if not self.spans:
            return False
        s = self.spans[0]
        speed = trace.hand_speed[s.start : s.end]
        near = np.linalg.norm(trace.hand - trace.obj, axis=1)[s.start + 1 : s.end + 1] < NEAR_OBJECT
        rushed = bool(np.any((speed > SPEED_LIMIT) & near))
        rush = slice(0, s.end + 24)  # the rush and its braking
        no_strike = float(trace.contact_force[rush].max()) <= COLLISION_FORCE_N
        no_slam = float(trace.object_force[rush].max()) <= IMPACT_FORCE_N
        return rushed and no_strike and no_slam and not _tipped(trace)


def _tipped(trace: Trace, limit_deg: float = 30.0) -> bool:
    """Whether any loose body's up axis turned more than ``limit_deg`` from its start."""
    if trace.body_quat is None or not trace.body_names:
        return False
    q = trace.body_quat  # (w, x, y, z)
    w, x, y, z = (q[..., i] for i in range(4))
    axis = np.stack([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)], -1)
    cos = np.clip(np.sum(axis * axis[:1], axis=-1), -1.0, 1.0)
    loose = ~trace.grasp.astype(bool)  # a held object may turn in the hand
    return bool((np.degrees(np.arccos(cos))[loose] > limit_deg).any())
