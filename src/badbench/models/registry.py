"""The reward-model registry, built on the generic :mod:`badbench.registry`.

Models are registered with a decorator (``@register_model("oracle")``) or lazily by entry point
string (``"badbench.models.rewind:ReWiNDModel"``) so heavy backends (torch, VLM clients) are
imported only when a model is created. Third-party packages add models through the
``badbench.models`` Python entry-point group. Names may be versioned (``rewind-v1``); a bare name
resolves to the highest version (see :mod:`badbench.registry`).

A model is configured by a spec string ``NAME`` or ``NAME:opt=val,opt=val``; values are read as
JSON when they parse (``3``, ``0.5``, ``true``, ``[1,2]``), else as strings. The registry checks
option names against the constructor's signature, and a created model remembers its name and
options (:attr:`RewardModel.registry_name`, :attr:`RewardModel.registry_options`) so results can
say exactly what produced them; registered objects among the options (an encoder) are recorded
as nested ``{name, options}`` (:func:`badbench.registry.registry_info`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from badbench.errors import RegistryError, ValidationError
from badbench.models.base import RewardModel
from badbench.registry import (
    ENTRY_POINT_GROUPS,
    Entry,
    Registry,
    check_options,
    serialise_options,
)

__all__ = [
    "BUILTIN_LAZY",
    "ENTRY_POINT_GROUP",
    "MODELS",
    "Entry",
    "Registry",
    "check_options",
    "config_hash",
    "create_model",
    "model_key",
    "parse_model_spec",
    "register_model",
    "spec_key",
]

ENTRY_POINT_GROUP = ENTRY_POINT_GROUPS["model"]
"""Python entry-point group third-party packages use to add reward models."""


# --- the reward-model registry -----------------------------------------------------------------

MODELS: Registry[RewardModel] = Registry("model", group=ENTRY_POINT_GROUP)
"""All registered reward models."""

BUILTIN_LAZY: tuple[tuple[str, str, str | None, str], ...] = (
    ("rewind-v1", "badbench.models.rewind:ReWiNDModel", "torch", "ReWiND progress transformer"),
)
"""Heavy built-in models, imported only when created: (name, "module:attr", extra, description).

Add one line per backend here (e.g. ``("rewind-v1", "badbench.models.rewind:ReWiNDModel",
"torch", "ReWiND progress transformer")``); the class may also carry ``@register_model`` with the
same name. When its extra is missing, creating it raises
:class:`~badbench.errors.MissingExtraError` naming ``pip install 'badbench[EXTRA]'``. Light models
register with the decorator in a module imported by ``badbench.models``.
"""

for _name, _ep, _extra, _desc in BUILTIN_LAZY:
    MODELS.register_lazy(_name, _ep, extra=_extra, description=_desc)


def register_model(
    name: str, *, description: str = "", extra: str | None = None
) -> Callable[[Callable[..., RewardModel]], Callable[..., RewardModel]]:
    """Decorator: make a :class:`RewardModel` class (or factory) available by ``name``."""
    return MODELS.register(name, description=description, extra=extra)


def parse_model_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Split ``"NAME:opt=val,opt=val"`` into the name and an options dict.

    Values are parsed as JSON when they parse, else kept as strings.

    Raises:
        ValidationError: empty name, an option without ``=``, or an option given twice.
    """
    name, _, rest = spec.strip().partition(":")
    name = name.strip()
    if not name:
        raise ValidationError(
            f"model spec '{spec}' has no name; use NAME or NAME:opt=val", field="model"
        )
    options: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in _split_options(rest))):
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ValidationError(
                f"model spec '{spec}': option '{item}' is not of the form opt=val", field="model"
            )
        if key in options:
            raise ValidationError(f"model spec '{spec}': option '{key}' given twice", field=key)
        options[key] = _parse_value(raw.strip())
    return name, options


def _split_options(text: str) -> list[str]:
    """Split on commas outside brackets, braces and double quotes (JSON values may hold commas)."""
    items, depth, quoted, cur = [], 0, False, []
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "[{":
            depth += 1
        elif not quoted and ch in "]}":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            items.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    items.append("".join(cur))
    return items


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def create_model(spec: str, **options: Any) -> RewardModel:
    """Create a registered model from a spec string (``"random:seed=3"``) plus keyword options.

    Raises:
        RegistryError: unknown model name (the message lists the known ones).
        ValidationError: a malformed spec or an option the model does not take.
    """
    name, parsed = parse_model_spec(spec)
    clash = set(parsed) & set(options)
    if clash:
        raise ValidationError(f"option(s) {sorted(clash)} given twice for '{name}'", field="model")
    model = MODELS.create(name, **parsed, **options)
    if not isinstance(model, RewardModel):
        raise RegistryError(f"model '{name}' built a {type(model).__name__}, not a RewardModel")
    return model


def model_key(model: RewardModel) -> str:
    """Readable key of a model configuration: ``"name"`` or ``"name(opt=val, ...)"``."""
    return spec_key(model.registry_name or type(model).__name__, model.registry_options or {})


def spec_key(name: str, opts: dict[str, Any]) -> str:
    """The :func:`model_key` a model built from ``name`` and ``opts`` will have.

    A registered bare name is resolved first (``rewind`` -> ``rewind-v2``), as creating the
    model resolves it.
    """
    if name in MODELS:
        name = MODELS.entry(name).name
    shown = serialise_options(opts)
    if not shown:
        return name
    inner = ",".join(
        f"{k}={json.dumps(v, sort_keys=True, default=str)}" for k, v in sorted(shown.items())
    )
    return f"{name}({inner})"


def config_hash(model: RewardModel) -> str:
    """Stable hash of what determines a model's outputs: name, options, class, version and
    :meth:`~badbench.models.RewardModel.fingerprint` (a new checkpoint gives a new hash).

    Registered objects among the options (an encoder) enter as their ``{name, options}``, so
    changing an encoder's options changes the hash.
    """
    cls = type(model)
    payload: dict[str, Any] = {
        "name": model.registry_name or cls.__name__,
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "options": serialise_options(model.registry_options),
        "version": cls.version,
    }
    fingerprint = model.fingerprint()
    if fingerprint:  # absent when empty, so models without one keep their old hashes
        payload["fingerprint"] = fingerprint
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
