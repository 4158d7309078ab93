"""`badbench eval`, `badbench models` and `badbench demo`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the evaluation commands to the root app."""
