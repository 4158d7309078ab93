"""The typed records of a badbench dataset: episodes, outcomes, failure tags, preferences.

Metadata records are pydantic models (validated on construction); :class:`Episode` is a plain
dataclass that carries one episode's arrays (frames, state, action, labels) beside its records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from badbench.data.taxonomy import FailureCategory, TaskCategory, failure_mode


class EpisodeSource(StrEnum):
    """Where an episode's video came from."""

    REAL = "real"
    SIM = "sim"
    AUGMENTED = "augmented"


class LabelSource(StrEnum):
    """Who produced a label. ``oracle`` is a simulator's ground truth, never a human."""

    HUMAN = "human"
    ORACLE = "oracle"
    DISTILLED = "distilled"
    SYNTHETIC = "synthetic"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class EpisodeMeta(_Record):
    """Descriptive metadata of one episode."""

    episode_id: str = Field(min_length=1)
    """Stable, unique id (e.g. ``"pick-place-v3/drop/0003"``); preferences refer to it."""
    instruction: str
    """The language instruction the robot was given."""
    task: str
    """Task name (e.g. ``"pick-place-v3"``); several instructions may share one task."""
    task_category: TaskCategory = TaskCategory.OTHER
    """The paper's task category."""
    embodiment: str = "unknown"
    """Robot type (LeRobot's ``robot_type``), e.g. ``"sawyer"``, ``"franka"``."""
    fps: float = Field(gt=0)
    """Frame rate of the stored frames (and of state/action rows)."""
    cameras: tuple[str, ...] = ()
    """Camera keys, LeRobot style: ``"observation.images.<name>"``."""
    length: int = Field(default=0, ge=0)
    """Number of frames."""
    source: EpisodeSource = EpisodeSource.REAL
    """real | sim | augmented."""
    generator: dict[str, Any] = Field(default_factory=dict)
    """The generator's name and parameters (seed, injector options, ...) for sim/augmented."""
    policy_id: str = "unknown"
    """The policy (or script) that produced the behaviour."""
    context_id: str = ""
    """Episodes sharing a context are comparable: same task and initial-condition family."""


class Outcome(_Record):
    """How an episode ended, and where its progress and dense labels came from."""

    success: bool
    """Whether the task was completed."""
    progress: float | None = Field(default=None, ge=0.0, le=1.0)
    """Task progress in [0, 1]: how far the task got (RoboArena's 0-100 divided by 100)."""
    progress_source: LabelSource | None = None
    """human | oracle."""
    dense_source: LabelSource | None = None
    """Source of the per-frame reward labels stored with the episode, if any."""
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    """How good the episode was overall, in [0, 1], when a rater or a rubric judged more than
    progress (safety, execution, shortcuts; the sim engine's rubric score). The benchmark's
    quality target is ``score`` when given, else ``progress``."""
    score_source: LabelSource | None = None
    """human | oracle."""

    @model_validator(mode="after")
    def _sources(self) -> Outcome:
        for name in ("progress", "score"):
            source = getattr(self, f"{name}_source")
            if getattr(self, name) is not None and source is None:
                raise ValueError(f"{name}_source is required when {name} is given")
            if source not in (None, LabelSource.HUMAN, LabelSource.ORACLE):
                raise ValueError(f"{name}_source must be 'human' or 'oracle'")
        return self

    @property
    def quality(self) -> float | None:
        """The episode's quality label: ``score`` when given, else ``progress`` (else None)."""
        return self.score if self.score is not None else self.progress


class TagView(_Record):
    """How one camera shows a tagged event (measured by the sim engine)."""

    in_view: bool
    """Whether the event's objects are visible in the camera during the tag's span."""
    pixels: int = Field(ge=0)
    """The most pixels the event's object covers in one frame of the span (occlusion counts)."""


class FailureTag(_Record):
    """One failure in an episode: what kind, which mode, where, how bad."""

    category: FailureCategory
    """unsafe | poor_execution | shortcut | failure."""
    mode: str
    """A mode from :data:`badbench.data.taxonomy.FAILURE_MODES`."""
    start_frame: int = Field(ge=0)
    """First frame of the failure (inclusive)."""
    end_frame: int = Field(ge=0)
    """Last frame of the failure (inclusive)."""
    severity: float = Field(default=1.0, ge=0.0, le=1.0)
    """How bad, in [0, 1]."""
    description: str = ""
    """Free text, as a rater would write it."""
    visibility: dict[str, TagView] = Field(default_factory=dict)
    """Per stored camera (key as in ``EpisodeMeta.cameras``), whether the event is in view and
    how large it appears; empty when not measured (imported or hand-made tags)."""

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, v: str) -> str:
        failure_mode(v)  # raises with the list of known modes
        return v

    @model_validator(mode="after")
    def _consistent(self) -> FailureTag:
        if self.end_frame < self.start_frame:
            raise ValueError(f"end_frame {self.end_frame} < start_frame {self.start_frame}")
        expected = failure_mode(self.mode).category
        if expected != self.category:
            raise ValueError(f"mode '{self.mode}' belongs to '{expected}', not '{self.category}'")
        return self


class Preference(_Record):
    """One A/B judgement between two episodes of the same context."""

    context_id: str
    episode_a: str
    episode_b: str
    label: Literal["a", "b", "tie"]
    """Which episode the rater preferred."""
    rater_id: str = "unknown"
    """Who judged; ``oracle`` or ``oracle-bt(T=...)`` for simulated raters."""
    source: LabelSource = LabelSource.HUMAN
    """human | oracle | synthetic."""
    progress_a: float | None = Field(default=None, ge=0.0, le=1.0)
    """The rater's progress score of A in [0, 1], if recorded (RoboArena)."""
    progress_b: float | None = Field(default=None, ge=0.0, le=1.0)
    feedback: str = ""
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @model_validator(mode="after")
    def _distinct(self) -> Preference:
        if self.episode_a == self.episode_b:
            raise ValueError(f"episode_a and episode_b are the same episode '{self.episode_a}'")
        return self


@dataclass
class Episode:
    """One episode: its records plus its arrays.

    Attributes:
        meta: descriptive metadata.
        frames: camera key -> uint8 array (T, H, W, 3). May be empty when loaded without video.
        state: float32 (T, D) robot state, or None.
        action: float32 (T, A) actions, or None.
        outcome: the outcome record, or None when unlabelled.
        tags: failure tags (empty for a clean episode).
        dense_reward: float32 (T,) per-frame reward/progress labels, or None.
        extras: named per-episode arrays (e.g. ``"contact_force"`` at the control rate,
            ``"success_flag"`` per frame); stored losslessly beside the dataset.
    """

    meta: EpisodeMeta
    frames: dict[str, np.ndarray] = field(default_factory=dict)
    state: np.ndarray | None = None
    action: np.ndarray | None = None
    outcome: Outcome | None = None
    tags: list[FailureTag] = field(default_factory=list)
    dense_reward: np.ndarray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.meta.episode_id

    @property
    def is_bad(self) -> bool:
        """True when the episode is not a clean success (failed, or carries any failure tag)."""
        if self.outcome is not None and not self.outcome.success:
            return True
        return bool(self.tags)
