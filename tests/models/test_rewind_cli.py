"""`badbench train rewind`: trains and saves a checkpoint `badbench eval` scores with; bad input is
one red line (exit 2)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

pytest.importorskip("torch")

from badbench.cli.main import app  # noqa: E402

runner = CliRunner()
TINY = ["--set", "hidden=32", "--set", "layers=1", "--set", "heads=2", "--set", "ff=32"]


def one_error_line(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_train_then_eval(reach_train, rewind_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "ckpt"
    args = [
        "train",
        "rewind",
        "--data",
        str(reach_train.root),
        "--labelled",
        str(reach_train.root),
        "--out",
        str(out),
        "--encoder",
        "state",
        "--steps",
        "12",
        "--seed",
        "3",
        "--cache",
        str(rewind_cache),
        "--no-progress",
        *TINY,
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "score with: badbench eval" in result.output
    record = json.loads((out / "rewind.json").read_text())
    assert record["complete"] and record["config"]["seed"] == 3 and record["config"]["hidden"] == 32
    assert sum(record["examples"]["train"].values()) + sum(record["examples"]["val"].values()) == 30
    run = runner.invoke(
        app,
        [
            "eval",
            "--data",
            str(reach_train.root),
            "-m",
            f"rewind:checkpoint={out},cache={rewind_cache}",
            "--out",
            str(tmp_path / "run"),
            "--no-report",
            "--no-progress",
        ],
    )
    assert run.exit_code == 0, run.output
    assert "rewind-v1" in run.output


@pytest.mark.parametrize(
    "extra, needles",
    [
        (["--encoder", "stat"], ["did you mean 'state'"]),
        (["--set", "hiden=3"], ["--set hiden=3"]),
        (["--set", "lr=fast"], ["lr must be a float"]),
        (["--camera", "side", "--encoder", "efficientnet-lite0:size=32"], ["no camera"]),
    ],
)
def test_bad_input_is_one_line(reach_train, tmp_path, extra, needles):
    args = [
        "train",
        "rewind",
        "--data",
        str(reach_train.root),
        "--out",
        str(tmp_path / "o"),
        "--no-progress",
        *extra,
    ]
    one_error_line(runner.invoke(app, args), *needles)
    assert not (tmp_path / "o").exists()
