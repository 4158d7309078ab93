"""badbench: bad behaviour data and a fine-grained benchmark for embodied reward models."""

from __future__ import annotations

from badbench.errors import (
    BadbenchError,
    DataError,
    MissingExtraError,
    RegistryError,
    SchemaError,
    ValidationError,
    VideoError,
)

__version__ = "0.1.0"

__all__ = [
    "BadbenchError",
    "DataError",
    "MissingExtraError",
    "RegistryError",
    "SchemaError",
    "ValidationError",
    "VideoError",
    "__version__",
]
