"""LeRobot v3.0 compatibility, both ways.

``write_lerobot_v3`` below builds a dataset the way LeRobot lays one out (following its
documented format and ``lerobot/datasets`` code), with pyarrow and PyAV only, independently of
badbench's writer; we open it. The other tests check what our writer produces, field by field.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from badbench.data import Dataset, DatasetWriter
from badbench.data.validate import validate
from badbench.errors import SchemaError
from fixtures.factories import CAMERAS, make_episode, make_frames

FPS = 15
CAM = "observation.images.front"
TASKS = ["pick the cube", "push the cube left"]
LENGTHS = [8, 12]


def _encode(path: Path, frames: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"g": "2", "crf": "18"})
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, FPS)
            for p in stream.encode(vf):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)


def write_lerobot_v3(root: Path) -> dict:
    """Two episodes in one data file and one video file, as LeRobot v3.0 stores them."""
    frames = [make_frames(n, 32, seed=7 + i) for i, n in enumerate(LENGTHS)]
    rng = np.random.default_rng(0)
    states = [rng.normal(size=(n, 6)).astype(np.float32) for n in LENGTHS]
    actions = [rng.normal(size=(n, 6)).astype(np.float32) for n in LENGTHS]
    features = {
        "action": {"dtype": "float32", "shape": [6], "names": [f"motor_{i}" for i in range(6)]},
        "observation.state": {
            "dtype": "float32",
            "shape": [6],
            "names": [f"motor_{i}" for i in range(6)],
        },
        CAM: {
            "dtype": "video",
            "shape": [32, 32, 3],
            "names": ["height", "width", "channels"],
            "info": {
                "video.height": 32,
                "video.width": 32,
                "video.codec": "h264",
                "video.pix_fmt": "yuv420p",
                "video.is_depth_map": False,
                "video.fps": FPS,
                "video.channels": 3,
                "has_audio": False,
            },
        },
        "next.done": {"dtype": "bool", "shape": [1], "names": None},
        "timestamp": {"dtype": "float32", "shape": [1], "names": None},
        "frame_index": {"dtype": "int64", "shape": [1], "names": None},
        "episode_index": {"dtype": "int64", "shape": [1], "names": None},
        "index": {"dtype": "int64", "shape": [1], "names": None},
        "task_index": {"dtype": "int64", "shape": [1], "names": None},
    }
    info = {
        "codebase_version": "v3.0",
        "robot_type": "so100",
        "total_episodes": 2,
        "total_frames": sum(LENGTHS),
        "total_tasks": 2,
        "chunks_size": 1000,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 500,
        "fps": FPS,
        "splits": {"train": "0:2"},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
        "features": features,
    }
    (root / "meta").mkdir(parents=True)
    (root / "meta/info.json").write_text(json.dumps(info, indent=4))
    # tasks.parquet: pandas DataFrame({"task_index": ...}, index=tasks).to_parquet(), unnamed index
    pandas_meta = {
        "index_columns": ["__index_level_0__"],
        "column_indexes": [],
        "columns": [
            {
                "name": "task_index",
                "field_name": "task_index",
                "pandas_type": "int64",
                "numpy_type": "int64",
                "metadata": None,
            },
            {
                "name": None,
                "field_name": "__index_level_0__",
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            },
        ],
    }
    tasks = pa.table({"task_index": [0, 1], "__index_level_0__": TASKS}).replace_schema_metadata(
        {"pandas": json.dumps(pandas_meta)}
    )
    pq.write_table(tasks, root / "meta/tasks.parquet")
    # data/: one file, HF datasets types (Sequence(length=6) -> fixed_size_list)
    vec = pa.list_(pa.float32(), 6)
    n = sum(LENGTHS)
    data = pa.table(
        {
            "action": pa.array(np.concatenate(actions).tolist(), vec),
            "observation.state": pa.array(np.concatenate(states).tolist(), vec),
            "next.done": [i == L - 1 for L in LENGTHS for i in range(L)],
            "timestamp": pa.array([i / FPS for L in LENGTHS for i in range(L)], pa.float32()),
            "frame_index": pa.array([i for L in LENGTHS for i in range(L)], pa.int64()),
            "episode_index": pa.array(
                [e for e, L in enumerate(LENGTHS) for _ in range(L)], pa.int64()
            ),
            "index": pa.array(range(n), pa.int64()),
            "task_index": pa.array(
                [e for e, L in enumerate(LENGTHS) for _ in range(L)], pa.int64()
            ),
        }
    )
    (root / "data/chunk-000").mkdir(parents=True)
    pq.write_table(data, root / "data/chunk-000/file-000.parquet")
    # videos/: both episodes concatenated in one file
    _encode(root / f"videos/{CAM}/chunk-000/file-000.mp4", np.concatenate(frames))
    # meta/episodes: one row per episode, pa.Table.from_pydict as LeRobot does
    starts = [0, LENGTHS[0]]
    rows = {
        "episode_index": [0, 1],
        "tasks": [[TASKS[0]], [TASKS[1]]],
        "length": LENGTHS,
        "data/chunk_index": [0, 0],
        "data/file_index": [0, 0],
        "dataset_from_index": starts,
        "dataset_to_index": [s + L for s, L in zip(starts, LENGTHS, strict=True)],
        f"videos/{CAM}/chunk_index": [0, 0],
        f"videos/{CAM}/file_index": [0, 0],
        f"videos/{CAM}/from_timestamp": [s / FPS for s in starts],
        f"videos/{CAM}/to_timestamp": [(s + L) / FPS for s, L in zip(starts, LENGTHS, strict=True)],
        "stats/observation.state/min": [s.min(0).tolist() for s in states],
        "stats/observation.state/max": [s.max(0).tolist() for s in states],
        "stats/observation.state/mean": [s.mean(0).tolist() for s in states],
        "stats/observation.state/std": [s.std(0).tolist() for s in states],
        "stats/observation.state/count": [[L] for L in LENGTHS],
        "meta/episodes/chunk_index": [0, 0],
        "meta/episodes/file_index": [0, 0],
    }
    (root / "meta/episodes/chunk-000").mkdir(parents=True)
    pq.write_table(pa.Table.from_pydict(rows), root / "meta/episodes/chunk-000/file-000.parquet")
    return {"frames": frames, "states": states, "actions": actions}


def test_open_a_plain_lerobot_v3_dataset(tmp_path):
    src = write_lerobot_v3(tmp_path)
    ds = Dataset.open(tmp_path)
    assert ds.episode_ids == ["episode_000000", "episode_000001"]
    assert not ds.has_annotations
    assert ds.cameras == [CAM] and ds.fps == FPS and ds.robot_type == "so100"
    for i, eid in enumerate(ds.episode_ids):
        meta = ds.meta(eid)
        assert (meta.instruction, meta.task, meta.length) == (TASKS[i], TASKS[i], LENGTHS[i])
        assert meta.cameras == (CAM,) and meta.embodiment == "so100"
        ep = ds.load(eid)
        assert ep.outcome is None and ep.tags == [] and ep.dense_reward is None
        assert ep.extras == {} and ds.preferences() == []
        np.testing.assert_array_equal(ep.state, src["states"][i])
        np.testing.assert_array_equal(ep.action, src["actions"][i])
        assert ep.frames[CAM].shape == (LENGTHS[i], 32, 32, 3)
        assert np.abs(ep.frames[CAM].astype(int) - src["frames"][i]).mean() < 6
    assert validate(tmp_path, include_warnings=True) == []


def test_append_to_a_plain_lerobot_v3_dataset(tmp_path):
    write_lerobot_v3(tmp_path)
    ep = make_episode(5, length=6, cameras=(CAM,), state_dim=6, action_dim=6, fps=FPS)
    with DatasetWriter(tmp_path) as w, pytest.raises(SchemaError, match="next.done"):
        w.append(ep)  # the dataset has a column badbench episodes do not model
    ep.extras["next.done"] = np.arange(6) == 5
    with DatasetWriter(tmp_path) as w:
        assert w.existing_ids == {"episode_000000", "episode_000001"}
        assert w.append(ep) == 2
    ds = Dataset.open(tmp_path)
    assert ds.episode_ids == ["episode_000000", "episode_000001", ep.id]
    assert ds.load(ep.id).outcome == ep.outcome
    assert ds.tasks == [*TASKS, ep.meta.instruction]
    assert (tmp_path / "data/chunk-000/file-001.parquet").exists()
    # the new meta/episodes file has the same columns as LeRobot's (HF datasets concatenates them)
    old, new = (
        pq.read_schema(tmp_path / f"meta/episodes/chunk-000/file-00{i}.parquet") for i in (0, 1)
    )
    assert old.names == new.names and old.types == new.types
    info = json.loads((tmp_path / "meta/info.json").read_text())
    assert info["total_episodes"] == 3 and info["total_tasks"] == 3
    assert info["features"]["next.done"] == {"dtype": "bool", "shape": [1], "names": None}
    done = pq.read_table(tmp_path / "data/chunk-000/file-001.parquet").column("next.done")
    assert done.type == pa.bool_() and done.to_pylist() == [False] * 5 + [True]
    assert validate(tmp_path, include_warnings=True) == []


def test_writer_output_matches_lerobot_layout(tmp_path):
    with DatasetWriter(tmp_path, robot_type="sawyer") as w:
        w.extend([make_episode(0), make_episode(1)])
    info = json.loads((tmp_path / "meta/info.json").read_text())
    assert list(info) == [
        "codebase_version", "robot_type", "total_episodes", "total_frames", "total_tasks",
        "chunks_size", "data_files_size_in_mb", "video_files_size_in_mb", "fps", "splits",
        "data_path", "video_path", "features",
    ]  # fmt: skip
    assert info["codebase_version"] == "v3.0" and info["fps"] == 10
    assert info["data_path"] == "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
    assert info["video_path"] == (
        "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
    )
    feats = info["features"]
    assert list(feats)[-5:] == ["timestamp", "frame_index", "episode_index", "index", "task_index"]
    assert feats["timestamp"] == {"dtype": "float32", "shape": [1], "names": None}
    cam = feats[CAMERAS[0]]
    assert cam["shape"] == [32, 32, 3] and cam["names"] == ["height", "width", "channels"]
    assert cam["info"] == {
        "video.height": 32, "video.width": 32, "video.codec": "h264",
        "video.pix_fmt": "yuv420p", "video.is_depth_map": False, "video.fps": 10,
        "video.channels": 3, "has_audio": False,
    }  # fmt: skip
    assert feats["observation.state"]["dtype"] == "float32"
    assert feats["observation.state"]["shape"] == [4]

    tasks = pq.read_table(tmp_path / "meta/tasks.parquet")
    assert tasks.column_names == ["task_index", "task"]
    assert tasks.schema.field("task_index").type == pa.int64()
    assert json.loads(tasks.schema.metadata[b"pandas"])["index_columns"] == ["task"]

    data = pq.read_table(tmp_path / "data/chunk-000/file-000.parquet")
    assert data.column_names == [
        "observation.state", "action", "timestamp", "frame_index", "episode_index", "index",
        "task_index",
    ]  # fmt: skip
    assert data.schema.field("observation.state").type == pa.list_(pa.float32(), 4)
    assert data.schema.field("timestamp").type == pa.float32()
    hf = json.loads(data.schema.metadata[b"huggingface"])["info"]["features"]
    assert hf["observation.state"] == {
        "feature": {"dtype": "float32", "_type": "Value"},
        "length": 4,
        "_type": "Sequence",
    }
    assert data.column("index").to_pylist() == list(range(20))
    assert data.column("timestamp").to_pylist()[:2] == [0.0, np.float32(0.1)]

    eps = pq.read_table(tmp_path / "meta/episodes/chunk-000/file-000.parquet")
    head = [
        "episode_index", "tasks", "length", "data/chunk_index", "data/file_index",
        "dataset_from_index", "dataset_to_index",
    ]  # fmt: skip
    assert eps.column_names[:7] == head
    assert eps.column_names[-2:] == ["meta/episodes/chunk_index", "meta/episodes/file_index"]
    assert eps.schema.field("tasks").type == pa.list_(pa.string())
    for cam in CAMERAS:
        assert eps.schema.field(f"videos/{cam}/from_timestamp").type == pa.float64()
        assert f"stats/{cam}/mean" in eps.column_names
    assert eps.schema.field("stats/observation.state/count").type == pa.list_(pa.int64())
    stat_names = [c.rsplit("/", 1)[1] for c in eps.column_names if c.startswith("stats/action/")]
    assert stat_names == ["min", "max", "mean", "std", "count", "q01", "q10", "q50", "q90", "q99"]
    row = eps.to_pylist()[1]
    assert np.asarray(row[f"stats/{CAMERAS[0]}/mean"]).shape == (3, 1, 1)
    assert row["stats/frame_index/max"] == [9]

    stats = json.loads((tmp_path / "meta/stats.json").read_text())
    assert stats["index"]["max"] == [19] and stats["index"]["count"] == [20]
    assert stats["frame_index"]["q50"] == [4.5]  # the median of 0..9, in both episodes
    assert np.asarray(stats[CAMERAS[0]]["q99"]).shape == (3, 1, 1)
    assert np.asarray(stats[CAMERAS[0]]["std"]).shape == (3, 1, 1)
    state = np.concatenate([make_episode(i).state for i in range(2)])
    np.testing.assert_allclose(stats["observation.state"]["mean"], state.mean(0), rtol=1e-5)
    np.testing.assert_allclose(stats["observation.state"]["std"], state.std(0), rtol=1e-4)
