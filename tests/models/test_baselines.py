"""The baselines: oracle reads labels, random is seeded per episode, time is t / (T - 1)."""

from __future__ import annotations

import numpy as np
import pytest

from badbench.data.schema import Episode
from badbench.models import RewardOutput, check_model, create_model
from badbench.models.check import example_episodes


@pytest.fixture
def episodes() -> list[Episode]:
    return example_episodes(n=4, length=10)


@pytest.mark.parametrize("name", ["oracle", "random", "random:seed=5", "time"])
def test_baselines_pass_the_conformance_check(name: str) -> None:
    check_model(create_model(name))


def test_oracle_returns_the_dense_labels(episodes: list[Episode]) -> None:
    outs = create_model("oracle").score(episodes)
    for ep, out in zip(episodes, outs, strict=True):
        np.testing.assert_allclose(out.rewards, ep.dense_reward, rtol=1e-6)
        np.testing.assert_array_equal(out.frame_indices, np.arange(ep.meta.length))


def test_oracle_without_labels_fails_that_episode_and_says_what_to_do(
    episodes: list[Episode],
) -> None:
    episodes[1].dense_reward = None
    outs = create_model("oracle").score(episodes)
    assert not outs[0].failed and not outs[2].failed
    assert outs[1].error is not None and outs[1].error.kind == "labels"
    assert "dense reward" in outs[1].error.message and episodes[1].id in outs[1].error.message


def test_time_is_a_ramp(episodes: list[Episode]) -> None:
    out = create_model("time").score(episodes[:1])[0]
    n = episodes[0].meta.length
    np.testing.assert_allclose(out.rewards, np.arange(n) / (n - 1))
    assert out.rewards[0] == 0.0 and out.rewards[-1] == 1.0


def test_time_single_frame() -> None:
    ep = example_episodes(n=1, length=1)[0]
    assert create_model("time").score([ep])[0].rewards.tolist() == [1.0]


def test_random_is_seeded_and_order_independent(episodes: list[Episode]) -> None:
    a = create_model("random:seed=1").score(episodes)
    b = create_model("random:seed=1").score(list(reversed(episodes)))[::-1]
    c = create_model("random:seed=2").score(episodes)
    for x, y, z in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(x.rewards, y.rewards)
        assert not np.array_equal(x.rewards, z.rewards)
        assert x.rewards.min() >= 0.0 and x.rewards.max() <= 1.0
    assert not np.array_equal(a[0].rewards[:5], a[1].rewards[:5])  # episodes differ


def test_baselines_need_no_frames(episodes: list[Episode]) -> None:
    for name in ("oracle", "random", "time"):
        m = create_model(name)
        assert m.needs_frames is False
        for ep in episodes:
            ep.frames = {}
        assert all(isinstance(o, RewardOutput) for o in m.score(episodes))
