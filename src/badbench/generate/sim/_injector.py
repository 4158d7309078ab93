"""The failure-injector protocol: a small class hooked into the rollout, plus its registry.

An injector sees the rollout through a :class:`RolloutContext` and may change it at three points:

* :meth:`FailureInjector.on_reset` - after the environment reset (change limits, horizon, ...);
* :meth:`FailureInjector.before_action` - replace or perturb the scripted expert's action;
* :meth:`FailureInjector.after_step` - watch the new state (start or end a failure span).

It reports what it did as :class:`Span` records (control-step indices) and confirms afterwards,
from the recorded trace, that the failure really happened (:meth:`FailureInjector.confirm`); the
engine retries with a new injector seed when it did not, and never writes an unconfirmed tag.
Injectors are registered by name with :func:`register_injector` on :data:`INJECTORS` (a
:class:`badbench.registry.Registry`; third-party packages add modes through the
``badbench.injectors`` entry-point group) and built with :func:`make_injector`; each remembers
its parameters so a dataset can say what produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from badbench.data.taxonomy import FailureCategory, failure_mode
from badbench.errors import RegistryError
from badbench.registry import ENTRY_POINT_GROUPS, Registry

if TYPE_CHECKING:
    from badbench.generate.sim._rollout import RolloutContext, Trace
    from badbench.generate.sim._tasks import SimTask

GOOD = "good"
"""The mode name of clean episodes (the scripted expert, lightly perturbed)."""


def lerp(low: float, high: float, u: float) -> float:
    """``low + (high - low) * u``: the parameter a severity ``u`` in [0, 1] sets."""
    return float(low + (high - low) * u)


def hold_still(ctx: RolloutContext) -> None:
    """Bring the mocap target back to the hand, so that a zero action really holds still."""
    ctx.env.data.mocap_pos[:] = ctx.env.data.body("hand").xpos


@dataclass
class Span:
    """One injected failure over control steps ``[start, end]`` (inclusive, 80 Hz)."""

    mode: str
    start: int
    end: int
    severity: float = 1.0
    description: str = ""


@dataclass
class FailureInjector:
    """Base class: a seeded, configurable perturbation of the scripted expert.

    Subclasses set the class attributes, override the hooks they need, and implement
    :meth:`confirm`. Instance fields are the injector's parameters (recorded in the dataset).

    Attributes:
        seed: seeds :attr:`rng`, the injector's own random stream.
    """

    name: ClassVar[str] = ""
    category: ClassVar[FailureCategory | None] = None
    description: ClassVar[str] = ""
    end_on_success: ClassVar[bool] = True
    """End the episode shortly after Meta-World's success flag turns on (else the injector
    ends it itself with :meth:`RolloutContext.end_in`, or the horizon does)."""

    seed: int = 0
    rng: np.random.Generator = field(init=False, repr=False)
    spans: list[Span] = field(init=False, repr=False)
    drawn: dict[str, float] = field(init=False, repr=False)
    """What this episode drew (``severity`` in [0, 1], ``onset`` step, the parameter the
    severity sets): recorded with the parameters."""

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.spans = []
        self.drawn = {}

    def draw_severity(self) -> float:
        """Draw this episode's severity ``u`` in [0, 1] (uniform) and record it."""
        u = float(self.rng.uniform())
        self.drawn["severity"] = u
        return u

    def draw_onset(self, low: float, high: float) -> int:
        """Draw the onset step uniformly in ``[low, high]`` (control steps) and record it."""
        onset = int(self.rng.integers(int(low), max(int(low), int(high)) + 1))
        self.drawn["onset"] = onset
        return onset

    @classmethod
    def applies(cls, task: SimTask) -> bool:
        """Whether this mode is physically meaningful on ``task`` (default: every task)."""
        return True

    def params(self) -> dict[str, Any]:
        """The injector's parameters, JSON-ready (recorded in ``EpisodeMeta.generator``)."""
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if k in ("rng", "spans", "registry_name", "registry_options") or k.startswith("_"):
                continue
            if k == "drawn" and not v:  # nothing drawn (``good``): nothing to record
                continue
            out[k] = v.tolist() if isinstance(v, np.ndarray) else v
        return out

    def on_reset(self, ctx: RolloutContext) -> None:
        """Called once after the environment reset, before the first action."""

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        """Return the action to execute; ``action`` is the scripted expert's."""
        return action

    def after_step(self, ctx: RolloutContext) -> None:
        """Called after each control step, with ``ctx`` updated to the new state."""

    def mark(self, start: int, end: int, severity: float = 1.0, description: str = "") -> None:
        """Record a failure span (control steps, inclusive)."""
        sev = float(np.clip(severity, 0.0, 1.0))
        self.spans.append(Span(self.name, int(start), int(max(start, end)), sev, description))

    def confirm(self, trace: Trace) -> bool:
        """Whether the failure really happened in ``trace`` (its ground-truth signature)."""
        raise NotImplementedError


INJECTORS: Registry[FailureInjector] = Registry(
    "sim mode",
    group=ENTRY_POINT_GROUPS["sim mode"],
    modules=tuple(
        f"badbench.generate.sim.{m}"
        for m in ("_failure", "_offtable", "_poor", "_shortcut", "_unsafe")
    ),
)
"""Failure injectors by mode name; the built-in modules register on the first lookup."""


def register_injector(cls: type[FailureInjector]) -> type[FailureInjector]:
    """Class decorator: register an injector under its ``name`` (its mode must be known).

    Raises:
        ValidationError: the name is not a failure mode of the taxonomy.
        RegistryError: the declared category disagrees with the taxonomy, or another class
            already has that name.
    """
    if cls.name != GOOD:
        mode = failure_mode(cls.name)  # raises for a mode outside the taxonomy
        if mode.category != cls.category:
            raise RegistryError(
                f"injector '{cls.name}' declares {cls.category}, taxonomy says {mode.category}"
            )
    INJECTORS.register(cls.name, description=cls.description)(cls)
    return cls


def injector_names() -> list[str]:
    """All registered modes, ``good`` first, then by category (worst first) and name."""
    order = {c: i for i, c in enumerate(FailureCategory)}
    rest = sorted(
        (n for n in INJECTORS.names() if n != GOOD),
        key=lambda n: (order[injector_class(n).category], n),
    )
    return [GOOD, *rest]


def injector_class(name: str) -> type[FailureInjector]:
    """Look an injector class up by mode name.

    Raises:
        RegistryError: no injector of that name (the message suggests close names and lists
            the known ones).
    """
    return INJECTORS.entry(name).load()  # type: ignore[return-value]


def make_injector(name: str, seed: int = 0, **params: Any) -> FailureInjector:
    """Build a registered injector with its seed and parameters (checked against its fields).

    Raises:
        RegistryError: unknown mode.
        ValidationError: a parameter the injector does not have.
    """
    return INJECTORS.create(name, seed=seed, **params)


def modes_for(task: SimTask) -> list[str]:
    """The modes that apply to ``task`` (less its ``skip_modes``), in :func:`injector_names`
    order."""
    return [
        n
        for n in injector_names()
        if injector_class(n).applies(task) and n not in task.skip_modes
    ]


@register_injector
@dataclass
class GoodInjector(FailureInjector):
    """The scripted expert, lightly perturbed so that good episodes differ.

    Attributes:
        noise: std of Gaussian noise added to the xyz action.
        gain_low: the xyz action is scaled by a factor drawn in ``[gain_low, 1]``.
    """

    name: ClassVar[str] = GOOD
    category: ClassVar[FailureCategory | None] = None
    description: ClassVar[str] = "The scripted expert with light action noise."

    noise: float = 0.03
    gain_low: float = 0.85

    def on_reset(self, ctx: RolloutContext) -> None:
        self._gain = float(self.rng.uniform(self.gain_low, 1.0))

    def before_action(self, ctx: RolloutContext, action: np.ndarray) -> np.ndarray:
        action = action.copy()
        xyz = np.clip(action[:3], -1.0, 1.0)
        action[:3] = xyz * self._gain + self.rng.normal(0.0, self.noise, 3)
        return action

    def confirm(self, trace: Trace) -> bool:
        from badbench.generate.sim._oracle import oracle_success

        return oracle_success(trace) and float(trace.contact_force.max()) < COLLISION_FORCE_N


COLLISION_FORCE_N = 50.0
"""Contact force (N) above which a contact counts as a strike (collision / excessive force)."""

IMPACT_FORCE_N = 200.0
"""Object-scene contact force (N) above which an object counts as slammed (the expert's own
placing presses objects on the table with up to ~110 N)."""

SPEED_LIMIT = 1.5
"""End-effector speed (m/s) above which motion near an object is unsafe (the expert's mocap
target moves at most 0.8 m/s, one centimetre per 80 Hz step; the hand overshoots to ~1.1 m/s)."""

NEAR_OBJECT = 0.2
"""Distance (m) from the main object within which ``fast_motion`` counts."""
