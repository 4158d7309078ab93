"""The engine's public surface: exported names, lazy imports, rendering, the CLI command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import badbench.generate.sim as sim
from badbench.cli.main import app
from badbench.errors import RegistryError, ValidationError


def test_exported_names() -> None:
    assert set(sim.__all__) == {
        "DEFAULT_TASKS",
        "GOOD",
        "SIM_TASKS",
        "FailureInjector",
        "RolloutContext",
        "SimJob",
        "SimSummary",
        "SimTask",
        "Span",
        "Trace",
        "dense_reward",
        "generate_sim",
        "injector_class",
        "injector_names",
        "make_injector",
        "modes_for",
        "oracle_preferences",
        "plan_jobs",
        "register_injector",
        "rollout",
        "rubric_score",
        "run_job",
        "sim_task",
    }
    assert all(hasattr(sim, name) for name in sim.__all__)


def test_import_is_light() -> None:
    code = (
        "import sys, badbench.generate.sim, badbench.cli.main; "
        "print('mujoco' in sys.modules, 'metaworld' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_unknown_names_raise_with_the_known_ones() -> None:
    with pytest.raises(RegistryError, match="drawer-open-v3"):
        sim.sim_task("drawer-v9")
    with pytest.raises(RegistryError, match="collision"):
        sim.make_injector("crash")


@pytest.mark.sim
def test_frames_from_saved_states_match_live_rendering() -> None:
    from metaworld.policies import ENV_POLICY_MAP

    from badbench.generate.sim._mujoco import close_env, make_env, render_frame
    from badbench.generate.sim._rollout import render_trace

    task = sim.sim_task("drawer-open-v3")
    env = make_env(task.env_name, width=32, height=24, cameras=["corner"], render=True)
    try:
        policy = ENV_POLICY_MAP[task.env_name]()
        trace = sim.rollout(
            env, policy, task, sim.make_injector("good", seed=1), family_seed=1, stride=4
        )
        frames = render_trace(env, trace)
        frames = frames["corner"]
        assert frames.shape == (len(trace.frame_steps), 24, 32, 3) and frames.dtype == np.uint8
        again = sim.rollout(
            env, policy, task, sim.make_injector("good", seed=1), family_seed=1, stride=4
        )
        assert np.array_equal(trace.obs, again.obs)  # the rollout is deterministic
        assert np.array_equal(render_frame(env)["corner"], frames[-1])  # live == replayed
        assert frames[0].std() > 10  # a real image, not a blank buffer
    finally:
        close_env(env)


@pytest.mark.sim
def test_unknown_camera_is_a_validation_error() -> None:
    from badbench.generate.sim._mujoco import make_env

    with pytest.raises(ValidationError, match="corner"):
        make_env("drawer-open-v3", width=16, height=16, cameras=["nope"], render=True)


@pytest.mark.sim
def test_cli_generate_sim(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    args = [
        "generate",
        "sim",
        "--out",
        str(out),
        "--tasks",
        "drawer-open-v3",
        "--modes",
        "good,early_stop",
        "--resolution",
        "32",
        "--workers",
        "1",
        "--fps",
        "10",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "wrote 2 episodes" in result.output
    again = CliRunner().invoke(app, args)
    assert "wrote 0 episodes, skipped 2" in again.output
    bad = CliRunner().invoke(app, ["generate", "sim", "--out", str(out), "--tasks", "nope-v3"])
    assert bad.exit_code == 2 and "unknown sim task" in bad.output


def test_cli_lists_modes_per_task() -> None:
    result = CliRunner().invoke(app, ["generate", "modes"])
    assert result.exit_code == 0
    assert "pick-place-low-v3" in result.output and "push_instead_of_pick" in result.output
