"""The data layer: episode records, failure taxonomy, LeRobot v3 storage, importers, cards."""

from __future__ import annotations

from badbench.data.card import DatasetSummary, dataset_card, render_card, summarize
from badbench.data.dataset import Dataset, DatasetWriter
from badbench.data.prepared import PreparedEpisode, prepare_episode
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
from badbench.data.validate import Problem, validate

__all__ = [
    "FAILURE_MODES",
    "Dataset",
    "DatasetSummary",
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
    "PreparedEpisode",
    "Problem",
    "TaskCategory",
    "dataset_card",
    "failure_mode",
    "prepare_episode",
    "register_failure_mode",
    "render_card",
    "summarize",
    "validate",
]
