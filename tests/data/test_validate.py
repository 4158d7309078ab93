"""Bad input: each fault gives one clear error naming file and field; validate lists them all."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from badbench.data import Dataset
from badbench.data.validate import Problem, repair, validate
from badbench.errors import DataError, SchemaError, ValidationError, VideoError
from fixtures.factories import CAMERAS, make_dataset
from fixtures.videos import corrupt_middle_third

TOP = CAMERAS[0]


@pytest.fixture
def root(tmp_path) -> Path:
    make_dataset(tmp_path / "ds", 3)
    return tmp_path / "ds"


def _video(root: Path, episode: int = 1, cam: str = TOP) -> Path:
    return root / f"videos/{cam}/chunk-000/file-{episode:03d}.mp4"


def _edit(path: Path, column: str, values: list, type_: pa.DataType | None = None) -> None:
    """Rewrite one column of a parquet file (keeping the rest)."""
    table = pq.read_table(path)
    arr = pa.array(values, type=type_)
    i = table.column_names.index(column)
    table = table.set_column(i, pa.field(column, arr.type), arr)
    pq.write_table(table, path)


def _short_video(path: Path, frames: int) -> None:
    with av.open(str(path), "w", format="mp4") as out:
        s = out.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
        for i in range(frames):
            vf = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, 10)
            for p in s.encode(vf):
                out.mux(p)
        for p in s.encode():
            out.mux(p)


def _only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_missing_video(root):
    _video(root).unlink()
    ds = Dataset.open(root)  # metadata is fine; the video is read lazily
    with pytest.raises(VideoError, match="video file is missing") as e:
        ds.load(ds.episode_ids[1])
    assert e.value.path == _video(root)
    p = _only(validate(root))
    assert (p.path, p.kind) == (_video(root), "VideoError") and "missing" in p.message


def test_corrupt_video(root):
    _video(root).write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 20)
    ds = Dataset.open(root)
    with pytest.raises(VideoError, match="corrupt") as e:
        ds.frames(ds.episode_ids[1])
    assert e.value.path == _video(root)
    assert _only(validate(root)).path == _video(root)


def test_frame_count_disagrees_with_video(root):
    _short_video(_video(root), 6)  # the episode has 10 frames
    ds = Dataset.open(root)
    with pytest.raises(VideoError, match="disagrees with the video") as e:
        ds.frames(ds.episode_ids[1])
    assert (e.value.path, e.value.field) == (_video(root), "length")
    p = _only(validate(root))
    assert (p.path, p.field) == (_video(root), "length") and "holds 6 frames" in p.message


def test_data_parquet_with_wrong_schema(root):
    path = root / "data/chunk-000/file-002.parquet"
    _edit(path, "observation.state", ["oops"] * 10, pa.string())
    ds = Dataset.open(root)
    with pytest.raises(SchemaError, match="has type string") as e:
        ds.load(ds.episode_ids[2], video=False)
    assert (e.value.path, e.value.field) == (path, "observation.state")
    p = _only(validate(root))
    assert (p.path, p.field, p.kind) == (path, "observation.state", "SchemaError")


def test_episode_index_with_missing_column(root):
    path = root / "meta/episodes/chunk-000/file-001.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["dataset_to_index"]), path)
    with pytest.raises(SchemaError, match="column is missing") as e:
        Dataset.open(root)
    assert (e.value.path, e.value.field) == (path, "dataset_to_index")
    assert any(p.path == path and p.field == "dataset_to_index" for p in validate(root))


def test_badbench_table_with_wrong_schema(root):
    path = root / "meta/badbench/outcomes/chunk-000/file-000.parquet"
    _edit(path, "success", ["yes"], pa.string())
    with pytest.raises(SchemaError) as e:
        Dataset.open(root)
    assert (e.value.path, e.value.field) == (path, "success")
    assert _only(validate(root)).field == "success"


def test_unknown_failure_mode(root):
    path = root / "meta/badbench/tags/chunk-000/file-001.parquet"
    _edit(path, "mode", ["teleport"])
    with pytest.raises(ValidationError, match="unknown failure mode 'teleport'") as e:
        Dataset.open(root)
    assert (e.value.path, e.value.field) == (path, "mode")
    p = _only(validate(root))
    assert (p.path, p.field, p.kind) == (path, "mode", "ValidationError")


def test_progress_outside_unit_interval(root):
    path = root / "meta/badbench/outcomes/chunk-000/file-002.parquet"
    _edit(path, "progress", [1.5], pa.float64())
    with pytest.raises(ValidationError, match="less than or equal to 1") as e:
        Dataset.open(root)
    assert (e.value.path, e.value.field) == (path, "progress")
    assert _only(validate(root)).field == "progress"


def test_preference_naming_a_missing_episode(root):
    path = root / "meta/badbench/preferences/chunk-000/file-000.parquet"
    _edit(path, "episode_b", ["ghost", "pick-place-v3/ep0002"])
    with pytest.raises(ValidationError, match="'ghost', which is not in the dataset") as e:
        Dataset.open(root)
    assert e.value.field == "episode_b"
    assert _only(validate(root)).field == "episode_b"


def test_dense_labels_of_the_wrong_length(root):
    path = root / "meta/badbench/dense/chunk-000/file-000.parquet"
    _edit(path, "reward", [[0.0, 1.0]], pa.list_(pa.float32()))
    assert _only(validate(root)).field == "reward"


def test_not_a_dataset(tmp_path):
    with pytest.raises(DataError, match="meta/info.json is missing"):
        Dataset.open(tmp_path)
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta/info.json").write_text("{not json")
    assert "cannot parse JSON" in _only(validate(tmp_path)).message
    (tmp_path / "meta/info.json").write_text(json.dumps({"codebase_version": "v2.1"}))
    with pytest.raises(SchemaError, match="required key is missing"):
        Dataset.open(tmp_path)


def test_validate_lists_every_problem(root):
    _video(root, 0).unlink()
    _short_video(_video(root, 2, CAMERAS[1]), 4)
    _edit(root / "meta/badbench/tags/chunk-000/file-001.parquet", "mode", ["teleport"])
    _edit(root / "meta/badbench/outcomes/chunk-000/file-000.parquet", "progress", [-0.5])
    _edit(
        root / "meta/badbench/preferences/chunk-000/file-000.parquet",
        "episode_a",
        ["ghost-a", "ghost-b"],
    )
    _edit(root / "data/chunk-000/file-001.parquet", "action", [[1.0]] * 10, pa.list_(pa.int64()))
    problems = validate(root)
    fields = sorted(str(p.field) for p in problems)
    assert fields == sorted(
        ["None", "length", "mode", "progress", "episode_a", "episode_a", "action"]
    ), [str(p) for p in problems]
    assert all(p.path is not None and p.severity == "error" for p in problems)
    assert all(str(p).startswith(str(p.path)) for p in problems)


def test_leftovers_are_warnings_and_repair_removes_them(root):
    orphan = root / "data/chunk-000/file-003.parquet"
    orphan.write_bytes((root / "data/chunk-000/file-000.parquet").read_bytes())
    info = json.loads((root / "meta/info.json").read_text())
    info["total_episodes"] = 2
    (root / "meta/info.json").write_text(json.dumps(info))
    assert validate(root) == []
    warnings = validate(root, include_warnings=True)
    assert {(p.path.name, p.field) for p in warnings} == {
        ("file-003.parquet", None),
        ("info.json", "total_episodes"),
    }
    assert all(p.severity == "warning" for p in warnings)
    repair(root)
    assert validate(root, include_warnings=True) == []
    assert not orphan.exists()


def test_validate_decodes_every_frame(tmp_path):
    make_dataset(tmp_path / "ds", 3, length=30, size=64)
    root = tmp_path / "ds"
    corrupt_middle_third(_video(root))
    assert validate(root, decode=False) == []  # the packets are all there
    p = _only(validate(root))
    assert (p.path, p.kind, p.field) == (_video(root), "VideoError", TOP)
    assert "episode 1 ('pick-place-v3/ep0001')" in p.message
    assert "do not decode" in p.message and "frames " in p.message
    with pytest.raises(VideoError, match="cannot decode"):
        Dataset.open(root).frames("pick-place-v3/ep0001")


def test_decoding_maps_bad_frames_to_the_episodes_of_a_shared_file(tmp_path):
    make_dataset(tmp_path / "ds", 3, batch=True, length=30, size=64)
    root = tmp_path / "ds"
    shared = root / f"videos/{TOP}/chunk-000/file-000.mp4"  # all three episodes, one after another
    corrupt_middle_third(shared)
    problems = validate(root)
    assert {p.path for p in problems} == {shared}
    assert all(p.message.startswith("episode ") for p in problems), [str(p) for p in problems]
    # the middle of the file is the middle episode: it is reported, by episode-relative frames
    assert any(p.message.startswith("episode 1 ") for p in problems)
    ds = Dataset.open(root)
    for p in problems:
        i = int(p.message.split()[1])
        with pytest.raises(VideoError):
            ds.frames(ds.episode_ids[i])


def test_validate_reports_every_info_json_problem(root):
    info = json.loads((root / "meta/info.json").read_text())
    for key in ("fps", "features", "data_path"):
        del info[key]
    (root / "meta/info.json").write_text(json.dumps(info))
    problems = validate(root)
    assert [p.field for p in problems] == ["fps", "features", "data_path"]
    assert all(p.path == root / "meta/info.json" for p in problems)
    with pytest.raises(SchemaError, match="so are 'features', 'data_path'"):
        Dataset.open(root)


def test_repair_hint_names_the_command(root):
    info = json.loads((root / "meta/info.json").read_text())
    info["total_episodes"] = 2
    (root / "meta/info.json").write_text(json.dumps(info))
    (p,) = validate(root, include_warnings=True)
    assert f"`badbench data repair {root}`" in p.message
    assert [w.field for w in repair(root)] == ["total_episodes"]
    assert repair(root) == []


def test_repair_leaves_a_directory_that_is_no_dataset_alone(tmp_path):
    with pytest.raises(DataError, match="meta/info.json is missing"):
        repair(tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()
