"""Video negatives: each kind's frames and labels (by hand), tags, round trip, validate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from badbench.data import Dataset, DatasetWriter, EpisodeSource, FailureCategory
from badbench.data.validate import validate
from badbench.errors import DataError, ValidationError
from badbench.generate.augment import (
    Clip,
    Reverse,
    Rewind,
    Stall,
    SwapInstruction,
    augment,
    negative_id,
    plan_labels,
)
from fixtures.factories import FRAME_TOLERANCE, make_episode

P5 = np.array([0.0, 0.25, 0.5, 0.75, 1.0])


class _Fixed:
    """A stand-in generator whose ``integers`` returns given values (checked against the range
    the kind asks for)."""

    def __init__(self, *values: int) -> None:
        self.values = list(values)

    def integers(self, lo: int, hi: int | None = None) -> int:
        if hi is None:
            lo, hi = 0, lo
        v = self.values.pop(0)
        assert lo <= v < hi, (v, lo, hi)
        return v


def _labels(plan):
    outcome, tags, dense = plan_labels(plan)
    return outcome, tags[0], dense


def test_rewind_by_hand() -> None:
    # turns allowed: m in [1, 4] (each undoes >= 0.1 of progress): index 2 is m = 3; rewind
    # lengths allowed for m = 3: j in [1, 3]: index 1 is j = 2
    plan = Rewind().plan(P5, _Fixed(2, 1), 0)
    assert plan.frames.tolist() == [0, 1, 2, 3, 2, 1]
    outcome, tag, dense = _labels(plan)
    np.testing.assert_allclose(plan.progress, [0, 0.25, 0.5, 0.75, 0.5, 0.25])
    assert (tag.mode, tag.category) == ("synthetic_rewind", FailureCategory.FAILURE)
    assert (tag.start_frame, tag.end_frame, tag.severity) == (4, 5, 0.5)
    assert not outcome.success and outcome.progress == 0.25 and outcome.score == 0.125
    np.testing.assert_allclose(dense, [0, 0.25, 0.5, 0.75, 0.125, 0.125], atol=1e-7)


def test_clip_by_hand() -> None:
    # ends allowed: c in [1, 3] with p_c <= 0.9 -> [1, 2, 3]; the draw picks the second
    plan = Clip().plan(P5, _Fixed(1), 0)
    assert plan.frames.tolist() == [0, 1, 2]
    outcome, tag, dense = _labels(plan)
    assert (tag.start_frame, tag.end_frame, tag.severity) == (2, 2, 0.5)
    assert outcome.score == 0.25 and outcome.progress == 0.5 and not outcome.success
    np.testing.assert_allclose(dense, [0, 0.25, 0.25])


def test_rewind_undoes_progress() -> None:
    plateau = np.array([0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0])
    for seed in range(20):
        plan = Rewind().plan(plateau, np.random.default_rng(seed), 0)
        assert plan.progress.max() - plan.progress[-1] >= 0.1
    assert Rewind().plan(np.ones(6), np.random.default_rng(0), 0) is None


def test_clip_needs_an_unfinished_frame() -> None:
    done_early = np.array([0.0, 0.95, 1.0, 1.0, 1.0])
    assert Clip().plan(done_early, np.random.default_rng(0), 0) is None


def test_stall_by_hand() -> None:
    plan = Stall().plan(P5, _Fixed(2, 2), 0)
    assert plan.frames.tolist() == [0, 1, 2, 2, 2, 3, 4]
    outcome, tag, dense = _labels(plan)
    assert (tag.mode, tag.category) == ("synthetic_stall", FailureCategory.POOR_EXECUTION)
    assert (tag.start_frame, tag.end_frame) == (3, 4) and tag.severity == pytest.approx(0.4)
    assert outcome.success and outcome.score == pytest.approx(0.9)
    np.testing.assert_allclose(dense, [0, 0.25, 0.5, 0.46, 0.46, 0.75, 0.9], atol=1e-6)


def test_reverse_and_swap_by_hand() -> None:
    plan = Reverse().plan(P5, np.random.default_rng(0), 0)
    assert plan.frames.tolist() == [4, 3, 2, 1, 0]
    outcome, tag, dense = _labels(plan)
    assert (tag.start_frame, tag.end_frame, tag.severity) == (0, 4, 1.0)
    assert outcome.score == 0.0 and not dense.any()
    assert Reverse().plan(P5, np.random.default_rng(0), 1) is None  # nothing to draw
    swap = SwapInstruction().plan(P5, _Fixed(1), 0, instructions=["open it", "push it"])
    assert swap.instruction == "push it" and swap.frames.tolist() == [0, 1, 2, 3, 4]
    outcome, tag, dense = _labels(swap)
    assert outcome.score == 0.0 and outcome.progress == 0.0 and not dense.any()
    assert tag.mode == "synthetic_swap_instruction"


def _source(root: Path, n: int = 6, **kw) -> Path:
    """Two tasks; even episodes succeed, odd ones fail with a drop tag."""
    eps = [
        make_episode(
            i,
            length=16,
            task="a" if i < n // 2 else "b",
            instruction=f"task {'a' if i < n // 2 else 'b'} number {i}",
            **kw,
        )
        for i in range(n)
    ]
    with DatasetWriter(root) as w:
        w.extend(eps)
    return root


def test_every_kind_frames_labels_and_round_trip(tmp_path: Path) -> None:
    src = _source(tmp_path / "src")
    report = augment(src, tmp_path / "out", per_episode=2, seed=3)
    assert validate(tmp_path / "out") == []
    ds, source = Dataset.open(tmp_path / "out"), Dataset.open(src)
    assert report.sources == ["a/ep0000", "a/ep0002", "b/ep0004"]
    assert report.skipped == {"failed": 3}
    assert sorted(report.written) == sorted(ds.episode_ids)
    kinds = {"rewind", "clip", "stall", "reverse", "swap_instruction"}
    assert {ds.meta(e).generator["kind"] for e in ds.episode_ids} == kinds
    for eid in ds.episode_ids:
        meta, ep = ds.meta(eid), ds.load(eid)
        gen = meta.generator
        src_id = gen["source_episode"]
        assert eid == negative_id(src_id, gen["kind"], gen["index"])
        assert meta.source == EpisodeSource.AUGMENTED and meta.context_id == "ctx-0"
        assert ep.tags[0].mode == f"synthetic_{gen['kind']}"
        assert ep.outcome.success == (gen["kind"] == "stall")
        assert len(ep.dense_reward) == meta.length
        assert 0.0 <= ep.dense_reward.min() and ep.dense_reward.max() <= 1.0
        assert ep.dense_reward[-1] == pytest.approx(ep.outcome.score, abs=1e-6)
        idx = ep.extras["source_frame"]
        src_ep = source.load(src_id)
        np.testing.assert_array_equal(ep.state, src_ep.state[idx])
        np.testing.assert_allclose(ep.extras["task_progress"], src_ep.dense_reward[idx] * (
            gen["kind"] != "swap_instruction"
        ))
        for cam in ds.cameras:
            want = src_ep.frames[cam][idx]
            if gen["frames"] == "referenced":  # the source's own encoded frames, exactly
                np.testing.assert_array_equal(ep.frames[cam], want)
            else:
                assert np.abs(ep.frames[cam].astype(int) - want).mean() < FRAME_TOLERANCE
        if gen["kind"] == "swap_instruction":
            assert meta.instruction.startswith("task b" if src_id.startswith("a") else "task a")
        else:
            assert meta.instruction == src_ep.meta.instruction
    frames_of = {m.generator["kind"]: m.generator["frames"] for m in ds}
    assert frames_of == {
        "rewind": "re-encoded",
        "stall": "re-encoded",
        "reverse": "re-encoded",
        "clip": "referenced",
        "swap_instruction": "referenced",
    }


def test_referenced_video_is_linked_once(tmp_path: Path) -> None:
    src = _source(tmp_path / "src")
    augment(src, tmp_path / "out", kinds=["clip", "swap_instruction"], with_sources=True)
    ds = Dataset.open(tmp_path / "out")
    assert len(ds) == 9  # 3 sources, each with a clip and a swap
    for cam in ds.cameras:
        files = sorted((tmp_path / "out" / "videos" / cam).rglob("*.mp4"))
        (source_file,) = sorted((src / "videos" / cam).rglob("*.mp4"))
        assert len(files) == 1 and files[0].stat().st_ino == source_file.stat().st_ino
    copy = ds.load("a/ep0002")  # a source copied as it is
    original = Dataset.open(src).load("a/ep0002")
    assert copy.meta == original.meta and copy.outcome == original.outcome
    np.testing.assert_array_equal(copy.frames[ds.cameras[0]], original.frames[ds.cameras[0]])


def test_any_dataset_one_camera_no_state_no_labels_other_fps(tmp_path: Path) -> None:
    eps = [
        make_episode(
            i,
            length=12,
            cameras=("observation.images.front",),
            state_dim=None,
            action_dim=None,
            dense=False,
            extras=False,
            fps=7.5,
            success=True,
            task=f"t{i % 2}",
        )
        for i in range(2)
    ]
    with DatasetWriter(tmp_path / "src") as w:
        w.extend(eps)
    augment(tmp_path / "src", tmp_path / "out", seed=1)
    assert validate(tmp_path / "out") == []
    ds = Dataset.open(tmp_path / "out")
    assert ds.fps == 7.5 and ds.cameras == ["observation.images.front"]
    rev = ds.load("t0/ep0000/aug-reverse-0")
    assert rev.state is None and rev.meta.generator["source_progress"] == "linear"
    np.testing.assert_allclose(rev.extras["task_progress"], np.linspace(1, 0, 12), atol=1e-6)


def test_no_success_is_one_error(tmp_path: Path) -> None:
    eps = [make_episode(i, success=False) for i in range(2)]
    with DatasetWriter(tmp_path / "src") as w:
        w.extend(eps)
    with pytest.raises(DataError, match=r"no clean successful episode .*2 failed"):
        augment(tmp_path / "src", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unlabelled_episodes_with_assume_success(tmp_path: Path) -> None:
    eps = [make_episode(i, task=f"t{i}") for i in range(2)]
    for ep in eps:
        ep.outcome, ep.tags = None, []
    with DatasetWriter(tmp_path / "src") as w:
        w.extend(eps)
    with pytest.raises(DataError, match="--assume-success"):
        augment(tmp_path / "src", tmp_path / "out")
    report = augment(tmp_path / "src", tmp_path / "out", kinds=["reverse"], assume_success=True)
    assert len(report.written) == 2


def test_swap_needs_two_tasks(tmp_path: Path) -> None:
    with DatasetWriter(tmp_path / "src") as w:
        w.extend([make_episode(i, success=True) for i in range(2)])
    with pytest.raises(DataError, match="at least two tasks"):
        augment(tmp_path / "src", tmp_path / "out", kinds=["swap_instruction"])


def test_bad_options(tmp_path: Path) -> None:
    src = _source(tmp_path / "src", n=2)
    with pytest.raises(ValidationError, match=r"field 'kinds'.*did you mean 'rewind'"):
        augment(src, tmp_path / "out", kinds=["rewnd"])
    with pytest.raises(ValidationError, match="per_episode"):
        augment(src, tmp_path / "out", per_episode=0)
    with pytest.raises(ValidationError, match="outside the source"):
        augment(src, src / "neg")
    assert not (tmp_path / "out").exists()


def test_seeded(tmp_path: Path) -> None:
    src = _source(tmp_path / "src")

    def draws(out: str, seed: int) -> list:
        augment(src, tmp_path / out, kinds=["rewind", "stall", "clip"], seed=seed, per_episode=2)
        ds = Dataset.open(tmp_path / out)
        ids = ds.episode_ids
        return [(e, ds.load(e, video=False).extras["source_frame"].tolist()) for e in ids]

    assert draws("a", 5) == draws("b", 5)
    assert draws("a", 5) != draws("c", 6)


def test_rerun_with_other_settings_is_refused(tmp_path: Path) -> None:
    src = _source(tmp_path / "src", n=2)
    augment(src, tmp_path / "out", kinds=["reverse"])
    with pytest.raises(ValidationError, match=r"augment\.json.*seed 0 \(--out\) vs 1"):
        augment(src, tmp_path / "out", kinds=["reverse"], seed=1)
    report = augment(src, tmp_path / "out", kinds=["reverse"])  # same settings: nothing to do
    assert report.written == [] and report.existing == 1
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("x")
    with pytest.raises(DataError, match="did not make"):
        augment(src, tmp_path / "other", kinds=["reverse"])


def test_a_refused_shared_video_leaves_its_source_file(tmp_path: Path) -> None:
    """The writer never deletes a referenced file, even when the append is refused."""
    import dataclasses

    from badbench.data.prepared import PreparedEpisode, PreparedVideo
    from badbench.data.stats import image_stats

    src = _source(tmp_path / "src", n=2)
    source = Dataset.open(src)
    ep = source.load("a/ep0000")
    with DatasetWriter(tmp_path / "out") as w:
        w.append(dataclasses.replace(ep))
        videos = {}
        for cam in source.cameras:
            path, t0, _ = source.video_ref(ep.id, cam)
            videos[cam] = PreparedVideo(
                path, 16, 32, 32, image_stats(ep.frames[cam]), offset=t0, shared=True
            )
        same_id = PreparedEpisode(
            dataclasses.replace(ep, frames={}), tmp_path / "out", 10.0, w.spec, videos
        )
        with pytest.raises(ValidationError, match="a/ep0000"):
            w.append(same_id)
    assert all(v.path.is_file() for v in videos.values())
    assert validate(src) == []
