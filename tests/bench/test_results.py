"""Result records: round trips, versioning, and clear errors on bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from badbench.bench.results import (
    RESULTS_FILE,
    SCHEMA_VERSION,
    DatasetRef,
    EpisodeLabels,
    EpisodeScore,
    MetricValue,
    ModelMetrics,
    ModelResult,
    ModelSpec,
    PairRecord,
    RunSummary,
    load_jsonl,
    load_run,
    load_summary,
    model_slug,
    save_pairs,
    save_scores,
    save_summary,
)
from badbench.data import FailureCategory, FailureTag
from badbench.errors import DataError, SchemaError


def _summary(rel: str) -> RunSummary:
    spec = ModelSpec(key="random(seed=1)", name="random", options={"seed": 1}, config_hash="ab12")
    metrics = ModelMetrics(
        overall={"pairwise_accuracy": MetricValue(value=0.5, ci_low=0.4, ci_high=0.6, n=10)},
        by_task_category={"pour": {"mae": MetricValue(value=None, n=0)}},
    )
    return RunSummary(
        dataset=DatasetRef(path="/data/x", fingerprint="f00", n_episodes=1),
        models=[ModelResult(spec=spec, metrics=metrics, scores_file=rel, n_episodes=1)],
    )


def _row() -> EpisodeScore:
    tag = FailureTag(
        category=FailureCategory.FAILURE, mode="drop", start_frame=1, end_frame=2, severity=0.5
    )
    labels = EpisodeLabels(
        episode_id="e/1", task="t", success=False, progress=0.4, tags=[tag], dense_reward=[0, 0.4]
    )
    return EpisodeScore(
        model_key="random(seed=1)",
        episode_id="e/1",
        frame_indices=[0, 1],
        rewards=[0.1, 0.9],
        scores={"return": 1.0, "last": 0.9, "mean": 0.5},
        labels=labels,
    )


def test_run_round_trip(tmp_path: Path) -> None:
    rel = save_scores(tmp_path, "random(seed=1)", [_row()])
    assert rel == "scores/random_seed_1.jsonl"
    pair = PairRecord(context_id="c", episode_a="a", episode_b="b", label="a", origin="progress")
    save_pairs(tmp_path, [pair])
    summary = _summary(rel)
    save_summary(tmp_path, summary)
    rec = load_run(tmp_path)
    assert rec.summary == summary
    assert rec.summary.schema_version == SCHEMA_VERSION
    assert rec.scores == {"random(seed=1)": [_row()]}
    assert rec.pairs == [pair]
    assert rec.scores["random(seed=1)"][0].labels.tags[0].mode == "drop"
    with pytest.raises(KeyError, match="random"):
        summary.model("oracle")


def test_every_field_is_documented() -> None:
    import ast
    import inspect

    import badbench.bench.results as mod

    tree = ast.parse(inspect.getsource(mod))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name not in ("_Record", "RunRecords"):
            body = node.body
            for i, stmt in enumerate(body):
                if isinstance(stmt, ast.AnnAssign):
                    nxt = body[i + 1] if i + 1 < len(body) else None
                    documented = isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    assert documented, f"{node.name}.{ast.unparse(stmt.target)} has no docstring"


def test_missing_results_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="badbench eval"):
        load_summary(tmp_path)


def test_other_schema_version_is_refused(tmp_path: Path) -> None:
    save_summary(tmp_path, _summary("scores/x.jsonl"))
    raw = json.loads((tmp_path / RESULTS_FILE).read_text())
    raw["schema_version"] = SCHEMA_VERSION + 1
    (tmp_path / RESULTS_FILE).write_text(json.dumps(raw))
    with pytest.raises(SchemaError, match="re-run"):
        load_summary(tmp_path)


def test_invalid_json_and_fields(tmp_path: Path) -> None:
    (tmp_path / RESULTS_FILE).write_text("{not json")
    with pytest.raises(SchemaError, match="not valid JSON"):
        load_summary(tmp_path)
    raw = json.loads(_summary("s.jsonl").model_dump_json())
    raw["surprise"] = 1
    (tmp_path / RESULTS_FILE).write_text(json.dumps(raw))
    with pytest.raises(SchemaError, match="surprise"):
        load_summary(tmp_path)


def test_bad_jsonl_line_is_located(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(_row().model_dump_json() + "\n\n" + '{"model_key": 1}\n')
    with pytest.raises(SchemaError) as e:
        load_jsonl(path, EpisodeScore)
    assert f"{path}:3" in str(e.value)
    with pytest.raises(DataError, match="not found"):
        load_jsonl(tmp_path / "nope.jsonl", EpisodeScore)


@pytest.mark.parametrize(
    ("key", "slug"),
    [("oracle", "oracle"), ('gvl(model="gpt/5")', "gvl_model_gpt_5"), ("()", "model")],
)
def test_model_slug(key: str, slug: str) -> None:
    assert model_slug(key) == slug
