"""The Meta-World tasks the engine knows, with what the oracle needs to judge them.

Each :class:`SimTask` names a Meta-World v3 environment, its task category in the paper's
taxonomy, an instruction, a horizon, and how to measure progress: a *goal distance* ``d`` (metres,
or a nail depth for ``hammer``) with Meta-World's own success radius ``R`` (the simulator calls an
episode a success when ``d <= R``) and a stricter *oracle radius* (the oracle needs ``d`` at or
under it at the end). The gap between the two is where the ``partial_completion`` shortcut lives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from badbench.data.taxonomy import TaskCategory
from badbench.errors import RegistryError


@dataclass(frozen=True)
class SimTask:
    """One Meta-World task as the engine uses it.

    Attributes:
        name: the Meta-World v3 environment name, e.g. ``"pick-place-v3"``.
        category: the paper's task category.
        instruction: the language instruction stored with every episode.
        horizon: the length of every episode of the task, in control steps (80 Hz), as
            Meta-World's fixed ``max_path_length``: long enough for the slowest mode that
            finishes (``slow``, the table drag of ``push_instead_of_pick``).
        radius: Meta-World's success radius on the goal distance.
        oracle_radius: the oracle's stricter radius for a real success.
        distance: how the goal distance is read: ``"info"`` (Meta-World's ``obj_to_target``),
            ``"door_x"`` (handle x offset), ``"nail"`` (0.09 minus nail depth), ``"container"``
            (stick-push container to goal), ``"objects"`` (the first object position to the
            target, for tasks whose ``obj_to_target`` Meta-World leaves at 0, e.g. assembly).
        grasp: the expert grasps and carries an object (grasp modes apply).
        goal_in_obs: the expert steers by the goal in the observation (``wrong_goal`` applies).
        carry_height: for pick tasks, how high (m) above its start the object must be lifted
            for the oracle to count it as carried; 0 disables the check.
        goal_z: if set, pick-place goal heights are redrawn in this range (m) per seed family.
        reset_low, reset_high: if set, the box Meta-World draws the object and goal start from
            (its ``_random_reset_space``, same layout), widened where Meta-World's own is tiny
            and the expert still solves the task over the whole box; empty keeps Meta-World's.
        hand_spread: the hand starts at Meta-World's ``hand_init_pos`` plus an offset drawn per
            seed family in ``+/- hand_spread`` (m, x y z).
        shortcut: which shortcut mode the task supports.
        expert_steps: the scripted expert's usual steps to success (paces early stop/timeout).
        coast: how far (m) the object keeps going once the expert stops pushing it; the
            ``partial_completion`` shortcut stops that much before Meta-World's radius.
        mode_params: injector parameters tuned for this task, by mode name.
        skip_modes: modes left out of ``--modes all`` for this task although they apply,
            because calibration found them unconfirmable here (e.g. ``jitter`` where the
            expert's own path already turns sharply at every frame).
        env: the Meta-World environment, when the task is a badbench variant of one (e.g.
            ``pick-place-low-v3``: pick-place with goals 6-8 cm above the table, where a drag
            along the table fools Meta-World's success test); empty means ``name``.
    """

    name: str
    category: TaskCategory
    instruction: str
    horizon: int
    radius: float
    oracle_radius: float
    distance: str = "info"
    grasp: bool = False
    goal_in_obs: bool = False
    carry_height: float = 0.0
    goal_z: tuple[float, float] | None = None
    reset_low: tuple[float, ...] = ()
    reset_high: tuple[float, ...] = ()
    hand_spread: tuple[float, float, float] = (0.1, 0.05, 0.05)
    shortcut: str = "partial_completion"
    expert_steps: int = 80
    coast: float = 0.0
    env: str = ""
    skip_modes: tuple[str, ...] = ()
    mode_params: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False)

    @property
    def env_name(self) -> str:
        """The Meta-World environment that runs this task (``name`` unless a variant)."""
        return self.env or self.name


_PP, _PU, _OC, _TU = (
    TaskCategory.PICK_PLACE,
    TaskCategory.PUSH_PULL,
    TaskCategory.OPEN_CLOSE,
    TaskCategory.TOOL_USE,
)

SIM_TASKS: dict[str, SimTask] = {
    t.name: t
    for t in [
        SimTask(
            "pick-place-v3",
            _PP,
            "Pick up the puck and place it at the goal.",
            horizon=256,
            radius=0.07,
            oracle_radius=0.06,
            grasp=True,
            goal_in_obs=True,
            carry_height=0.04,
            goal_z=(0.12, 0.25),
            shortcut="push_instead_of_pick",
            expert_steps=56,
            mode_params={"slow": {"low": 0.55}},  # the slowed expert fits the horizon
        ),
        SimTask(
            "pick-place-low-v3",
            _PP,
            "Pick up the puck and place it at the goal just above the table.",
            horizon=256,
            radius=0.07,
            oracle_radius=0.05,
            grasp=True,
            goal_in_obs=True,
            carry_height=0.012,
            goal_z=(0.06, 0.08),
            shortcut="push_instead_of_pick",
            expert_steps=55,
            env="pick-place-v3",
        ),
        SimTask(
            "bin-picking-v3",
            _PP,
            "Pick up the cube and put it into the other bin.",
            horizon=256,
            radius=0.05,
            oracle_radius=0.04,
            grasp=True,
            carry_height=0.04,
            shortcut="none",
            expert_steps=110,
        ),
        SimTask(
            "push-v3",
            _PU,
            "Push the puck to the goal.",
            horizon=240,
            radius=0.05,
            oracle_radius=0.035,
            goal_in_obs=True,
            expert_steps=65,
            coast=0.03,
            mode_params={"partial_completion": {"high": 1.6}},  # the puck slides far
        ),
        SimTask(
            "coffee-push-v3",
            _PU,
            "Push the mug under the coffee machine.",
            horizon=200,
            radius=0.07,
            oracle_radius=0.05,
            goal_in_obs=True,
            expert_steps=54,
            coast=0.02,
        ),
        SimTask(
            "drawer-open-v3",
            _OC,
            "Open the drawer.",
            horizon=240,
            radius=0.03,
            oracle_radius=0.015,
            expert_steps=90,
            coast=0.01,
        ),
        SimTask(
            "window-open-v3",
            _OC,
            "Slide the window open.",
            horizon=240,
            radius=0.05,
            oracle_radius=0.045,
            expert_steps=85,
            shortcut="none",  # the window/drawer slides on past any stop
            coast=0.05,
        ),
        SimTask(
            "door-open-v3",
            _OC,
            "Open the door.",
            horizon=240,
            radius=0.08,
            oracle_radius=0.072,
            distance="door_x",
            expert_steps=80,
            coast=0.03,
            skip_modes=("jitter",),
        ),
        SimTask(
            "faucet-open-v3",
            _OC,
            "Turn the faucet on.",
            horizon=160,
            radius=0.07,
            oracle_radius=0.05,
            expert_steps=60,
            coast=0.06,
            skip_modes=("jitter",),
        ),
        SimTask(
            "hammer-v3",
            _TU,
            "Hammer the nail into the wall.",
            horizon=200,
            radius=0.0,
            oracle_radius=0.0,
            distance="nail",
            grasp=True,
            carry_height=0.02,
            shortcut="wrong_strategy",
            expert_steps=70,
            skip_modes=("drop",),
        ),
        SimTask(
            "stick-push-v3",
            _TU,
            "Use the stick to push the thermos to the goal.",
            horizon=200,
            radius=0.12,
            oracle_radius=0.06,
            distance="container",
            grasp=True,
            expert_steps=72,
            shortcut="wrong_strategy",
            mode_params={"slow": {"low": 0.66, "high": 0.75}},  # slower, the stick is knocked away
        ),
        SimTask(
            "coffee-pull-v3",
            _PU,
            "Pull the mug out from under the coffee machine.",
            horizon=200,
            radius=0.07,
            oracle_radius=0.04,
            goal_in_obs=True,
            expert_steps=80,
            coast=0.02,
            skip_modes=("fast_motion",),
        ),
        SimTask(
            "handle-pull-v3",
            _PU,
            "Pull the handle up.",
            horizon=240,
            radius=0.04,
            oracle_radius=0.035,
            expert_steps=112,
            coast=0.005,
            skip_modes=("jitter",),
        ),
        SimTask(
            "faucet-close-v3",
            _OC,
            "Turn the faucet off.",
            horizon=160,
            radius=0.07,
            oracle_radius=0.045,
            expert_steps=66,
            coast=0.04,
            skip_modes=("jitter",),
        ),
        SimTask(
            "drawer-close-v3",
            _OC,
            "Close the drawer.",
            horizon=200,
            radius=0.055,
            oracle_radius=0.053,
            expert_steps=80,
            shortcut="none",  # the window/drawer slides on past any stop
            coast=0.01,
        ),
        SimTask(
            "window-close-v3",
            _OC,
            "Slide the window closed.",
            horizon=240,
            radius=0.05,
            oracle_radius=0.03,
            expert_steps=85,
            shortcut="none",  # the window/drawer slides on past any stop
            coast=0.03,
        ),
    ]
}
"""The supported tasks, by Meta-World name (16 tasks, 4 categories)."""

DEFAULT_TASKS: tuple[str, ...] = tuple(SIM_TASKS)


def sim_task(name: str) -> SimTask:
    """Look a task up by Meta-World name.

    Raises:
        RegistryError: unknown task (the message lists the known ones).
    """
    try:
        return SIM_TASKS[name]
    except KeyError:
        known = ", ".join(SIM_TASKS)
        raise RegistryError(f"unknown sim task '{name}'; known tasks: {known}") from None
