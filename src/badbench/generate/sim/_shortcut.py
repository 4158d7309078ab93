"""Shortcut injectors: a success-looking end reached the wrong way.

* ``push_instead_of_pick`` (pick tasks): the puck is dragged along the table to below the goal.
  On ``pick-place-low-v3`` (goals 6-8 cm above the table) the drag ends inside Meta-World's 7 cm
  success sphere: the simulator's own flag says success, the oracle does not (never carried).
  On ``pick-place-v3`` (goals 12-25 cm up) it only looks done from above.
* ``partial_completion`` (drawers, doors, windows, faucets, pushes): the expert stops visibly
  short (task progress 0.4-0.8) and holds still as if done.
* ``wrong_strategy`` (hammer): the nail is driven in by pushing it with the gripper, no hammer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from badbench.data.taxonomy import FailureCategory
from badbench.generate.sim._injector import FailureInjector, hold_still, register_injector
from badbench.generate.sim._oracle import oracle_success, task_progress

if TYPE_CHECKING:
    from badbench.generate.sim._rollout import RolloutContext, Trace
    from badbench.generate.sim._tasks import SimTask


@register_injector
@dataclass
class PushInsteadOfPick(FailureInjector):
    """Drag the object along the table to below the goal instead of picking it up.

    Attributes:
        standoff: the hand approaches this far (m) behind the object, opposite the goal.
        hand_z: hand height while pushing (Meta-World's lowest hand height).
        xy_tol: the drag stops once the object is this close (m, in xy) below the goal.
    """

    name: ClassVar[str] = "push_instead_of_pick"
    category: ClassVar[FailureCategory] = FailureCategory.SHORTCUT
    description: ClassVar[str] = "The puck is dragged along the table instead of being carried."
    end_on_success: ClassVar[bool] = False  # keep dragging until the puck is below the goal

    standoff: float = 0.05
    hand_z: float = 0.05
    xy_tol: float = 0.012

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        return task.shortcut == "push_instead_of_pick"

    def on_reset(self, ctx: RolloutContext) -> None:
        self._phase = "above"
        self._t0: int | None = None

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        goal_xy = ctx.env._target_pos[:2]
        obj_xy = ctx.obj[:2]
        to_goal = goal_xy - obj_xy
        xy_err = float(np.linalg.norm(to_goal))
        u = to_goal / max(xy_err, 1e-6)
        behind = obj_xy - self.standoff * u
        out = np.zeros(4)
        out[3] = 1.0  # closed fingers make a blunt pusher
        if self._phase == "push":
            rel = obj_xy - ctx.hand[:2]
            along, across = float(rel @ u), float(abs(rel[0] * u[1] - rel[1] * u[0]))
            if xy_err < self.xy_tol:
                self._phase = "hold"
                ctx.end_in(24)
            elif along < 0.01 or across > 0.025:  # lost the object: go round and line up again
                self._phase = "above"
            else:
                # drive a point just inside the object toward the goal, slowing near it
                step = min(0.012, 0.4 * xy_err)
                target = obj_xy - (self.standoff - 0.015) * u + step * u
                out[:3] = ctx.move_to(np.array([*target, self.hand_z]), gain=15.0)
                return out
        if self._phase == "above":
            if ctx.hand[2] < 0.1 and float(np.linalg.norm(ctx.hand[:2] - behind)) > 0.01:
                out[:3] = ctx.move_to(np.array([*ctx.hand[:2], 0.13]))  # straight up first
            else:
                out[:3] = ctx.move_to(np.array([*behind, 0.13]))
            if float(np.linalg.norm(ctx.hand[:2] - behind)) < 0.01:
                self._phase = "down"
        elif self._phase == "down":
            out[:3] = ctx.move_to(np.array([*behind, self.hand_z]))
            if ctx.hand[2] < self.hand_z + 0.01:
                self._phase = "push"
                self._t0 = ctx.step if self._t0 is None else self._t0
        else:  # hold
            out[:3] = 0.0
        return out

    def after_step(self, ctx: RolloutContext) -> None:
        if self._t0 is not None and self._phase == "hold" and not self.spans:
            self.mark(self._t0, ctx.step, 0.8, "the puck is dragged along the table to the goal")

    def confirm(self, trace: Trace) -> bool:
        on_table = float(trace.obj[:, 2].max()) < trace.obj[0, 2] + 0.01
        below_goal = float(np.linalg.norm(trace.obj[-1, :2] - trace.goal[-1, :2])) < 0.03
        return bool(self.spans) and on_table and below_goal and not oracle_success(trace)


@register_injector
@dataclass
class PartialCompletion(FailureInjector):
    """The expert stops visibly short of the goal and holds still, as if done.

    It stops once task progress reaches a target ``p`` drawn in ``[low, high]`` (less the
    task's ``coast``, what the object still slides), so the end state is clearly short of the
    goal (a drawer 40-80 % open, an object several centimetres off), and holds still. Severity:
    how far short, ``clip((0.9 - p_end) / 0.5, 0, 1)`` of the final progress ``p_end``.

    Attributes:
        low, high: range of the progress at which the task is left.
    """

    name: ClassVar[str] = "partial_completion"
    category: ClassVar[FailureCategory] = FailureCategory.SHORTCUT
    description: ClassVar[str] = "The task is left visibly short of done."
    end_on_success: ClassVar[bool] = False  # let the object come to rest (it ends itself)

    low: float = 0.4
    high: float = 0.8

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        return task.shortcut == "partial_completion"

    def on_reset(self, ctx: RolloutContext) -> None:
        t = ctx.task
        self._target = float(self.rng.uniform(self.low, self.high))
        slide = t.coast / max(ctx.distance0 - t.oracle_radius, 1e-3)
        self._stop_at = max(0.05, self._target - slide)
        self.drawn["target"] = self._target
        self._stop: int | None = None

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._stop is None and ctx.progress >= self._stop_at:
            self._stop = ctx.step
            hold_still(ctx)
            ctx.end_in(48)
        if self._stop is not None:
            out = action.copy()
            out[:3] = 0.0
            return out
        return action

    def after_step(self, ctx: RolloutContext) -> None:
        if self._stop is not None and not self.spans:
            self.mark(self._stop, ctx.step + 48, 0.5, "the task is left short of done")
        if self.spans and ctx.end_at is not None and ctx.step >= ctx.end_at:
            sev = float(np.clip((0.9 - ctx.progress) / 0.5, 0.0, 1.0))
            self.spans[0].severity = sev
            self.drawn.update(severity=sev, onset=self.spans[0].start)

    def confirm(self, trace: Trace) -> bool:
        if not self.spans:
            return False
        p_end = float(task_progress(trace)[-1])
        still = float(trace.hand_speed[-16:].max(initial=0.0)) < 0.05
        return 0.3 <= p_end <= 0.9 and still and not oracle_success(trace)


@register_injector
@dataclass
class WrongStrategy(FailureInjector):
    """Tool use without the tool: the gripper itself does the tool's job.

    * hammer: the closed fingers push the nail in (Meta-World's own source notes that this
      task's success test "could be hacked easily"); the simulator's flag turns on.
    * stick-push: the hand pushes the thermos to the goal instead of using the stick (the
      simulator's flag stays off, as it also asks for the stick to be held).

    Attributes:
        standoff: start of the push, this far (m) behind the target object.
    """

    name: ClassVar[str] = "wrong_strategy"
    category: ClassVar[FailureCategory] = FailureCategory.SHORTCUT
    description: ClassVar[str] = "The tool's job is done by hand instead of with the tool."

    standoff: float = 0.08

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        return task.shortcut == "wrong_strategy"

    def on_reset(self, ctx: RolloutContext) -> None:
        self._phase = "align"
        self._t0: int | None = None
        self._back: np.ndarray | None = None

    def _line(self, ctx: RolloutContext) -> tuple[np.ndarray, np.ndarray, bool]:
        """Start and end of the push, and whether the push is done."""
        if ctx.task.distance == "nail":
            nail = ctx.env._get_site_pos("nailHead")
            return nail + [0.0, -self.standoff, 0.0], nail + [0.0, 0.1, 0.0], ctx.sim_success
        thermos = ctx.env._get_pos_objects()[3:6]
        goal = ctx.env._target_pos
        u = (goal - thermos)[:2]
        u = np.array([*(u / max(float(np.linalg.norm(u)), 1e-6)), 0.0])
        z = np.array([0.0, 0.0, 0.1 - thermos[2]])
        done = ctx.distance <= 0.5 * ctx.task.radius
        return thermos - 2 * self.standoff * u + z, thermos + 0.03 * u + z, done

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        start, end, done = self._line(ctx)
        out = np.zeros(4)
        out[3] = 1.0
        if self._phase == "align":
            above = np.array([start[0], start[1], max(start[2] + 0.08, 0.2)])
            if float(np.linalg.norm(ctx.hand[:2] - start[:2])) > 0.015:
                # rise first, then travel above the start, then come down onto it
                out[:3] = ctx.move_to(
                    above if ctx.hand[2] > above[2] - 0.03 else np.array([*ctx.hand[:2], above[2]])
                )
            else:
                out[:3] = ctx.move_to(start)
            if float(np.linalg.norm(ctx.hand - start)) < 0.015:
                self._phase, self._t0 = "push", ctx.step
        elif self._phase == "push":
            out[:3] = 0.5 * ctx.move_to(end)
            if done:
                self._phase = "hold"
                self._back = ctx.hand - 0.03 * (end - start) / np.linalg.norm(end - start)
                ctx.end_in(24)
        elif self._phase == "hold":
            out[:3] = ctx.move_to(self._back)  # ease off so the hand does not keep pressing
        return out

    def after_step(self, ctx: RolloutContext) -> None:
        if self._phase == "hold" and not self.spans and self._t0 is not None:
            self.mark(self._t0, ctx.step, 0.8, "the job is done by hand, not with the tool")

    def confirm(self, trace: Trace) -> bool:
        tool_lifted = float(trace.obs[:, 6].max()) > float(trace.obs[0, 6]) + 0.01
        near = float(trace.distance[-1]) <= max(trace.task.radius, 0.0)
        return bool(self.spans) and near and not tool_lifted and not oracle_success(trace)
