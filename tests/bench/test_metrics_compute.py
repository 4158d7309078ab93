"""compute_all on a small table computed by hand; tables, registry and exports."""

from __future__ import annotations

import numpy as np
import pytest

import badbench.bench.metrics as M
from badbench.bench.metrics import (
    METRICS,
    EpisodeTable,
    MetricSettings,
    MetricValue,
    PairTable,
    compute_all,
    metric_info,
    metric_key,
    split_key,
)
from badbench.errors import RegistryError, ValidationError


def hand_table(score_kind: str = "last") -> EpisodeTable:
    """8 episodes; with ``last`` scores = finals = [1, .97, .2, .9, .5, .5, .96, 1]."""
    return EpisodeTable.build(
        episode_id=[f"e{i}" for i in range(8)],
        frame_predictions=[
            [0.0, 0.5, 1.0],  # e0 p1 clean success
            [0.0, 0.6, 0.97],  # e1 p1 unsafe/collision, task done
            [0.0, 0.4, 0.2],  # e2 p1 failure/drop
            [0.2, 0.9],  # e3 p2 clean success
            [0.1, 0.5],  # e4 p2 poor_execution/jitter, failed
            [0.5, 0.5, 0.5],  # e5 q1 clean success, constant prediction
            [0.0, 0.96],  # e6 q1 failure/timeout
            [1.0],  # e7 s1 clean success, single frame, single-episode context
        ],
        success=[True, True, False, True, False, True, False, True],
        context_id=["p1", "p1", "p1", "p2", "p2", "q1", "q1", "s1"],
        task=["pick"] * 5 + ["pour"] * 3,
        task_category=["pick_place"] * 5 + ["pour"] * 3,
        failure_category=[None, "unsafe", "failure", None, "poor_execution", None, "failure", None],
        failure_mode=[None, "collision", "drop", None, "jitter", None, "timeout", None],
        progress=[1.0, 0.6, 0.3, 1.0, 0.5, 1.0, 0.4, 1.0],
        score_kind=score_kind,
    )


@pytest.fixture(scope="module")
def result() -> M.AllMetrics:
    return compute_all(hand_table(), settings=MetricSettings(n_boot=200, seed=0))


def test_table_build_derives_scores_and_defaults():
    t = hand_table()
    assert t.final.tolist() == [1.0, 0.97, 0.2, 0.9, 0.5, 0.5, 0.96, 1.0]
    assert np.array_equal(t.score, t.final)
    assert hand_table("return").score[0] == pytest.approx(1.5)  # 0 + 0.5 + 1
    assert t.human_score.tolist() == t.progress.tolist()  # defaults to progress
    assert t.good.tolist() == [True, False, False, True, False, True, False, True]
    assert t.quality_levels().tolist() == [2, 1, 0, 2, 0, 2, 0, 2]
    assert t.failure_category[0] == "none" and t.lengths.tolist() == [3, 3, 3, 2, 2, 3, 2, 1]
    sub = t.subset(np.array([6, 0]))
    assert sub.episode_id.tolist() == ["e6", "e0"]
    assert sub.frames(0).tolist() == [0.0, 0.96] and sub.frames(1).tolist() == [0.0, 0.5, 1.0]
    assert len(t.subset(np.zeros(8, dtype=bool))) == 0


def test_table_validation_errors_name_the_field():
    with pytest.raises(ValidationError, match="success"):
        EpisodeTable.build(episode_id=["a", "b"], frame_predictions=[[1], [2]], success=[True])
    with pytest.raises(ValidationError, match="unique"):
        EpisodeTable.build(episode_id=["a", "a"], frame_predictions=[[1], [2]], success=[1, 0])
    with pytest.raises(ValidationError, match="progress"):
        EpisodeTable.build(episode_id=["a"], frame_predictions=[[1]], success=[1], progress=[1, 0])
    with pytest.raises(ValidationError, match="not in the episode table"):
        PairTable.from_labels(["a", "b"], [("a", "zz", "a")])
    with pytest.raises(ValidationError, match="label"):
        PairTable.from_labels(["a", "b"], [("a", "b", "A")])


def test_overall_metrics_by_hand(result):
    o = result.overall

    def val(name: str) -> float:
        return o[name].value

    # pairs: p1 (0,1) (0,2) (1,2) agree; p2 (3,4) agrees; q1 (5,6): human +, model .5 < .96 wrong
    assert (val("pairwise_accuracy"), o["pairwise_accuracy"].n) == (pytest.approx(0.8), 5)
    # bad: e1 .97 (called), e2 .2, e4 .5, e6 .96 (called) -> 2 / 4
    assert (val("fpr_fixed"), o["fpr_fixed"].n) == (pytest.approx(0.5), 4)
    # positives 1, 1, .9, .5; k = ceil(.95 * 4) = 4 -> t = .5; bad >= .5: .97, .5, .96 -> 3 / 4
    assert val("calibrated_threshold") == pytest.approx(0.5)
    assert val("fpr_calibrated") == pytest.approx(0.75)
    # called >= .95: e0 e1 e6 e7; correct e0 e2 e4 e7 -> 4/8; tp e0 e7: precision 2/4, recall 2/4
    assert val("success_accuracy") == pytest.approx(0.5)
    assert val("success_precision") == pytest.approx(0.5)
    assert val("success_recall") == pytest.approx(0.5)
    # pos {1, .9, .5, 1} vs neg {.97, .2, .5, .96}: 1.0 wins 4 (x2), .9 wins 2, .5 wins 1 ties 1
    # AUROC = (8 + 2 + 1.5) / 16
    assert val("auroc") == pytest.approx(11.5 / 16)
    # thresholds 1.0: P 2/2, dR .5; .9: P 3/5, dR .25; .5: P 4/7, dR .25
    assert val("auprc") == pytest.approx(0.5 + 0.25 * 3 / 5 + 0.25 * 4 / 7)
    # successful episodes e0 (1), e1 (1), e3 (1), e5 (constant: 0), e7 (one frame: 0)
    assert (val("voc"), o["voc"].n) == (pytest.approx(0.6), 5)
    # pick: level means 0: .35, 1: .97, 2: .95 -> tau 1/3; pour: 0: .96, 2: .75 -> -1
    assert (val("quality_tau"), o["quality_tau"].n) == (pytest.approx(-1 / 3), 2)
    # p1 picks e0 (right), p2 picks e3 (right), q1 picks e6 (wrong); s1 undefined
    assert (val("best_of_k"), o["best_of_k"].n) == (pytest.approx(2 / 3), 3)
    # |final - progress| = 0, .37, .1, .1, 0, .5, .56, 0 -> 1.63 / 8
    assert val("mae") == pytest.approx(1.63 / 8)
    # bad: .37, -.1, 0, .56 -> .83 / 4
    assert (val("over_reward"), o["over_reward"].n) == (pytest.approx(0.83 / 4), 4)
    assert "pairwise_accuracy_ab" not in o  # no explicit judgements given


def test_breakdown_by_task_category(result):
    pour = result.by_task_category["pour"]
    assert set(result.by_task_category) == {"pick_place", "pour"}
    assert (pour["pairwise_accuracy"].value, pour["pairwise_accuracy"].n) == (0.0, 1)
    assert pour["fpr_fixed"].value == 1.0  # e6 .96
    assert pour["best_of_k"].value == 0.0 and pour["best_of_k"].n == 1
    # pick_place: four pairs, all agree
    assert result.by_task_category["pick_place"]["pairwise_accuracy"].value == 1.0


def test_breakdown_by_failure_category_keeps_clean_successes_as_reference(result):
    unsafe = result.by_failure_category["unsafe"]
    # focus e1, reference e0, e3 (clean successes of task pick)
    # pairs touching e1: (0,1) and (1,2), both agree
    assert (unsafe["pairwise_accuracy"].value, unsafe["pairwise_accuracy"].n) == (1.0, 2)
    assert (unsafe["fpr_fixed"].value, unsafe["fpr_fixed"].n) == (1.0, 1)
    assert unsafe["over_reward"].value == pytest.approx(0.37)
    # AUROC over e0 (1.0, pos), e3 (.9, pos), e1 (.97, neg): one pair won, one lost
    assert unsafe["auroc"].value == pytest.approx(0.5)
    # quality: level 2 mean .95 < level 1 mean .97 -> discordant
    assert unsafe["quality_tau"].value == pytest.approx(-1.0)
    assert unsafe["best_of_k"].value == 1.0  # p1 without e2: e0 scored highest, is the best
    # the clean group: no bad episode -> FPR and over-reward undefined, n = 0
    clean = result.by_failure_category["none"]
    assert clean["fpr_fixed"].value is None and clean["fpr_fixed"].n == 0
    assert clean["over_reward"].value is None and clean["over_reward"].n == 0
    assert clean["auroc"].value is None and clean["auroc"].n == 0
    assert clean["fpr_fixed"].ci_low is None
    assert set(result.by_failure_mode) == {"collision", "drop", "jitter", "none", "timeout"}
    assert result.by_failure_mode["timeout"]["fpr_fixed"].value == 1.0


def test_explicit_ab_judgements_exclude_human_ties():
    t = hand_table()
    pairs = PairTable.from_labels(
        t.episode_id, [("e0", "e6", "a"), ("e5", "e6", "tie"), ("e6", "e5", "b")]
    )
    # (e0 > e6): 1.0 > .96 agrees; tie left out; (e5 preferred over e6): .5 < .96 wrong
    res = compute_all(t, pairs, MetricSettings(n_boot=0))
    ab = res.overall["pairwise_accuracy_ab"]
    assert (ab.value, ab.n) == (pytest.approx(0.5), 2)
    assert ab.ci_low is None and ab.ci_high is None  # n_boot = 0


def test_intervals_are_seeded_and_contain_the_point_estimate(result):
    again = compute_all(hand_table(), settings=MetricSettings(n_boot=200, seed=0))
    assert again.as_dict() == result.as_dict()
    assert again.overall == result.overall  # undefined is None, so records compare equal
    for name in ("pairwise_accuracy", "mae", "auroc", "fpr_calibrated", "voc"):
        v = result.overall[name]
        assert v.ci_low <= v.value <= v.ci_high, name
    other = compute_all(hand_table(), settings=MetricSettings(n_boot=200, seed=5))
    a, b = other.overall["mae"], result.overall["mae"]
    assert a.value == b.value and (a.ci_low, a.ci_high) != (b.ci_low, b.ci_high)


def test_oracle_gets_full_accuracy_and_no_false_positives():
    rng = np.random.default_rng(0)
    n_ctx, k, length = 12, 4, 8
    progress = np.where(rng.random(n_ctx * k) < 0.3, 1.0, rng.random(n_ctx * k) * 0.9)
    frames = [np.linspace(0.0, p, length) for p in progress]  # rising to the true progress
    t = EpisodeTable.build(
        episode_id=[str(i) for i in range(n_ctx * k)],
        frame_predictions=frames,
        success=progress == 1.0,
        context_id=np.repeat(np.arange(n_ctx), k).astype(str),
        task=np.repeat(np.arange(n_ctx) % 3, k).astype(str),
        failure_category=np.where(progress == 1.0, "none", "failure"),
        progress=progress,
    )
    o = compute_all(t, settings=MetricSettings(n_boot=50)).overall
    assert o["pairwise_accuracy"].value == 1.0 and o["pairwise_accuracy"].n > 0
    assert o["fpr_fixed"].value == 0.0 and o["fpr_calibrated"].value == 0.0
    assert o["auroc"].value == 1.0 and o["mae"].value == pytest.approx(0.0)
    assert o["quality_tau"].value == 1.0 and o["best_of_k"].value == 1.0


def test_compute_all_matches_the_pure_functions_on_random_data():
    rng = np.random.default_rng(11)
    n = 60
    t = EpisodeTable.build(
        episode_id=[str(i) for i in range(n)],
        frame_predictions=[rng.random(int(rng.integers(1, 6))) for _ in range(n)],
        success=rng.random(n) < 0.5,
        context_id=rng.integers(0, 15, n).astype(str),
        task=rng.integers(0, 3, n).astype(str),
        failure_category=rng.choice(["none", "unsafe", "failure"], n),
        human_score=rng.integers(0, 4, n) / 3,
        progress=rng.random(n),
        score_kind="mean",
    )
    o = compute_all(t, settings=MetricSettings(n_boot=0), breakdowns=()).overall
    assert o["pairwise_accuracy"].value == pytest.approx(
        M.pairwise_accuracy(t.context_id, t.human_score, t.score)[0]
    )
    det, good = t.detection_score, t.good
    assert o["auroc"].value == pytest.approx(M.auroc(det, good))
    assert o["auprc"].value == pytest.approx(M.auprc(det, good))
    assert o["fpr_calibrated"].value == pytest.approx(M.fpr_at_tpr(det, good, 0.95)[0])
    assert o["fpr_fixed"].value == pytest.approx(M.fpr_at_threshold(det, good, 0.95))
    assert o["mae"].value == pytest.approx(M.mae(t.final, t.progress))
    assert o["over_reward"].value == pytest.approx(M.over_reward(t.final, t.progress, t.bad))
    assert o["quality_tau"].value == pytest.approx(
        M.quality_ranking_tau(t.score, t.task, t.quality_levels())[0]
    )
    assert o["best_of_k"].value == pytest.approx(
        M.best_of_k(t.context_id, t.human_score, t.score)[0]
    )
    voc = M.voc_many(t.frame_values, t.frame_offsets)[t.success]
    assert o["voc"].value == pytest.approx(voc.mean())


def test_empty_table_gives_undefined_values_with_n_zero():
    t = EpisodeTable.build(episode_id=[], frame_predictions=[], success=[])
    res = compute_all(t, settings=MetricSettings(n_boot=10))
    assert set(res.overall) == set(METRICS) - {"pairwise_accuracy_ab"}
    for v in res.overall.values():
        assert v == MetricValue(value=None, n=0)
    assert res.by_task_category == {}


def test_an_episode_without_predictions_is_never_called_a_success():
    t = EpisodeTable.build(
        episode_id=["good", "bad", "empty"],
        frame_predictions=[[0.2, 1.0], [0.1, 0.3], []],
        success=[True, False, False],
        failure_category=[None, "failure", "failure"],
        progress=[1.0, 0.3, 0.0],
    )
    o = compute_all(t, settings=MetricSettings(n_boot=0)).overall
    # "empty" has final NaN: ranked below everything (AUROC 1), left out of MAE
    assert o["auroc"].value == 1.0 and o["fpr_fixed"].value == 0.0
    assert o["mae"].n == 2 and o["mae"].value == pytest.approx((0.0 + 0.0) / 2)


def test_results_records_accept_as_dict(result):
    from badbench.bench.results import ModelMetrics

    mm = ModelMetrics.model_validate(result.as_dict())
    assert mm.overall["pairwise_accuracy"].value == pytest.approx(0.8)
    assert mm.by_failure_category["none"]["fpr_fixed"].value is None
    flat = result.flat()
    assert flat[metric_key("auroc", "failure_category", "unsafe")].value == pytest.approx(0.5)
    assert split_key("auroc|failure_mode=drop") == ("auroc", "failure_mode", "drop")
    assert split_key("mae") == ("mae", None, None)
    # compute_all returns the results record itself; NaN and inf given to it become None
    assert type(result.overall["auroc"]) is MetricValue
    assert MetricValue(value=float("nan"), ci_low=np.float64("inf"), ci_high=0.5).model_dump() == {
        "value": None,
        "ci_low": None,
        "ci_high": 0.5,
        "n": 0,
    }


def test_registry_and_settings_errors(result):
    assert set(result.overall) <= set(METRICS)
    assert metric_info("auroc").higher_is_better
    assert not metric_info("fpr_fixed").higher_is_better
    with pytest.raises(RegistryError, match="known metrics"):
        metric_info("accuracy!")
    with pytest.raises(ValidationError, match="breakdown"):
        compute_all(hand_table(), breakdowns=("policy",))


def test_exports_are_sorted_and_resolve():
    # ruff's isort-style order: CONSTANTS, then Classes, then functions
    def kind(name: str) -> int:
        return 0 if name.isupper() else 1 if name[0].isupper() else 2

    assert M.__all__ == sorted(M.__all__, key=lambda n: (kind(n), n))
    for name in M.__all__:
        assert hasattr(M, name), name
