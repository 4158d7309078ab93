"""One metric-value record and one place for metric info, which the report reads."""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path

import numpy as np

import badbench.bench.results as R
from badbench.bench import metrics as M
from badbench.bench.metrics import METRICS, EpisodeTable, MetricInfo, MetricSettings, compute_all
from badbench.bench.report import _metric_info as report_info
from badbench.bench.report import write_report


def random_table(seed: int = 0, n: int = 60) -> EpisodeTable:
    rng = np.random.default_rng(seed)
    return EpisodeTable.build(
        episode_id=[f"e{i}" for i in range(n)],
        frame_predictions=[rng.random(int(rng.integers(1, 8))) for _ in range(n)],
        success=rng.random(n) < 0.5,
        context_id=[f"c{i // 4}" for i in range(n)],
        task=[f"t{i % 3}" for i in range(n)],
        failure_category=rng.choice(["none", "unsafe", "failure"], n),
        progress=np.round(rng.random(n), 1),
    )


def test_compute_all_returns_the_results_record():
    assert M.MetricValue is R.MetricValue
    res = compute_all(random_table(), settings=MetricSettings(n_boot=20))
    values = list(res.flat().values())
    assert values and all(type(v) is R.MetricValue for v in values)
    # the runner's path: as_dict() -> ModelMetrics gives back the very same records
    mm = R.ModelMetrics.model_validate(res.as_dict())
    assert mm.overall == res.overall and mm.by_failure_mode == res.by_failure_mode


def test_metric_values_lie_in_their_declared_range():
    for seed in range(5):
        res = compute_all(random_table(seed), settings=MetricSettings(n_boot=50, seed=seed))
        for key, v in res.flat().items():
            info = METRICS[M.split_key(key)[0]]
            if info.value_range is None or v.value is None:
                continue
            low, high = info.value_range
            for x in (v.value, v.ci_low, v.ci_high):
                assert x is None or low - 1e-12 <= x <= high + 1e-12, (key, x)


def test_every_metric_has_consistent_info():
    assert list(METRICS) == M.list_metrics()
    for name, info in METRICS.items():
        assert info.name == name and info.title and info.description and info.n_of
        if info.chance is not None:
            assert info.value_range is not None
            assert info.value_range[0] <= info.chance <= info.value_range[1], name
    assert [n for n, m in METRICS.items() if not m.ranked] == ["calibrated_threshold"]
    assert METRICS["calibrated_threshold"].direction == ""
    assert METRICS["mae"].direction == "lower is better"
    assert {n for n, m in METRICS.items() if m.chance == 0.5} == {
        "pairwise_accuracy",
        "pairwise_accuracy_ab",
        "auroc",
    }
    assert METRICS["auroc"].definition == (
        "Area under the ROC curve of the detection score, clean success vs bad "
        "(Mann-Whitney, ties count half). Units: probability. Range [0, 1]. Chance: 0.5."
    )


def test_the_report_reads_the_registry():
    assert report_info.MetricInfo is MetricInfo
    for name, info in METRICS.items():
        assert report_info.metric_info(name) is info
    assert report_info.order_metrics(["zeta", "mae", "auroc", "alpha"]) == [
        "auroc",
        "mae",
        "alpha",
        "zeta",
    ]
    main, more = report_info.split_headline(["calibrated_threshold", "auroc"])
    assert (main, more) == (["auroc"], ["calibrated_threshold"])


def test_an_unregistered_metric_gets_generic_info():
    info = report_info.metric_info("brier_score")
    assert (info.label, info.higher_is_better, info.ranked) == ("Brier score", False, True)
    assert info.direction == "lower is better" and info.chance is None
    assert info.definition == "Metric 'brier_score' as computed by the run."


def _tiny_run(run_dir: Path) -> None:
    overall = {"pairwise_accuracy": R.MetricValue(value=0.7, ci_low=0.6, ci_high=0.8, n=12)}
    spec = R.ModelSpec(key="time", name="time", config_hash="h")
    rel = R.save_scores(run_dir, spec.key, [])
    R.save_pairs(run_dir, [])
    model = R.ModelResult(
        spec=spec,
        metrics=R.ModelMetrics(overall=overall, by_task_category={"pour": overall}),
        scores_file=rel,
    )
    dataset = R.DatasetRef(path="/data/none", fingerprint="0", n_episodes=0)
    R.save_summary(run_dir, R.RunSummary(dataset=dataset, models=[model]))


def test_the_rendered_report_shows_the_registry_info(tmp_path: Path, monkeypatch):
    _tiny_run(tmp_path)
    text = write_report(tmp_path).read_text(encoding="utf-8")
    info = METRICS["pairwise_accuracy"]
    assert html.escape(info.definition) in text and "Chance: 0.5." in text
    assert info.title in text and "lower is better" not in text
    # change the registry entry: the report follows, with no copy of its own
    changed = dataclasses.replace(info, title="Pair acc. (renamed)", higher_is_better=False)
    monkeypatch.setitem(METRICS, "pairwise_accuracy", changed)
    text = write_report(tmp_path).read_text(encoding="utf-8")
    assert "Pair acc. (renamed)" in text and "lower is better" in text


def test_docs_reference_table_lists_every_metric():
    docs = (Path(__file__).parents[2] / "docs" / "metrics.md").read_text(encoding="utf-8")
    reference = docs.split("## Reference", 1)[1]
    assert [n for n in METRICS if f"`{n}`" not in reference] == []
