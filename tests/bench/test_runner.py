"""The runner end to end on a small labelled dataset: metrics sanity, records, cache reuse."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from _runner_factory import CAMERA, Brightness, build_bench_dataset

from badbench.bench.metrics import MetricSettings
from badbench.bench.results import PAIRS_FILE, load_run
from badbench.bench.runner import evaluate
from badbench.data import Dataset
from badbench.errors import RegistryError, ValidationError

FAST = MetricSettings(n_boot=50)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bench_dataset(tmp_path_factory.mktemp("bench") / "ds")


@pytest.fixture(scope="module")
def run(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "r"
    evaluate(
        data, ["oracle", "time", "random:seed=1"], out, settings=FAST, progress=False, report=False
    )
    return out


def _overall(run_dir: Path, key: str) -> dict[str, float | None]:
    rec = load_run(run_dir)
    return {k: v.value for k, v in rec.summary.model(key).metrics.overall.items()}


def test_oracle_is_the_ceiling(run: Path) -> None:
    m = _overall(run, "oracle")
    assert m["pairwise_accuracy"] == pytest.approx(1.0)
    assert m["pairwise_accuracy_ab"] == pytest.approx(1.0)
    assert m["fpr_fixed"] == 0.0


def test_time_over_rewards(run: Path) -> None:
    m = _overall(run, "time")
    assert m["fpr_fixed"] == 1.0  # every bad episode ends at progress 1
    assert m["pairwise_accuracy"] < 0.1  # equal-length ramps: all ties, ties count as wrong


def test_records_hold_everything_the_report_needs(run: Path, data: Path) -> None:
    rec = load_run(run)
    ds = Dataset.open(data)
    assert rec.summary.dataset.n_episodes == len(ds) == 16
    assert rec.summary.dataset.n_preferences == len(ds.preferences())
    assert [m.spec.key for m in rec.summary.models] == ["oracle", "time", "random(seed=1)"]
    assert rec.summary.model("random(seed=1)").spec.options == {"seed": 1}
    for key, rows in rec.scores.items():
        assert [r.episode_id for r in rows] == ds.episode_ids
        assert all(r.model_key == key for r in rows)
    row = next(r for r in rec.scores["oracle"] if r.episode_id.endswith("/drop"))
    assert row.labels.success is False and row.labels.is_bad and row.labels.quality == 0
    assert [t.mode for t in row.labels.tags] == ["drop"]
    assert row.labels.task_category == "pick_place"
    np.testing.assert_allclose(row.rewards, row.labels.dense_reward)
    assert row.scores["last"] == pytest.approx(0.5)
    assert row.scores["return"] == pytest.approx(sum(row.rewards))
    jitter = next(r for r in rec.scores["oracle"] if r.episode_id.endswith("/jitter"))
    assert jitter.labels.quality == 1
    origins = {p.origin for p in rec.pairs}
    assert origins == {"preference", "progress"}
    assert (run / PAIRS_FILE).exists()
    m = rec.summary.model("oracle").metrics
    assert {"pick_place", "push_pull"} <= set(m.by_task_category)
    assert {"unsafe", "poor_execution", "failure"} <= set(m.by_failure_category)
    assert {"drop", "collision", "jitter"} <= set(m.by_failure_mode)


def test_second_run_uses_the_cache(run: Path, data: Path) -> None:
    before = load_run(run)
    again = evaluate(
        data, ["oracle", "time", "random:seed=1"], run, settings=FAST, progress=False, report=False
    )
    assert all(m.n_cached == m.n_episodes == 16 for m in again.models)
    after = load_run(run)
    for key in before.scores:
        assert [r.rewards for r in after.scores[key]] == [r.rewards for r in before.scores[key]]
        assert all(r.cached for r in after.scores[key])
    assert before.summary.model("oracle").metrics == after.summary.model("oracle").metrics


def test_random_is_seeded_across_runs(data: Path, tmp_path: Path) -> None:
    evaluate(
        data,
        ["random:seed=1", "random:seed=2"],
        tmp_path / "a",
        settings=FAST,
        progress=False,
        report=False,
    )
    evaluate(data, ["random:seed=1"], tmp_path / "b", settings=FAST, progress=False, report=False)
    a, b = load_run(tmp_path / "a"), load_run(tmp_path / "b")
    r1 = [r.rewards for r in a.scores["random(seed=1)"]]
    assert r1 == [r.rewards for r in b.scores["random(seed=1)"]]
    assert r1 != [r.rewards for r in a.scores["random(seed=2)"]]


def test_baselines_never_decode_video(data: Path, tmp_path: Path) -> None:
    copy = tmp_path / "novideo"
    shutil.copytree(data, copy)
    shutil.rmtree(copy / "videos")
    s = evaluate(
        copy, ["oracle", "time"], tmp_path / "r", settings=FAST, progress=False, report=False
    )
    assert s.models[0].n_episodes == 16


def test_frame_model_gets_the_frames_it_asks_for(data: Path, tmp_path: Path) -> None:
    model = Brightness()
    evaluate(data, [model], tmp_path / "r", settings=FAST, progress=False, report=False)
    rows = load_run(tmp_path / "r").scores["Brightness"]
    ds = Dataset.open(data)
    for row in rows[:3]:
        idx = list(range(0, ds.meta(row.episode_id).length, 2))
        frames = ds.frames(row.episode_id, CAMERA)[idx]
        assert row.frame_indices == idx
        np.testing.assert_allclose(row.rewards, frames.reshape(len(idx), -1).mean(1) / 255.0)


def test_errors_before_any_work(data: Path, tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="known models: .*oracle"):
        evaluate(data, ["oracle", "nope"], tmp_path / "r1", progress=False, report=False)
    with pytest.raises(ValidationError, match="given twice"):
        evaluate(data, ["time", "time"], tmp_path / "r2", progress=False, report=False)
    with pytest.raises(ValidationError, match="return, last or mean"):
        evaluate(data, ["time"], tmp_path / "r3", score_kind="max", progress=False, report=False)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no model"):
        evaluate(data, [], tmp_path / "r4", progress=False, report=False)


def test_progress_hook_sees_every_episode(data: Path, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    evaluate(
        data,
        ["time"],
        tmp_path / "r",
        settings=FAST,
        progress=lambda *a: calls.append(a),
        report=False,
    )
    assert calls[0] == ("time", 0, 16) and calls[-1] == ("time", 16, 16)


def test_contract_breach_fails_that_episode_not_the_run(data: Path, tmp_path: Path) -> None:
    from _runner_factory import LoggedTime

    from badbench.models import RewardOutput

    class BreaksOnFifth(LoggedTime):
        def score(self, episodes):  # type: ignore[no-untyped-def]
            outs = super().score(episodes)
            if len(self.log.read()) == 5:
                return [RewardOutput.per_frame(o.rewards * 3) for o in outs]
            return outs

    s = evaluate(data, [BreaksOnFifth(tmp_path / "log")], tmp_path / "r", progress=False,
                 report=False, settings=FAST)
    m = s.models[0]
    assert (m.n_episodes, m.n_failed, m.failures) == (16, 1, {"contract": 1})
    rows = load_run(tmp_path / "r").scores[m.spec.key]
    bad = [r for r in rows if r.error is not None]
    assert [r.episode_id for r in bad] == [Dataset.open(data).episode_ids[4]]
    assert "outside the declared output_range" in bad[0].error["message"]  # type: ignore[index]
    assert bad[0].rewards == [] and bad[0].scores == {}
    assert m.metrics.overall["voc"].n == 7  # VOC is over the 8 successes; the failed one is out


def test_a_run_on_some_episodes_scores_and_measures_only_those(data: Path, tmp_path: Path) -> None:
    ds = Dataset.open(data)
    some = ds.episode_ids[::2]
    out = tmp_path / "subset"
    summary = evaluate(
        data, ["oracle"], out, settings=FAST, progress=False, report=True, episodes=some
    )
    rec = load_run(out)
    assert summary.dataset.n_episodes == len(some)
    assert [r.episode_id for r in rec.scores["oracle"]] == some
    assert all(p.episode_a in some and p.episode_b in some for p in rec.pairs)
    with pytest.raises(ValidationError, match="no episode 'nope'"):
        evaluate(data, ["oracle"], tmp_path / "bad", progress=False, episodes=["nope"])
