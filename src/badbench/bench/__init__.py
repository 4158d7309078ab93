"""The benchmark: runner, score cache, metrics, versioned result records and the HTML report."""

from __future__ import annotations

from badbench.bench.results import (
    EpisodeScore,
    MetricValue,
    RunRecords,
    RunSummary,
    load_run,
    load_summary,
)
from badbench.bench.runner import evaluate

__all__ = [
    "EpisodeScore",
    "MetricValue",
    "RunRecords",
    "RunSummary",
    "evaluate",
    "load_run",
    "load_summary",
]
