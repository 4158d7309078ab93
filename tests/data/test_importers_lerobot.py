"""Importing a LeRobot v3 dataset directory: files copied (no re-encode), labels attached."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_lerobot_format import LENGTHS, TASKS, write_lerobot_v3  # LeRobot's own layout

from badbench.data import Dataset, DatasetWriter
from badbench.data.importers import import_lerobot
from badbench.data.schema import EpisodeSource, LabelSource
from badbench.data.taxonomy import TaskCategory
from badbench.errors import DataError, SchemaError, ValidationError
from fixtures.factories import make_episode


@pytest.fixture
def plain(make_dataset) -> Path:
    """A plain LeRobot v3 dataset: our writer's layout with meta/badbench/ removed.

    Episodes 0-1 share one data/video/meta file (one batch), episode 2 has its own, so the
    importer must group its table files by ``meta/episodes`` file.
    """
    ds = make_dataset(2, preferences=False, batch=True)
    with DatasetWriter(ds.root) as w:
        w.append(make_episode(2))
    shutil.rmtree(ds.root / "meta" / "badbench")
    return ds.root


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "badbench" not in p.parts
    }


def annotations(path: Path, *lines: dict | str) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_plain_import_copies_files_unchanged(plain, tmp_path):
    dest = tmp_path / "imported"
    report = import_lerobot(plain, dest)
    assert report.imported == ["episode_000000", "episode_000001", "episode_000002"]
    assert digests(dest) == digests(plain)  # LeRobot files copied byte for byte
    ds = Dataset.open(dest)
    assert ds.has_annotations
    assert ds.episode_ids == report.imported
    assert ds.outcome("episode_000000") is None and ds.tags("episode_000001") == []
    np.testing.assert_array_equal(
        ds.frames("episode_000001"), Dataset.open(plain).frames("episode_000001")
    )
    assert not list(tmp_path.glob(".imported.importing-*"))


def test_import_with_annotations(plain, tmp_path):
    notes = annotations(
        tmp_path / "labels.jsonl",
        {
            "episode_index": 0,
            "success": True,
            "progress": 100,
            "task": "pick-place",
            "task_category": "pick_place",
            "policy_id": "pi0",
            "context_id": "c1",
        },
        {
            "episode_id": "episode_000001",
            "success": False,
            "progress": 30,
            "failure_tags": [{"mode": "drop", "start_frame": 4, "end_frame": 9}],
            "dense_reward": [0, 0.1, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
            "dense_source": "distilled",
            "source": "sim",
        },
        {"episode_index": 2, "episode_id": "renamed-2", "failure_tags": ["jitter"]},
    )
    calls = []
    import_lerobot(
        plain,
        tmp_path / "out",
        annotations=notes,
        progress_scale=100,
        progress=lambda *a: calls.append(a),
    )
    assert calls[0] == (0, 3, "") and calls[-1][:2] == (3, 3)
    ds = Dataset.open(tmp_path / "out")
    assert ds.episode_ids == ["episode_000000", "episode_000001", "renamed-2"]
    m0 = ds.meta("episode_000000")
    assert (m0.task, m0.task_category, m0.policy_id, m0.context_id) == (
        "pick-place",
        TaskCategory.PICK_PLACE,
        "pi0",
        "c1",
    )
    assert m0.instruction == Dataset.open(plain).meta("episode_000000").instruction
    o0, o1 = ds.outcome("episode_000000"), ds.outcome("episode_000001")
    assert (o0.success, o0.progress, o0.progress_source) == (True, 1.0, LabelSource.HUMAN)
    assert (o1.success, o1.progress, o1.dense_source) == (False, 0.3, LabelSource.DISTILLED)
    assert ds.meta("episode_000001").source == EpisodeSource.SIM
    assert [(t.mode, t.start_frame, t.end_frame) for t in ds.tags("episode_000001")] == [
        ("drop", 4, 9)
    ]
    assert ds.dense_reward("episode_000001")[:4] == pytest.approx([0, 0.1, 0.2, 0.3])
    assert ds.outcome("renamed-2") is None
    assert [t.mode for t in ds.tags("renamed-2")] == ["jitter"]


def test_imported_dataset_accepts_appends(plain, tmp_path):
    import_lerobot(plain, tmp_path / "out")
    with DatasetWriter(tmp_path / "out") as w:
        w.append(make_episode(7))
    ds = Dataset.open(tmp_path / "out")
    assert ds.episode_ids[-1] == "pick-place-v3/ep0007" and len(ds) == 4
    assert ds.frames("pick-place-v3/ep0007", "observation.images.top").shape == (10, 32, 32, 3)


def test_badbench_dataset_is_copied_with_its_tables(make_dataset, tmp_path):
    src = make_dataset(2)
    import_lerobot(src.root, tmp_path / "copy")
    copy = Dataset.open(tmp_path / "copy")
    assert copy.episode_ids == src.episode_ids
    assert copy.preferences() == src.preferences()
    assert copy.tags(src.episode_ids[1]) == src.tags(src.episode_ids[1])


@pytest.mark.parametrize(
    ("lines", "cls", "line", "field", "message"),
    [
        (
            [{"episode_index": 3, "success": True}],
            ValidationError,
            1,
            "episode_index",
            "episode_index 3 is not in the dataset (it has episodes 0..2)",
        ),
        (
            [{"episode_id": "ep-x", "success": True}],
            ValidationError,
            1,
            "episode_id",
            "episode 'ep-x' is not in the dataset",
        ),
        ([{"success": True}], SchemaError, 1, "episode_index", "required"),
        (
            [{"episode_index": 0}, {"episode_id": "episode_000000"}],
            ValidationError,
            2,
            "episode_id",
            "already annotated on line 1",
        ),
        (
            [{"episode_index": 0, "failure_tags": ["warp"]}],
            ValidationError,
            1,
            "failure_tags[0]",
            "unknown failure mode",
        ),
        (
            [{"episode_index": 0, "success": True, "progress": 2}],
            ValidationError,
            1,
            "progress",
            "outside [0, 1]",
        ),
        (
            [{"episode_index": 0, "failure_tags": [{"mode": "drop", "end_frame": 10}]}],
            ValidationError,
            1,
            "failure_tags[0]",
            "past the episode's last frame 9",
        ),
        (
            [{"episode_index": 0, "episode_id": "episode_000001"}],
            ValidationError,
            1,
            "episode_id",
            "is used by episodes",
        ),
        (
            [{"episode_index": 0, "task_category": "dance"}],
            ValidationError,
            1,
            "task_category",
            "unknown value",
        ),
        (
            [{"episode_index": 0, "instruction": "new"}],
            SchemaError,
            1,
            "instruction",
            "unknown field",
        ),
        (['{"episode_index": 0,'], SchemaError, 1, None, "malformed JSON"),
    ],
)
def test_bad_annotations(plain, tmp_path, lines, cls, line, field, message):
    notes = annotations(tmp_path / "labels.jsonl", *lines)
    with pytest.raises(DataError) as e:
        import_lerobot(plain, tmp_path / "out", annotations=notes)
    err = e.value
    assert isinstance(err, cls)
    assert (err.path, err.line, err.field) == (notes, line, field)
    assert message in str(err)
    assert not (tmp_path / "out").exists()


def test_destination_must_be_new(plain, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("keep me")
    with pytest.raises(DataError, match="already exists and is not empty"):
        import_lerobot(plain, tmp_path / "out")
    assert (tmp_path / "out" / "x").read_text() == "keep me"
    (tmp_path / "empty").mkdir()
    import_lerobot(plain, tmp_path / "empty")  # an empty directory is fine
    assert len(Dataset.open(tmp_path / "empty")) == 3


def test_not_a_lerobot_dataset(tmp_path):
    (tmp_path / "src").mkdir()
    with pytest.raises(DataError, match="meta/info.json is missing"):
        import_lerobot(tmp_path / "src", tmp_path / "out")
    with pytest.raises(DataError, match="not a directory"):
        import_lerobot(tmp_path / "nothing", tmp_path / "out")


def test_annotating_a_badbench_dataset_is_refused(make_dataset, tmp_path):
    src = make_dataset(2)
    notes = annotations(tmp_path / "labels.jsonl", {"episode_index": 0, "success": True})
    with pytest.raises(DataError, match="already holds badbench tables"):
        import_lerobot(src.root, tmp_path / "out", annotations=notes)


def test_import_a_dataset_laid_out_by_lerobot(tmp_path):
    """Two episodes in one data file and one video file, tasks.parquet written by pandas."""
    src = tmp_path / "lerobot"
    written = write_lerobot_v3(src)
    notes = annotations(
        tmp_path / "labels.jsonl",
        {"episode_index": 1, "success": False, "failure_tags": ["push_instead_of_pick"]},
    )
    import_lerobot(src, tmp_path / "out", annotations=notes)
    assert digests(tmp_path / "out") == digests(src)
    ds = Dataset.open(tmp_path / "out")
    assert ds.episode_ids == ["episode_000000", "episode_000001"]
    assert [ds.meta(i).instruction for i in ds.episode_ids] == TASKS
    assert [ds.meta(i).length for i in ds.episode_ids] == LENGTHS
    assert ds.outcome("episode_000000") is None
    assert ds.outcome("episode_000001").success is False
    assert [(t.mode, str(t.category), t.end_frame) for t in ds.tags("episode_000001")] == [
        ("push_instead_of_pick", "shortcut", LENGTHS[1] - 1)
    ]
    frames = ds.frames("episode_000001")
    assert frames.shape == written["frames"][1].shape
