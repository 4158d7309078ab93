"""Round trips through DatasetWriter and Dataset: records, arrays, labels and frames."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from badbench.data import Dataset, DatasetWriter
from badbench.data.validate import validate
from badbench.data.video import VideoSpec
from badbench.errors import DataError, SchemaError, ValidationError
from fixtures.factories import CAMERAS, FRAME_TOLERANCE, make_episode, make_preferences


def assert_same_episode(got, want, *, video: bool = True) -> None:
    assert got.meta == want.meta
    assert got.outcome == want.outcome
    assert got.tags == want.tags
    np.testing.assert_array_equal(got.state, want.state)
    np.testing.assert_array_equal(got.action, want.action)
    np.testing.assert_array_equal(got.dense_reward, want.dense_reward)
    assert got.dense_reward.dtype == np.float32
    assert set(got.extras) == set(want.extras)
    for name, arr in want.extras.items():
        assert got.extras[name].dtype == arr.dtype
        np.testing.assert_array_equal(got.extras[name], arr)
    if video:
        assert set(got.frames) == set(want.frames)
        for cam, frames in want.frames.items():
            assert got.frames[cam].shape == frames.shape
            assert got.frames[cam].dtype == np.uint8
            diff = np.abs(got.frames[cam].astype(int) - frames.astype(int)).mean()
            assert diff < FRAME_TOLERANCE, (cam, diff)


@pytest.mark.parametrize("batch", [False, True], ids=["append", "extend"])
def test_round_trip_two_cameras(tmp_path, batch):
    episodes = [make_episode(i) for i in range(3)]
    prefs = make_preferences(episodes)
    with DatasetWriter(tmp_path / "ds") as w:
        if batch:
            assert w.extend(episodes) == [0, 1, 2]
        else:
            assert [w.append(ep) for ep in episodes] == [0, 1, 2]
        w.add_preferences(prefs)
    ds = Dataset.open(tmp_path / "ds")
    assert len(ds) == 3
    assert ds.episode_ids == [ep.id for ep in episodes]
    assert ds.cameras == list(CAMERAS)
    assert ds.fps == 10.0
    assert ds.has_annotations
    for ep in episodes:
        assert_same_episode(ds.load(ep.id), ep)
    assert ds.preferences() == prefs
    assert [m.episode_id for m in ds] == ds.episode_ids
    assert validate(tmp_path / "ds", include_warnings=True) == []


def test_extend_packs_one_file_per_stream(tmp_path):
    with DatasetWriter(tmp_path) as w:
        w.extend([make_episode(i) for i in range(3)])
        w.append(make_episode(3))
    assert len(list((tmp_path / "data").glob("*/*.parquet"))) == 2
    assert len(list((tmp_path / "meta/episodes").glob("*/*.parquet"))) == 2
    for cam in CAMERAS:
        assert len(list((tmp_path / "videos" / cam).glob("*/*.mp4"))) == 2
    rows = pq.read_table(tmp_path / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    key = f"videos/{CAMERAS[0]}"
    assert [r[f"{key}/from_timestamp"] for r in rows] == [0.0, 1.0, 2.0]
    assert [r[f"{key}/to_timestamp"] for r in rows] == [1.0, 2.0, 3.0]
    assert [r["dataset_from_index"] for r in rows] == [0, 10, 20]


def test_frames_seek_and_indices(tmp_path):
    episodes = [make_episode(i, length=12) for i in range(3)]
    with DatasetWriter(tmp_path) as w:
        w.extend(episodes)
    ds = Dataset.open(tmp_path)
    want = episodes[2].frames[CAMERAS[1]]
    got = ds.frames(episodes[2].id, CAMERAS[1], indices=[11, 0, 5])
    assert got.shape == (3, 32, 32, 3)
    for k, i in enumerate([11, 0, 5]):
        assert np.abs(got[k].astype(int) - want[i]).mean() < FRAME_TOLERANCE
    assert ds.frames(episodes[1].id).shape == (12, 32, 32, 3)  # first camera by default
    with pytest.raises(KeyError, match="no camera"):
        ds.frames(episodes[0].id, "observation.images.nope")
    with pytest.raises(KeyError, match="no episode"):
        ds.meta("missing")


def test_load_without_video_and_minimal_episode(tmp_path):
    ep = make_episode(
        0, cameras=(), state_dim=None, action_dim=2, tags=False, dense=False, extras=False
    )
    with DatasetWriter(tmp_path) as w:
        w.append(ep)
    ds = Dataset.open(tmp_path)
    got = ds.load(ep.id, video=False)
    assert got.frames == {} and got.state is None and got.dense_reward is None
    np.testing.assert_array_equal(got.action, ep.action)
    assert ds.info["video_path"] is None


def test_resume_appends_new_files_only(tmp_path):
    with DatasetWriter(tmp_path) as w:
        w.append(make_episode(0))
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "data").rglob("*.parquet")}
    with DatasetWriter(tmp_path) as w:
        assert w.existing_ids == {make_episode(0).id}
        assert w.append(make_episode(1)) == 1
    for p, mtime in before.items():
        assert p.stat().st_mtime_ns == mtime
    ds = Dataset.open(tmp_path)
    assert ds.episode_ids == [make_episode(0).id, make_episode(1).id]
    info = json.loads((tmp_path / "meta/info.json").read_text())
    assert (info["total_episodes"], info["total_frames"], info["splits"]) == (
        2,
        20,
        {"train": "0:2"},
    )
    assert ds.stats["observation.state"]["count"].tolist() == [20]


def test_features_fixed_by_first_episode(tmp_path):
    with DatasetWriter(tmp_path) as w:
        w.append(make_episode(0))
        with pytest.raises(SchemaError, match="64x64.*32x32"):
            w.append(make_episode(1, size=64))
        with pytest.raises(SchemaError, match="cameras"):
            w.append(make_episode(2, cameras=CAMERAS[:1]))
        with pytest.raises(SchemaError, match="observation.state has size 5"):
            w.append(make_episode(3, state_dim=5))
        with pytest.raises(ValidationError, match="fps"):
            w.append(make_episode(4, fps=15.0))
        with pytest.raises(ValidationError, match="already in the dataset"):
            w.append(make_episode(0))
        assert w.append(make_episode(5)) == 1  # a rejected episode leaves no trace
    assert len(Dataset.open(tmp_path)) == 2
    assert validate(tmp_path, include_warnings=True) == []


def test_rejected_batch_writes_nothing(tmp_path):
    with DatasetWriter(tmp_path) as w:
        w.append(make_episode(0))
        with pytest.raises(ValidationError, match="lengths disagree"):
            bad = make_episode(2)
            bad.state = bad.state[:5]
            w.extend([make_episode(1), bad])
    ds = Dataset.open(tmp_path)
    assert len(ds) == 1
    assert validate(tmp_path, include_warnings=True) == []


def test_preference_must_name_existing_episodes(tmp_path):
    eps = [make_episode(0), make_episode(1)]
    with DatasetWriter(tmp_path) as w:
        w.append(eps[0])
        with pytest.raises(ValidationError, match="episode_b") as e:
            w.add_preferences(make_preferences(eps))
        assert e.value.field == "episode_b"


def test_one_writer_at_a_time(tmp_path):
    with DatasetWriter(tmp_path):
        with pytest.raises(DataError, match="another DatasetWriter"):
            DatasetWriter(tmp_path)
    DatasetWriter(tmp_path).close()


def test_odd_frame_size_is_a_clear_error(tmp_path):
    ep = make_episode(0, size=31)
    with DatasetWriter(tmp_path) as w, pytest.raises(DataError, match="even width and height"):
        w.append(ep)


@pytest.mark.slow
def test_libsvtav1_round_trip(tmp_path):
    episodes = [make_episode(i, size=64, cameras=CAMERAS[:1]) for i in range(2)]
    with DatasetWriter(tmp_path, spec=VideoSpec(codec="libsvtav1", crf=30)) as w:
        w.extend(episodes)
    ds = Dataset.open(tmp_path)
    assert ds.info["features"][CAMERAS[0]]["info"]["video.codec"] == "av1"
    for ep in episodes:
        assert_same_episode(ds.load(ep.id), ep)


def test_one_dimensional_state_is_a_scalar_column(tmp_path):
    """LeRobot stores a feature of shape [1] as a scalar column; it loads back as (T, 1)."""
    ep = make_episode(0, state_dim=1, action_dim=1)
    with DatasetWriter(tmp_path) as w:
        w.append(ep)
    table = pq.read_table(tmp_path / "data/chunk-000/file-000.parquet")
    assert table.schema.field("action").type == pa.float32()
    got = Dataset.open(tmp_path).load(ep.id, video=False)
    assert got.state.shape == got.action.shape == (10, 1)
    np.testing.assert_array_equal(got.action, ep.action)


def test_extend_starts_new_files_at_the_size_limits(tmp_path):
    episodes = [make_episode(i, length=60) for i in range(4)]  # longer than x264's lookahead
    limit = 1e-6  # MB: every file is "full" after one episode
    with DatasetWriter(tmp_path, data_files_size_in_mb=limit, video_files_size_in_mb=limit) as w:
        w.extend(episodes[:3])
        w.append(episodes[3])
    info = json.loads((tmp_path / "meta/info.json").read_text())
    assert info["data_files_size_in_mb"] == info["video_files_size_in_mb"] == limit
    assert len(list((tmp_path / "data").glob("*/*.parquet"))) == 4
    assert len(list((tmp_path / f"videos/{CAMERAS[1]}").glob("*/*.mp4"))) == 4
    assert len(list((tmp_path / "meta/episodes").glob("*/*.parquet"))) == 2  # one per commit
    rows = pq.read_table(tmp_path / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert [r["data/file_index"] for r in rows] == [0, 1, 2]
    assert [r[f"videos/{CAMERAS[0]}/file_index"] for r in rows] == [0, 1, 2]
    assert [r[f"videos/{CAMERAS[0]}/from_timestamp"] for r in rows] == [0.0, 0.0, 0.0]
    assert [r["dataset_from_index"] for r in rows] == [0, 60, 120]
    ds = Dataset.open(tmp_path)
    for ep in episodes:
        assert_same_episode(ds.load(ep.id), ep)
    assert validate(tmp_path, include_warnings=True) == []


def test_small_chunks_size_spreads_files_over_chunk_directories(tmp_path):
    with DatasetWriter(tmp_path, chunks_size=2) as w:
        for i in range(5):
            w.append(make_episode(i, cameras=CAMERAS[:1]))
    assert (tmp_path / "data/chunk-002/file-000.parquet").exists()
    assert (tmp_path / "meta/episodes/chunk-001/file-001.parquet").exists()
    ds = Dataset.open(tmp_path)
    assert len(ds) == 5
    assert_same_episode(ds.load(make_episode(4).id), make_episode(4, cameras=CAMERAS[:1]))
    with DatasetWriter(tmp_path) as w:  # resumes with the dataset's chunks_size
        w.append(make_episode(5, cameras=CAMERAS[:1]))
    assert (tmp_path / "data/chunk-002/file-001.parquet").exists()
    assert validate(tmp_path, include_warnings=True) == []


def test_score_and_tag_visibility_round_trip_and_format_1_files_read(tmp_path):
    from dataclasses import replace as dc_replace

    from badbench.data.schema import LabelSource, Outcome, TagView

    ep = make_episode(0, cameras=(), success=False, tags=True, dense=False, extras=False)
    outcome = Outcome(
        success=True,
        progress=1.0,
        progress_source=LabelSource.ORACLE,
        score=0.4,
        score_source=LabelSource.ORACLE,
    )
    views = {"observation.images.scene": TagView(in_view=True, pixels=412)}
    tags = [ep.tags[0].model_copy(update={"visibility": views})]
    ep = dc_replace(ep, outcome=outcome, tags=tags)
    with DatasetWriter(tmp_path) as w:
        w.append(ep)
    got = Dataset.open(tmp_path).load(ep.id, video=False)
    assert got.outcome == outcome and got.outcome.quality == 0.4
    assert got.tags[0].visibility == views
    # a dataset written before format 2 has neither column: both read as absent
    for name, cols in (("outcomes", ["score", "score_source"]), ("tags", ["visibility"])):
        for path in (tmp_path / "meta" / "badbench" / name).rglob("*.parquet"):
            pq.write_table(pq.read_table(path).drop(cols), path)
    old = Dataset.open(tmp_path).load(ep.id, video=False)
    assert old.outcome.score is None and old.outcome.quality == 1.0
    assert old.tags[0].visibility == {}
