"""badbench's errors: one base class and a few specific subclasses.

Every message names the file, field or request at fault and, where it can, says what to do.
"""

from __future__ import annotations

from pathlib import Path


class BadbenchError(Exception):
    """Base class of every error badbench raises on purpose."""


class DataError(BadbenchError):
    """A dataset file or record is missing, corrupt or inconsistent.

    Args:
        message: what is wrong.
        path: the file (or directory) at fault, if any.
        field: the field, column or key at fault, if any.
        line: the 1-based line number in ``path`` (JSONL/CSV records), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        field: str | None = None,
        line: int | None = None,
    ):
        self.path = Path(path) if path is not None else None
        self.field = field
        self.line = line
        where = []
        if self.path is not None:
            where.append(str(self.path) if line is None else f"{self.path}:{line}")
        elif line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = f"{': '.join(where)}: " if where else ""
        super().__init__(prefix + message)
        self.message = message


class SchemaError(DataError):
    """A parquet table or JSON record does not have the expected columns or dtypes."""


class VideoError(DataError):
    """A video file is missing, cannot be decoded, or disagrees with the frame count."""


class ValidationError(DataError):
    """A value is outside its allowed range or vocabulary (progress, failure mode, ...)."""


class MissingExtraError(BadbenchError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, extra: str, package: str):
        super().__init__(
            f"this feature needs the '{package}' package: pip install 'badbench[{extra}]'"
        )
        self.extra = extra
        self.package = package


class RegistryError(BadbenchError, KeyError):
    """A name was looked up in a registry (models, metrics, injectors) that does not hold it."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""
