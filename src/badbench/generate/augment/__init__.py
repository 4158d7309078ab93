"""Video negatives for any dataset: rewinds, clips, stalls, reversals, swapped instructions.

``augment(data, out, kinds=...)`` (``badbench augment``) derives labelled negatives from every
clean successful episode of a LeRobot v3 dataset; the frames and labels of each kind are defined
in ``_kinds``' module docstring and documented in ``docs/augment.md``.
"""

from __future__ import annotations

from badbench.generate.augment._kinds import (
    KINDS,
    Augmentation,
    Clip,
    Plan,
    Reverse,
    Rewind,
    Stall,
    SwapInstruction,
)
from badbench.generate.augment._labels import (
    PROGRESS_EXTRA,
    SOURCE_FRAME_EXTRA,
    plan_labels,
    source_progress,
)
from badbench.generate.augment._run import AugmentReport, augment, negative_id
from badbench.generate.augment._settings import SETTINGS_PATH, AugmentSettings

__all__ = [
    "KINDS",
    "PROGRESS_EXTRA",
    "SETTINGS_PATH",
    "SOURCE_FRAME_EXTRA",
    "AugmentReport",
    "AugmentSettings",
    "Augmentation",
    "Clip",
    "Plan",
    "Reverse",
    "Rewind",
    "Stall",
    "SwapInstruction",
    "augment",
    "negative_id",
    "plan_labels",
    "source_progress",
]
