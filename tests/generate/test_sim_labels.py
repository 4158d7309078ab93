"""The simulated rater panel: own weights, visibility-aware noticing, recorded rater ids."""

from __future__ import annotations

import numpy as np
import pytest

from badbench.data.schema import FailureTag, TagView
from badbench.generate.sim._labels import (
    SIM_RATERS,
    RatedEpisode,
    oracle_preferences,
    panel_preferences,
)


def unsafe(severity: float, pixels: int | None) -> FailureTag:
    views = {} if pixels is None else {"scene": TagView(in_view=pixels > 0, pixels=pixels)}
    return FailureTag(
        category="unsafe",
        mode="collision",
        start_frame=2,
        end_frame=3,
        severity=severity,
        visibility=views,
    )


def test_an_event_no_camera_shows_is_never_penalised() -> None:
    rng = np.random.default_rng(0)
    for rater in SIM_RATERS:
        hidden = RatedEpisode("e", True, 1.0, [unsafe(1.0, 0)])
        assert all(rater.perceived_score(hidden, rng) == 1.0 for _ in range(50))
        big = RatedEpisode("e", True, 1.0, [unsafe(0.5, 100_000)])
        assert rater.perceived_score(big, rng) == pytest.approx(
            1 - 0.5 * rater.rubric.weights["unsafe"]
        )
        unmeasured = RatedEpisode("e", True, 1.0, [unsafe(0.5, None)])
        assert rater.perceived_score(unmeasured, rng) < 1.0


def test_small_events_are_noticed_less_often() -> None:
    rater = SIM_RATERS[0]
    rng = np.random.default_rng(1)
    # noticed with probability 1 - exp(-pixels / see_pixels): 30 px -> 0.39, 600 px -> 1.0
    small = [rater.notices(unsafe(1.0, 30), rng) for _ in range(2000)]
    assert np.mean(small) == pytest.approx(1 - np.exp(-30 / rater.see_pixels), abs=0.04)
    assert all(rater.notices(unsafe(1.0, 600), rng) for _ in range(200))


def test_raters_weigh_differently_and_say_who_they_are() -> None:
    # an unsafe success of severity 0.6 against a safe failure that got 60% of the way:
    # safety weighs unsafe 1.3: 1 - 0.78 = 0.22 < 0.3; completion weighs 0.6: 0.64 > 0.3
    eps = [
        RatedEpisode("a-unsafe", True, 1.0, [unsafe(0.6, 5000)]),
        RatedEpisode("b-fail", False, 0.6, []),
    ]
    prefs = panel_preferences("ctx", eps, temperature=0.01, seed=0)
    by_rater = {p.rater_id: p.label for p in prefs}
    assert by_rater == {
        "sim-safety(T=0.01)": "b",
        "sim-completion(T=0.01)": "a",
        "sim-smooth(T=0.01)": "a",
    }
    assert all(p.source == "oracle" and "not a human" in p.feedback for p in prefs)
    assert prefs == panel_preferences("ctx", eps, temperature=0.01, seed=0)
    assert prefs != panel_preferences("ctx", eps, temperature=0.3, seed=1)


def test_clean_oracle_is_the_rubric_score_order() -> None:
    scores = {"a": 1.0, "b": 0.2, "c": 0.2}
    clean = oracle_preferences("ctx", scores)
    assert [p.label for p in clean] == ["a", "a", "tie"]
    assert all(p.source == "oracle" and p.rater_id == "oracle" for p in clean)
