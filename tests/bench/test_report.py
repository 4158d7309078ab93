"""The HTML report: rendered from hand-made run records, checked as text and in Chromium."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from badbench.bench.report import render_html, strip_indices, write_report, write_strip
from badbench.bench.results import (
    DatasetRef,
    EpisodeLabels,
    EpisodeScore,
    MetricValue,
    ModelMetrics,
    ModelResult,
    ModelSpec,
    RunSummary,
    load_summary,
    save_pairs,
    save_scores,
    save_summary,
)
from badbench.data.schema import FailureTag
from badbench.errors import DataError
from fixtures.browser import CHROMIUM, check_real_report, parse, screenshot
from fixtures.browser import chromium as _chromium

T = 30

# episode id, task, task category, context, success, progress, tags (mode, category, start, end)
EPISODES = [
    ("pp/ok/0", "pick-place-v3", "pick_place", "pp-0", True, 1.0, []),
    (
        "pp/collide/0",
        "pick-place-v3",
        "pick_place",
        "pp-0",
        True,
        0.8,
        [("collision", "unsafe", 10, 15)],
    ),
    ("pp/drop/0", "pick-place-v3", "pick_place", "pp-0", False, 0.3, [("drop", "failure", 12, 18)]),
    ("dr/ok/0", "drawer-open-v3", "open_close", "dr-0", True, 1.0, []),
    (
        "dr/partial/0",
        "drawer-open-v3",
        "open_close",
        "dr-0",
        False,
        0.6,
        [("partial_completion", "shortcut", 20, 29)],
    ),
    (
        "dr/jitter/0",
        "drawer-open-v3",
        "open_close",
        "dr-0",
        True,
        0.9,
        [("jitter", "poor_execution", 5, 25)],
    ),
]
MODELS = [
    ModelSpec(key="oracle", name="oracle", config_hash="h0", description="Reads the dense labels."),
    ModelSpec(key="time", name="time", config_hash="h1", description="t/T: always rising."),
    ModelSpec(
        key="random(seed=1)",
        name="random",
        options={"seed": 1},
        config_hash="h2",
        output_range=(0.0, 100.0),
        description="Uniform noise.",
    ),
]


def _labels(eid, task, cat, ctx, success, progress, tags) -> EpisodeLabels:
    ftags = [FailureTag(category=c, mode=m, start_frame=a, end_frame=b) for m, c, a, b in tags]
    dense = np.linspace(0, progress, T)
    for tag in ftags:  # reward drops during a failure
        dense[tag.start_frame : tag.end_frame + 1] *= 0.5
    is_bad = (not success) or bool(tags)
    return EpisodeLabels(
        episode_id=eid,
        instruction=f"do {task}",
        task=task,
        task_category=cat,
        context_id=ctx,
        length=T,
        fps=10.0,
        success=success,
        progress=progress,
        progress_source="oracle",
        is_bad=is_bad,
        quality=0 if not success else (1 if tags else 2),
        tags=ftags,
        dense_reward=[float(x) for x in dense],
        dense_source="oracle",
    )


def _rows(spec: ModelSpec, labels: list[EpisodeLabels]) -> list[EpisodeScore]:
    rng = np.random.default_rng(1)
    rows = []
    for lab in labels:
        if spec.name == "oracle":
            idx, r = list(range(T)), list(lab.dense_reward or [])
        elif spec.name == "time":
            idx, r = list(range(T)), [t / (T - 1) for t in range(T)]
        else:  # a model that subsamples every third frame, in [0, 100]
            idx = list(range(0, T, 3))
            r = [float(x) for x in rng.uniform(0, 100, len(idx))]
        rows.append(
            EpisodeScore(
                model_key=spec.key,
                episode_id=lab.episode_id,
                frame_indices=idx,
                rewards=r,
                scores={"return": sum(r), "last": r[-1], "mean": sum(r) / len(r)},
                labels=lab,
            )
        )
    return rows


def _mv(v: float | None, w: float = 0.1, n: int = 6) -> MetricValue:
    if v is None:
        return MetricValue(value=None, n=0)
    return MetricValue(value=v, ci_low=v - w, ci_high=v + w, n=n)


def _metrics(base: float) -> ModelMetrics:
    def block(shift: float) -> dict[str, MetricValue]:
        return {
            "pairwise_accuracy": _mv(min(base + shift, 1.0)),
            "fpr_fixed": _mv(max(1 - base - shift, 0.0)),
            "over_reward": _mv(0.5 - base + shift),
            "voc": _mv(None) if shift else _mv(base),
        }

    return ModelMetrics(
        overall=block(0.0),
        by_task_category={"pick_place": block(0.05), "open_close": block(-0.05)},
        by_failure_category={
            c: block(s)
            for c, s in [
                ("unsafe", -0.1),
                ("shortcut", -0.2),
                ("poor_execution", 0.0),
                ("failure", 0.1),
            ]
        },
        by_failure_mode={
            m: block(s)
            for m, s in [
                ("collision", -0.1),
                ("partial_completion", -0.2),
                ("jitter", 0.0),
                ("drop", 0.1),
            ]
        },
    )


def make_run(run_dir: Path, *, strips: bool = True) -> RunSummary:
    """Write a small run directory by hand: 3 models x 6 episodes, optional frame strips."""
    labels = [_labels(*e) for e in EPISODES]
    results = []
    for spec, base in zip(MODELS, [1.0, 0.55, 0.5], strict=True):
        rel = save_scores(run_dir, spec.key, _rows(spec, labels))
        results.append(
            ModelResult(
                spec=spec,
                metrics=_metrics(base),
                scores_file=rel,
                n_episodes=len(labels),
                model_seconds=0.25,
            )
        )
    save_pairs(run_dir, [])
    summary = RunSummary(
        badbench_version="0.1.0",
        dataset=DatasetRef(path="/data/tiny", fingerprint="abc123", n_episodes=len(labels)),
        settings={"threshold": 0.95, "n_boot": 200},
        models=results,
    )
    save_summary(run_dir, summary)
    if strips:
        for lab in labels:
            idx = strip_indices(lab.length, lab.tags, 6)
            write_strip(run_dir, lab.episode_id, synthetic_frames(idx), idx, camera="top")
    return summary


def synthetic_frames(indices: list[int], h: int = 72, w: int = 96) -> np.ndarray:
    """Frames with a gradient background and a square that moves with the frame index."""
    out = np.zeros((len(indices), h, w, 3), np.uint8)
    out[..., 0] = np.linspace(40, 200, w, dtype=np.uint8)[None, None, :]
    out[..., 2] = 120
    for k, i in enumerate(indices):
        x = int(i / (T - 1) * (w - 16))
        out[k, 28:44, x : x + 16] = (250, 220, 40)
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("run")
    make_run(run_dir)
    return write_report(run_dir)


def test_sections_rows_and_curves(report: Path) -> None:
    tags = parse(report.read_text(encoding="utf-8"))
    ids = {a.get("id") for _, a in tags}
    assert {"run", "leaderboard", "by-task-category", "by-failure-mode", "curves"} <= ids
    rows = [a["data-model"] for t, a in tags if t == "tr" and a.get("class") == "model-row"]
    assert rows == [m.key for m in MODELS]
    kinds = [a["data-score-kind"] for t, a in tags if t == "th" and "data-score-kind" in a]
    assert kinds == ["return", "last", "mean"]
    html = report.read_text(encoding="utf-8")
    oracle_row = html.split('id="score-kind-table"')[1].split('data-model="oracle"')[1]
    assert oracle_row.split("</tr>")[0].count("<td>") == 3  # a value per trajectory score
    curves = [a["data-episode"] for t, a in tags if t == "figure" and a.get("class") == "curve"]
    # a clean success, then the most over-rewarded episode of each failure category present
    assert curves == ["pp/ok/0", "pp/collide/0", "dr/partial/0", "dr/jitter/0", "pp/drop/0"]
    strip_imgs = [a for t, a in tags if t == "img" and (a.get("alt") or "").startswith("frame ")]
    assert len(strip_imgs) == 6 * len(curves)


def test_self_contained(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html, re.IGNORECASE)
    assert "url(" not in html and "@import" not in html
    for tag, attrs in parse(html):
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value[:60])


def test_best_excludes_oracle_and_respects_direction(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    body = html.split('id="leaderboard-table"')[1].split("</table>")[0]
    rows = {m.key: body.split(f'data-model="{m.key}"')[1].split("</tr>")[0] for m in MODELS}
    assert 'class="best"' not in rows["oracle"]
    # time (0.55) beats random (0.5) on accuracy (higher) and on FPR/over-reward (lower)
    assert rows["time"].count('class="best"') == 4
    assert 'class="best"' not in rows["random(seed=1)"]
    assert "oracle" in html and "not from human raters" in html


def test_rebuild_from_run_dir_keeps_strips(report: Path) -> None:
    first = report.read_text(encoding="utf-8")
    again = render_html(report.parent)
    assert again.count("data:image/jpeg;base64,") == first.count("data:image/jpeg;base64,") > 0


def test_without_strips_or_breakdowns(tmp_path: Path) -> None:
    summary = make_run(tmp_path, strips=False)
    bare = [
        m.model_copy(update={"metrics": ModelMetrics(overall=m.metrics.overall)})
        for m in summary.models
    ]
    save_summary(tmp_path, summary.model_copy(update={"models": bare}))
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "No frame strip stored" in html
    assert "No per-task-category metrics" in html and "No per-failure metrics" in html
    assert load_summary(tmp_path).models[0].spec.key == "oracle"


def test_missing_run_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="badbench eval"):
        write_report(tmp_path)


def test_strip_indices_cover_failure_spans() -> None:
    tag = FailureTag(category="failure", mode="drop", start_frame=3, end_frame=4)
    picks = strip_indices(100, [tag], 6)
    assert len(picks) == 6 and picks[0] == 0 and picks[-1] == 99
    assert any(3 <= i <= 4 for i in picks)
    assert strip_indices(3, [], 6) == [0, 1, 2]
    assert strip_indices(0, [], 6) == []


def test_import_does_not_load_matplotlib() -> None:
    code = "import sys, badbench.bench.report; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_opens_in_chromium(report: Path, tmp_path: Path) -> None:
    url = report.resolve().as_uri()
    proc = _chromium(tmp_path, url, "--virtual-time-budget=5000", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    tags = parse(proc.stdout)
    body = next(a for t, a in tags if t == "body")
    n_imgs = sum(t == "img" for t, _ in parse(report.read_text(encoding="utf-8")))
    assert body.get("data-images") == str(n_imgs) and n_imgs > 0
    assert body.get("data-ok") == "1", "an image failed to decode"
    ids = {a.get("id") for _, a in tags}
    assert {"run", "leaderboard", "by-task-category", "by-failure-mode", "curves"} <= ids
    assert sum(t == "tr" and a.get("class") == "model-row" for t, a in tags) == len(MODELS)
    assert sum(t == "figure" and a.get("class") == "curve" for t, a in tags) == 5

    shot = tmp_path / "report.png"
    proc = _chromium(
        tmp_path,
        url,
        "--virtual-time-budget=5000",
        "--hide-scrollbars",
        "--window-size=1280,4000",
        f"--screenshot={shot}",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.stat().st_size > 10_000


def test_strips_from_a_real_dataset(make_dataset, tmp_path: Path) -> None:
    """The runner's path: evaluate a tiny dataset on disk, strips decoded from its videos."""
    import json

    from badbench.bench.metrics import MetricSettings
    from badbench.bench.runner import evaluate

    ds = make_dataset(4, length=12, size=32)
    out = tmp_path / "run"
    evaluate(
        ds, ["oracle", "time"], out, settings=MetricSettings(n_boot=20), progress=False, fsync=False
    )
    index = json.loads((out / "strips" / "index.json").read_text(encoding="utf-8"))
    html = (out / "report.html").read_text(encoding="utf-8")
    curves = [
        a["data-episode"] for t, a in parse(html) if t == "figure" and a.get("class") == "curve"
    ]
    assert curves and set(curves) <= set(index["episodes"])
    for eid in curves:
        entry = index["episodes"][eid]
        assert "error" not in entry and len(entry["frames"]) == 6
    assert html.count("data:image/jpeg;base64,") == 6 * len(curves)


def test_unreadable_frames_are_reported_not_fatal(make_dataset, tmp_path: Path) -> None:
    """A dataset that lacks the run's episodes: the report says so in place of the strips."""
    make_run(tmp_path, strips=False)
    ds = make_dataset(1, length=10, size=32)
    html = write_report(tmp_path, ds).read_text(encoding="utf-8")
    assert html.count("Frames unavailable: no episode") == 5


def test_empty_run_and_undefined_values(tmp_path: Path) -> None:
    """No models: every section still renders; NaN / None metrics show as a dash."""
    empty = RunSummary(dataset=DatasetRef(path="/data/none", fingerprint="0", n_episodes=0))
    save_summary(tmp_path / "empty", empty)
    html = write_report(tmp_path / "empty").read_text(encoding="utf-8")
    ids = {a.get("id") for _, a in parse(html)}
    assert {"run", "leaderboard", "by-task-category", "by-failure-mode", "curves"} <= ids
    assert "No models or metrics" in html and "No scored episodes" in html

    summary = make_run(tmp_path / "nan", strips=False)
    nan = MetricValue(value=float("nan"), ci_low=float("nan"), ci_high=float("nan"))
    models = [
        m.model_copy(
            update={
                "metrics": ModelMetrics(
                    overall={"pairwise_accuracy": nan},
                    by_task_category={"pick_place": {"pairwise_accuracy": nan}},
                )
            }
        )
        for m in summary.models
    ]
    save_summary(tmp_path / "nan", summary.model_copy(update={"models": models}))
    html = write_report(tmp_path / "nan").read_text(encoding="utf-8")
    board = html.split('id="leaderboard-table"')[1].split("</table>")[0]
    assert "nan" not in board.lower() and 'class="best"' not in board


# -- why a value is "—": reasons from the records ---------------------------------------------


def _successes_dataset(root: Path, *, shared_context: bool, dense: bool = True):
    """3 clean successes, each alone in its context (or all in one), like imported real clips."""
    from badbench.data import Dataset, DatasetWriter
    from fixtures.factories import make_episode

    with DatasetWriter(root) as w:
        for i in range(3):
            ctx = "ctx" if shared_context else f"ctx-{i}"
            w.append(make_episode(i, length=8, size=16, success=True, context_id=ctx, dense=dense))
    return Dataset.open(root)


def _reasons(html: str) -> dict[str, str]:
    """data-reason -> text of each footnote line (and why-box) in the report."""
    out: dict[str, str] = {}
    pattern = r'class="(?:reason|why-line reason)" data-reason="([^"]+)">(.*?)</(?:li|p)>'
    for m in re.finditer(pattern, html, re.S):
        out.setdefault(m.group(1), re.sub(r"<[^>]+>", "", m.group(2)))
    return out


def test_only_successes_without_contexts_say_why_each_metric_is_missing(tmp_path: Path) -> None:
    """The real-clips shape: successes only, no shared context, so only VOC is defined."""
    from badbench.bench.metrics import MetricSettings
    from badbench.bench.runner import evaluate

    ds = _successes_dataset(tmp_path / "ds", shared_context=False)
    out = tmp_path / "run"
    evaluate(ds, ["oracle", "time"], out, settings=MetricSettings(n_boot=20), progress=False)
    html = (out / "report.html").read_text(encoding="utf-8")
    board = html.split('id="leaderboard-table"')[1].split("</table>")[0]
    reasons = _reasons(html)
    assert "every episode is alone in its context" in reasons["no contexts"]
    assert "Pairwise acc." in reasons["no contexts"] and "Best-of-K" in reasons["no contexts"]
    assert "no bad episode" in reasons["no failures"]
    assert "FPR @ threshold" in reasons["no failures"]
    assert 'title="n = 0; no contexts: every episode is alone' in board  # the cell's tooltip
    assert '<sup class="note">' in board
    # every chart that would be empty says why instead; VOC, which has values, is charted
    figures = [(a.get("class"), a.get("data-metric")) for t, a in parse(html) if t == "figure"]
    empty = {m for c, m in figures if c == "chart empty"}
    drawn = {m for c, m in figures if c == "chart"}
    assert {"pairwise_accuracy", "fpr_fixed", "over_reward"} <= empty
    assert "voc" in drawn and not drawn & empty
    assert "No chart: no contexts" in html and "No chart: no failures" in html
    assert "No failures in this run" in html
    assert "No dense labels stored" not in html  # the factory's episodes have them


def test_successes_sharing_a_context_have_no_pairs(tmp_path: Path) -> None:
    from badbench.bench.metrics import MetricSettings
    from badbench.bench.runner import evaluate

    ds = _successes_dataset(tmp_path / "ds", shared_context=True)
    evaluate(ds, ["time"], tmp_path / "run", settings=MetricSettings(n_boot=0), progress=False)
    reasons = _reasons((tmp_path / "run" / "report.html").read_text(encoding="utf-8"))
    assert "no contexts" not in reasons
    assert "same label" in reasons["no pairs"]


def test_a_model_that_failed_everywhere_says_so(tmp_path: Path) -> None:
    from badbench.bench.metrics import MetricSettings
    from badbench.bench.runner import evaluate

    ds = _successes_dataset(tmp_path / "ds", shared_context=False, dense=False)
    settings = MetricSettings(n_boot=0)
    evaluate(ds, ["oracle", "time"], tmp_path / "run", settings=settings, progress=False)
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "could not score any episode (3 failed" in _reasons(html)["model failed"]
    assert "No dense labels stored for this episode" in html  # the curve has no label line
    assert '<th title="episodes the model could not score' in html  # the models table

    evaluate(ds, ["oracle"], tmp_path / "alone", settings=settings, progress=False)
    html = (tmp_path / "alone" / "report.html").read_text(encoding="utf-8")
    assert "oracle scored 0 of 3 episodes (3 failed" in _reasons(html)["model failed"]


def test_long_model_keys_are_shortened_in_tables(tmp_path: Path) -> None:
    from badbench.bench.report._render import MAX_NAME, display_names

    long = ModelSpec(
        key='precomputed(dir="/very/long/path/to/the/predictions",pattern="{episode_id}.npy")',
        name="precomputed",
        options={"dir": "/very/long/path/to/the/predictions", "pattern": "{episode_id}.npy"},
        config_hash="h9",
    )
    summary = RunSummary(
        dataset=DatasetRef(path="/d", fingerprint="0", n_episodes=0),
        models=[
            ModelResult(spec=s, metrics=ModelMetrics(), scores_file="x")
            for s in (long, long.model_copy(update={"key": long.key + "2"}), MODELS[1])
        ],
    )
    names = display_names(summary)
    assert names["time"] == "time"
    shown = [names[long.key], names[long.key + "2"]]
    assert shown[0] != shown[1] and all(len(s) <= MAX_NAME + 3 for s in shown)
    assert shown[0].startswith("precomputed(")


# -- the reports `badbench eval` really writes, opened in Chromium ---------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_report_of_a_real_eval_opens_in_chromium(tmp_path: Path) -> None:
    """`badbench data example` + `badbench eval` as processes, then the report in Chromium."""
    cli = [sys.executable, "-m", "badbench.cli.main"]
    data, out = tmp_path / "example", tmp_path / "run"
    steps = [
        ["data", "example", "--out", str(data), "--frames", "12", "--size", "32"],
        ["eval", "--data", str(data), "-m", "oracle", "-m", "random:seed=1", "-m", "time"]
        + ["--out", str(out), "--n-boot", "50", "--no-progress"],
    ]
    for args in steps:
        proc = subprocess.run([*cli, *args], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
    tags = check_real_report(out / "report.html", tmp_path, ["oracle", "random(seed=1)", "time"])
    strips = [a for t, a in tags if t == "img" and (a.get("src") or "").startswith("data:image/j")]
    assert strips  # frame strips decoded from the dataset's videos

    assert screenshot(out / "report.html", tmp_path).stat().st_size > 10_000
