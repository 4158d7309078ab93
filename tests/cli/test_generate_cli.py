"""`badbench generate sim`: bad options and bad --out paths give one error line and write nothing;
a re-run with other settings is refused (or replaced with --overwrite)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from badbench.cli.main import app

runner = CliRunner()

TINY = ["--tasks", "drawer-open-v3", "--modes", "good", "--workers", "1", "--resolution", "32"]


def run(*args: str | Path):
    return runner.invoke(app, ["generate", "sim", *map(str, args)])


def one_error_line(result, *needles: str) -> str:
    """The command failed with exit code 2 and one red error line (no traceback)."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "extra, needles",
    [
        (["--tasks", "pick-place-v3", "--modes", "knock_over"], ["knock_over", "pick-place-v3:"]),
        (["--tasks", ""], ["no task given"]),
        (["--tasks", "pick-place-v3", "--modes", ""], ["no mode given"]),
        (["--tasks", "nope-v3"], ["unknown sim task 'nope-v3'"]),
        (["--tasks", "pick-place-v3", "--modes", "nope"], ["unknown sim mode 'nope'"]),
    ],
    ids=["mode-does-not-apply", "no-task", "no-mode", "unknown-task", "unknown-mode"],
)
def test_nothing_to_generate_says_why_and_creates_nothing(tmp_path, extra, needles):
    out = tmp_path / "G1"
    line = one_error_line(run("--out", out, "--workers", "1", *extra), *needles)
    assert "LeRobot" not in line
    assert not out.exists()


def test_modes_that_do_not_apply_name_the_modes_of_each_task(tmp_path):
    out = tmp_path / "G1"
    line = one_error_line(
        run("--out", out, "--tasks", "pick-place-v3,drawer-open-v3", "--modes", "knock_over")
    )
    assert "pick-place-v3: good," in line and "drawer-open-v3: good," in line
    assert not out.exists()


@pytest.mark.parametrize(
    "where", ["proc", "file", "under-file", "sys"], ids=lambda w: f"out-{w}"
)
def test_unwritable_out_is_one_error_line(tmp_path, where):
    path = {
        "proc": Path("/proc/badbench-test"),
        "file": tmp_path / "afile",
        "under-file": tmp_path / "afile" / "sub",
        "sys": Path("/sys/kernel/badbench-test"),
    }[where]
    (tmp_path / "afile").write_text("keep me")
    if where == "sys" and not Path("/sys/kernel").is_dir():
        pytest.skip("no /sys/kernel")
    one_error_line(run("--out", path, *TINY), str(path))
    assert (tmp_path / "afile").read_text() == "keep me"


def test_immutable_out_directory_is_one_error_line(tmp_path):
    out = tmp_path / "locked"
    out.mkdir()
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(out)]).returncode != 0:
        pytest.skip("cannot make a directory immutable here (chattr +i)")
    try:
        one_error_line(run("--out", out, *TINY), str(out), "cannot write")
        assert list(out.iterdir()) == []
    finally:
        subprocess.run([chattr, "-i", str(out)], check=True)


@pytest.mark.sim
@pytest.mark.slow
def test_rerun_with_other_settings_is_refused_or_overwritten(tmp_path):
    out = tmp_path / "D"
    first = run("--out", out, *TINY)
    assert first.exit_code == 0, first.output
    stored = json.loads((out / "meta/badbench/sim.json").read_text())
    assert stored["seed"] == 0 and stored["resolution"] == [32, 32] and stored["engine_version"]
    files = sorted(p for p in out.rglob("*") if p.is_file())

    again = run("--out", out, *TINY)  # same settings: resumes, nothing to do
    assert again.exit_code == 0 and "skipped 1 already present" in again.output

    line = one_error_line(run("--out", out, *TINY, "--seed", "7"), "seed 0 (dataset) vs 7")
    assert "--overwrite" in line
    line = one_error_line(
        run("--out", out, *TINY[:-1], "48", "--fps", "10", "--temperature", "0"),
        "resolution 32x32 (dataset) vs 48x48",
        "fps 20 (dataset) vs 10",
        "preference_temperature 0.1 (dataset) vs None",
    )
    assert sorted(p for p in out.rglob("*") if p.is_file()) == files  # nothing touched

    replaced = run("--out", out, *TINY, "--seed", "7", "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    assert "wrote 1 episodes" in replaced.output
    assert json.loads((out / "meta/badbench/sim.json").read_text())["seed"] == 7
    from badbench.data.dataset import Dataset

    ds = Dataset.open(out)
    assert [m.generator["seed"] for m in ds] == [7]


@pytest.mark.sim
@pytest.mark.slow
def test_engine_version_is_checked_on_resume(tmp_path):
    out = tmp_path / "D"
    assert run("--out", out, *TINY).exit_code == 0
    path = out / "meta/badbench/sim.json"
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "engine_version": 0}))
    one_error_line(run("--out", out, *TINY), "engine_version 0 (dataset) vs")


@pytest.mark.sim
@pytest.mark.slow
def test_a_dataset_from_before_sim_json_is_checked_by_its_episodes(tmp_path):
    out = tmp_path / "D"
    assert run("--out", out, *TINY).exit_code == 0
    (out / "meta/badbench/sim.json").unlink()  # as written before the settings were stored
    one_error_line(run("--out", out, *TINY, "--seed", "7"), "seed 0 (dataset) vs 7")
    assert not (out / "meta/badbench/sim.json").exists()
    again = run("--out", out, *TINY)
    assert again.exit_code == 0 and "skipped 1 already present" in again.output
    assert json.loads((out / "meta/badbench/sim.json").read_text())["seed"] == 0


def test_a_dataset_not_made_by_the_engine_is_refused(tmp_path):
    out = tmp_path / "example"
    made = runner.invoke(
        app, ["data", "example", "--out", str(out), "--contexts", "1", "--frames", "8",
              "--size", "32"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    files = sorted(p for p in out.rglob("*") if p.is_file())
    one_error_line(run("--out", out, *TINY), "not made by the sim engine")
    assert sorted(p for p in out.rglob("*") if p.is_file()) == files


@pytest.mark.parametrize(
    "content, needles",
    [
        ("{not json", ["rubric.json", "not JSON"]),
        ('{"weights": {"unsafe": 2.0}}', ["rubric.json"]),
        ('{"weigths": {}}', ["rubric.json", "unknown key(s) weigths"]),
        ("[1, 2]", ["rubric.json", "one JSON object"]),
    ],
    ids=["not-json", "bad-weight", "unknown-key", "not-an-object"],
)
def test_a_bad_rubric_file_is_one_error_naming_it(tmp_path, content, needles):
    path = tmp_path / "rubric.json"
    path.write_text(content)
    out = tmp_path / "G1"
    one_error_line(run("--out", out, *TINY, "--rubric", path), *needles)
    assert not out.exists()


def test_a_missing_rubric_file_is_one_error(tmp_path):
    out = tmp_path / "G1"
    one_error_line(run("--out", out, *TINY, "--rubric", tmp_path / "nope.json"), "nope.json")
    assert not out.exists()


@pytest.mark.sim
@pytest.mark.slow
def test_the_rubric_labels_the_scores_and_is_checked_on_resume(tmp_path):
    """No credit for an unsuccessful episode (fail_credit 0): an early stop scores exactly 0,
    where the default rubric gives it half its final progress."""
    from badbench.data.dataset import Dataset
    from badbench.data.rubric import DEFAULT_RUBRIC, Rubric

    strict = Rubric(fail_credit=0.0, name="strict")
    path = tmp_path / "strict.json"
    path.write_text(json.dumps(strict.to_json()))
    args = ["--tasks", "push-v3", "--modes", "early_stop", "--workers", "1"]
    args += ["--resolution", "32", "--temperature", "0"]
    scores = {}
    for name, extra in (("default", []), ("strict", ["--rubric", path])):
        out = tmp_path / name
        assert run("--out", out, *args, *extra).exit_code == 0
        ds = Dataset.open(out)
        (meta,) = list(ds)
        ep = ds.load(meta.episode_id, video=False)
        assert not ep.outcome.success
        scores[name] = (ep.outcome.score, ep.outcome.progress, float(ep.dense_reward[-1]))
        stored = json.loads((out / "meta/badbench/sim.json").read_text())
        assert stored["rubric"] == (strict if extra else DEFAULT_RUBRIC).to_json()
    score, progress, last = scores["default"]
    assert score == pytest.approx(0.5 * progress) and progress > 0.05
    assert scores["strict"][0] == 0.0 and scores["strict"][2] == pytest.approx(0.0, abs=1e-6)
    line = one_error_line(run("--out", tmp_path / "strict", *args), "rubric")
    assert "(dataset) vs" in line
