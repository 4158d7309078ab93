"""Failure injectors: the task is not done (missed grasp, drop, wrong goal, stop, timeout)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from badbench.data.taxonomy import FailureCategory
from badbench.generate.sim._injector import FailureInjector, hold_still, lerp, register_injector
from badbench.generate.sim._oracle import oracle_success

if TYPE_CHECKING:
    from badbench.generate.sim._rollout import RolloutContext, Trace
    from badbench.generate.sim._tasks import SimTask

_TAIL = 40
"""Steps an injector keeps recording after the failure is settled (0.5 s)."""


def _unit(rng: np.random.Generator) -> np.ndarray:
    angle = float(rng.uniform(0, 2 * np.pi))
    return np.array([np.cos(angle), np.sin(angle), 0.0])


@register_injector
@dataclass
class MissGrasp(FailureInjector):
    """The expert is shown the object a few centimetres off, so the gripper closes on air.

    Severity ``u``: the perceived object is ``lerp(offset_low, offset_high, u)`` off.

    Attributes:
        offset_low, offset_high: range of how far (m, in xy) the perceived object is moved.
    """

    name: ClassVar[str] = "miss_grasp"
    category: ClassVar[FailureCategory] = FailureCategory.FAILURE
    description: ClassVar[str] = "The gripper closes beside the object and lifts nothing."

    offset_low: float = 0.045
    offset_high: float = 0.1

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        return task.grasp

    def on_reset(self, ctx: RolloutContext) -> None:
        self._u = self.draw_severity()
        self._shift = _unit(self.rng) * lerp(self.offset_low, self.offset_high, self._u)
        self._close: int | None = None

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        obs = ctx.obs.copy()
        obs[4:7] = ctx.obj0 + self._shift  # the expert believes the object sits here
        out = ctx.expert(obs)
        if self._close is None and out[3] > 0:
            self._close = ctx.step
            ctx.end_in(_TAIL + 20)
        return out

    def after_step(self, ctx: RolloutContext) -> None:
        if self._close is not None and not self.spans and ctx.step >= self._close + 20:
            self.mark(self._close, ctx.step, self._u, "the gripper closes beside the object")

    def confirm(self, trace: Trace) -> bool:
        if not self.spans:
            return False
        lifted = float(trace.obj[:, 2].max()) > trace.obj[0, 2] + 0.01
        return not lifted and not bool(trace.grasp.any()) and not oracle_success(trace)


@register_injector
@dataclass
class Drop(FailureInjector):
    """Mid-transport the gripper opens; the hand goes on to the goal empty.

    The release comes once the object has been lifted and task progress passes a fraction
    drawn in ``[release_low, release_high]`` (so it happens away from the goal, mid-transport;
    at the latest ``after_lift_high`` steps after lift-off). Severity: ``1 - progress`` at the
    release (how far from the goal the object is lost).

    Attributes:
        after_lift_low, after_lift_high: the release comes at least ``after_lift_low`` and at
            most ``after_lift_high`` steps after lift-off.
        release_low, release_high: range of the task progress at which it lets go.
    """

    name: ClassVar[str] = "drop"
    category: ClassVar[FailureCategory] = FailureCategory.FAILURE
    description: ClassVar[str] = "The object is released mid-transport and falls."

    after_lift_low: int = 1
    after_lift_high: int = 30
    release_low: float = 0.1
    release_high: float = 0.75

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        return task.grasp and task.carry_height >= 0.02  # a real lift to fall from

    def on_reset(self, ctx: RolloutContext) -> None:
        self._at = float(self.rng.uniform(self.release_low, self.release_high))
        self._lift: int | None = None
        self._release: int | None = None

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._release is None:
            if self._lift is None and ctx.lifted:
                self._lift = ctx.step
            since = ctx.step - self._lift if self._lift is not None else -1
            if since >= self.after_lift_low and (
                ctx.progress >= self._at or since >= self.after_lift_high
            ):
                self._release = ctx.step
                sev = 1.0 - ctx.progress
                self.drawn.update(severity=sev, onset=ctx.step)
                what = "the gripper opens and the object falls"
                self.mark(ctx.step, ctx.step + 32, sev, what)
                self._up = ctx.hand + np.array([0.0, 0.0, 0.1])
                ctx.end_in(_TAIL + 32)
        if self._release is not None:
            out = np.zeros(4)
            if ctx.task.goal_in_obs:  # the empty hand carries on to the goal
                out[:3] = ctx.move_to(ctx.env._target_pos + np.array([0, 0, 0.05]))
            else:  # the hand lets go and lifts away
                out[:3] = ctx.move_to(self._up)
            out[3] = -1.0
            return out
        return action

    def confirm(self, trace: Trace) -> bool:
        if not self.spans:
            return False
        s = self.spans[0]
        z = trace.obj[s.start : s.end + 1, 2]
        peak = int(np.argmax(z))
        fell = float(z[peak] - z[peak:].min()) > 0.015
        held_before = bool(trace.grasp[max(0, s.start - 2) : s.start + 1].any())
        released = not bool(trace.grasp[s.end])
        return held_before and released and fell and not oracle_success(trace)


@register_injector
@dataclass
class WrongGoal(FailureInjector):
    """The expert is shown a goal 12-18 cm off and completes the task there.

    Severity ``u``: the goal offset is ``lerp(offset_low, offset_high, u)``.

    Attributes:
        offset_low, offset_high: range of the goal offset (m, in xy).
    """

    name: ClassVar[str] = "wrong_goal"
    category: ClassVar[FailureCategory] = FailureCategory.FAILURE
    description: ClassVar[str] = "The object ends at an offset from the goal."

    offset_low: float = 0.12
    offset_high: float = 0.22

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        return task.goal_in_obs

    def on_reset(self, ctx: RolloutContext) -> None:
        self._u = self.draw_severity()
        shift = _unit(self.rng) * lerp(self.offset_low, self.offset_high, self._u)
        goal = ctx.env._target_pos + shift
        goal[:2] = np.clip(goal[:2], [-0.25, 0.45], [0.25, 0.92])
        self._goal = goal
        self._reached: int | None = None

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        obs = ctx.obs.copy()
        obs[-3:] = self._goal
        return ctx.expert(obs)

    def after_step(self, ctx: RolloutContext) -> None:
        off = float(np.linalg.norm(ctx.obj - self._goal))
        if self._reached is None and off < 0.05:
            self._reached = ctx.step
            ctx.end_in(_TAIL)
            self.mark(ctx.step, ctx.step + _TAIL, self._u, "the object is put down beside the goal")

    def confirm(self, trace: Trace) -> bool:
        return bool(self.spans) and not bool(trace.sim_success[-1]) and not oracle_success(trace)


@register_injector
@dataclass
class EarlyStop(FailureInjector):
    """The robot stops partway and stays still until the episode ends.

    Attributes:
        frac_low, frac_high: stop when progress passes a fraction ``f`` drawn here, or at the
            latest after ``0.3 + f`` of the task's usual expert duration (progress of door or
            faucet tasks only starts late). Severity: ``1 - (p + w) / 2`` at the stop, ``p``
            the task progress and ``w`` the fraction of the expert's usual duration elapsed
            (how far along the robot gave up).

    At the stop the hand's mocap target is brought back to the hand, so nothing it holds or
    pushes goes on moving (a stick-push thermos slid on to the goal after the stop before).
    """

    name: ClassVar[str] = "early_stop"
    category: ClassVar[FailureCategory] = FailureCategory.FAILURE
    description: ClassVar[str] = "The robot stops before the task is complete."

    frac_low: float = 0.25
    frac_high: float = 0.6

    def on_reset(self, ctx: RolloutContext) -> None:
        self._frac = float(self.rng.uniform(self.frac_low, self.frac_high))
        self._stop: int | None = None

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._stop is None and (
            ctx.progress >= self._frac or ctx.step >= (0.3 + self._frac) * ctx.task.expert_steps
        ):
            self._stop = ctx.step
            hold_still(ctx)
            ctx.end_in(_TAIL + 8)
            w = min(1.0, ctx.step / ctx.task.expert_steps)
            sev = 1.0 - 0.5 * (ctx.progress + w)
            self.drawn.update(severity=sev, onset=ctx.step)
            self.mark(ctx.step, ctx.step + _TAIL + 8, sev, "the robot stops and does nothing more")
        if self._stop is not None:
            out = action.copy()
            out[:3] = 0.0
            return out
        return action

    def confirm(self, trace: Trace) -> bool:
        still = float(trace.hand_speed[-16:].max(initial=0.0)) < 0.05  # at rest by the end
        return bool(self.spans) and still and not bool(trace.sim_success.any())


@register_injector
@dataclass
class Timeout(FailureInjector):
    """The robot works so slowly that the task's fixed horizon cuts it off on its way.

    The expert works at full speed until an onset drawn in
    ``[onset_low, onset_high] * expert_steps``, then slows down. The tag spans the onset to the
    cut. Severity: ``1 - (p + w) / 2`` at the cut, ``p`` the task progress and ``w`` the share
    of the expert's work done (``(onset + (horizon - onset) * factor) / expert_steps``, capped
    at 1): how much was left undone.

    Attributes:
        frac_low, frac_high: from the onset, xyz actions are scaled by
            ``f * expert_steps / horizon``, ``f`` drawn here: at that pace the expert would
            need about ``1 / f`` times the horizon, so it is still working when the episode
            ends.
        onset_low, onset_high: range of the onset, as fractions of the expert's duration.
    """

    name: ClassVar[str] = "timeout"
    category: ClassVar[FailureCategory] = FailureCategory.FAILURE
    description: ClassVar[str] = "The episode ends before the task is complete."
    end_on_success: ClassVar[bool] = False  # never ends early: the horizon cuts it

    frac_low: float = 0.3
    frac_high: float = 0.6
    onset_low: float = 0.05
    onset_high: float = 0.6

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        # slowed this much, the hammer expert creeps (< 2 cm/s) at the horizon: not "cut off
        # while still moving"
        return task.distance != "nail"

    def on_reset(self, ctx: RolloutContext) -> None:
        frac = float(self.rng.uniform(self.frac_low, self.frac_high))
        e = ctx.task.expert_steps
        self._start = self.draw_onset(self.onset_low * e, self.onset_high * e)
        self._factor = frac * (1.0 - self._start / e) * e / ctx.horizon
        self.drawn["factor"] = self._factor
        what = "the robot slows down and time runs out while it is still working"
        self.mark(self._start, ctx.horizon, 0.5, what)

    def after_step(self, ctx: RolloutContext) -> None:
        if ctx.step >= ctx.horizon and self.spans:
            e, h = ctx.task.expert_steps, ctx.horizon
            w = min(1.0, (self._start + (h - self._start) * self._factor) / e)
            self.spans[0].severity = float(np.clip(1.0 - 0.5 * (ctx.progress + w), 0.0, 1.0))
            self.drawn["severity"] = self.spans[0].severity

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if ctx.step < self._start:
            return action
        action = action.copy()
        action[:3] = np.clip(action[:3], -1.0, 1.0) * self._factor
        return action

    def confirm(self, trace: Trace) -> bool:
        moving = float(trace.hand_speed[-16:].max(initial=0.0)) > 0.02
        cut = trace.end_step == trace.n_steps  # no natural end: the horizon cut it
        return cut and moving and not bool(trace.sim_success.any())
