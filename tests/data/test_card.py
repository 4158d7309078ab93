"""The dataset card of a hand-built dataset, checked field by field (numbers worked out by hand)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from badbench.data import Dataset, DatasetWriter
from badbench.data.card import (
    CameraInfo,
    FailureCount,
    GroupStats,
    dataset_card,
    render_card,
    summarize,
)
from badbench.data.schema import (
    EpisodeSource,
    FailureTag,
    LabelSource,
    Outcome,
    Preference,
)
from badbench.data.taxonomy import TaskCategory
from fixtures.factories import make_episode

CAM = "observation.images.top"


def _episode(i, length, task, category, outcome, tags=(), dense=None, **meta):
    ep = make_episode(i, length=length, cameras=(CAM,), extras=False, task=task)
    ep.meta = ep.meta.model_copy(update={"task_category": category, "length": length, **meta})
    ep.outcome = outcome
    ep.tags = [FailureTag(category=c, mode=m, start_frame=0, end_frame=length - 1) for c, m in tags]
    ep.dense_reward = None if dense is None else ep.dense_reward
    return ep


@pytest.fixture(scope="module")
def card_dataset(tmp_path_factory) -> Dataset:
    """5 episodes, 150 frames at 10 fps; see test_summary_field_by_field for the counts."""
    root = tmp_path_factory.mktemp("card") / "ds"
    pp, pour, oc = TaskCategory.PICK_PLACE, TaskCategory.POUR, TaskCategory.OPEN_CLOSE
    H, ORC, S = LabelSource.HUMAN, LabelSource.ORACLE, LabelSource.SYNTHETIC
    eps = [
        _episode(
            0,
            10,
            "pick-place",
            pp,
            Outcome(success=True, progress=1.0, progress_source=ORC, dense_source=ORC),
            dense=True,
            policy_id="p0",
            context_id="c0",
        ),
        _episode(
            1,
            20,
            "pick-place",
            pp,
            Outcome(success=False, progress=0.5, progress_source=H),
            tags=[("failure", "drop"), ("unsafe", "collision")],
            policy_id="p1",
            context_id="c0",
        ),
        _episode(
            2,
            30,
            "pour",
            pour,
            Outcome(success=True),
            tags=[("poor_execution", "spill")],
            policy_id="p0",
            context_id="c1",
            source=EpisodeSource.REAL,
            embodiment="franka",
        ),
        _episode(3, 40, "pour", pour, None, policy_id="p2", context_id=""),
        _episode(
            4,
            50,
            "open-drawer",
            oc,
            Outcome(success=False, progress=0.2, progress_source=H, dense_source=S),
            tags=[("failure", "drop"), ("failure", "drop")],
            dense=True,
            policy_id="p1",
            context_id="c1",
        ),
    ]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    prefs = [
        Preference(
            context_id="c0",
            episode_a=eps[0].id,
            episode_b=eps[1].id,
            label="a",
            rater_id="r1",
            source=H,
            time=when,
        ),
        Preference(
            context_id="c1",
            episode_a=eps[2].id,
            episode_b=eps[4].id,
            label="b",
            rater_id="oracle",
            source=ORC,
            time=when,
        ),
        Preference(
            context_id="c1",
            episode_a=eps[0].id,
            episode_b=eps[2].id,
            label="tie",
            rater_id="r2",
            source=H,
            time=when,
        ),
    ]
    with DatasetWriter(root, fps=10) as w:
        for ep in eps:
            w.append(ep)
        w.add_preferences(prefs)
    return Dataset.open(root)


def test_summary_field_by_field(card_dataset):
    s = summarize(card_dataset)
    assert s.name == "ds"
    assert s.episodes == 5
    assert s.frames == 10 + 20 + 30 + 40 + 50 == 150
    assert s.hours == pytest.approx(150 / 10 / 3600)
    assert s.fps == [10.0]
    assert s.cameras == [CameraInfo(key=CAM, height=32, width=32, codec="h264")]
    assert s.embodiments == {"sawyer": 4, "franka": 1}
    assert list(s.embodiments) == ["sawyer", "franka"]  # most frequent first
    assert s.sources == {"sim": 4, "real": 1}
    assert s.policies == 3  # p0, p1, p2
    assert s.contexts == 2  # c0, c1 ("" does not count)
    assert s.tasks == [
        GroupStats(name="pick-place", episodes=2, frames=30, labelled=2, successes=1, bad=1),
        GroupStats(name="pour", episodes=2, frames=70, labelled=1, successes=1, bad=1),
        GroupStats(name="open-drawer", episodes=1, frames=50, labelled=1, successes=0, bad=1),
    ]
    assert s.task_categories == [  # the paper's order: pick_place, ..., open_close, ..., pour
        GroupStats(name="pick_place", episodes=2, frames=30, labelled=2, successes=1, bad=1),
        GroupStats(name="open_close", episodes=1, frames=50, labelled=1, successes=0, bad=1),
        GroupStats(name="pour", episodes=2, frames=70, labelled=1, successes=1, bad=1),
    ]
    assert s.tasks[0].success_rate == 0.5 and s.tasks[2].success_rate == 0.0
    assert s.labelled == 4
    assert s.successes == 2
    assert s.success_rate == 0.5
    assert s.bad_episodes == 3  # ep1 (failed), ep2 (tagged), ep4 (failed)
    assert s.tagged_episodes == 3
    assert s.failure_categories == [
        FailureCount(name="unsafe", category="unsafe", tags=1, episodes=1),
        FailureCount(name="poor_execution", category="poor_execution", tags=1, episodes=1),
        FailureCount(name="failure", category="failure", tags=3, episodes=2),
    ]
    assert s.failure_modes == [
        FailureCount(name="drop", category="failure", tags=3, episodes=2),
        FailureCount(name="collision", category="unsafe", tags=1, episodes=1),
        FailureCount(name="spill", category="poor_execution", tags=1, episodes=1),
    ]
    assert s.progress_sources == {"human": 2, "oracle": 1}
    assert s.dense_sources == {"oracle": 1, "synthetic": 1}
    assert s.preferences == 3
    assert s.preference_sources == {"human": 2, "oracle": 1}
    assert s.preference_labels == {"a": 1, "b": 1, "tie": 1}
    assert s.raters == 3


def test_markdown_card(card_dataset):
    md = render_card(summarize(card_dataset))
    assert md == dataset_card(card_dataset.root)
    lines = md.splitlines()
    assert lines[0] == "# Dataset card: ds"
    assert lines[2] == (
        "5 episodes, 150 frames (0:00:15) at 10 fps; 3 bad (failed or tagged), success rate 50.0%."
    )
    for row in [
        "| Episodes | 5 |",
        "| Frames | 150 |",
        "| Hours | 0.00 (0:00:15) |",
        "| Frame rate (fps) | 10 |",
        f"| Cameras | {CAM} |",
        "| Embodiment | sawyer (4), franka (1) |",
        "| Source | sim (4), real (1) |",
        "| Success rate | 50.0% |",
        "| Bad episodes (failed or tagged) | 3 |",
        "| pick-place | 2 | 30 | 2 | 1 | 50.0% | 1 |",
        "| open-drawer | 1 | 50 | 1 | 0 | 0.0% | 1 |",
        "| pour | 2 | 70 | 1 | 1 | 100.0% | 1 |",
        "| failure | 3 | 2 |",
        "| drop | failure | 3 | 2 |",
        "| collision | unsafe | 1 | 1 |",
        "| Progress | human (2), oracle (1) |",
        "| Dense per-frame reward | oracle (1), synthetic (1) |",
        "| Preferences | human (2), oracle (1) |",
        "| Preference labels | a (1), b (1), tie (1) |",
        "| Raters | 3 |",
        f"| {CAM} | 32 | 32 | h264 |",
    ]:
        assert row in lines, row
    headers = [x for x in lines if x.startswith("## ")]
    assert headers == [
        "## Overview",
        "## Tasks",
        "## Task categories",
        "## Failures",
        "## Label sources",
        "## Cameras",
    ]


def test_card_of_an_unlabelled_plain_lerobot_dataset(make_dataset, tmp_path):
    ds = make_dataset(2, preferences=False)
    shutil.rmtree(Path(ds.root) / "meta" / "badbench")
    s = summarize(Dataset.open(ds.root))
    assert (s.episodes, s.labelled, s.success_rate, s.preferences) == (2, 0, None, 0)
    assert s.failure_modes == [] and s.progress_sources == {}
    md = render_card(s)
    assert "| Success rate | n/a |" in md and "No failure tags." in md
