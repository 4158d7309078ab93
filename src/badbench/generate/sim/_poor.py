"""Poor-execution injectors: the task gets done, but badly (shaky, hesitant, roundabout, slow)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from badbench.data.taxonomy import FailureCategory
from badbench.generate.sim._injector import (
    COLLISION_FORCE_N,
    FailureInjector,
    register_injector,
)
from badbench.generate.sim._oracle import oracle_success

if TYPE_CHECKING:
    from badbench.generate.sim._rollout import RolloutContext, Trace
    from badbench.generate.sim._tasks import SimTask


def clean_success(trace: Trace) -> bool:
    """The oracle's success and no strike (poor execution must not hide an unsafe event)."""
    return oracle_success(trace) and float(trace.contact_force.max()) < COLLISION_FORCE_N


def _rough(trace: Trace, start: int, end: int) -> tuple[float, float]:
    """Mean |second difference| of the xyz actions inside and outside ``[start, end)``."""
    d2 = np.abs(np.diff(trace.action[:, :3], n=2, axis=0)).sum(axis=1)
    inside = np.zeros(len(d2), bool)
    inside[max(0, start) : max(0, end - 1)] = True
    out = d2[~inside]
    return float(d2[inside].mean()), float(out.mean()) if len(out) else 0.0


@register_injector
@dataclass
class Jitter(FailureInjector):
    """White noise on the xyz action over a stretch of the episode.

    Attributes:
        sigma: std of the added noise (action units; 1 = 1 cm per step), times a factor drawn
            in [0.6, 1.2] per episode.
        length_low, length_high: span length in steps.
    """

    name: ClassVar[str] = "jitter"
    category: ClassVar[FailureCategory] = FailureCategory.POOR_EXECUTION
    description: ClassVar[str] = "The arm shakes with high-frequency noise."

    sigma: float = 0.7
    length_low: int = 32
    length_high: int = 56

    def on_reset(self, ctx: RolloutContext) -> None:
        self._sigma = self.sigma * float(self.rng.uniform(0.6, 1.2))
        self._start = int(self.rng.integers(4, 16))
        self._end = self._start + int(self.rng.integers(self.length_low, self.length_high + 1))
        self.mark(self._start, self._end, 0.5, "the arm shakes as it moves")

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._start <= ctx.step < self._end:
            action = action.copy()
            action[:3] += self.rng.normal(0.0, self._sigma, 3)
        return action

    def after_step(self, ctx: RolloutContext) -> None:
        if ctx.step + 1 < self._end and ctx.end_at is not None:
            ctx.end_at = max(ctx.end_at, self._end + 1)  # keep the whole span in the episode

    def confirm(self, trace: Trace) -> bool:
        s = self.spans[0]
        if s.end >= trace.n_steps:
            s.end = trace.n_steps - 1
        inside, outside = _rough(trace, s.start, s.end)
        return inside > 3.0 * max(outside, 0.05) and clean_success(trace)


@register_injector
@dataclass
class Hesitation(FailureInjector):
    """The arm stops, backs off the way it came, stops again, then carries on.

    Attributes:
        pause_low, pause_high: length of each pause, in steps.
        back_steps: steps spent moving back toward an earlier position.
    """

    name: ClassVar[str] = "hesitation"
    category: ClassVar[FailureCategory] = FailureCategory.POOR_EXECUTION
    description: ClassVar[str] = "The robot pauses and moves back and forth before going on."

    pause_low: int = 14
    pause_high: int = 24
    back_steps: int = 10

    def on_reset(self, ctx: RolloutContext) -> None:
        self._start = int(self.rng.integers(12, 24))
        self._pause = int(self.rng.integers(self.pause_low, self.pause_high + 1))
        self._history: list[np.ndarray] = [ctx.hand.copy()]
        self._hold: np.ndarray | None = None
        self._back: np.ndarray | None = None

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        k = ctx.step - self._start  # phases: pause [0, p), back off [p, p + b), pause again
        p, b = self._pause, self.back_steps
        if k < 0 or k >= 2 * p + b:
            return action
        if k == 0:
            self._hold = ctx.hand.copy()
            self._back = self._history[max(0, len(self._history) - 12)].copy()
        out = action.copy()
        if k < p:
            out[:3] = ctx.move_to(self._hold)
        elif k < p + b:
            out[:3] = 0.6 * ctx.move_to(self._back)
        else:
            out[:3] = 0.0
        return out

    def after_step(self, ctx: RolloutContext) -> None:
        self._history.append(ctx.hand.copy())
        end = self._start + 2 * self._pause + self.back_steps
        if ctx.step == end:
            self.mark(self._start, end, 0.4, "the robot stops, backs off and waits before going on")
        if ctx.step < end and ctx.end_at is not None:
            ctx.end_at = max(ctx.end_at, end + 1)

    def confirm(self, trace: Trace) -> bool:
        if not self.spans:
            return False
        s = self.spans[0]
        speed = trace.hand_speed[s.start : s.end]
        still = speed < 0.05
        run = best = 0
        for v in still:
            run = run + 1 if v else 0
            best = max(best, run)
        moved_back = float(np.linalg.norm(trace.hand[s.start] - trace.hand[s.end])) > 0.005
        return best >= 8 and (moved_back or best >= self._pause) and clean_success(trace)


@register_injector
@dataclass
class Regrasp(FailureInjector):
    """Mid-carry the gripper opens, the object drops back, and the expert grasps it again.

    Attributes:
        after_lift: the release happens this many steps after the object is first carried.
        open_steps: steps the gripper stays open.
    """

    name: ClassVar[str] = "regrasp"
    category: ClassVar[FailureCategory] = FailureCategory.POOR_EXECUTION
    description: ClassVar[str] = "The robot lets go of the object and has to grasp it again."

    after_lift: int = 4
    open_steps: int = 14

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        return task.grasp and task.carry_height >= 0.02  # a real lift to let go from

    def on_reset(self, ctx: RolloutContext) -> None:
        self._lift: int | None = None
        self._release: int | None = None
        self._regrasped = False

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._release is None:
            if self._lift is None and ctx.lifted:
                self._lift = ctx.step
            if self._lift is not None and ctx.step >= self._lift + self.after_lift:
                self._release = ctx.step
        if self._release is not None and ctx.step < self._release + self.open_steps:
            out = action.copy()
            out[:3] = 0.0
            out[3] = -1.0
            return out
        return action

    def after_step(self, ctx: RolloutContext) -> None:
        if self._release is None or self._regrasped:
            return
        if (
            ctx.step >= self._release + self.open_steps
            and ctx.grasp
            and (ctx.obj[2] > ctx.obj0[2] + 0.01)
        ):
            self._regrasped = True
            self.mark(
                self._release, ctx.step, 0.5, "the robot drops the object and grasps it again"
            )

    def confirm(self, trace: Trace) -> bool:
        if not self.spans:
            return False
        s = self.spans[0]
        g = trace.grasp[s.start : s.end + 1]
        return bool(g[0]) and not bool(g.all()) and bool(g[-1]) and clean_success(trace)


@register_injector
@dataclass
class Detour(FailureInjector):
    """The hand swings out to a waypoint away from the objects, comes back, then resumes.

    Attributes:
        reach: distance (m) of the waypoint from where the detour starts.
    """

    name: ClassVar[str] = "detour"
    category: ClassVar[FailureCategory] = FailureCategory.POOR_EXECUTION
    description: ClassVar[str] = "The robot takes a needlessly long path."

    reach: float = 0.15

    def on_reset(self, ctx: RolloutContext) -> None:
        self._start = int(self.rng.integers(6, 20))
        self._angle = float(self.rng.uniform(0, 2 * np.pi))
        self._origin: np.ndarray | None = None
        self._wp: np.ndarray | None = None
        self._phase = "wait"

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._phase == "wait" and ctx.step >= self._start:
            direction = np.array([np.cos(self._angle), np.sin(self._angle)])
            if direction @ (ctx.obj[:2] - ctx.hand[:2]) > 0:  # swing away from the object
                direction = -direction
            offset = np.array([*direction, 0.5])
            wp = ctx.hand + self.reach * offset / np.linalg.norm(offset)
            lo, hi = ctx.env.hand_low, ctx.env.hand_high
            self._wp = np.clip(wp, lo + 0.02, hi - 0.02)
            self._origin, self._phase = ctx.hand.copy(), "out"
        if self._phase in ("out", "back"):
            target = self._wp if self._phase == "out" else self._origin
            out = action.copy()
            out[:3] = ctx.move_to(target)
            if float(np.linalg.norm(ctx.hand - target)) < 0.015 or ctx.step > self._start + 80:
                if self._phase == "out":
                    self._phase = "back"
                else:
                    self._phase = "done"
                    self.mark(self._start, ctx.step, 0.4, "the arm swings out and back again")
            return out
        return action

    def confirm(self, trace: Trace) -> bool:
        if not self.spans:
            return False
        s = self.spans[0]
        origin = trace.hand[s.start]
        away = float(np.linalg.norm(trace.hand[s.start : s.end + 1] - origin, axis=1).max())
        back = float(np.linalg.norm(trace.hand[s.end] - origin))
        return away > 0.1 and back < 0.03 and clean_success(trace)


@register_injector
@dataclass
class Slow(FailureInjector):
    """The whole episode runs at a fraction of the expert's speed (within the task's horizon).

    Attributes:
        factor: xyz actions are multiplied by this (times a factor drawn in [0.9, 1.1]).
    """

    name: ClassVar[str] = "slow"
    category: ClassVar[FailureCategory] = FailureCategory.POOR_EXECUTION
    description: ClassVar[str] = "The task is done, but far slower than needed."
    end_on_success: ClassVar[bool] = False  # settle for as long, in slow motion

    factor: float = 0.5

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        # a slow hammer blow does not drive the nail; slowed, the expert drags the puck to the
        # low pick-place goals instead of lifting it
        return task.distance != "nail" and not (task.grasp and 0 < task.carry_height < 0.02)

    def on_reset(self, ctx: RolloutContext) -> None:
        self._factor = self.factor * float(self.rng.uniform(0.9, 1.1))

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        action = action.copy()
        action[:3] = np.clip(action[:3], -1.0, 1.0) * self._factor
        return action

    def after_step(self, ctx: RolloutContext) -> None:
        if ctx.sim_success and not self.spans:
            self.mark(0, ctx.step, 0.3, "the robot moves far slower than needed")
            ctx.end_in(int(24 / self._factor))

    def confirm(self, trace: Trace) -> bool:
        first = int(np.argmax(trace.sim_success)) if trace.sim_success.any() else 0
        took_long = first >= 1.3 * trace.task.expert_steps
        return bool(self.spans) and clean_success(trace) and took_long
