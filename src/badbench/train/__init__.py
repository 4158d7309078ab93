"""Training experiments: the controlled bad-data ablation (``badbench ablate``)."""

from __future__ import annotations

from badbench.train._ablate import (
    BASELINES,
    TASKS,
    AblationConfig,
    AblationResult,
    make_suite,
    run_ablation,
    train_arms,
)
from badbench.train._arms import SOURCES, Arm, bad_count, draw_bad, plan_arms
from badbench.train._pool import REPORTED, pooled_metrics, pooled_rows
from badbench.train._splits import TEST_SPLITS, Splits, make_splits

__all__ = [
    "BASELINES",
    "REPORTED",
    "SOURCES",
    "TASKS",
    "TEST_SPLITS",
    "AblationConfig",
    "AblationResult",
    "Arm",
    "Splits",
    "bad_count",
    "draw_bad",
    "make_splits",
    "make_suite",
    "plan_arms",
    "pooled_metrics",
    "pooled_rows",
    "run_ablation",
    "train_arms",
]
