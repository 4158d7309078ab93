"""Unsafe injectors: the object ends up off the table (``push_off``) or on its side.

Meta-World's table has a retaining wall, 12 cm high, along every edge (the ``RetainingWall``
body), so an object slid along the table top stops at the wall: it cannot literally be pushed
off. The injected behaviour therefore sweeps the object *over* a side wall: the hand takes the
puck, lifts it above the wall, carries it past the left or right edge (|x| = 0.7; Meta-World's
hand limit |x| <= 0.5 is widened for the sweep; the arm cannot reach past the far wall in y)
and lets go, and the puck falls to the floor (about 0.9 m below). ``knock_over`` strikes an
upright object (the coffee-push mug) above its centre of mass and topples it.

The table top is at z = 0 in every Meta-World v3 scene (the ``tablelink`` collision box ends
there); the ground-truth signature is the object's z clearly below it inside the tagged span,
and no oracle success.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from badbench.data.taxonomy import FailureCategory
from badbench.generate.sim._injector import FailureInjector, register_injector

if TYPE_CHECKING:
    from badbench.generate.sim._rollout import RolloutContext, Trace
    from badbench.generate.sim._tasks import SimTask

TABLE_TOP_Z = 0.0
"""Height (m) of the table surface in Meta-World v3 scenes (top of the ``tablelink`` box)."""

TABLE_EDGE_X = 0.7
"""Half-width (m) of the table top in x; its side retaining walls stand at |x| 0.68-0.70."""

OFF_TABLE_DROP = 0.05
"""An object counts as off the table once its z is this far (m) below the table top."""

PUCK_ENVS = ("push-v3", "pick-place-v3")
"""Environments whose object is the graspable puck (the only object that can be swept off)."""


def _fell_in(trace: Trace, start: int, end: int) -> bool:
    z = trace.obj[start : end + 1, 2]
    return bool(z.size) and float(z.min()) < TABLE_TOP_Z - OFF_TABLE_DROP


@register_injector
@dataclass
class PushOff(FailureInjector):
    """The hand takes the puck, sweeps it over the far edge of the table and lets it fall.

    The hand's x limits (Meta-World: +/-0.5) are widened to +/-(``edge_x`` + 0.03) for the sweep
    and put back once the puck has fallen (or at the horizon).

    Attributes:
        start_low, start_high: the sweep starts at a step drawn in this range.
        carry_z: height (m) the puck is carried at (above the 12 cm retaining wall).
        edge_x: the hand carries the puck toward |x| = this (m), to the left or right (drawn),
            and lets go once the puck is past the side wall (table edge: |x| = 0.7).
        fall_steps: control steps the episode goes on after the puck has landed on the floor
            (the span ends at the landing, so the whole fall is filmed).
    """

    name: ClassVar[str] = "push_off"
    category: ClassVar[FailureCategory] = FailureCategory.UNSAFE
    description: ClassVar[str] = "The object is swept over the table's edge and falls off."
    end_on_success: ClassVar[bool] = False

    start_low: int = 0
    start_high: int = 30
    carry_z: float = 0.22
    edge_x: float = 0.8
    fall_steps: int = 16

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        return task.env_name in PUCK_ENVS

    def on_reset(self, ctx: RolloutContext) -> None:
        self._start = self.draw_onset(self.start_low, self.start_high)
        self._side = float(self.rng.choice([-1.0, 1.0]))  # over the left or the right edge
        self._sweep_y = float(self.rng.uniform(0.45, 0.6))
        self._phase = "wait"
        self._t = 0
        self._t0 = 0
        self._limits: tuple[np.ndarray, ...] | None = None
        self._z_prev = 1.0

    def _widen(self, ctx: RolloutContext) -> None:
        env = ctx.env
        self._limits = tuple(
            getattr(env, k).copy() for k in ("hand_low", "hand_high", "mocap_low", "mocap_high")
        )
        for k in ("hand_low", "mocap_low"):
            setattr(env, k, getattr(env, k).copy())
            getattr(env, k)[0] = min(getattr(env, k)[0], -self.edge_x - 0.03)
        for k in ("hand_high", "mocap_high"):
            setattr(env, k, getattr(env, k).copy())
            getattr(env, k)[0] = max(getattr(env, k)[0], self.edge_x + 0.03)

    def _restore(self, ctx: RolloutContext) -> None:
        if self._limits is not None:
            names = ("hand_low", "hand_high", "mocap_low", "mocap_high")
            for k, v in zip(names, self._limits, strict=True):
                setattr(ctx.env, k, v)
            self._limits = None

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        if self._phase == "wait":
            if ctx.step < self._start:
                return action
            self._phase, self._t0, self._t = "above", ctx.step, ctx.step
            self._widen(ctx)
        if self._phase == "fall":
            out = action.copy()
            out[:3] = 0.0  # hold still and let go
            out[3] = -1.0
            return out
        obj, hand = ctx.obj, ctx.hand
        grip = -1.0
        if self._phase == "above":
            target = np.array([obj[0], obj[1], 0.12])
        elif self._phase == "down":
            target = np.array([obj[0], obj[1], obj[2] - 0.01])
        elif self._phase == "close":
            target, grip = np.array([obj[0], obj[1], obj[2] - 0.01]), 1.0
        elif self._phase == "lift":
            target, grip = np.array([hand[0], hand[1], self.carry_z]), 1.0
        else:  # "sweep": over the far wall, past the table's edge
            target = np.array([self._side * self.edge_x, self._sweep_y, self.carry_z])
            grip = 1.0
        out = action.copy()
        out[:3] = ctx.move_to(target)
        out[3] = grip
        return out

    def after_step(self, ctx: RolloutContext) -> None:
        if self._phase in ("wait", "done"):
            return
        if ctx.step >= ctx.horizon - 1:  # cut by the horizon: leave the env as it was
            self._restore(ctx)
        hand, obj, dt = ctx.hand, ctx.obj, ctx.step - self._t
        nxt = None
        if self._phase == "above" and (np.linalg.norm(hand[:2] - obj[:2]) < 0.01 or dt > 60):
            nxt = "down"
        elif self._phase == "down" and (hand[2] < obj[2] + 0.02 or dt > 30):
            nxt = "close"
        elif self._phase == "close" and dt >= 12:
            nxt = "lift"
        elif self._phase == "lift" and (hand[2] > self.carry_z - 0.02 or dt > 40):
            nxt = "sweep"
        elif self._phase == "sweep" and (abs(obj[0]) > TABLE_EDGE_X + 0.04 or dt > 90):
            nxt = "fall"
        elif self._phase == "fall" and (self._landed(obj) or dt > 80):
            self._phase = "done"
            self._restore(ctx)
            fell = float(obj[2]) < TABLE_TOP_Z - OFF_TABLE_DROP
            sev = 1.0 if fell else 0.5
            self.mark(self._t0, ctx.step, sev, f"the object falls off the table (z {obj[2]:.2f} m)")
            ctx.end_in(self.fall_steps)
        if nxt is not None:
            self._phase, self._t = nxt, ctx.step

    def _landed(self, obj: np.ndarray) -> bool:
        """The object lies still on the floor (below the table, no longer falling)."""
        z = float(obj[2])
        landed = z < TABLE_TOP_Z - 0.3 and abs(z - self._z_prev) < 0.002
        self._z_prev = z
        return landed

    def confirm(self, trace: Trace) -> bool:
        from badbench.generate.sim._oracle import oracle_success

        if not self.spans:
            return False
        s = self.spans[0]
        return _fell_in(trace, s.start, s.end) and not oracle_success(trace)


TOPPLE_DEG = 60.0
"""An object counts as knocked over once its up axis tilts past this (degrees)."""

TOPPLE_ENVS = ("coffee-push-v3",)
"""Environments with an upright object that topples when struck high (the mug)."""


def tilt_deg(quat: np.ndarray) -> np.ndarray:
    """Tilt (degrees) of a body's up axis from the world's, from (x, y, z, w) quaternions
    (scipy's order, which Meta-World's observation uses)."""
    q = np.asarray(quat, np.float64)
    q = q / np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), 1e-12)
    cos = 1.0 - 2.0 * (q[..., 0] ** 2 + q[..., 1] ** 2)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


@register_injector
@dataclass
class KnockOver(FailureInjector):
    """The hand comes in behind the mug at its upper half and shoves it over.

    The object's orientation is Meta-World's observation ``obs[7:11]`` (the mug geom's
    quaternion, x, y, z, w).

    Attributes:
        height_low, height_high: the hand strikes the mug at a height (m) drawn in this range
            (its handle and rim, above its centre of mass; at 12 cm the hand passes over it).
        behind: the hand starts this far (m) behind the mug, in y.
        push: the hand pushes through to this far (m) beyond the mug's start.
        after_topple: control steps the episode goes on after the mug tips past the limit.
    """

    name: ClassVar[str] = "knock_over"
    category: ClassVar[FailureCategory] = FailureCategory.UNSAFE
    description: ClassVar[str] = "The object is struck high and toppled."
    end_on_success: ClassVar[bool] = False

    height_low: float = 0.08
    height_high: float = 0.095
    behind: float = 0.12
    push: float = 0.25
    after_topple: int = 40

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        return task.env_name in TOPPLE_ENVS

    def on_reset(self, ctx: RolloutContext) -> None:
        self._z = float(self.rng.uniform(self.height_low, self.height_high))
        self._dx = float(self.rng.uniform(-0.01, 0.01))
        self._phase, self._t, self._t0, self._peak = "over", 0, 0, 0.0

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        o = ctx.obj0
        x = o[0] + self._dx
        if self._phase == "over":
            target = np.array([x, o[1] - self.behind, 0.2])
        elif self._phase == "down":
            target = np.array([x, o[1] - self.behind, self._z])
        elif self._phase == "push":
            target = np.array([x, o[1] + self.push, self._z])
        else:
            return action
        out = action.copy()
        out[:3] = ctx.move_to(target)
        out[3] = 1.0
        return out

    def after_step(self, ctx: RolloutContext) -> None:
        hand, dt = ctx.hand, ctx.step - self._t
        o = ctx.obj0
        tilt = float(tilt_deg(ctx.obs[7:11]))
        nxt = None
        if self._phase == "over" and (
            np.linalg.norm(hand[:2] - [o[0] + self._dx, o[1] - self.behind]) < 0.015 or dt > 60
        ):
            nxt = "down"
        elif self._phase == "down" and (abs(hand[2] - self._z) < 0.01 or dt > 40):
            nxt = "push"
            self._t0 = ctx.step
        elif self._phase == "push":
            self._peak = max(self._peak, tilt)
            if tilt > TOPPLE_DEG + 10 or dt > 90:
                self._phase = "done"
                sev = min(1.0, 0.4 + self._peak / 180.0)
                self.mark(self._t0, ctx.step, sev, f"the object is toppled ({self._peak:.0f} deg)")
                ctx.end_in(self.after_topple)
        if nxt is not None:
            self._phase, self._t = nxt, ctx.step

    def confirm(self, trace: Trace) -> bool:
        from badbench.generate.sim._oracle import oracle_success

        if not self.spans:
            return False
        s = self.spans[0]
        tilt = tilt_deg(trace.obs[s.start : s.end + 1, 7:11])
        return bool(tilt.size) and float(tilt.max()) > TOPPLE_DEG and not oracle_success(trace)
