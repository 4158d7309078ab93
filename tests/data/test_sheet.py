"""`badbench data sheet`: a PNG per selection, and one clear error for a bad one."""

from __future__ import annotations

from PIL import Image
from typer.testing import CliRunner

from badbench.cli.main import app
from badbench.data.sheet import choose_episodes
from fixtures.factories import make_dataset


def test_sheet_png_and_selection(tmp_path) -> None:
    ds = make_dataset(tmp_path / "ds", n=4, length=10, size=32)
    out = tmp_path / "sheets" / "s.png"
    res = CliRunner().invoke(app, ["data", "sheet", str(ds.root), "--mode", "drop", "-o", str(out)])
    assert res.exit_code == 0, res.output
    width, height = Image.open(out).size
    assert width > 600 and height > 300  # 8 frames wide; 2 cameras, bar and curve per episode
    assert choose_episodes(ds, mode="drop") == [i for i in ds.episode_ids if ds.tags(i)]
    one = tmp_path / "one.png"
    res = CliRunner().invoke(
        app, ["data", "sheet", str(ds.root), "--episode", ds.episode_ids[0], "-o", str(one)]
    )
    assert res.exit_code == 0 and Image.open(one).size[1] < height


def test_sheet_bad_selection_is_one_line(tmp_path) -> None:
    ds = make_dataset(tmp_path / "ds", n=2, length=10, size=32)
    for args, msg in (
        (["--episode", "nope"], "no episode 'nope'"),
        (["--mode", "collision"], "no episode of mode 'collision'"),
        (["--frames", "1"], "frames must be at least 2"),
    ):
        res = CliRunner().invoke(app, ["data", "sheet", str(ds.root), *args])
        assert res.exit_code == 2 and msg in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["data", "sheet", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "Traceback" not in res.output
