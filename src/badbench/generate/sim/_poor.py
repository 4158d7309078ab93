"""Poor-execution injectors: the task gets done, but badly (shaky, hesitant, roundabout, slow)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from badbench.data.taxonomy import FailureCategory
from badbench.generate.sim._injector import (
    COLLISION_FORCE_N,
    FailureInjector,
    lerp,
    register_injector,
)
from badbench.generate.sim._oracle import oracle_success

if TYPE_CHECKING:
    from badbench.generate.sim._rollout import RolloutContext, Trace
    from badbench.generate.sim._tasks import SimTask


def clean_success(trace: Trace) -> bool:
    """The oracle's success and no strike (poor execution must not hide an unsafe event)."""
    return oracle_success(trace) and float(trace.contact_force.max()) < COLLISION_FORCE_N


def shake(trace: Trace, start: int, end: int) -> tuple[float, float]:
    """Hand shake (m) at the record rate: its mean inside ``[start, end]``, its median outside
    (robust to the few sharp turns of an expert's path).

    Shake is the size of the hand's second difference between recorded frames
    (``|h[t+s] - 2 h[t] + h[t-s]|``, ``s`` the stride): what a viewer sees as trembling,
    unlike steady motion.
    """
    s = trace.stride
    steps = np.arange(s, trace.n_steps + 1 - s, s)
    h = trace.hand
    d2 = np.linalg.norm(h[steps + s] - 2 * h[steps] + h[steps - s], axis=1)
    inside = (steps >= start) & (steps <= end)
    out = d2[~inside & (steps <= trace.end_step)]
    mean_in = float(d2[inside].mean()) if inside.any() else 0.0
    return mean_in, float(np.median(out)) if len(out) else 0.0


@register_injector
@dataclass
class Jitter(FailureInjector):
    """Noise on the xyz action over a stretch of the episode, held for a few steps at a time.

    Each noise draw is held for ``hold`` control steps (one recorded frame at 20 fps) and then
    applied once more with its sign flipped, so the hand visibly trembles back and forth
    between frames instead of the noise averaging out within one (and without drifting).
    Severity ``u``: shake size ``sigma = lerp(sigma_low, sigma_high, u)``.

    Attributes:
        sigma_low, sigma_high: range of the shake's size (action units; 1 = 1 cm per step),
            added to 0.3 times the expert's action.
        hold: control steps each shake direction is held.
        reach: the action scale is multiplied by this during the shake (at most
            ``reach`` cm per step: 1.3 m/s, under the unsafe speed limit).
        length_low, length_high: span length in steps.
        onset_high: the shake starts at a step drawn in ``[4, onset_high * expert_steps]``.
    """

    name: ClassVar[str] = "jitter"
    category: ClassVar[FailureCategory] = FailureCategory.POOR_EXECUTION
    description: ClassVar[str] = "The arm shakes with high-frequency noise."

    sigma_low: float = 0.6
    sigma_high: float = 1.0
    hold: int = 8
    reach: float = 1.6
    length_low: int = 32
    length_high: int = 56
    onset_high: float = 0.6

    def on_reset(self, ctx: RolloutContext) -> None:
        u = self.draw_severity()
        self._sigma = lerp(self.sigma_low, self.sigma_high, u)
        self._start = self.draw_onset(4, self.onset_high * ctx.task.expert_steps)
        self._end = self._start + int(self.rng.integers(self.length_low, self.length_high + 1))
        self._noise = np.zeros(3)
        self.mark(self._start, self._end, u, "the arm shakes as it moves")

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if ctx.step == self._start:
            self._scale = float(ctx.env.action_scale)
            ctx.env.action_scale = self._scale * self.reach
        if ctx.step == self._end:
            ctx.env.action_scale = self._scale
        if self._start <= ctx.step < self._end:
            k = (ctx.step - self._start) // self.hold
            if k % 2 == 0 and (ctx.step - self._start) % self.hold == 0:
                d = self.rng.normal(0.0, 1.0, 3)
                self._noise = self._sigma * d / max(float(np.linalg.norm(d)), 1e-6)
            action = action.copy()
            xyz = 0.3 * np.clip(action[:3], -1.0, 1.0) + (1 if k % 2 == 0 else -1) * self._noise
            action[:3] = xyz / max(1.0, float(np.linalg.norm(xyz)))  # under the speed limit
        return action

    def after_step(self, ctx: RolloutContext) -> None:
        if ctx.step + 1 < self._end and ctx.end_at is not None:
            ctx.end_at = max(ctx.end_at, self._end + 1)  # keep the whole span in the episode

    def confirm(self, trace: Trace) -> bool:
        s = self.spans[0]
        if s.end >= trace.n_steps:
            s.end = trace.n_steps - 1
        inside, outside = shake(trace, s.start, s.end)
        return inside > 3.0 * max(outside, 0.004) and clean_success(trace)


@register_injector
@dataclass
class Hesitation(FailureInjector):
    """The arm stops, backs off the way it came, stops again, then carries on.

    Severity ``u``: each pause lasts ``lerp(pause_low, pause_high, u)`` steps.

    Attributes:
        pause_low, pause_high: length of each pause, in steps.
        back_steps: steps spent moving back toward an earlier position.
        onset_high: the pause starts at a step drawn in ``[8, onset_high * expert_steps]``.
    """

    name: ClassVar[str] = "hesitation"
    category: ClassVar[FailureCategory] = FailureCategory.POOR_EXECUTION
    description: ClassVar[str] = "The robot pauses and moves back and forth before going on."

    pause_low: int = 10
    pause_high: int = 32
    back_steps: int = 10
    onset_high: float = 0.6

    def on_reset(self, ctx: RolloutContext) -> None:
        self._u = self.draw_severity()
        self._start = self.draw_onset(8, self.onset_high * ctx.task.expert_steps)
        self._pause = round(lerp(self.pause_low, self.pause_high, self._u))
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
            what = "the robot stops, backs off and waits before going on"
            self.mark(self._start, end, self._u, what)
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

    Severity ``u``: the gripper stays open ``lerp(open_low, open_high, u)`` steps.

    Attributes:
        after_lift_low, after_lift_high: the release happens a number of steps drawn in this
            range after the object is first carried.
        open_low, open_high: range of the steps the gripper stays open.
    """

    name: ClassVar[str] = "regrasp"
    category: ClassVar[FailureCategory] = FailureCategory.POOR_EXECUTION
    description: ClassVar[str] = "The robot lets go of the object and has to grasp it again."

    after_lift_low: int = 2
    after_lift_high: int = 12
    open_low: int = 8
    open_high: int = 20

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        return task.grasp and task.carry_height >= 0.02  # a real lift to let go from

    def on_reset(self, ctx: RolloutContext) -> None:
        self._u = self.draw_severity()
        self.open_steps = round(lerp(self.open_low, self.open_high, self._u))
        self._after = int(self.rng.integers(self.after_lift_low, self.after_lift_high + 1))
        self._lift: int | None = None
        self._release: int | None = None
        self._regrasped = False

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._release is None:
            if self._lift is None and ctx.lifted:
                self._lift = ctx.step
            if self._lift is not None and ctx.step >= self._lift + self._after:
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
                self._release, ctx.step, self._u, "the robot drops the object and grasps it again"
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

    Severity ``u``: the waypoint lies ``lerp(reach_low, reach_high, u)`` from the start.

    Attributes:
        reach_low, reach_high: range of the waypoint's distance (m) from the detour's start.
        onset_high: the detour starts at a step drawn in ``[4, onset_high * expert_steps]``.
    """

    name: ClassVar[str] = "detour"
    category: ClassVar[FailureCategory] = FailureCategory.POOR_EXECUTION
    description: ClassVar[str] = "The robot takes a needlessly long path."

    reach_low: float = 0.13
    reach_high: float = 0.3
    onset_high: float = 0.5

    def on_reset(self, ctx: RolloutContext) -> None:
        self._u = self.draw_severity()
        self.reach = lerp(self.reach_low, self.reach_high, self._u)
        self._start = self.draw_onset(4, self.onset_high * ctx.task.expert_steps)
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
                    self.mark(self._start, ctx.step, self._u, "the arm swings out and back again")
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
    """From a drawn onset on, the robot works at a fraction of the expert's speed.

    Severity ``u``: xyz actions are multiplied by ``lerp(high, low, u)`` from the onset (a
    step drawn in ``[0, onset_high * expert_steps]``) to the end; ``low`` is raised, per task,
    until the slowed expert still finishes within the horizon.

    Attributes:
        low, high: range of the speed factor.
        onset_high: latest onset, as a fraction of the expert's usual duration.
    """

    name: ClassVar[str] = "slow"
    category: ClassVar[FailureCategory] = FailureCategory.POOR_EXECUTION
    description: ClassVar[str] = "The task is done, but far slower than needed."
    end_on_success: ClassVar[bool] = False  # settle for as long, in slow motion

    low: float = 0.35
    high: float = 0.65
    onset_high: float = 0.3

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        # a slow hammer blow does not drive the nail; slowed, the expert drags the puck to the
        # low pick-place goals instead of lifting it
        return task.distance != "nail" and not (task.grasp and 0 < task.carry_height < 0.02)

    def on_reset(self, ctx: RolloutContext) -> None:
        e = ctx.task.expert_steps
        low = min(self.high, max(self.low, 1.15 * (e + 24) / (ctx.horizon - 8)))
        self._u = self.draw_severity()
        self._factor = lerp(self.high, low, self._u)
        self.drawn["factor"] = self._factor
        self._start = self.draw_onset(0, self.onset_high * e)

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if ctx.step < self._start:
            return action
        action = action.copy()
        action[:3] = np.clip(action[:3], -1.0, 1.0) * self._factor
        return action

    def after_step(self, ctx: RolloutContext) -> None:
        if ctx.sim_success and not self.spans:
            self.mark(self._start, ctx.step, self._u, "the robot moves far slower than needed")
            ctx.end_in(int(24 / self._factor))

    def confirm(self, trace: Trace) -> bool:
        first = int(np.argmax(trace.sim_success)) if trace.sim_success.any() else 0
        took_long = first >= 1.3 * trace.task.expert_steps
        return bool(self.spans) and clean_success(trace) and took_long
