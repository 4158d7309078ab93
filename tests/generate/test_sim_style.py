"""Operator style: drawn per episode whatever the mode, and performed as documented."""

from __future__ import annotations

import numpy as np
import pytest

from badbench.generate.sim._style import TRANSIT_CLEAR, Style


def test_style_is_drawn_from_one_distribution_and_spreads() -> None:
    styles = [Style.draw(np.random.default_rng([s, 5]), 200) for s in range(400)]
    assert Style.draw(np.random.default_rng([3, 5]), 200) == styles[3]
    delays = np.array([s.delay for s in styles])
    assert 0.4 < np.mean(delays > 0) < 0.6 and delays.max() <= 24
    assert {s.end for s in styles} == {"hold", "rise", "home"}
    paces = np.array([s.pace for s in styles])
    assert paces.min() >= 0.7 and paces.max() <= 1.0 and paces.std() > 0.07
    assert 0.4 < np.mean([s.transit > 1 for s in styles]) < 0.6


def test_style_shapes_the_expert_action() -> None:
    style = Style(delay=5, pace=0.8, transit=2.0)
    act = np.array([1.5, -0.5, 0.2, 1.0])
    np.testing.assert_allclose(style.shape(4, act), [0, 0, 0, 1.0])  # waiting; gripper as is
    np.testing.assert_allclose(style.shape(5, act), [0.8, -0.4, 0.16, 1.0])  # clipped, paced
    objects = np.array([[0.0, 0.6, 0.02]])
    near = np.array([0.0, 0.6, 0.02 + TRANSIT_CLEAR - 0.01])
    far = np.array([0.0, 0.6, 0.02 + TRANSIT_CLEAR + 0.01])
    assert style.speed_boost(near, objects) == 1.0
    assert style.speed_boost(far, objects) == 2.0
    assert Style().speed_boost(far, objects) == 1.0
    home = np.array([0.1, 0.5, 0.2])
    up, over, back = Style(end="home").rest_path(far, home)
    assert up[:2].tolist() == far[:2].tolist() and up[2] == pytest.approx(far[2] + 0.08)
    assert over.tolist() == [0.1, 0.5, up[2]] and back.tolist() == home.tolist()
    (rise,) = Style(end="rise", retract=0.1).rest_path(far, home)
    assert rise[2] == pytest.approx(far[2] + 0.1)
    assert Style().rest_path(far, home)[0].tolist() == far.tolist()
