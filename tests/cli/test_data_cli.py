"""`badbench data ...` through typer's CliRunner (and one real subprocess)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from badbench.cli.main import app
from badbench.data import Dataset, DatasetWriter
from badbench.data.video import encode_video
from fixtures.factories import make_frames
from fixtures.videos import corrupt_middle_third

runner = CliRunner()


def run(*args: str | Path):
    return runner.invoke(app, ["data", *map(str, args)])


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "example"
    result = runner.invoke(
        app,
        [
            "data",
            "example",
            "--out",
            str(root),
            "--contexts",
            "1",
            "--frames",
            "10",
            "--size",
            "32",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Dataset card: example")
    return root


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["import"],
        ["import", "videos"],
        ["import", "lerobot"],
        ["import", "prefs"],
        ["info"],
        ["card"],
        ["validate"],
        ["repair"],
        ["example"],
    ],
)
def test_help(command):
    result = runner.invoke(app, ["data", *command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: badbench data" in result.output


def test_example_dataset(example):
    ds = Dataset.open(example)
    assert len(ds) == 12  # 2 tasks x 1 context x 6 behaviours
    assert sum(ds.outcome(i).success for i in ds.episode_ids) == 8
    assert {t.mode for i in ds.episode_ids for t in ds.tags(i)} == {
        "jitter",
        "hesitation",
        "early_stop",
        "wrong_goal",
        "collision",
    }
    assert len(ds.preferences()) == 2 * 15  # every pair within each context
    assert ds.frames(ds.episode_ids[0]).shape == (10, 32, 32, 3)


def test_info(example):
    result = run("info", example)
    assert result.exit_code == 0, result.output
    for text in (
        "dataset example",
        "episodes",
        "12",
        "success rate",
        "66.7%",
        "failure modes",
        "collision",
        "pick_place",
    ):
        assert text in result.stdout


def test_card_to_stdout_and_file(example, tmp_path):
    result = run("card", example)
    assert result.exit_code == 0
    assert "| Episodes | 12 |" in result.stdout
    out = tmp_path / "cards" / "CARD.md"
    result = run("card", example, "--out", out)
    assert result.exit_code == 0
    assert out.read_text() == run("card", example).stdout


def test_validate_ok_and_broken(example, tmp_path):
    result = run("validate", example)
    assert result.exit_code == 0, result.output
    assert "has no errors" in result.stdout

    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(example, broken)
    videos = sorted((broken / "videos").rglob("*.mp4"))
    videos[0].unlink()
    videos[1].write_bytes(b"garbage")
    result = run("validate", broken)
    assert result.exit_code == 1
    errors = [x for x in result.stdout.splitlines() if x.startswith("error:")]
    assert len(errors) >= 2  # every problem listed, not just the first
    assert str(videos[0]) in result.stdout and str(videos[1]) in result.stdout


def test_import_videos_then_prefs_then_lerobot(tmp_path):
    for i in range(2):
        encode_video(tmp_path / f"ep{i}.mp4", make_frames(6, 32, seed=i), fps=10)
    manifest = tmp_path / "rollouts.jsonl"
    manifest.write_text(
        "\n".join(
            json.dumps(
                {
                    "episode_id": f"ep{i}",
                    "video": f"ep{i}.mp4",
                    "instruction": "stack",
                    "task_category": "stack",
                    "success": i == 0,
                    "progress": 100 - 60 * i,
                    "context_id": "c",
                }
            )
            for i in range(2)
        )
    )
    dest = tmp_path / "ds"
    result = run("import", "videos", manifest, dest, "--progress-scale", "100")
    assert result.exit_code == 0, result.output
    assert "imported 2 episodes" in result.stdout
    result = run("import", "videos", manifest, dest, "--progress-scale", "100")
    assert "imported 0 episodes" in result.stdout and "skipped 2" in result.stdout

    prefs = tmp_path / "arena.csv"
    prefs.write_text(
        "episode_a,episode_b,progress_a,progress_b,preference,feedback\n"
        "ep0,ep1,100,40,A,B missed the cup\n"
    )
    result = run("import", "prefs", prefs, dest)
    assert result.exit_code == 0, result.output
    assert "imported 1 preferences" in result.stdout
    assert Dataset.open(dest).preferences()[0].feedback == "B missed the cup"

    result = run("import", "lerobot", dest, tmp_path / "copy")
    assert result.exit_code == 0, result.output
    assert Dataset.open(tmp_path / "copy").episode_ids == ["ep0", "ep1"]


def test_user_error_is_one_red_line_exit_2(tmp_path):
    bad = tmp_path / "m.jsonl"
    bad.write_text('{"video": "nope.mp4", "instruction": "x"}\n')
    result = run("import", "videos", bad, tmp_path / "ds")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1  # one line, however long
    assert f"{bad}:1: field 'video': video file not found" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["info", "{missing}"],
        ["card", "{missing}"],
        ["import", "prefs", "{missing}.csv", "{missing}"],
        ["import", "lerobot", "{missing}", "{tmp}/out"],
    ],
)
def test_missing_paths_are_user_errors(tmp_path, args):
    args = [a.format(missing=tmp_path / "missing", tmp=tmp_path) for a in args]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output


def test_bad_progress_scale(tmp_path):
    result = run("import", "videos", tmp_path / "m.jsonl", tmp_path / "ds", "--progress-scale", "7")
    assert result.exit_code == 2
    assert "must be 1 or 100" in result.output


def test_real_process_prints_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "badbench.cli.main", "data", "info", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "meta/info.json is missing" in result.stderr


@pytest.mark.parametrize(("value", "message"), [("big", "is not WIDTHxHEIGHT"), ("31x32", "even")])
def test_bad_resize(tmp_path, value, message):
    result = run("import", "videos", tmp_path / "m.jsonl", tmp_path / "ds", "--resize", value)
    assert result.exit_code == 2
    assert message in result.output


def test_file_system_error_is_one_line(example, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run("card", example, "--out", blocker / "CARD.md")  # parent is a file
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def test_example_resumes_an_interrupted_build(tmp_path):
    from badbench.data.example import build_example_dataset, example_episodes

    root = tmp_path / "ex"
    with DatasetWriter(root, fps=10) as w:  # as if killed after two episodes
        for ep in example_episodes(contexts_per_task=1, frames=10, size=32)[:2]:
            w.append(ep)
    build_example_dataset(root, contexts_per_task=1, frames=10, size=32)
    ds = Dataset.open(root)
    assert len(ds) == 12 and len(ds.preferences()) == 30


def test_card_json(example):
    from badbench.data.card import DatasetSummary

    result = run("card", example, "--json")
    assert result.exit_code == 0, result.output
    summary = DatasetSummary.model_validate_json(result.stdout)
    assert (summary.episodes, summary.successes, summary.preferences) == (12, 8, 30)
    assert json.loads(result.stdout)["success_rate"] == pytest.approx(8 / 12)


def test_dry_run_checks_without_writing(tmp_path):
    encode_video(tmp_path / "a.mp4", make_frames(4, 32), fps=10)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"video": "a.mp4", "instruction": "x", "success": true}\n')
    result = run("import", "videos", manifest, tmp_path / "ds", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "ok: 1 episodes" in result.stdout and not (tmp_path / "ds").exists()
    manifest.write_text('{"video": "a.mp4", "instruction": "x", "progress": 0.5}\n')
    result = run("import", "videos", manifest, tmp_path / "ds", "--dry-run")
    assert result.exit_code == 2 and "progress is given without success" in result.stderr



def test_validate_decodes_frames_and_quick_does_not(example, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(example, broken)
    video = sorted((broken / "videos").rglob("file-007.mp4"))[0]
    corrupt_middle_third(video)
    result = run("validate", "--quick", broken)
    assert result.exit_code == 0, result.output
    assert "frames not decoded" in result.stdout
    result = run("validate", broken)
    assert result.exit_code == 1, result.output
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("error:")]
    assert str(video) in line and "episode 7 (" in line
    assert re.search(r"frames \d+\.\.\d+ of its 10 do not decode", line), line


def test_repair_command(example, tmp_path):
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(example, root)
    orphan = root / "data/chunk-000/file-099.parquet"
    orphan.write_bytes((root / "data/chunk-000/file-000.parquet").read_bytes())
    result = run("validate", "--strict", root)
    assert result.exit_code == 1 and f"badbench data repair {root}" in result.stdout
    result = run("repair", root)
    assert result.exit_code == 0, result.output
    assert "repaired 1 leftover(s)" in result.stdout and not orphan.exists()
    assert run("validate", "--strict", root).exit_code == 0
    assert "nothing to repair" in run("repair", root).stdout
    result = run("repair", tmp_path / "missing")
    assert result.exit_code == 2 and "meta/info.json is missing" in result.output


def test_mixed_sizes_speak_width_x_height_like_resize_and_info(tmp_path):
    """The error, --resize and `data info` all write frame sizes as WIDTHxHEIGHT."""
    big = make_frames(4, 48)
    encode_video(tmp_path / "wide.mp4", np.ascontiguousarray(big[:, :32, :48]), fps=10)
    encode_video(tmp_path / "tall.mp4", np.ascontiguousarray(big[:, :48, :32]), fps=10)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(
        '{"video": "wide.mp4", "instruction": "x"}\n{"video": "tall.mp4", "instruction": "x"}\n'
    )
    dest = tmp_path / "ds"
    result = run("import", "videos", manifest, dest)
    assert result.exit_code == 2
    assert "tall.mp4 are 32x48 (width x height); those of line 1 are 48x32" in result.output
    assert not dest.exists()  # wide.mp4 was not committed before tall.mp4 failed
    result = run("import", "videos", manifest, dest, "--resize", "48x32")
    assert result.exit_code == 0, result.output
    assert "(48x32)" in run("info", dest).stdout


def test_reimport_reports_unchanged_and_refuses_changed(tmp_path):
    encode_video(tmp_path / "a.mp4", make_frames(6, 32), fps=10)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"video": "a.mp4", "instruction": "x", "success": true}\n')
    dest = tmp_path / "ds"
    assert run("import", "videos", manifest, dest).exit_code == 0
    result = run("import", "videos", manifest, dest)
    assert "skipped 1 already present and unchanged" in result.stdout
    manifest.write_text('{"video": "a.mp4", "instruction": "x", "success": false}\n')
    result = run("import", "videos", manifest, dest)
    assert result.exit_code == 2
    assert "episode 'a' is already in" in result.output and "labels (success)" in result.output


def test_validate_lists_every_info_json_problem(example, tmp_path):
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(example, root)
    info = json.loads((root / "meta/info.json").read_text())
    for key in ("fps", "features", "data_path"):
        del info[key]
    (root / "meta/info.json").write_text(json.dumps(info))
    result = run("validate", root)
    assert result.exit_code == 1
    errors = [x for x in result.stdout.splitlines() if x.startswith("error:")]
    assert [e.split("field '")[1].split("'")[0] for e in errors] == ["fps", "features", "data_path"]
