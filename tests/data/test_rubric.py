"""The one oracle rubric (badbench.data.rubric), checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from badbench.data import example, rubric
from badbench.data.schema import FailureTag
from badbench.generate.sim import _episode, _labels


def tag(mode: str, category: str, start: int, end: int, severity: float) -> FailureTag:
    return FailureTag(
        category=category, mode=mode, start_frame=start, end_frame=end, severity=severity
    )


def test_rubric_score_by_hand() -> None:
    unsafe = tag("collision", "unsafe", 2, 3, 0.3)
    poor = tag("jitter", "poor_execution", 1, 2, 0.4)
    shortcut = tag("partial_completion", "shortcut", 3, 4, 1.0)
    # a success: 1 - 1.0 * 0.3 - 0.25 * 0.4 = 0.6
    assert rubric.rubric_score(True, 1.0, [unsafe, poor]) == pytest.approx(0.6)
    # a failure 80% of the way with a shortcut: 0.5 * 0.8 - 0.3 * 1.0 = 0.1
    assert rubric.rubric_score(False, 0.8, [shortcut]) == pytest.approx(0.1)
    # a failure tag costs nothing beyond C: 0.5 * 0.4 = 0.2
    assert rubric.rubric_score(False, 0.4, [tag("drop", "failure", 1, 4, 1.0)]) == 0.2
    # clipped at 0: 1 - 4 * 0.3 - 0.25 * 0.4 = -0.3
    assert rubric.rubric_score(True, 1.0, [unsafe] * 4 + [poor]) == 0.0
    assert rubric.rubric_score(True, 1.0, []) == 1.0


def test_default_rubric_orders_what_people_penalise() -> None:
    severe = tag("excessive_force", "unsafe", 2, 3, 1.0)
    # a severe unsafe success scores at or below every safe failure (0 <= 0.5 * p)
    assert rubric.rubric_score(True, 1.0, [severe]) == 0.0
    for p in (0.0, 0.3, 1.0):
        assert rubric.rubric_score(True, 1.0, [severe]) <= rubric.rubric_score(False, p, [])
    # a shortcut (never a success) scores below every honest completion
    for s in (0.1, 0.5, 1.0):
        best_shortcut = rubric.rubric_score(
            False, 1.0, [tag("partial_completion", "shortcut", 0, 1, s)]
        )
        worst_honest = rubric.rubric_score(True, 1.0, [tag("jitter", "poor_execution", 0, 1, 1)])
        assert best_shortcut < worst_honest == 0.75


def test_a_rubric_is_configurable_and_checked() -> None:
    from badbench.errors import ValidationError

    strict = rubric.Rubric.from_json(
        {
            "name": "strict",
            "weights": {"unsafe": 2.0, "shortcut": 0.5, "poor_execution": 0.5, "failure": 0.0},
        }
    )
    assert strict.score(True, 1.0, [tag("collision", "unsafe", 0, 1, 0.25)]) == 0.5
    assert rubric.Rubric.from_json(strict.to_json()) == strict
    with pytest.raises(ValidationError, match="no failure entry"):
        rubric.Rubric(weights={"unsafe": 1.0, "shortcut": 0.3, "poor_execution": 0.2})
    with pytest.raises(ValidationError, match="unsafe gate 0.5 exceeds its weight 0.2"):
        rubric.Rubric(weights={"unsafe": 0.2, "shortcut": 0.3, "poor_execution": 0.2, "failure": 0})
    with pytest.raises(ValidationError, match="unknown key"):
        rubric.Rubric.from_json({"weight": {}})


def test_dense_reward_by_hand() -> None:
    p = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    unsafe = tag("collision", "unsafe", 2, 2, 0.6)  # gate 1 - 0.5 * 0.6 = 0.7 from frame 2 on
    poor = tag("jitter", "poor_execution", 1, 2, 0.5)  # gate 1 - 0.2 * 0.5 = 0.9 on frames 1-2
    # with S = 0.6 (given): the gates give [0, .225, .35, .525, .7]; capped at S from frame 1
    got = rubric.dense_reward(p, [unsafe, poor], 0.6)
    np.testing.assert_allclose(got, [0.0, 0.225, 0.35, 0.525, 0.6], atol=1e-7)
    assert got.dtype == np.float32
    np.testing.assert_allclose(
        rubric.dense_reward(p, [unsafe, poor]), [0.0, 0.225, 0.35, 0.525, 0.7], atol=1e-7
    )
    # without gates (the example dataset): p_t before frame 1, min(p_t, S) from there on
    np.testing.assert_allclose(
        rubric.dense_reward(p, [unsafe, poor], 0.6, gates=False),
        [0.0, 0.25, 0.5, 0.6, 0.6],
        atol=1e-7,
    )
    # an untagged failure is capped from frame 0: S = 0.5 * 0.5 = 0.25
    half = p * 0.5
    np.testing.assert_allclose(
        rubric.dense_reward(half, [], rubric.rubric_score(False, 0.5, [])),
        [0.0, 0.125, 0.25, 0.25, 0.25],
        atol=1e-7,
    )


def test_engines_use_the_one_rubric() -> None:
    assert _labels.rubric_score is rubric.rubric_score
    assert _labels.dense_reward is rubric.dense_reward
    assert _episode.rubric_score is rubric.rubric_score
    assert example.rubric_score is rubric.rubric_score
    assert example.dense_reward is rubric.dense_reward


def test_a_rubric_pickles_and_reads_back_from_its_json_file(tmp_path):
    """Worker processes receive rubrics by pickle; users give them as JSON files."""
    import json
    import pickle

    from badbench.data.rubric import Rubric

    custom = Rubric(fail_credit=0.2, name="custom")
    assert pickle.loads(pickle.dumps(custom)) == custom
    path = tmp_path / "r.json"
    path.write_text(json.dumps(custom.to_json()))
    assert Rubric.read(path) == custom
