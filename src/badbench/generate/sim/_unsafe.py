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
    register_injector,
)
from badbench.generate.sim._mujoco import LOW_HAND_Z, lower_hand_floor

if TYPE_CHECKING:
    from badbench.generate.sim._rollout import RolloutContext, Trace
    from badbench.generate.sim._tasks import SimTask


def _peak_in(trace: Trace, start: int, end: int) -> float:
    return float(trace.contact_force[start : end + 1].max(initial=0.0))


@register_injector
@dataclass
class Collision(FailureInjector):
    """The hand drives down and strikes the table, then the expert carries on.

    Meta-World clamps the hand at z >= 0.05; the clamp is lowered to ``LOW_HAND_Z`` (-0.1 m) so
    the mocap target goes under the table top and the weld presses the hand into it.

    Attributes:
        start_low, start_high: the strike starts at a step drawn in this range.
        clearance: the strike point is moved at least this far (m, in xy) from the object.
        press_steps: steps the hand keeps pressing after first touching the table.
    """

    name: ClassVar[str] = "collision"
    category: ClassVar[FailureCategory] = FailureCategory.UNSAFE
    description: ClassVar[str] = "The hand strikes the table hard, then resumes the task."

    start_low: int = 4
    start_high: int = 14
    clearance: float = 0.1
    press_steps: int = 4

    def on_reset(self, ctx: RolloutContext) -> None:
        lower_hand_floor(ctx.env, LOW_HAND_Z)
        self._start = int(self.rng.integers(self.start_low, self.start_high + 1))
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
            self._target = np.array([xy[0], xy[1], LOW_HAND_Z])
            self._phase, self._t0, self._touch = "down", ctx.step, None
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
            sev = min(1.0, self._peak / (4 * COLLISION_FORCE_N))
            self.mark(self._t0, ctx.step, sev, f"the hand strikes the table ({self._peak:.0f} N)")

    def confirm(self, trace: Trace) -> bool:
        return bool(self.spans) and _peak_in(trace, self.spans[0].start, self.spans[0].end) > (
            COLLISION_FORCE_N
        )


@register_injector
@dataclass
class ExcessiveForce(FailureInjector):
    """While carrying the object, the hand slams it down onto the table at triple speed.

    Attributes:
        speedup: the action scale is multiplied by this during the slam.
        after_lift: the slam starts this many steps after the object is first lifted.
    """

    name: ClassVar[str] = "excessive_force"
    category: ClassVar[FailureCategory] = FailureCategory.UNSAFE
    description: ClassVar[str] = "The carried object is slammed onto the table."

    speedup: float = 3.0
    after_lift: int = 6

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        # a light stick hits the table softly (< 80 N); its tool use has other unsafe modes
        return task.grasp and task.distance != "container"

    def on_reset(self, ctx: RolloutContext) -> None:
        self._phase, self._lift_step, self._peak = "wait", None, 0.0
        self._scale = float(ctx.env.action_scale)

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._phase == "wait":
            if self._lift_step is None and ctx.lifted:
                self._lift_step = ctx.step
            if self._lift_step is not None and ctx.step >= self._lift_step + self.after_lift:
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
            if ctx.object_force > IMPACT_FORCE_N or ctx.step - self._t0 > 12:
                ctx.env.action_scale = self._scale
                self._phase = "done"
                sev = min(1.0, self._peak / (3 * IMPACT_FORCE_N))
                self.mark(
                    self._t0,
                    ctx.step + 2,
                    sev,
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
    """The approach to the object runs at several times the expert's top speed.

    Attributes:
        speedup: the action scale is multiplied by this (times a factor drawn in [0.85, 1.15])
            until the hand reaches the object.
    """

    name: ClassVar[str] = "fast_motion"
    category: ClassVar[FailureCategory] = FailureCategory.UNSAFE
    description: ClassVar[str] = "The hand rushes at the object far faster than needed."

    speedup: float = 4.0

    def on_reset(self, ctx: RolloutContext) -> None:
        self._scale = float(ctx.env.action_scale)
        ctx.env.action_scale = self._scale * self.speedup * float(self.rng.uniform(0.85, 1.15))
        self._fast: list[int] = []
        self._done = False
        self._peak = 0.0
        self._prev = ctx.hand.copy()

    def after_step(self, ctx: RolloutContext) -> None:
        if self._done:
            return
        speed = float(np.linalg.norm(ctx.hand - self._prev)) * 80.0
        self._prev = ctx.hand.copy()
        near = float(np.linalg.norm(ctx.hand - ctx.obj)) < NEAR_OBJECT
        if near and speed > SPEED_LIMIT:
            self._fast.append(ctx.step)
            self._peak = max(self._peak, speed)
        reached = float(np.linalg.norm(ctx.hand - ctx.obj)) < 0.05 or ctx.step > 80
        if reached:
            ctx.env.action_scale = self._scale
            self._done = True
            if self._fast:
                sev = min(1.0, self._peak / (3 * SPEED_LIMIT))
                self.mark(
                    self._fast[0] - 1,
                    self._fast[-1],
                    sev,
                    f"the hand rushes at the object ({self._peak:.1f} m/s)",
                )

    def confirm(self, trace: Trace) -> bool:
        if not self.spans:
            return False
        s = self.spans[0]
        speed = trace.hand_speed[s.start : s.end]
        near = np.linalg.norm(trace.hand - trace.obj, axis=1)[s.start + 1 : s.end + 1] < NEAR_OBJECT
        return bool(np.any((speed > SPEED_LIMIT) & near))
