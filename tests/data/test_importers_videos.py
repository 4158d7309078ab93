"""Importing a folder of videos plus a JSONL manifest (tiny mp4s made with PyAV)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from badbench.data import Dataset, DatasetWriter
from badbench.data.importers import import_videos, parse_video_manifest
from badbench.data.schema import EpisodeSource, LabelSource
from badbench.data.taxonomy import TaskCategory
from badbench.data.video import encode_video
from badbench.errors import DataError, SchemaError, ValidationError, VideoError
from fixtures.factories import make_frames
from fixtures.videos import corrupt_middle_third

REAL_CLIPS = Path("/work/shared/data/real_clips")


def mp4(path: Path, length: int = 8, size: int = 32, fps: float = 10.0, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    encode_video(path, make_frames(length, size, seed=seed), fps=fps)
    return path


def manifest(path: Path, *records: dict | str) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


@pytest.fixture
def rollouts(tmp_path: Path) -> Path:
    """A lab's evaluation folder: videos/ with 3 rollouts and rollouts.jsonl."""
    for i in range(3):
        mp4(tmp_path / "videos" / f"ep{i}.mp4", length=8 + i, seed=i)
    manifest(
        tmp_path / "rollouts.jsonl",
        {
            "episode_id": "ep0",
            "video": "videos/ep0.mp4",
            "instruction": "put the cup on the plate",
            "task": "cup-on-plate",
            "task_category": "pick_place",
            "success": True,
            "progress": 100,
            "policy_id": "pi0",
            "context_id": "table-1",
            "embodiment": "franka",
        },
        {
            "episode_id": "ep1",
            "video": "videos/ep1.mp4",
            "instruction": "put the cup on the plate",
            "task": "cup-on-plate",
            "task_category": "pick_place",
            "success": False,
            "progress": 40,
            "failure_tags": [
                "drop",
                {
                    "mode": "collision",
                    "start_frame": 2,
                    "end_frame": 3,
                    "severity": 0.5,
                    "description": "hit the plate",
                },
            ],
            "policy_id": "octo",
            "context_id": "table-1",
            "embodiment": "franka",
        },
        {
            "video": "videos/ep2.mp4",
            "instruction": "pour the nuts onto the plate",
            "task_category": "pour",
            "success": False,
            "progress": 70,
            "failure_tags": ["spill"],
            "dense_reward": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.7],
            "dense_source": "human",
            "embodiment": "franka",
        },
    )
    return tmp_path


def test_import_videos_round_trip(rollouts, tmp_path):
    dest = tmp_path / "ds"
    calls = []
    report = import_videos(
        rollouts / "rollouts.jsonl",
        dest,
        progress_scale=100,
        progress=lambda done, total, eid: calls.append((done, total, eid)),
    )
    assert report.imported == ["ep0", "ep1", "ep2"] and report.skipped == []
    assert calls == [(0, 3, ""), (1, 3, "ep0"), (2, 3, "ep1"), (3, 3, "ep2")]

    ds = Dataset.open(dest)
    assert ds.episode_ids == ["ep0", "ep1", "ep2"]
    assert ds.cameras == ["observation.images.front"]
    m0, m1, m2 = (ds.meta(i) for i in ds.episode_ids)
    assert (m0.instruction, m0.task, m0.task_category) == (
        "put the cup on the plate",
        "cup-on-plate",
        TaskCategory.PICK_PLACE,
    )
    assert (m0.policy_id, m0.context_id, m0.embodiment, m0.fps) == ("pi0", "table-1", "franka", 10)
    assert m0.source == EpisodeSource.REAL
    assert [m.length for m in (m0, m1, m2)] == [8, 9, 10]
    assert m2.task == "pour the nuts onto the plate"  # task defaults to the instruction
    assert m2.task_category == TaskCategory.POUR

    o0, o1, o2 = (ds.outcome(i) for i in ds.episode_ids)
    assert (o0.success, o0.progress, o0.progress_source) == (True, 1.0, LabelSource.HUMAN)
    assert (o1.success, o1.progress) == (False, pytest.approx(0.4))
    assert o2.dense_source == LabelSource.HUMAN

    tags = ds.tags("ep1")
    assert [
        (t.mode, str(t.category), t.start_frame, t.end_frame, t.severity, t.description)
        for t in tags
    ] == [
        ("drop", "failure", 0, 8, 1.0, ""),
        ("collision", "unsafe", 2, 3, 0.5, "hit the plate"),
    ]
    assert ds.tags("ep0") == []
    assert ds.dense_reward("ep2") == pytest.approx(
        [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.7]
    )
    assert ds.dense_reward("ep0") is None

    frames = ds.frames("ep1")
    original = make_frames(9, 32, seed=1)
    assert frames.shape == original.shape
    assert np.abs(frames.astype(int) - original.astype(int)).mean() < 12  # two lossy encodes


def test_import_resumes_skipping_present_ids(rollouts, tmp_path):
    dest = tmp_path / "ds"
    first = import_videos(rollouts / "rollouts.jsonl", dest, progress_scale=100)
    again = import_videos(rollouts / "rollouts.jsonl", dest, progress_scale=100)
    assert again.imported == [] and again.skipped == first.imported
    assert len(Dataset.open(dest)) == 3


def _edit_line(path: Path, episode_id: str, **changes) -> None:
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    for line in lines:
        if line.get("episode_id", Path(line["video"]).stem) == episode_id:
            line.update(changes)
    manifest(path, *lines)


def test_reimport_with_other_labels_is_refused_naming_the_fields(rollouts, tmp_path):
    dest = tmp_path / "ds"
    m = rollouts / "rollouts.jsonl"
    import_videos(m, dest, progress_scale=100)
    _edit_line(m, "ep1", success=True, failure_tags=["drop"])
    with pytest.raises(ValidationError) as e:
        import_videos(m, dest, progress_scale=100)
    assert (e.value.line, e.value.field) == (2, "episode_id")
    message = str(e.value)
    assert "episode 'ep1' is already in" in message
    assert "labels (success, failure_tags)" in message and "video" not in message
    assert "new \"episode_id\"" in message  # says what to do
    assert Dataset.open(dest).outcome("ep1").success is False  # nothing replaced


def test_reimport_with_another_video_is_refused(rollouts, tmp_path):
    dest = tmp_path / "ds"
    m = rollouts / "rollouts.jsonl"
    import_videos(m, dest, progress_scale=100)
    ep0 = rollouts / "videos" / "ep0.mp4"
    original = ep0.read_bytes()
    mp4(ep0, length=8, seed=42)  # same length, other pictures
    mp4(rollouts / "videos" / "ep2.mp4", length=4, seed=2)  # another length
    with pytest.raises(ValidationError) as e:
        import_videos(m, dest, progress_scale=100)
    assert e.value.line == 1 and "video of 'front' (content" in str(e.value)
    assert "labels" not in str(e.value)
    ep0.write_bytes(original)
    with pytest.raises(ValidationError) as e:
        import_videos(m, dest, progress_scale=100)
    assert e.value.line == 3 and "video of 'front' (4 frames, stored 10)" in str(e.value)


def test_identical_reimport_is_skipped_and_counted(rollouts, tmp_path):
    dest = tmp_path / "ds"
    m = rollouts / "rollouts.jsonl"
    import_videos(m, dest, progress_scale=100)
    mp4(rollouts / "videos" / "ep3.mp4", length=6, seed=3)
    with m.open("a") as f:
        f.write(json.dumps({"video": "videos/ep3.mp4", "instruction": "x"}) + "\n")
    report = import_videos(m, dest, progress_scale=100)
    assert report.skipped == ["ep0", "ep1", "ep2"] and report.imported == ["ep3"]


@pytest.mark.parametrize("damage", ["garbage", "corrupt middle"])
def test_a_failing_clip_writes_nothing_and_a_rerun_imports_all(rollouts, tmp_path, damage):
    broken = rollouts / "videos" / "ep1.mp4"
    good = broken.read_bytes()
    if damage == "garbage":  # caught by the header check, before anything is decoded
        broken.write_bytes(b"not a video at all" * 10)
    else:  # caught while decoding, after ep0 went into the batch: rolled back
        corrupt_middle_third(broken)
    dest = tmp_path / "ds"
    with pytest.raises(VideoError) as e:
        import_videos(rollouts / "rollouts.jsonl", dest, progress_scale=100)
    assert e.value.path == broken and "rollouts.jsonl:2" in str(e.value)
    assert not dest.exists()  # not even ep0, which came before the bad clip

    broken.write_bytes(good)
    report = import_videos(rollouts / "rollouts.jsonl", dest, progress_scale=100)
    assert report.skipped == [] and report.imported == ["ep0", "ep1", "ep2"]
    assert Dataset.open(dest).episode_ids == ["ep0", "ep1", "ep2"]


def test_a_failing_clip_leaves_an_existing_dataset_as_it_was(rollouts, tmp_path):
    dest = tmp_path / "ds"
    import_videos(rollouts / "rollouts.jsonl", dest, progress_scale=100)
    before = sorted(p.relative_to(dest) for p in dest.rglob("*") if p.is_file())
    mp4(tmp_path / "new0.mp4", length=5, seed=5)
    mp4(tmp_path / "new1.mp4", length=5, seed=6)
    corrupt_middle_third(tmp_path / "new1.mp4")
    m = manifest(
        tmp_path / "more.jsonl",
        {"instruction": "x", "video": "new0.mp4"},
        {"instruction": "x", "video": "new1.mp4"},
    )
    with pytest.raises(VideoError, match="more.jsonl:2"):
        import_videos(m, dest)
    assert sorted(p.relative_to(dest) for p in dest.rglob("*") if p.is_file()) == before
    assert Dataset.open(dest).episode_ids == ["ep0", "ep1", "ep2"]


def test_two_cameras(tmp_path):
    mp4(tmp_path / "a_front.mp4", length=6, seed=1)
    mp4(tmp_path / "a_wrist.mp4", length=6, size=16, seed=2)
    m = manifest(
        tmp_path / "m.jsonl",
        {
            "episode_id": "a",
            "instruction": "open the drawer",
            "success": True,
            "videos": {"front": "a_front.mp4", "observation.images.wrist": "a_wrist.mp4"},
        },
    )
    import_videos(m, tmp_path / "ds")
    ds = Dataset.open(tmp_path / "ds")
    assert sorted(ds.cameras) == ["observation.images.front", "observation.images.wrist"]
    assert ds.frames("a", "observation.images.wrist").shape == (6, 16, 16, 3)


def test_videos_dir_and_fps_override(tmp_path):
    mp4(tmp_path / "clips" / "x.mp4", length=5, fps=10)
    m = manifest(tmp_path / "m.jsonl", {"video": "x.mp4", "instruction": "wave", "fps": 5})
    report = import_videos(m, tmp_path / "ds", videos_dir=tmp_path / "clips", camera="top")
    ds = Dataset.open(tmp_path / "ds")
    assert report.imported == ["x"]  # id defaults to the video's stem
    assert ds.cameras == ["observation.images.top"] and ds.meta("x").fps == 5


# ---------------------------------------------------------------------------- bad input


def _error(tmp_path: Path, *records: dict | str, **kw) -> DataError:
    mp4(tmp_path / "v.mp4", length=6)
    m = manifest(tmp_path / "m.jsonl", *records)
    with pytest.raises(DataError) as e:
        import_videos(m, tmp_path / "ds", **kw)
    assert not (tmp_path / "ds" / "meta" / "episodes").exists()  # checked before writing
    return e.value


OK = {"episode_id": "e", "video": "v.mp4", "instruction": "push the block", "success": True}


@pytest.mark.parametrize(
    ("records", "cls", "line", "field", "message"),
    [
        ([{**OK, "video": "missing.mp4"}], VideoError, 1, "video", "video file not found"),
        (
            [{**OK, "videos": {"wrist": "gone.mp4"}, "video": None}],
            VideoError,
            1,
            "videos.wrist",
            "video file not found",
        ),
        (
            [OK, {**OK, "episode_id": "f", "failure_tags": ["teleport"]}],
            ValidationError,
            2,
            "failure_tags[0]",
            "unknown failure mode 'teleport'",
        ),
        ([{**OK, "progress": 1.2}], ValidationError, 1, "progress", "outside [0, 1]"),
        ([OK, '{"episode_id": "f", '], SchemaError, 2, None, "malformed JSON"),
        ([OK, OK], ValidationError, 2, "episode_id", "already used on line 1"),
        ([{**OK, "instruction": None}], SchemaError, 1, "instruction", "required"),
        ([{**OK, "video": None}], SchemaError, 1, "video", "required"),
        (
            [{**OK, "task_category": "juggling"}],
            ValidationError,
            1,
            "task_category",
            "unknown value 'juggling'",
        ),
        ([{**OK, "source": "dream"}], ValidationError, 1, "source", "unknown value"),
        ([{**OK, "sucess": True}], SchemaError, 1, "sucess", "unknown field"),
        ([{**OK, "fps": 0}], ValidationError, 1, "fps", "not a positive frame rate"),
        ([{**OK, "success": "sure"}], SchemaError, 1, "success", "expected true or false"),
        (
            [
                OK,
                {
                    **OK,
                    "episode_id": "f",
                    "videos": {"front": "v.mp4", "wrist": "v.mp4"},
                    "video": None,
                },
            ],
            ValidationError,
            2,
            "videos",
            "differ from line 1",
        ),
    ],
)
def test_bad_manifest_lines(tmp_path, records, cls, line, field, message):
    records = [
        {k: v for k, v in r.items() if v is not None} if isinstance(r, dict) else r for r in records
    ]
    err = _error(tmp_path, *records)
    assert isinstance(err, cls)
    assert err.path == tmp_path / "m.jsonl"
    assert err.line == line and err.field == field
    assert message in str(err)
    assert str(err).startswith(f"{tmp_path / 'm.jsonl'}:{line}: ")


def test_allow_extra_ignores_unknown_fields(tmp_path):
    mp4(tmp_path / "v.mp4", length=6)
    m = manifest(tmp_path / "m.jsonl", {**OK, "operator": "sam"})
    assert [s.episode_id for s in parse_video_manifest(m, allow_extra=True)] == ["e"]


def test_tag_past_the_end_is_caught_after_decoding(tmp_path):
    mp4(tmp_path / "v.mp4", length=6)
    m = manifest(tmp_path / "m.jsonl", {**OK, "failure_tags": [{"mode": "drop", "end_frame": 6}]})
    with pytest.raises(ValidationError) as e:
        import_videos(m, tmp_path / "ds")
    assert (e.value.line, e.value.field) == (1, "failure_tags[0]")
    assert "past the episode's last frame 5" in str(e.value)


def test_cameras_with_different_lengths(tmp_path):
    mp4(tmp_path / "a.mp4", length=6)
    mp4(tmp_path / "b.mp4", length=7)
    m = manifest(tmp_path / "m.jsonl", {"instruction": "x", "videos": {"a": "a.mp4", "b": "b.mp4"}})
    with pytest.raises(VideoError, match="different frame counts"):
        import_videos(m, tmp_path / "ds")


def test_fps_must_match_the_dataset(tmp_path):
    mp4(tmp_path / "a.mp4", length=6, fps=10)
    mp4(tmp_path / "b.mp4", length=6, fps=15)
    m = manifest(
        tmp_path / "m.jsonl",
        {"instruction": "x", "video": "a.mp4"},
        {"instruction": "x", "video": "b.mp4"},
    )
    with pytest.raises(ValidationError) as e:
        import_videos(m, tmp_path / "ds")
    assert (e.value.line, e.value.field) == (2, "fps") and "15 fps" in str(e.value)
    assert not (tmp_path / "ds").exists()  # the first clip is not committed either


def test_empty_manifest(tmp_path):
    m = manifest(tmp_path / "m.jsonl", "")
    with pytest.raises(DataError, match="holds no episodes"):
        import_videos(m, tmp_path / "ds")


def test_dataset_open_by_another_writer_is_reported(rollouts, tmp_path):
    dest = tmp_path / "ds"
    with DatasetWriter(dest, fps=10), pytest.raises(DataError, match="another DatasetWriter"):
        import_videos(rollouts / "rollouts.jsonl", dest, progress_scale=100)


# ---------------------------------------------------------------------------- real clips


@pytest.mark.skipif(not REAL_CLIPS.is_dir(), reason="real clips not present on this machine")
def test_import_real_robot_clips(tmp_path):
    """Three real-robot h264 clips (10 fps, successful) into one dataset."""
    clips = {
        "berkeley_rpt_stack_cup": (
            "Pick up the yellow cup and stack it on the other cup",
            "stack",
            32,
            (240, 320),
        ),
        "jaco_play_pick_up_green_cup": ("pick up green cup", "pick_place", 64, (240, 240)),
        "soar_put_green_stick_in_brown_bowl": (
            "Put green stick in brown bowl",
            "pick_place",
            32,
            (240, 240),
        ),
    }
    m = manifest(
        tmp_path / "real.jsonl",
        *[
            {
                "episode_id": name,
                "video": str(REAL_CLIPS / f"{name}.mp4"),
                "instruction": text,
                "task_category": category,
                "success": True,
                "progress": 1.0,
            }
            for name, (text, category, _, _) in clips.items()
        ],
    )
    # the first clip is 320x240, the others 240x240: one camera has one size per dataset
    with pytest.raises(DataError) as e:
        import_videos(m, tmp_path / "mixed", camera="image")
    assert (e.value.path, e.value.line) == (m, 2) and "--resize" in str(e.value)
    assert "are 240x240 (width x height); those of line 1 are 320x240" in str(e.value)
    assert not (tmp_path / "mixed").exists()  # nothing committed, not even the first clip

    report = import_videos(m, tmp_path / "ds", camera="image", resize=(160, 120))
    assert report.imported == list(clips)
    ds = Dataset.open(tmp_path / "ds")
    for name, (text, category, length, _) in clips.items():
        meta = ds.meta(name)
        assert (meta.instruction, str(meta.task_category)) == (text, category)
        assert (meta.length, meta.fps, meta.source) == (length, 10, EpisodeSource.REAL)
        assert ds.outcome(name).success is True
        frames = ds.frames(name)
        assert frames.shape == (length, 120, 160, 3)
        assert frames.std() > 10  # real content, not a blank frame


def _mp4_wh(path: Path, width: int, height: int, length: int = 4) -> Path:
    """An MP4 of ``width`` x ``height`` frames (not square, so width and height cannot swap)."""
    big = make_frames(length, max(width, height))
    encode_video(path, np.ascontiguousarray(big[:, :height, :width]), fps=10)
    return path


def test_mixed_sizes_name_the_line_and_suggest_resize(tmp_path):
    _mp4_wh(tmp_path / "a.mp4", 48, 32)
    _mp4_wh(tmp_path / "b.mp4", 32, 48)
    m = manifest(
        tmp_path / "m.jsonl",
        {"instruction": "x", "video": "a.mp4"},
        {"instruction": "x", "video": "b.mp4"},
    )
    with pytest.raises(DataError) as e:
        import_videos(m, tmp_path / "ds")
    assert (e.value.line, e.value.field) == (2, "observation.images.front")
    message = str(e.value)
    assert "b.mp4 are 32x48 (width x height); those of line 1 are 48x32" in message
    assert "--resize 48x32 scales every clip to it" in message
    assert not (tmp_path / "ds").exists()  # a.mp4 was not committed before b.mp4 failed
    # following the hint: --resize takes WIDTHxHEIGHT, the same order as the message
    import_videos(m, tmp_path / "ds2", resize=(48, 32))
    ds = Dataset.open(tmp_path / "ds2")
    assert ds.frames("b").shape == (4, 32, 48, 3)  # (T, H, W, 3)


def test_a_size_the_dataset_lacks_is_named_in_width_x_height(tmp_path):
    _mp4_wh(tmp_path / "a.mp4", 48, 32)
    _mp4_wh(tmp_path / "c.mp4", 48, 32)
    _mp4_wh(tmp_path / "b.mp4", 32, 48)
    first = manifest(tmp_path / "m1.jsonl", {"instruction": "x", "video": "a.mp4"})
    import_videos(first, tmp_path / "ds")
    m = manifest(
        tmp_path / "m2.jsonl",
        {"instruction": "x", "video": "c.mp4"},
        {"instruction": "x", "video": "b.mp4"},
    )
    with pytest.raises(SchemaError) as e:
        import_videos(m, tmp_path / "ds")
    assert "b.mp4 are 32x48 (width x height); the dataset's" in str(e.value)
    assert "are 48x32" in str(e.value) and e.value.line == 2
    assert Dataset.open(tmp_path / "ds").episode_ids == ["a"]  # c.mp4 was not committed


def test_writer_size_message_is_width_x_height(tmp_path):
    from badbench.data import DatasetWriter
    from fixtures.factories import make_episode

    with DatasetWriter(tmp_path / "ds") as w:
        w.append(make_episode(0, size=32))
        ep = make_episode(1, size=32)
        ep.frames = {k: np.ascontiguousarray(make_frames(10, 48)[:, :32, :48]) for k in ep.frames}
        message = r"are 48x32 \(width x height\); the dataset's are 32x32"
        with pytest.raises(SchemaError, match=message):
            w.append(ep)


def _faststart_mp4(path: Path, length: int) -> Path:
    """An mp4 with its index first (like most camera files), so a truncated copy still opens."""
    from fractions import Fraction

    import av

    with av.open(str(path), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=10, options={"g": "1"})
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i, f in enumerate(make_frames(length, 32)):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, 10)
            for p in stream.encode(vf):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)
    return path


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_corrupt_videos(tmp_path, damage):
    video = _faststart_mp4(tmp_path / "v.mp4", 20)
    data = video.read_bytes()
    video.write_bytes(b"" if damage == "empty" else data[: len(data) // 2])
    m = manifest(tmp_path / "m.jsonl", OK)
    with pytest.raises(VideoError) as e:
        import_videos(m, tmp_path / "ds")
    assert e.value.path == video and "m.jsonl:1" in str(e.value)
    if damage == "truncated":
        assert "of the 20 frames its header announces could be decoded" in str(e.value)


def test_state_and_action_from_npy(tmp_path):
    mp4(tmp_path / "v.mp4", length=6)
    state = np.arange(6 * 4, dtype=np.float64).reshape(6, 4)
    np.save(tmp_path / "state.npy", state)
    np.save(tmp_path / "action.npy", np.linspace(0, 1, 12).reshape(6, 2))
    m = manifest(tmp_path / "m.jsonl", {**OK, "state": "state.npy", "action": "action.npy"})
    import_videos(m, tmp_path / "ds")
    ep = Dataset.open(tmp_path / "ds").load("e", video=False)
    np.testing.assert_array_equal(ep.state, state.astype(np.float32))
    assert ep.action.shape == (6, 2) and ep.action.dtype == np.float32


def test_one_dimensional_action(tmp_path):
    mp4(tmp_path / "v.mp4", length=6)
    np.save(tmp_path / "action.npy", np.linspace(0, 1, 6))  # 1-D: one value per frame
    m = manifest(tmp_path / "m.jsonl", {**OK, "action": "action.npy"})
    import_videos(m, tmp_path / "ds")
    assert Dataset.open(tmp_path / "ds").load("e", video=False).action.shape == (6, 1)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((5, 2)), "shape (5, 2); expected numbers of shape (6, D)"),
        (np.zeros((6, 2, 2)), "shape (6, 2, 2)"),
        (None, "cannot read"),
    ],
)
def test_bad_state_arrays(tmp_path, array, message):
    mp4(tmp_path / "v.mp4", length=6)
    if array is None:
        (tmp_path / "state.npy").write_bytes(b"junk")
    else:
        np.save(tmp_path / "state.npy", array)
    m = manifest(tmp_path / "m.jsonl", {**OK, "state": "state.npy"})
    with pytest.raises(ValidationError) as e:
        import_videos(m, tmp_path / "ds")
    assert (e.value.line, e.value.field) == (1, "state") and message in str(e.value)


def test_missing_state_file_fails_before_decoding(tmp_path):
    err = _error(tmp_path, {**OK, "action": "nope.npy"})
    assert (err.line, err.field) == (1, "action") and "file not found" in str(err)
