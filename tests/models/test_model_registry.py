"""The model registry: lookup errors, spec parsing, option checks, lazy entry points."""

from __future__ import annotations

import sys

import pytest

from badbench.errors import RegistryError, ValidationError
from badbench.models import (
    MODELS,
    Registry,
    RewardModel,
    TimeModel,
    config_hash,
    create_model,
    model_key,
    parse_model_spec,
)


def test_builtin_baselines_are_registered() -> None:
    assert {"oracle", "random", "time"} <= set(MODELS.names())


def test_unknown_name_lists_known_ones() -> None:
    with pytest.raises(RegistryError) as e:
        create_model("gvl-nonexistent")
    msg = str(e.value)
    assert "gvl-nonexistent" in msg
    for name in ("oracle", "random", "time"):
        assert name in msg


@pytest.mark.parametrize(
    ("spec", "name", "options"),
    [
        ("oracle", "oracle", {}),
        ("random:seed=3", "random", {"seed": 3}),
        (" random : seed = 3 ", "random", {"seed": 3}),
        ("m:a=0.5,b=true,c=hello,d=[1,2]", "m", {"a": 0.5, "b": True, "c": "hello", "d": [1, 2]}),
        ("m:", "m", {}),
    ],
)
def test_parse_model_spec(spec: str, name: str, options: dict) -> None:
    assert parse_model_spec(spec) == (name, options)


@pytest.mark.parametrize(
    "spec", ["", ":seed=1", "random:seed", "random:=3", "random:seed=1,seed=2"]
)
def test_malformed_specs_are_rejected(spec: str) -> None:
    with pytest.raises(ValidationError):
        parse_model_spec(spec)


def test_unknown_option_names_the_accepted_ones() -> None:
    with pytest.raises(ValidationError) as e:
        create_model("random:sede=1")
    assert "sede" in str(e.value) and "seed" in str(e.value)
    with pytest.raises(ValidationError, match="no option"):
        create_model("time:speed=2")


def test_bad_option_value() -> None:
    with pytest.raises(ValidationError, match="seed must be an integer"):
        create_model("random:seed=abc")


def test_option_given_twice_in_spec_and_kwargs() -> None:
    with pytest.raises(ValidationError, match="given twice"):
        create_model("random:seed=1", seed=2)


def test_created_model_remembers_name_and_options() -> None:
    m = create_model("random:seed=7")
    assert m.registry_name == "random" and m.registry_options == {"seed": 7}
    assert model_key(m) == "random(seed=7)"
    assert model_key(create_model("time")) == "time"
    assert config_hash(m) == config_hash(create_model("random", seed=7))
    assert config_hash(m) != config_hash(create_model("random:seed=8"))
    assert "random" in repr(m) and "seed=7" in repr(m)


def test_config_hash_changes_with_version() -> None:
    class TimeV2(TimeModel):
        version = "2"

    m = TimeV2()
    m.registry_name = "time"
    assert config_hash(m) != config_hash(create_model("time"))


def test_required_option_is_reported() -> None:
    reg: Registry[object] = Registry("widget")

    @reg.register("needs-x")
    class NeedsX:
        def __init__(self, x: int) -> None:
            self.x = x

    with pytest.raises(ValidationError, match="needs option"):
        reg.create("needs-x")
    assert reg.create("needs-x", x=1).registry_name == "needs-x"


def test_duplicate_name_is_an_error() -> None:
    reg: Registry[object] = Registry("widget")
    reg.register("a")(dict)
    reg.register("a")(dict)  # same object again: fine
    with pytest.raises(RegistryError, match="already registered"):
        reg.register("a")(list)


def test_lazy_entry_point_imports_only_on_create(tmp_path, monkeypatch) -> None:
    mod = tmp_path / "bb_lazy_model_mod.py"
    mod.write_text(
        "from badbench.models import RewardModel, RewardOutput\n"
        "class Lazy(RewardModel):\n"
        "    '''A lazily imported model.'''\n"
        "    needs_frames = False\n"
        "    def __init__(self, k: int = 1):\n"
        "        self.k = k\n"
        "    def score(self, episodes):\n"
        "        return [RewardOutput.per_frame([0.5]) for _ in episodes]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reg: Registry[RewardModel] = Registry("model")
    reg.register_lazy("lazy", "bb_lazy_model_mod:Lazy", description="lazy one", extra="heavy")
    assert "bb_lazy_model_mod" not in sys.modules
    assert reg.names() == ["lazy"]
    assert "bb_lazy_model_mod" not in sys.modules
    m = reg.create("lazy", k=2)
    assert "bb_lazy_model_mod" in sys.modules
    assert m.k == 2 and m.registry_options == {"k": 2}
    entry = reg.entry("lazy")
    assert entry.description == "lazy one" and entry.extra == "heavy"


def test_bad_entry_point_string() -> None:
    reg: Registry[object] = Registry("model")
    with pytest.raises(ValidationError, match="module:attr"):
        reg.register_lazy("x", "no_colon_here")


def test_importing_badbench_models_stays_light() -> None:
    import subprocess

    code = (
        "import sys, badbench.models, badbench.cli.main\n"
        "heavy = [m for m in ('torch', 'mujoco', 'metaworld', 'matplotlib') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_entry_may_meet_its_own_decorator(tmp_path, monkeypatch) -> None:
    (tmp_path / "bb_lazy_deco_mod.py").write_text(
        "from badbench.models import RewardModel, RewardOutput, register_model\n"
        "@register_model('lazy-deco')\n"
        "class LazyDeco(RewardModel):\n"
        "    '''Registered twice, lazily and by decorator.'''\n"
        "    needs_frames = False\n"
        "    def score(self, episodes):\n"
        "        return [RewardOutput.per_frame([0.5]) for _ in episodes]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    MODELS.register_lazy("lazy-deco", "bb_lazy_deco_mod:LazyDeco", extra="heavy")
    try:
        m = create_model("lazy-deco")
        assert type(m).__name__ == "LazyDeco" and m.registry_name == "lazy-deco"
        assert MODELS.entry("lazy-deco").extra == "heavy"
        assert create_model("lazy-deco").registry_name == "lazy-deco"
    finally:
        MODELS.entries.pop("lazy-deco", None)


def test_versioned_model_names() -> None:
    from badbench.models.registry import spec_key

    MODELS.register("toy-time-v1")(TimeModel)
    MODELS.register("toy-time-v2")(TimeModel)
    try:
        m = create_model("toy-time")
        assert m.registry_name == "toy-time-v2" and model_key(m) == "toy-time-v2"
        assert create_model("toy-time-v1").registry_name == "toy-time-v1"
        assert spec_key("toy-time", {}) == "toy-time-v2"  # the runner plans by the built key
        assert spec_key("toy-time-v1", {"a": 1}) == "toy-time-v1(a=1)"
        assert config_hash(create_model("toy-time-v1")) != config_hash(m)
        with pytest.raises(RegistryError, match="'toy-time' has versions toy-time-v1, toy-time-v2"):
            create_model("toy-time-v3")
    finally:
        MODELS.entries.pop("toy-time-v1", None)
        MODELS.entries.pop("toy-time-v2", None)


def test_model_missing_its_extra_names_the_install(tmp_path, monkeypatch) -> None:
    from badbench.errors import MissingExtraError

    (tmp_path / "bb_torchy_model_mod.py").write_text("import bb_absent_torch_like_package\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    MODELS.register_lazy("torchy-v1", "bb_torchy_model_mod:Model", extra="torch")
    try:
        assert MODELS.entry("torchy").extra == "torch"  # listed without importing anything
        with pytest.raises(MissingExtraError, match=r"pip install 'badbench\[torch\]'"):
            create_model("torchy")
    finally:
        MODELS.entries.pop("torchy-v1", None)


def test_entry_is_re_exported() -> None:
    from badbench.models import Entry
    from badbench.models.registry import Entry as E2
    from badbench.registry import Entry as E3

    assert Entry is E2 is E3
    fields = set(Entry.__dataclass_fields__)  # what `badbench models list` reads
    assert {"name", "extra", "description", "target", "entry_point"} <= fields
