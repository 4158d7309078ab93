"""One generic registry by name, behind every kind of pluggable object in badbench.

Reward models, image and text encoders, failure injectors (sim modes), video augmentations and
benchmark suites are each one :class:`Registry`. Entries are added with a decorator
(``@MODELS.register("oracle")``), lazily by entry-point string (``register_lazy("rewind-v1",
"badbench.models.rewind:ReWiNDModel", extra="torch")``, imported only when first created), or
by third-party packages through the Python entry-point group of their kind
(:data:`ENTRY_POINT_GROUPS`), scanned once on the first lookup.

**Versioned names.** A name may end in ``-vN`` (``rewind-v1``, ``rewind-v2``). A bare name
(``rewind``) means the unversioned entry of that name if there is one, else the highest version
registered: typing the short name gets the current implementation, and the object created
remembers the full name it resolved to (``rewind-v2``), so results still say exactly what
produced them; pin the version (``rewind-v1``) to reproduce an old result. Registering both
``foo`` and ``foo-v1`` is an error, so a bare name never has two meanings (as in Gymnasium).

**Unknown names** raise :class:`~badbench.errors.RegistryError` with "did you mean" suggestions
(close spellings, by :mod:`difflib`) and the list of known names.

**Remembering.** :meth:`Registry.create` checks the options against the constructor's signature,
builds the object and records on it ``registry_name`` (the resolved name) and
``registry_options`` (the options as given). :func:`registry_info` turns that into
``{"name": ..., "options": {...}}``, with every registered object nested in the options (a
ReWiND model's encoder) serialised the same way, so a result file can name the whole tree.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from badbench.errors import MissingExtraError, RegistryError, ValidationError

T = TypeVar("T")

ENTRY_POINT_GROUPS: dict[str, str] = {
    "model": "badbench.models",
    "image encoder": "badbench.image_encoders",
    "text encoder": "badbench.text_encoders",
    "sim mode": "badbench.injectors",
    "video augmentation": "badbench.augmentations",
    "suite": "badbench.suites",
}
"""Registry kind -> the Python entry-point group third-party packages use to add entries to it
(``[project.entry-points."badbench.models"] my-rm-v1 = "my_pkg.rm:MyRewardModel"``)."""

_VERSIONED = re.compile(r"^(?P<base>.+)-v(?P<version>\d+)$")


def parse_name(name: str) -> tuple[str, int | None]:
    """Split a registry name into its base and version: ``"rewind-v2"`` -> ``("rewind", 2)``,
    ``"oracle"`` -> ``("oracle", None)``."""
    m = _VERSIONED.match(name)
    return (m["base"], int(m["version"])) if m else (name, None)


@dataclass
class Entry(Generic[T]):
    """One registry entry.

    Attributes:
        name: the registered name, version suffix included (``"rewind-v1"``).
        target: the class or factory, or ``None`` until a lazy entry is loaded.
        entry_point: ``"module:attr"`` for lazy entries.
        description: one line shown in listings (``badbench models list``).
        extra: the pip extra the entry needs, if any (shown in listings, named when missing).
    """

    name: str
    target: Callable[..., T] | None = None
    entry_point: str | None = None
    description: str = ""
    extra: str | None = None

    @property
    def base(self) -> str:
        """The name without its version suffix."""
        return parse_name(self.name)[0]

    @property
    def version(self) -> int | None:
        """The ``N`` of a ``-vN`` name, ``None`` for an unversioned one."""
        return parse_name(self.name)[1]

    def load(self) -> Callable[..., T]:
        """The class or factory, importing a lazy entry's module on first use.

        Raises:
            MissingExtraError: the module needs a package that is not installed and the entry
                declares the extra that provides it.
            RegistryError: the entry point cannot be imported or has no such attribute.
        """
        if self.target is not None:
            return self.target
        assert self.entry_point is not None
        module, _, attr = self.entry_point.partition(":")
        try:
            obj: Any = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            own = exc.name is not None and (module == exc.name or module.startswith(exc.name + "."))
            if self.extra is not None and not own:
                raise MissingExtraError(self.extra, exc.name or module) from None
            raise RegistryError(f"'{self.name}': cannot import {self.entry_point}: {exc}") from None
        try:
            for part in attr.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            raise RegistryError(
                f"'{self.name}': module '{module}' has no attribute '{attr}' "
                f"(entry point {self.entry_point})"
            ) from None
        self.target = obj
        return obj


@dataclass
class Registry(Generic[T]):
    """Objects registered by name: ``register`` (decorator), ``register_lazy``, ``create``.

    Attributes:
        kind: what the registry holds, for messages (``"model"``, ``"sim mode"``).
        entries: registered name -> entry.
        group: Python entry-point group scanned once, on the first lookup.
        modules: modules imported on the first lookup, whose import registers entries (light
            built-ins kept out of the package import).
    """

    kind: str
    entries: dict[str, Entry[T]] = field(default_factory=dict)
    group: str | None = None
    modules: tuple[str, ...] = ()
    _scanned: bool = field(default=False, repr=False)

    # -- adding entries ------------------------------------------------------------------------

    def register(
        self, name: str, *, description: str = "", extra: str | None = None
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering a class or factory under ``name`` (``"name"`` or
        ``"name-vN"``); the description defaults to the first line of its docstring."""

        def deco(target: Callable[..., T]) -> Callable[..., T]:
            doc = description or _first_line(target.__doc__)
            self._add(Entry(name, target=target, description=doc, extra=extra))
            return target

        return deco

    def register_lazy(
        self, name: str, entry_point: str, *, description: str = "", extra: str | None = None
    ) -> None:
        """Register ``"module:attr"``, imported only when the entry is first created.

        Raises:
            ValidationError: ``entry_point`` is not of the form ``module:attr``.
        """
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
        if old is None:
            clash = self._version_clash(entry)
            if clash is not None:
                raise RegistryError(
                    f"{self.kind} '{entry.name}' clashes with '{clash}': register every version "
                    f"of '{entry.base}' as '{entry.base}-vN', or none"
                )
        if old is not None and old.target is not None and entry.target is None:
            return  # already loaded: keep the loaded entry
        if old is not None:
            entry.description = entry.description or old.description
            entry.extra = entry.extra or old.extra
        self.entries[entry.name] = entry

    def _version_clash(self, entry: Entry[T]) -> str | None:
        """A registered name with the same base as ``entry`` but the other kind (versioned or
        not), which would give a bare name two meanings."""
        for other in self.entries.values():
            if other.base == entry.base and (other.version is None) != (entry.version is None):
                return other.name
        return None

    def _scan(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        for module in self.modules:
            importlib.import_module(module)
        if self.group is None:
            return
        for ep in entry_points(group=self.group):
            entry: Entry[T] = Entry(ep.name, entry_point=ep.value)
            if ep.name not in self.entries and self._version_clash(entry) is None:
                self.entries[ep.name] = entry  # built-ins win over a plugin of the same name

    # -- lookup --------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Registered names, sorted by base name, then version number."""
        self._scan()
        return sorted(self.entries, key=lambda n: (parse_name(n)[0], parse_name(n)[1] or 0))

    def __iter__(self) -> Iterator[Entry[T]]:
        return iter([self.entries[n] for n in self.names()])

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    def _find(self, name: str) -> Entry[T] | None:
        self._scan()
        if name in self.entries:
            return self.entries[name]
        base, version = parse_name(name)
        if version is not None:
            return None
        versions = [e for e in self.entries.values() if e.base == base and e.version is not None]
        return max(versions, key=lambda e: e.version or 0) if versions else None

    def entry(self, name: str) -> Entry[T]:
        """The entry ``name`` resolves to (a bare name: its highest version).

        Raises:
            RegistryError: unknown name; the message suggests close names and lists the known.
        """
        found = self._find(name)
        if found is None:
            raise self._unknown(name)
        return found

    def _unknown(self, name: str) -> RegistryError:
        known = self.names()
        base, version = parse_name(name)
        versions = [n for n in known if parse_name(n)[0] == base]
        if version is not None and versions:
            return RegistryError(
                f"unknown {self.kind} '{name}': '{base}' has versions {', '.join(versions)}"
            )
        # a bare name is matched against bare names (``rewnd`` -> ``rewind``), a versioned one
        # against the full names
        candidates = known if version is not None else sorted({parse_name(n)[0] for n in known})
        return unknown_name(self.kind, name, known, candidates=candidates)

    # -- creating ------------------------------------------------------------------------------

    def create(self, name: str, **options: Any) -> T:
        """Build ``name`` with ``options``, checked against its signature.

        The object remembers the resolved name and the options (``registry_name``,
        ``registry_options``; see :func:`registry_info`).

        Raises:
            RegistryError: unknown name.
            MissingExtraError: a lazy entry whose extra is not installed.
            ValidationError: an option the constructor does not accept, or a missing one.
        """
        entry = self.entry(name)
        target = entry.load()
        check_options(self.kind, entry.name, target, options)
        obj = target(**options)
        remember(obj, entry.name, options)
        return obj


def unknown_name(
    kind: str, name: str, known: Sequence[str], *, candidates: Sequence[str] | None = None
) -> RegistryError:
    """The error for a name that is not registered: close spellings, then the known names.

    Args:
        kind: what was looked up, for the message (``"metric"``).
        name: the name asked for.
        known: the names there are, listed in the message in this order.
        candidates: the names to suggest from (default ``known``).
    """
    pool = known if candidates is None else candidates
    close = difflib.get_close_matches(name, pool, n=3, cutoff=0.6)
    hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    listed = ", ".join(known) or "(none)"
    return RegistryError(f"unknown {kind} '{name}'{hint}; known {kind}s: {listed}")


def remember(obj: object, name: str, options: Mapping[str, Any]) -> None:
    """Record on ``obj`` the registry name and options it was built with.

    Sets the attributes ``registry_name`` and ``registry_options`` (frozen dataclasses included);
    objects that cannot take attributes (``__slots__``, builtins) are left as they are.
    """
    try:
        object.__setattr__(obj, "registry_name", name)
        object.__setattr__(obj, "registry_options", dict(options))
    except (AttributeError, TypeError):
        pass


def registry_info(obj: object) -> dict[str, Any]:
    """``{"name": ..., "options": {...}}`` of an object a registry created.

    Registered objects inside the options (at any depth of lists and dicts) become nested
    ``{name, options}`` dicts; other values are kept as they are.

    Raises:
        RegistryError: ``obj`` was not created by a registry (it has no ``registry_name``).
    """
    name = _registered_name(obj)
    if name is None:
        raise RegistryError(
            f"a {type(obj).__name__} object was not created by a registry (no registry_name)"
        )
    return {"name": name, "options": serialise_options(getattr(obj, "registry_options", None))}


def serialise_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Options with every registered object in them replaced by its :func:`registry_info`."""
    return {k: _serialise(v) for k, v in (options or {}).items()}


def _serialise(value: Any) -> Any:
    if _registered_name(value) is not None:
        return registry_info(value)
    if isinstance(value, Mapping):
        return {k: _serialise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_serialise(v) for v in value]
    return value


def _registered_name(obj: object) -> str | None:
    if isinstance(obj, type):  # a class's registry_name is a declaration, not a record
        return None
    name = getattr(obj, "registry_name", None)
    return name if isinstance(name, str) else None


def check_options(kind: str, name: str, target: Callable[..., Any], options: Mapping) -> None:
    """Check option names against ``target``'s signature (unknown and missing ones).

    Raises:
        ValidationError: an option ``target`` does not accept (the message lists those it
            does), or a required one that is missing.
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


# -- registries of kinds that have no package yet -------------------------------------------------
# Models live in badbench.models.registry (MODELS) and sim modes in badbench.generate.sim
# (INJECTORS), next to their base classes. The kinds below are declared here, empty or nearly,
# so their names and entry-point groups are fixed before their packages land; those packages
# register into these instances rather than defining their own.

IMAGE_ENCODERS: Registry[Any] = Registry("image encoder", group=ENTRY_POINT_GROUPS["image encoder"])
"""Frame encoders (e.g. a DINOv2 backbone for ReWiND), by name."""

TEXT_ENCODERS: Registry[Any] = Registry("text encoder", group=ENTRY_POINT_GROUPS["text encoder"])
"""Instruction encoders (e.g. a sentence embedder for ReWiND), by name."""

AUGMENTATIONS: Registry[Any] = Registry(
    "video augmentation",
    group=ENTRY_POINT_GROUPS["video augmentation"],
    modules=("badbench.generate.augment._kinds",),
)
"""Video negatives and augmentations (rewind, speed-up, frame drop, ...), by name."""

SUITES: Registry[Any] = Registry("suite", group=ENTRY_POINT_GROUPS["suite"])
"""Benchmark suites: what to generate or load and evaluate, by versioned name."""

SUITES.register_lazy(
    "demo-v4",  # the version is badbench.demo.DEMO_VERSION (a test keeps the two equal)
    "badbench.demo:DemoConfig",
    description="badbench demo's Meta-World suite: 4 tasks, every sim mode, oracle labels",
    extra="sim",
)
