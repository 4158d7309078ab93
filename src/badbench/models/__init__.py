"""Reward models: the :class:`RewardModel` interface, the registry by name, and baselines."""

from __future__ import annotations

from badbench.models.base import (
    LazyFrames,
    OutputError,
    RewardModel,
    RewardOutput,
    episode_length,
    evenly_spaced,
    frame_content_key,
)
from badbench.models.baselines import OracleModel, RandomModel, TimeModel  # noqa: I001 (registers)
from badbench.models.check import check_model
from badbench.models.motion import MotionModel  # noqa: F401 (registers)
from badbench.models.precomputed import PrecomputedModel  # noqa: F401 (registers)
from badbench.models.registry import (
    MODELS,
    Entry,
    Registry,
    config_hash,
    create_model,
    model_key,
    parse_model_spec,
    register_model,
)
from badbench.registry import registry_info

__all__ = [
    "MODELS",
    "Entry",
    "LazyFrames",
    "OracleModel",
    "OutputError",
    "RandomModel",
    "Registry",
    "RewardModel",
    "RewardOutput",
    "TimeModel",
    "check_model",
    "config_hash",
    "create_model",
    "episode_length",
    "evenly_spaced",
    "frame_content_key",
    "model_key",
    "parse_model_spec",
    "register_model",
    "registry_info",
]
