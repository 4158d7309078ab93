"""A generic registry by name, and the reward-model registry built on it.

Entries are registered with a decorator (``@register_model("oracle")``) or lazily by entry point
string (``"badbench.models.rewind:ReWiNDModel"``) so heavy backends (torch, VLM clients) are
imported only when a model is created. Third-party packages add models through the
``badbench.models`` Python entry-point group.

A model is configured by a spec string ``NAME`` or ``NAME:opt=val,opt=val``; values are read as
JSON when they parse (``3``, ``0.5``, ``true``, ``[1,2]``), else as strings. The registry checks
option names against the constructor's signature, and a created model remembers its name and
options (:attr:`RewardModel.registry_name`, :attr:`RewardModel.registry_options`) so results can
say exactly what produced them.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from badbench.errors import RegistryError, ValidationError
from badbench.models.base import RewardModel

T = TypeVar("T")

ENTRY_POINT_GROUP = "badbench.models"
"""Python entry-point group third-party packages use to add reward models."""


@dataclass
class Entry(Generic[T]):
    """One registry entry.

    Attributes:
        name: the registered name.
        target: the class or factory, or ``None`` until a lazy entry is loaded.
        entry_point: ``"module:attr"`` for lazy entries.
        description: one line shown by ``badbench models list``.
        extra: the pip extra the entry needs, if any (shown in listings).
    """

    name: str
    target: Callable[..., T] | None = None
    entry_point: str | None = None
    description: str = ""
    extra: str | None = None

    def load(self) -> Callable[..., T]:
        """The class or factory, importing a lazy entry's module on first use."""
        if self.target is None:
            assert self.entry_point is not None
            module, _, attr = self.entry_point.partition(":")
            obj: Any = importlib.import_module(module)
            for part in attr.split("."):
                obj = getattr(obj, part)
            self.target = obj
        return self.target


@dataclass
class Registry(Generic[T]):
    """Objects registered by name: ``register`` (decorator), ``register_lazy``, ``create``.

    Attributes:
        kind: what the registry holds, for messages (e.g. ``"model"``).
        entries: name -> entry.
        group: Python entry-point group scanned once, on first lookup.
    """

    kind: str
    entries: dict[str, Entry[T]] = field(default_factory=dict)
    group: str | None = None
    _scanned: bool = False

    def register(
        self, name: str, *, description: str = "", extra: str | None = None
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering a class or factory under ``name``."""

        def deco(target: Callable[..., T]) -> Callable[..., T]:
            doc = description or _first_line(target.__doc__)
            self._add(Entry(name, target=target, description=doc, extra=extra))
            return target

        return deco

    def register_lazy(
        self, name: str, entry_point: str, *, description: str = "", extra: str | None = None
    ) -> None:
        """Register ``"module:attr"``, imported only when the entry is first created."""
        if ":" not in entry_point:
            raise ValidationError(
                f"entry point '{entry_point}' must look like 'package.module:attr'",
                field="entry_point",
            )
        self._add(Entry(name, entry_point=entry_point, description=description, extra=extra))

    def _add(self, entry: Entry[T]) -> None:
        old = self.entries.get(entry.name)
        if old is not None and not _same(old, entry):
            raise RegistryError(
                f"{self.kind} '{entry.name}' is already registered "
                f"({old.entry_point or old.target}); pick another name"
            )
        if old is not None and old.target is not None and entry.target is None:
            return  # already loaded: keep the loaded entry
        if old is not None:
            entry.description = entry.description or old.description
            entry.extra = entry.extra or old.extra
        self.entries[entry.name] = entry

    def _scan(self) -> None:
        if self._scanned or self.group is None:
            return
        self._scanned = True
        for ep in entry_points(group=self.group):
            if ep.name not in self.entries:
                self.entries[ep.name] = Entry(ep.name, entry_point=ep.value)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        self._scan()
        return sorted(self.entries)

    def __iter__(self) -> Iterator[Entry[T]]:
        return iter(self.entries[n] for n in self.names())

    def __contains__(self, name: object) -> bool:
        self._scan()
        return name in self.entries

    def entry(self, name: str) -> Entry[T]:
        """The entry of ``name``.

        Raises:
            RegistryError: unknown name; the message lists the known names.
        """
        self._scan()
        try:
            return self.entries[name]
        except KeyError:
            known = ", ".join(self.names()) or "(none)"
            raise RegistryError(
                f"unknown {self.kind} '{name}'; known {self.kind}s: {known}"
            ) from None

    def create(self, name: str, **options: Any) -> T:
        """Build ``name`` with ``options``, which are checked against its signature.

        Raises:
            RegistryError: unknown name.
            ValidationError: an option the constructor does not accept, or a missing one.
        """
        target = self.entry(name).load()
        check_options(self.kind, name, target, options)
        obj = target(**options)
        try:
            obj.registry_name = name  # type: ignore[attr-defined]
            obj.registry_options = dict(options)  # type: ignore[attr-defined]
        except AttributeError:  # slotted or frozen objects cannot remember; fine
            pass
        return obj


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0]


def _same(a: Entry[Any], b: Entry[Any]) -> bool:
    """Whether two entries name the same object (a lazy entry may meet its own decorator)."""

    def ref(e: Entry[Any]) -> str | None:
        if e.entry_point is not None:
            return e.entry_point
        t = e.target
        return f"{t.__module__}:{t.__qualname__}" if t is not None else None

    return ref(a) == ref(b)


def check_options(kind: str, name: str, target: Callable[..., Any], options: dict) -> None:
    """Check options against a constructor's signature, without calling it.

    Raises:
        ValidationError: an option it does not accept, or a required one missing.
    """
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        return
    params = sig.parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    accepted = [
        p.name for p in params.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        shown = ", ".join(accepted) or "(none)"
        raise ValidationError(
            f"{kind} '{name}' has no option {', '.join(repr(u) for u in unknown)}; "
            f"its options: {shown}",
            field=unknown[0],
        )
    missing = [
        p.name
        for p in params.values()
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.name not in options
    ]
    if missing:
        raise ValidationError(
            f"{kind} '{name}' needs option(s) {', '.join(missing)}: use {name}:{missing[0]}=...",
            field=missing[0],
        )


# --- the reward-model registry -----------------------------------------------------------------

MODELS: Registry[RewardModel] = Registry("model", group=ENTRY_POINT_GROUP)
"""All registered reward models."""

BUILTIN_LAZY: tuple[tuple[str, str, str | None, str], ...] = ()
"""Heavy built-in models, imported only when created: (name, "module:attr", extra, description).

Add one line per backend here (e.g. ``("rewind", "badbench.models.rewind:ReWiNDModel", "torch",
"ReWiND progress transformer")``); the class may also carry ``@register_model`` with the same
name. Light models register with the decorator in a module imported by ``badbench.models``.
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
    """The :func:`model_key` a model built from ``name`` and ``opts`` will have."""
    if not opts:
        return name
    inner = ",".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(opts.items()))
    return f"{name}({inner})"


def config_hash(model: RewardModel) -> str:
    """Stable hash of what determines a model's outputs: name, options, class, version and
    :meth:`~badbench.models.RewardModel.fingerprint` (a new checkpoint gives a new hash)."""
    cls = type(model)
    payload: dict[str, Any] = {
        "name": model.registry_name or cls.__name__,
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "options": model.registry_options or {},
        "version": cls.version,
    }
    fingerprint = model.fingerprint()
    if fingerprint:  # absent when empty, so models without one keep their old hashes
        payload["fingerprint"] = fingerprint
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
