"""The data layer: episode records, failure taxonomy, LeRobot v3 storage, importers, cards."""

from __future__ import annotations

from badbench.data.dataset import Dataset, DatasetWriter
from badbench.data.schema import (
    Episode,
    EpisodeMeta,
    EpisodeSource,
    FailureTag,
    LabelSource,
    Outcome,
    Preference,
)
from badbench.data.taxonomy import (
    FAILURE_MODES,
    FailureCategory,
    FailureMode,
    TaskCategory,
    failure_mode,
    register_failure_mode,
)

__all__ = [
    "FAILURE_MODES",
    "Dataset",
    "DatasetWriter",
    "Episode",
    "EpisodeMeta",
    "EpisodeSource",
    "FailureCategory",
    "FailureMode",
    "FailureTag",
    "LabelSource",
    "Outcome",
    "Preference",
    "TaskCategory",
    "failure_mode",
    "register_failure_mode",
]
