"""Engine v2's contract: lazy inputs, input-keyed cache, fingerprints, recorded failures, async
models, declared ranges, one model at a time, and `badbench report` without models."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from _runner_factory import CAMERA, Brightness, CallLog, LoggedTime, build_bench_dataset

from badbench.bench.executors import LocalExecutor, SequentialExecutor
from badbench.bench.metrics import MetricSettings
from badbench.bench.results import load_run
from badbench.bench.runner import evaluate, remeasure
from badbench.data import Dataset, DatasetWriter, FailureTag
from badbench.data.schema import Episode
from badbench.errors import ValidationError
from badbench.models import (
    LazyFrames,
    RewardModel,
    RewardOutput,
    TimeModel,
    check_model,
    config_hash,
    frame_content_key,
)
from badbench.models.base import episode_length

FAST = MetricSettings(n_boot=20)
RUN = {"settings": FAST, "progress": False, "report": False}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bench_dataset(tmp_path_factory.mktemp("v2") / "ds")


def _copy(data: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ds"
    shutil.copytree(data, dst)
    return dst


class EmbeddingCached(RewardModel):
    """Keeps its own per-frame 'embedding' cache keyed by frame content; counts decodes."""

    prefetch = False
    version = "1"

    def __init__(self) -> None:
        self.embeddings: dict[str, float] = {}
        self.decodes = 0

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        outs = []
        for ep in episodes:
            key = frame_content_key(ep, CAMERA)
            if key not in self.embeddings:
                frames = ep.frames[CAMERA]
                self.decodes += 1
                self.embeddings[key] = float(frames.mean() / 255.0)
            n = episode_length(ep)
            outs.append(RewardOutput.per_frame(np.full(n, self.embeddings[key])))
        return outs


# -- lazy inputs --------------------------------------------------------------------------------


def test_views_decode_only_when_read(data: Path, tmp_path: Path) -> None:
    model = EmbeddingCached()
    evaluate(data, [model], tmp_path / "a", executor="sequential", **RUN)
    assert model.decodes == 16
    # a second run with a fresh score cache but the model's own embedding cache warm
    seen: list[LazyFrames] = []

    class Spy(EmbeddingCached):
        def score(self, episodes):  # type: ignore[no-untyped-def]
            seen.extend(ep.frames for ep in episodes)
            return super().score(episodes)

    spy = Spy()
    spy.embeddings = dict(model.embeddings)
    evaluate(data, [spy], tmp_path / "b", executor="local", **RUN)
    assert len(seen) == 16 and all(isinstance(f, LazyFrames) for f in seen)
    assert sum(f.decodes for f in seen) == 0 and spy.decodes == 0  # no video decoded at all


def test_local_executor_prefetches_and_gives_the_same_frames(data: Path, tmp_path: Path) -> None:
    a = evaluate(data, [Brightness()], tmp_path / "a", executor=SequentialExecutor(), **RUN)
    b = evaluate(data, [Brightness()], tmp_path / "b", executor=LocalExecutor(prefetch=3), **RUN)
    ra, rb = load_run(tmp_path / "a"), load_run(tmp_path / "b")
    assert [r.rewards for r in ra.scores["Brightness"]] == [
        r.rewards for r in rb.scores["Brightness"]
    ]
    assert a.models[0].metrics == b.models[0].metrics


# -- the cache is keyed by inputs, never by labels ----------------------------------------------


def _relabel(root: Path) -> None:
    """Change every label of the dataset (outcome, tags, dense reward, preferences) in place."""
    ds = Dataset.open(root)
    eps = [ds.load(e) for e in ds.episode_ids]
    shutil.rmtree(root)
    with DatasetWriter(root) as w:
        for ep in eps:
            ep.dense_reward = (ep.dense_reward * 0.5).astype(np.float32)  # type: ignore[operator]
            ep.outcome = ep.outcome.model_copy(update={"progress": 0.25})  # type: ignore[union-attr]
            ep.tags = [
                FailureTag(category="poor_execution", mode="jitter", start_frame=1, end_frame=2)
            ]
            w.append(ep)


def test_relabelling_rescores_nothing_but_the_oracle(data: Path, tmp_path: Path) -> None:
    root = _copy(data, tmp_path)
    cache = tmp_path / "cache"
    log = tmp_path / "log"
    evaluate(root, [LoggedTime(log), "oracle"], tmp_path / "r1", cache_dir=cache, **RUN)
    assert len(CallLog(log).read()) == 16
    _relabel(root)
    s = evaluate(root, [LoggedTime(log), "oracle"], tmp_path / "r2", cache_dir=cache, **RUN)
    assert len(CallLog(log).read()) == 16  # time reads no label: nothing re-scored
    assert s.model("LoggedTime").n_cached == 16
    assert s.model("oracle").n_cached == 0  # the oracle's input is the dense label
    rows = load_run(tmp_path / "r2").scores["oracle"]
    assert rows[0].labels.progress == 0.25 and rows[0].labels.tags[0].mode == "jitter"


def test_changing_a_frame_rescores(data: Path, tmp_path: Path) -> None:
    root = _copy(data, tmp_path)
    cache = tmp_path / "cache"
    evaluate(root, [Brightness()], tmp_path / "r1", cache_dir=cache, **RUN)
    ds = Dataset.open(root)
    eps = [ds.load(e) for e in ds.episode_ids]
    eps[0].frames[CAMERA][3] = 255 - eps[0].frames[CAMERA][3]
    shutil.rmtree(root)
    with DatasetWriter(root) as w:
        w.extend(eps)
    s = evaluate(root, [Brightness()], tmp_path / "r2", cache_dir=cache, **RUN)
    assert s.models[0].n_cached < 16  # the video file changed: its episodes are scored again
    # a model that reads no frames keeps its cached scores through the same change
    evaluate(root, ["time"], tmp_path / "r3", cache_dir=cache, **RUN)
    assert (
        evaluate(root, ["time"], tmp_path / "r4", cache_dir=cache, **RUN).models[0].n_cached == 16
    )


class Checkpointed(TimeModel):
    def __init__(self, checkpoint: str) -> None:
        self.checkpoint = Path(checkpoint)

    def fingerprint(self) -> dict:
        import hashlib

        return {"checkpoint": hashlib.sha256(self.checkpoint.read_bytes()).hexdigest()[:16]}


def test_fingerprint_folds_into_the_config_hash(data: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "model.pt"
    ckpt.write_bytes(b"weights v1")
    h1 = config_hash(Checkpointed(str(ckpt)))
    s1 = evaluate(data, [Checkpointed(str(ckpt))], tmp_path / "r", **RUN)
    assert s1.models[0].spec.fingerprint == Checkpointed(str(ckpt)).fingerprint()
    ckpt.write_bytes(b"weights v2")
    assert config_hash(Checkpointed(str(ckpt))) != h1
    s2 = evaluate(data, [Checkpointed(str(ckpt))], tmp_path / "r", **RUN)
    assert s2.models[0].n_cached == 0  # a new checkpoint invalidates its cached scores


# -- failures are recorded, not fatal -----------------------------------------------------------


class Flaky(TimeModel):
    """Raises on batches holding a 'drop' episode, until told to behave."""

    batch_size = 2

    def __init__(self, broken: bool = True) -> None:
        self.broken = broken
        self.calls: list[str] = []

    def score(self, episodes):  # type: ignore[no-untyped-def]
        self.calls.extend(e.id for e in episodes)
        if self.broken and any(e.id.endswith("/drop") for e in episodes):
            raise RuntimeError("server said 500")
        return super().score(episodes)


def test_an_exception_fails_its_batch_and_retry_rescores_only_those(
    data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    s = evaluate(data, [Flaky()], out, executor="sequential", **RUN)
    m = s.models[0]
    # batches of 2 are (success, jitter), (drop, collision): the drop batches fail, 8 episodes
    assert (m.n_failed, m.failures) == (8, {"exception": 8})
    rows = load_run(out).scores[m.spec.key]
    failed = [r.episode_id for r in rows if r.error]
    assert all("RuntimeError: server said 500" in r.error["message"] for r in rows if r.error)
    assert m.metrics.overall["fpr_fixed"].n == 4  # 12 bad episodes, the 8 failed left out
    saved = json.loads((out / "results.json").read_text())["models"][0]
    assert saved["n_failed"] == 8 and saved["failures"] == {"exception": 8}
    # resume without --retry-failed: nothing is scored again, failures stay recorded
    again = Flaky()
    assert evaluate(data, [again], out, **RUN).models[0].n_failed == 8 and again.calls == []
    fixed = Flaky(broken=False)
    s = evaluate(data, [fixed], out, retry_failed=True, **RUN)
    assert sorted(fixed.calls) == sorted(failed)
    assert s.models[0].n_failed == 0 and s.models[0].n_cached == 8


def test_leaderboard_says_how_many_failed(data: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from badbench.cli.main import app

    res = CliRunner().invoke(
        app,
        [
            "eval",
            "--data",
            str(data),
            "-m",
            "time",
            "--out",
            str(tmp_path / "r"),
            "--no-progress",
            "--n-boot",
            "10",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "failed" not in res.output
    evaluate(data, [Flaky()], tmp_path / "f", **RUN)
    res = CliRunner().invoke(app, ["report", str(tmp_path / "f"), "--no-html"])
    assert res.exit_code == 0, res.output
    assert "8/16" in res.output and "8 of 16 episodes failed (8 exception)" in res.output


# -- async models -------------------------------------------------------------------------------


class AsyncTime(RewardModel):
    """The time ramp, served slowly and concurrently; records the peak number in flight."""

    needs_frames = False
    max_concurrency = 4

    def __init__(self, log: str | None = None, delay: float = 0.01) -> None:
        self.delay = delay
        self.in_flight = 0
        self.peak = 0
        self.log = CallLog(log) if log else None

    async def ascore(self, episode: Episode) -> RewardOutput:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if episode.id.endswith("/jitter"):
                return RewardOutput.failure("parse", "no JSON in the answer", raw="I think 40%")
            n = episode_length(episode)
            if self.log:
                self.log.write([episode.id])
            return RewardOutput.per_frame(np.linspace(0, 1, n), tokens=12)
        finally:
            self.in_flight -= 1


def test_async_model_is_driven_with_bounded_concurrency(data: Path, tmp_path: Path) -> None:
    model = AsyncTime()
    s = evaluate(data, [model], tmp_path / "r", **RUN)
    assert model.peak == 4  # never more than max_concurrency, and it does use them
    m = s.models[0]
    assert (m.n_failed, m.failures) == (4, {"parse": 4})
    rows = load_run(tmp_path / "r").scores[m.spec.key]
    bad = next(r for r in rows if r.error)
    assert bad.error == {"kind": "parse", "message": "no JSON in the answer", "raw": "I think 40%"}
    assert next(r for r in rows if not r.error).info == {"tokens": 12}
    sync = evaluate(data, ["time"], tmp_path / "t", **RUN).models[0]
    ok = [r for r in rows if not r.error]
    assert len(ok) == 12 and sync.metrics.overall["voc"].value == m.metrics.overall["voc"].value


def test_check_model_checks_async_models_fingerprints_and_errors() -> None:
    check_model(AsyncTime(delay=0.0))

    class BadFailure(AsyncTime):
        async def ascore(self, episode):  # type: ignore[no-untyped-def]
            out = RewardOutput.failure("parse", "x")
            out.rewards = np.ones(3)
            return out

    with pytest.raises(ValidationError, match="failed output must carry no rewards"):
        check_model(BadFailure())

    class BadFingerprint(TimeModel):
        def fingerprint(self):  # type: ignore[no-untyped-def]
            return {"checkpoint": object()}

    with pytest.raises(ValidationError, match="fingerprint"):
        check_model(BadFingerprint())

    class TooMany(AsyncTime):
        max_concurrency = 0

    with pytest.raises(ValidationError, match="max_concurrency"):
        check_model(TooMany())

    class Nothing(RewardModel):
        pass

    with pytest.raises(ValidationError, match="implement score"):
        check_model(Nothing())


# -- declared output ranges ---------------------------------------------------------------------


class Percent(RewardModel):
    """The oracle's curve on a 0-100 scale."""

    needs_frames = False
    output_range = (0.0, 100.0)

    def score(self, episodes):  # type: ignore[no-untyped-def]
        return [RewardOutput.per_frame(100.0 * np.asarray(e.dense_reward)) for e in episodes]


class Fraction(Percent):
    output_range = (0.0, 1.0)

    def score(self, episodes):  # type: ignore[no-untyped-def]
        return [RewardOutput.per_frame(np.asarray(e.dense_reward, float)) for e in episodes]


def test_a_0_100_model_measures_like_its_fraction_twin(data: Path, tmp_path: Path) -> None:
    s = evaluate(data, [Percent(), Fraction()], tmp_path / "r", **RUN)
    a, b = s.model("Percent").metrics, s.model("Fraction").metrics
    assert set(a.overall) == set(b.overall)
    for name, v in a.overall.items():
        w = b.overall[name]
        assert v.value == pytest.approx(w.value, abs=1e-6), name
        assert (v.ci_low, v.ci_high) == pytest.approx((w.ci_low, w.ci_high), abs=1e-6), name
    assert s.model("Percent").metrics.overall["fpr_fixed"].value is not None
    rows = load_run(tmp_path / "r").scores["Percent"]
    assert max(rows[0].rewards) > 1.0  # rows keep the model's own scale


def test_threshold_outside_zero_one_is_refused_before_work(data: Path, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="threshold 7: .*mapped onto \\[0, 1\\]"):
        evaluate(
            data, ["time"], tmp_path / "r", settings=MetricSettings(threshold=7), progress=False
        )
    with pytest.raises(ValidationError, match="n-boot -5"):
        evaluate(data, ["time"], tmp_path / "r", settings=MetricSettings(n_boot=-5), progress=False)
    assert not (tmp_path / "r").exists()


# -- one model in memory at a time --------------------------------------------------------------


def test_models_are_built_scored_and_closed_one_after_another(data: Path, tmp_path: Path) -> None:
    from badbench.models import register_model

    events: list[str] = []

    @register_model("test-lifecycle")
    class Lifecycle(TimeModel):
        def __init__(self, tag: str = "") -> None:
            self.tag = tag
            events.append(f"build {tag}")

        def score(self, episodes):  # type: ignore[no-untyped-def]
            events.append(f"score {self.tag}")
            return super().score(episodes)

        def close(self) -> None:
            events.append(f"close {self.tag}")

    try:
        evaluate(data, ["test-lifecycle:tag=a", "test-lifecycle:tag=b"], tmp_path / "r", **RUN)
        order = [e for i, e in enumerate(events) if e != events[i - 1] or i == 0]
        assert order == ["build a", "score a", "close a", "build b", "score b", "close b"]
        events.clear()
        with pytest.raises(ValidationError, match="no option 'tga'"):
            evaluate(data, ["test-lifecycle:tag=a", "test-lifecycle:tga=b"], tmp_path / "x", **RUN)
        assert events == []  # the second spec is checked before the first model is built
    finally:
        from badbench.models import MODELS

        MODELS.entries.pop("test-lifecycle", None)


# -- badbench report: re-measure from the records -----------------------------------------------


def test_report_remeasures_without_building_a_model(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    log = tmp_path / "log"
    first = evaluate(data, [LoggedTime(log), "oracle"], out, **RUN)
    assert first.score_kind == "return"
    calls = len(CallLog(log).read())
    again = remeasure(out, score_kind="last", settings=MetricSettings(n_boot=20, threshold=0.5))
    assert len(CallLog(log).read()) == calls  # zero model calls
    assert again.score_kind == "last" and again.settings["threshold"] == 0.5
    fresh = evaluate(
        data,
        ["oracle"],
        tmp_path / "f",
        score_kind="last",
        settings=MetricSettings(n_boot=20, threshold=0.5),
        progress=False,
        report=False,
    )
    assert again.model("oracle").metrics == fresh.model("oracle").metrics
    assert (out / "report.html").exists()
    pba = again.model("oracle").pairwise_by_score_kind
    assert set(pba) == {"return", "last", "mean"} and pba["last"] == 1.0


def test_version_1_results_are_still_read(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    evaluate(data, ["time"], out, **RUN)
    raw = json.loads((out / "results.json").read_text())
    raw["schema_version"] = 1
    for m in raw["models"]:
        for k in ("n_failed", "failures", "pairwise_by_score_kind"):
            m.pop(k)
        m["spec"].pop("fingerprint")
    (out / "results.json").write_text(json.dumps(raw))
    s = remeasure(out, report=False)
    assert s.schema_version == 2 and s.models[0].n_failed == 0
    assert s.models[0].pairwise_by_score_kind["return"] is not None
