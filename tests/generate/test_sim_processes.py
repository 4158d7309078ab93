"""Real processes: an unguarded script fails fast, a killed worker fails the run, and a
generate run SIGKILLed mid-way resumes to the same dataset as a run never killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.sim, pytest.mark.slow]

TASK = "drawer-open-v3"
MODES = ["good", "collision", "early_stop"]
KW = dict(tasks=[TASK], modes=MODES, episodes_per_mode=2, seed=0, resolution=32, fps=10)
CLI = [
    "generate", "sim", "--tasks", TASK, "--modes", ",".join(MODES), "--episodes-per-mode", "2",
    "--resolution", "32", "--fps", "10", "--workers", "2",
]  # fmt: skip


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}


def _committed(root: Path) -> int:
    return len(list((root / "meta" / "episodes").rglob("*.parquet")))


def test_unguarded_script_fails_fast_with_one_message(tmp_path):
    script = tmp_path / "api.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from badbench.generate.sim import generate_sim

            suite = generate_sim("sim-small", tasks=["{TASK}"], modes=["good", "collision"],
                                 episodes_per_mode=1, workers=2, resolution=32)
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=240,  # before the fix it respawned workers forever
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert proc.stderr.count("Traceback") == 1, proc.stderr[-3000:]  # the script's own, once
    assert proc.stderr.count('if __name__ == "__main__":') == 1
    assert "could not start: they re-import" in proc.stderr.splitlines()[-1]
    assert not (tmp_path / "sim-small").exists()  # nothing left behind


def test_a_killed_worker_fails_the_run_with_one_line(tmp_path):
    out = tmp_path / "D"
    proc = subprocess.Popen(
        [sys.executable, "-m", "badbench.cli.main", *CLI, "--out", str(out)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        worker = None
        while (worker is None or not _committed(out)) and proc.poll() is None:
            time.sleep(0.05)  # kill a worker in the middle of the run
            worker = next(iter(_workers(proc.pid)), None)
        assert worker is not None, "no worker process seen"
        os.kill(worker, signal.SIGKILL)
        _, err = proc.communicate(timeout=240)
    finally:
        proc.kill()
    assert proc.returncode == 2, err[-3000:]
    assert "Traceback" not in err
    assert "worker process died (killed by SIGKILL)" in err
    from badbench.data.validate import validate

    if (out / "meta" / "info.json").exists():
        assert validate(out) == []


def test_sigkill_then_resume_equals_a_run_never_killed(tmp_path):
    from badbench.data.dataset import Dataset
    from badbench.data.validate import validate
    from badbench.generate.sim import generate_sim

    want = Dataset.open(generate_sim(tmp_path / "clean", workers=1, **KW))
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "badbench.cli.main", *CLI, "--out", str(out)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes the workers too
    )
    try:
        while _committed(out) < 2 and proc.poll() is None:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "finished before the kill: nothing tested"
    assert 2 <= _committed(out) < len(want)
    assert validate(out) == []

    resumed = subprocess.run(
        [sys.executable, "-m", "badbench.cli.main", *CLI, "--out", str(out)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "already present" in resumed.stdout
    assert validate(out, include_warnings=True) == []
    got = Dataset.open(out)
    assert got.episode_ids == want.episode_ids
    for eid in want.episode_ids:
        assert got.outcome(eid) == want.outcome(eid)
        assert got.tags(eid) == want.tags(eid)
        np.testing.assert_array_equal(got.dense_reward(eid), want.dense_reward(eid))
    key = lambda p: (p.context_id, p.episode_a, p.episode_b, p.rater_id)  # noqa: E731
    assert sorted(map(key, got.preferences())) == sorted(map(key, want.preferences()))
    assert {key(p): p.label for p in got.preferences()} == {
        key(p): p.label for p in want.preferences()
    }


def _workers(pid: int) -> list[int]:
    """Pool worker processes of ``pid`` (its spawn children, not multiprocessing's tracker)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"spawn_main" in cmd and b"resource_tracker" not in cmd:
                out.append(int(child))
    return out


DEMO = """
import sys
from pathlib import Path
from badbench.demo import DemoConfig, run_demo

if __name__ == "__main__":
    config = DemoConfig(out=Path(sys.argv[1]), cache=Path(sys.argv[2]), tasks=("{task}",),
                        episodes_per_mode=1, resolution=32, workers=2)
    run_demo(config, progress=False)
"""


def test_demo_suite_build_sigkilled_then_resumed(tmp_path):
    from badbench.data.dataset import Dataset
    from badbench.data.validate import validate
    from badbench.demo import DemoConfig, run_demo, suite_dir
    from badbench.generate.sim import generate_sim

    config = DemoConfig(
        out=tmp_path / "run",
        cache=tmp_path / "cache",
        tasks=(TASK,),
        episodes_per_mode=1,
        resolution=32,
        workers=2,
    )
    suite = suite_dir(config)
    script = tmp_path / "demo.py"
    script.write_text(DEMO.format(task=TASK))
    proc = subprocess.Popen(
        [sys.executable, str(script), str(config.out), str(config.cache)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while _committed(suite) < 2 and proc.poll() is None:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "finished before the kill: nothing tested"
    assert validate(suite) == []

    summary = run_demo(config, progress=False)  # resumes the suite, then evaluates
    want = Dataset.open(
        generate_sim(
            tmp_path / "clean", tasks=[TASK], episodes_per_mode=1, resolution=32, workers=2
        )
    )
    got = Dataset.open(suite)
    assert validate(suite, include_warnings=True) == []
    assert got.episode_ids == want.episode_ids
    assert summary.dataset.n_episodes == len(want)
    for eid in want.episode_ids:
        assert got.outcome(eid) == want.outcome(eid) and got.tags(eid) == want.tags(eid)
        np.testing.assert_array_equal(got.dense_reward(eid), want.dense_reward(eid))
    assert len(got.preferences()) == len(want.preferences())
