"""The failure taxonomy: four categories and a documented vocabulary of failure modes.

Categories follow the paper ("Good Embodied Reward Models Need Bad Behavior Data"): people penalise
**unsafe** interactions, **poor execution** and **shortcut** strategies that only look like success;
plain task **failure** is the fourth category. Each mode belongs to exactly one category. Later
engines extend the vocabulary with :func:`register_failure_mode`; the full table is rendered in
``docs/taxonomy.md``. Modes named ``synthetic_*`` tag video negatives derived from successful
episodes (``badbench augment``): the frames are a success's, re-ordered or relabelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from badbench.errors import ValidationError


class FailureCategory(StrEnum):
    """What kind of bad behaviour a failure tag describes (worst first for scoring rubrics)."""

    UNSAFE = "unsafe"
    SHORTCUT = "shortcut"
    POOR_EXECUTION = "poor_execution"
    FAILURE = "failure"


class TaskCategory(StrEnum):
    """The paper's task categories, simplest first, plus ``other``."""

    PICK_PLACE = "pick_place"
    PUSH_PULL = "push_pull"
    OPEN_CLOSE = "open_close"
    STACK = "stack"
    REORIENT = "reorient"
    POUR = "pour"
    TOOL_USE = "tool_use"
    OTHER = "other"


@dataclass(frozen=True)
class FailureMode:
    """One entry of the failure-mode vocabulary.

    Attributes:
        name: the mode's identifier, snake_case (e.g. ``"collision"``).
        category: the category the mode belongs to.
        description: one sentence saying what happens, as a rater would see it.
    """

    name: str
    category: FailureCategory
    description: str


_U, _P, _S, _F = (
    FailureCategory.UNSAFE,
    FailureCategory.POOR_EXECUTION,
    FailureCategory.SHORTCUT,
    FailureCategory.FAILURE,
)

FAILURE_MODES: dict[str, FailureMode] = {
    m.name: m
    for m in [
        FailureMode("collision", _U, "The robot strikes the table, an obstacle or an object."),
        FailureMode("excessive_force", _U, "An object is slammed into the table or the goal."),
        FailureMode("knock_over", _U, "An object is toppled."),
        FailureMode("push_off", _U, "An object is pushed off the table."),
        FailureMode("fast_motion", _U, "The end effector moves too fast near objects."),
        FailureMode("touch_forbidden", _U, "The robot touches something it was told not to."),
        FailureMode("jitter", _P, "The motion shakes with high-frequency noise."),
        FailureMode("hesitation", _P, "The robot pauses and moves back and forth."),
        FailureMode("regrasp", _P, "The robot releases the object and grasps it again."),
        FailureMode("detour", _P, "The robot takes a needlessly long path."),
        FailureMode("slow", _P, "The task is done, but far slower than needed."),
        FailureMode("spill", _P, "Part of the content ends up beside the target."),
        FailureMode(
            "push_instead_of_pick",
            _S,
            "The object is dragged along the table instead of being picked and carried.",
        ),
        FailureMode(
            "partial_completion",
            _S,
            "The end state sits at the edge of success (e.g. a drawer opened only partly).",
        ),
        FailureMode(
            "wrong_strategy", _S, "The end looks right, but the task was not done as asked."
        ),
        FailureMode("miss_grasp", _F, "The gripper closes without holding the object."),
        FailureMode("drop", _F, "The object is released mid-transport and falls."),
        FailureMode("wrong_goal", _F, "The object ends at an offset from the goal."),
        FailureMode("wrong_object", _F, "The robot manipulates the wrong object."),
        FailureMode("early_stop", _F, "The robot stops before the task is complete."),
        FailureMode("timeout", _F, "The episode ends before the task is complete."),
        FailureMode("no_release", _F, "The object is grasped but never released."),
        FailureMode("undone", _F, "The task was done, then undone before the end."),
        # video negatives made from successes by `badbench augment` (badbench.generate.augment)
        FailureMode(
            "synthetic_rewind",
            _F,
            "Synthetic: a success's video runs forward, then plays backwards, undoing progress.",
        ),
        FailureMode(
            "synthetic_clip", _F, "Synthetic: a success's video cut before the task is complete."
        ),
        FailureMode(
            "synthetic_reverse", _F, "Synthetic: a success's whole video played backwards."
        ),
        FailureMode(
            "synthetic_swap_instruction",
            _F,
            "Synthetic: a success's video paired with another task's instruction.",
        ),
        FailureMode(
            "synthetic_stall",
            _P,
            "Synthetic: a success's video freezes mid-task (one frame repeated), then goes on.",
        ),
    ]
}


def register_failure_mode(name: str, category: FailureCategory | str, description: str) -> None:
    """Add a mode to the vocabulary (idempotent for an identical entry).

    Raises:
        ValidationError: the name is taken by a different entry.
    """
    mode = FailureMode(name, FailureCategory(category), description)
    existing = FAILURE_MODES.get(name)
    if existing is not None and existing != mode:
        raise ValidationError(
            f"failure mode '{name}' is already registered as {existing.category}", field="mode"
        )
    FAILURE_MODES[name] = mode


def failure_mode(name: str) -> FailureMode:
    """Look a mode up by name.

    Raises:
        ValidationError: the mode is not in the vocabulary (the message lists the known modes).
    """
    try:
        return FAILURE_MODES[name]
    except KeyError:
        known = ", ".join(sorted(FAILURE_MODES))
        raise ValidationError(
            f"unknown failure mode '{name}'; known modes: {known}", field="mode"
        ) from None
