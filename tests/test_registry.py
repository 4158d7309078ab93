"""The generic registry: versions, did-you-mean, lazy entry points, plugins, nested records."""

from __future__ import annotations

import importlib
import json
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from badbench._extras import EXTRAS, require
from badbench.errors import MissingExtraError, RegistryError, ValidationError
from badbench.generate.sim._injector import INJECTORS, make_injector
from badbench.models import MODELS, RewardModel, RewardOutput, config_hash, create_model, model_key
from badbench.registry import (
    AUGMENTATIONS,
    ENTRY_POINT_GROUPS,
    IMAGE_ENCODERS,
    SUITES,
    TEXT_ENCODERS,
    Registry,
    parse_name,
    registry_info,
)

ROOT = Path(__file__).resolve().parents[1]


class Widget:
    """A widget."""

    def __init__(self, size: int = 1) -> None:
        self.size = size


# -- versioned names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "parsed"),
    [("rewind-v2", ("rewind", 2)), ("oracle", ("oracle", None)), ("a-b-v10", ("a-b", 10))],
)
def test_parse_name(name: str, parsed: tuple) -> None:
    assert parse_name(name) == parsed


def test_bare_name_resolves_to_the_highest_version() -> None:
    reg: Registry[Widget] = Registry("widget")
    for v in (1, 10, 2):
        reg.register(f"foo-v{v}")(Widget)
    assert reg.names() == ["foo-v1", "foo-v2", "foo-v10"]  # by number, not as text
    assert reg.entry("foo").name == "foo-v10"
    assert "foo" in reg and "foo-v2" in reg and "foo-v3" not in reg
    w = reg.create("foo", size=3)
    assert (w.registry_name, w.registry_options) == ("foo-v10", {"size": 3})  # the full name
    assert reg.create("foo-v1").registry_name == "foo-v1"


def test_unknown_version_lists_the_registered_ones() -> None:
    reg: Registry[Widget] = Registry("widget")
    reg.register("foo-v1")(Widget)
    reg.register("foo-v2")(Widget)
    with pytest.raises(RegistryError) as e:
        reg.entry("foo-v3")
    assert str(e.value) == "unknown widget 'foo-v3': 'foo' has versions foo-v1, foo-v2"


def test_versioned_and_unversioned_of_one_name_clash() -> None:
    reg: Registry[Widget] = Registry("widget")
    reg.register("foo")(Widget)
    with pytest.raises(RegistryError, match="clashes with 'foo'"):
        reg.register("foo-v1")(Widget)
    reg2: Registry[Widget] = Registry("widget")
    reg2.register_lazy("bar-v1", "json:loads")
    with pytest.raises(RegistryError, match="clashes with 'bar-v1'"):
        reg2.register("bar")(Widget)


# -- did you mean ------------------------------------------------------------------------------


def test_unknown_name_suggests_close_ones() -> None:
    reg: Registry[Widget] = Registry("widget")
    for name in ("oracle", "random", "rewind-v1", "rewind-v2"):
        reg.register(name)(Widget)
    with pytest.raises(RegistryError) as e:
        reg.create("oracel")
    assert str(e.value) == (
        "unknown widget 'oracel' (did you mean 'oracle'?); "
        "known widgets: oracle, random, rewind-v1, rewind-v2"
    )
    with pytest.raises(RegistryError, match=r"did you mean 'rewind'\?"):
        reg.entry("rewnd")  # a bare name: bare names are suggested
    with pytest.raises(RegistryError, match=r"did you mean 'rewind-v2' or 'rewind-v1'\?"):
        reg.entry("rewnd-v2")  # a versioned one: full names
    with pytest.raises(RegistryError) as e:
        reg.entry("zzz")
    assert "did you mean" not in str(e.value) and "known widgets: oracle" in str(e.value)


def test_model_and_sim_mode_lookups_suggest() -> None:
    with pytest.raises(RegistryError, match=r"unknown model 'ranom' \(did you mean 'random'\?\)"):
        create_model("ranom:seed=1")
    with pytest.raises(RegistryError, match=r"did you mean 'collision'\?"):
        make_injector("colision")


# -- lazy entries, plugins, missing extras ------------------------------------------------------


def test_lazy_entry_is_not_imported_until_created(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "bb_reg_lazy_mod.py").write_text(
        "class Thing:\n    '''A lazily imported thing.'''\n"
        "    def __init__(self, k: int = 1):\n        self.k = k\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reg: Registry[object] = Registry("thing")
    reg.register_lazy("thing-v1", "bb_reg_lazy_mod:Thing", description="lazy")
    assert reg.names() == ["thing-v1"] and "thing" in reg
    assert reg.entry("thing").description == "lazy"
    assert "bb_reg_lazy_mod" not in sys.modules  # listing and lookup import nothing
    with pytest.raises(ValidationError, match="no option 'j'"):
        reg.create("thing", j=2)  # options are checked against the imported signature
    assert "bb_reg_lazy_mod" in sys.modules
    assert reg.create("thing", k=2).k == 2


def test_modules_are_imported_on_first_lookup(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "bb_reg_holder.py").write_text(
        "from badbench.registry import Registry\n"
        "REG = Registry('thing', modules=('bb_reg_selfreg_mod',))\n"
    )
    (tmp_path / "bb_reg_selfreg_mod.py").write_text(
        "from bb_reg_holder import REG\nREG.register('self-registered')(dict)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    holder = importlib.import_module("bb_reg_holder")
    assert "bb_reg_selfreg_mod" not in sys.modules
    assert holder.REG.names() == ["self-registered"]


def _plugin(tmp_path: Path, group: str, lines: list[str]) -> None:
    """A real installed distribution (a .dist-info directory on sys.path) declaring entry points."""
    (tmp_path / "bb_reg_plugin.py").write_text(
        "class PluginWidget:\n    '''From a plugin.'''\n"
        "    def __init__(self, size: int = 5):\n        self.size = size\n"
    )
    info = tmp_path / "bb_reg_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bb-reg-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n" + "\n".join(lines) + "\n")


def test_entry_point_group_adds_plugins(tmp_path: Path, monkeypatch) -> None:
    group = ENTRY_POINT_GROUPS["model"]
    _plugin(
        tmp_path,
        group,
        ["plugin-widget-v1 = bb_reg_plugin:PluginWidget", "builtin = bb_reg_plugin:PluginWidget"],
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reg: Registry[object] = Registry("model", group=group)
    reg.register("builtin")(Widget)
    assert reg.names() == ["builtin", "plugin-widget-v1"]
    assert "bb_reg_plugin" not in sys.modules
    w = reg.create("plugin-widget")
    assert type(w).__name__ == "PluginWidget" and w.registry_name == "plugin-widget-v1"
    assert type(reg.create("builtin")) is Widget  # a built-in wins over a plugin's same name


def test_lazy_entry_missing_its_extra_names_the_install(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "bb_reg_needs_dep.py").write_text("import bb_reg_absent_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg: Registry[object] = Registry("model")
    reg.register_lazy("heavy-v1", "bb_reg_needs_dep:Model", extra="vlm")
    reg.register_lazy("plain", "bb_reg_needs_dep:Model")
    reg.register_lazy("typo", "bb_reg_no_such_module:Model", extra="vlm")
    reg.register_lazy("noattr", "json:NoSuchThing")
    with pytest.raises(MissingExtraError) as e:
        reg.create("heavy")
    assert str(e.value) == (
        "this feature needs the 'bb_reg_absent_dependency' package: pip install 'badbench[vlm]'"
    )
    with pytest.raises(RegistryError, match="'plain': cannot import bb_reg_needs_dep:Model"):
        reg.create("plain")
    with pytest.raises(RegistryError, match="cannot import"):  # its own module: not an extra
        reg.create("typo")
    with pytest.raises(RegistryError, match="module 'json' has no attribute 'NoSuchThing'"):
        reg.create("noattr")


# -- what a created object remembers ------------------------------------------------------------


class ToyEncoder:
    """A toy frame encoder."""

    def __init__(self, dim: int = 8) -> None:
        self.dim = dim


class ToyEncoderModel(RewardModel):
    """A toy reward model holding an encoder."""

    needs_frames = False

    def __init__(self, encoder: object, scale: float = 1.0) -> None:
        self.encoder = encoder
        self.scale = scale

    def score(self, episodes):
        return [RewardOutput.per_frame([0.5]) for _ in episodes]


@pytest.fixture
def toy_registered() -> Iterator[None]:
    IMAGE_ENCODERS.register("toy-enc-v1")(ToyEncoder)
    MODELS.register("toy-encoder-model")(ToyEncoderModel)
    try:
        yield
    finally:
        IMAGE_ENCODERS.entries.pop("toy-enc-v1", None)
        MODELS.entries.pop("toy-encoder-model", None)


def test_nested_registered_objects_serialise_as_name_and_options(toy_registered) -> None:
    enc = IMAGE_ENCODERS.create("toy-enc", dim=16)
    model = create_model("toy-encoder-model:scale=2", encoder=enc)
    info = registry_info(model)
    assert info == {
        "name": "toy-encoder-model",
        "options": {"scale": 2, "encoder": {"name": "toy-enc-v1", "options": {"dim": 16}}},
    }
    assert json.loads(json.dumps(info)) == info  # JSON-ready, no objects left
    assert model_key(model) == (
        'toy-encoder-model(encoder={"name": "toy-enc-v1", "options": {"dim": 16}},scale=2)'
    )
    in_list = create_model("toy-encoder-model", encoder=[enc])
    assert registry_info(in_list)["options"] == {  # inside lists too
        "encoder": [{"name": "toy-enc-v1", "options": {"dim": 16}}]
    }


def test_config_hash_folds_the_nested_encoder(toy_registered) -> None:
    def hash_with(dim: int) -> str:
        return config_hash(
            create_model("toy-encoder-model", encoder=IMAGE_ENCODERS.create("toy-enc", dim=dim))
        )

    assert hash_with(8) == hash_with(8)
    assert hash_with(8) != hash_with(16)


def test_config_hash_of_plain_options_is_unchanged() -> None:
    # the score cache is keyed by these: the generic registry must not move them
    assert config_hash(create_model("random:seed=7")) == "bbad9caf75313069"
    assert config_hash(create_model("time")) == "ca43cdcebcd55e21"
    assert config_hash(create_model("oracle")) == "e701ff8912a5c928"


def test_registry_info_needs_a_registered_object() -> None:
    with pytest.raises(RegistryError, match="Widget object was not created by a registry"):
        registry_info(Widget())


def test_frozen_dataclasses_remember_too() -> None:
    @dataclass(frozen=True)
    class Frozen:
        x: int = 0

    reg: Registry[Frozen] = Registry("frozen")
    reg.register("f")(Frozen)
    obj = reg.create("f", x=2)
    assert registry_info(obj) == {"name": "f", "options": {"x": 2}} and obj == Frozen(2)


# -- the kinds on the registry --------------------------------------------------------------------


def test_every_kind_has_its_entry_point_group() -> None:
    for reg in (MODELS, INJECTORS, IMAGE_ENCODERS, TEXT_ENCODERS, AUGMENTATIONS, SUITES):
        assert reg.group == ENTRY_POINT_GROUPS[reg.kind]


def test_demo_suite_is_registered_under_the_demo_version() -> None:
    from badbench.demo import DEMO_VERSION, DemoConfig

    assert SUITES.entry("demo").name == f"demo-v{DEMO_VERSION}"
    suite = SUITES.create("demo", episodes_per_mode=1)
    assert isinstance(suite, DemoConfig) and suite.episodes_per_mode == 1
    expected = {"name": f"demo-v{DEMO_VERSION}", "options": {"episodes_per_mode": 1}}
    assert registry_info(suite) == expected


def test_injectors_remember_without_changing_their_params() -> None:
    inj = make_injector("good", seed=3, noise=0.01)
    assert registry_info(inj) == {"name": "good", "options": {"seed": 3, "noise": 0.01}}
    assert inj.params() == {"seed": 3, "noise": 0.01, "gain_low": 0.85}  # dataset records
    with pytest.raises(ValidationError, match="sim mode 'good' has no option 'nois'"):
        make_injector("good", nois=0.01)


# -- extras --------------------------------------------------------------------------------------


def test_require_imports_or_names_the_extra() -> None:
    assert require("sim", "json") is json
    with pytest.raises(MissingExtraError) as e:
        require("torch", "bb_reg_not_installed")
    assert str(e.value) == (
        "this feature needs the 'bb_reg_not_installed' package: pip install 'badbench[torch]'"
    )
    assert isinstance(e.value, ImportError) and e.value.extra == "torch"
    with pytest.raises(ValidationError, match="unknown extra 'troch'; badbench's extras: sim"):
        require("troch", "torch")


def test_declared_extras_match_pyproject() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(extras) - {"test", "all"} == set(EXTRAS)
    assert {"torch", "vlm", "arena", "ray"} <= set(EXTRAS)
    # vlm, arena and ray stay out of CI's install; torch is in, the Makefile installing the CPU
    # build first (a plain torch requirement would pull a multi-GB CUDA build)
    assert extras["all"] == ["badbench[sim,torch,test]"]
    assert "TORCH ?= torch==2.13.0" in (ROOT / "Makefile").read_text()
