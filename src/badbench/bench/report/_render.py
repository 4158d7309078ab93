"""Render ``RUN_DIR/report.html`` from a run's records alone.

The report is one self-contained HTML file: figures and frame thumbnails are inlined as ``data:``
URIs, styles and the one small script are inline, and a Content-Security-Policy forbids loading
anything else. Sections (stable ids, for tests and links): ``run`` (header), ``leaderboard``,
``by-task-category``, ``by-failure-mode`` and ``curves``.

A value that is undefined shows as "—" with the reason (:mod:`._reasons`) as its tooltip and as a
numbered footnote under the table; a chart whose metric has no value anywhere is replaced by a
box saying why, and a metric with values takes its place.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from badbench.bench.metrics import SCORE_KINDS
from badbench.bench.report._figures import PALETTE, Curve, bar_chart, curve_figure, group_label
from badbench.bench.report._metric_info import (
    MetricInfo,
    metric_info,
    order_metrics,
    split_headline,
)
from badbench.bench.report._reasons import Reasons, short
from badbench.bench.report._select import (
    ORACLE_NAME,
    Showcase,
    choose_showcase,
    episode_labels,
    normalise,
)
from badbench.bench.report._strips import Strip, extract_strips, load_strips
from badbench.bench.results import (
    REPORT_FILE,
    EpisodeLabels,
    EpisodeScore,
    MetricValue,
    ModelResult,
    RunSummary,
    load_jsonl,
    load_summary,
)
from badbench.bench.tables import pairwise_by_score_kind
from badbench.data.taxonomy import FAILURE_MODES, FailureCategory, TaskCategory

if TYPE_CHECKING:
    from badbench.data.dataset import Dataset

CHART_METRICS = ("pairwise_accuracy", "fpr_fixed", "fpr_calibrated", "over_reward", "mae")
"""Metrics drawn as bar charts in the breakdown sections, when present (at most three)."""

FALLBACK_CHART_METRICS = ("voc", "auroc", "quality_tau", "best_of_k")
"""Charted instead when a metric of :data:`CHART_METRICS` has no value in any group."""

MAX_NAME = 36
"""Model keys longer than this are shortened in tables and legends (the full key is the
tooltip and is listed in the models table)."""


@dataclass
class Cell:
    """One table cell: a metric value with its interval, or why it has none.

    Attributes:
        why: for an undefined value, the reason (tooltip text).
        note: for an undefined value, the number of its footnote under the table.
    """

    text: str
    ci: str = ""
    n: int = 0
    value: float | None = None
    best: bool = False
    why: str = ""
    note: int | None = None

    @property
    def title(self) -> str:
        """The cell's tooltip: its sample size, and the reason when undefined."""
        return f"n = {self.n}" + (f"; {self.why}" if self.why else "")


@dataclass
class Note:
    """A footnote under a table: one reason, and the columns whose cells it explains."""

    mark: int
    text: str
    where: list[str] = field(default_factory=list)

    @property
    def head(self) -> str:
        """The reason's leading phrase, e.g. ``"no contexts"``."""
        return short(self.text)

    @property
    def rest(self) -> str:
        """The reason after its leading phrase."""
        return self.text.split(":", 1)[1].strip() if ":" in self.text else ""


def _footnote(cells: Sequence[tuple[str, Cell]]) -> list[Note]:
    """Number the distinct reasons of undefined cells; ``cells`` are (column label, cell)."""
    notes: dict[str, Note] = {}
    for label, cell in cells:
        if cell.value is not None or not cell.why:
            continue
        note = notes.setdefault(cell.why, Note(len(notes) + 1, cell.why))
        if label not in note.where:
            note.where.append(label)
        cell.note = note.mark
    return list(notes.values())


@dataclass
class Board:
    """A models x metrics table.

    Attributes:
        metrics: the columns.
        rows: one dict per model: ``key``, ``colour``, ``oracle`` and ``cells``.
    """

    metrics: list[MetricInfo]
    rows: list[dict[str, Any]]
    notes: list[Note] = field(default_factory=list)


@dataclass
class Breakdown:
    """One metric's chart and numbers table over a breakdown's groups.

    Attributes:
        figure: the chart as a ``data:`` URI, or ``""`` when no group has a value.
        why: for a metric without values, the reason (shown in place of the chart).
        gaps: (group, reason) of the groups where no model has a value (the chart's "n/a").
        notes: footnotes of the numbers table.
    """

    info: MetricInfo
    figure: str
    groups: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    why: str = ""
    gaps: list[tuple[str, str]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def _finite(mv: MetricValue | None) -> MetricValue | None:
    """The value with non-finite numbers (NaN, inf) read as undefined (``None``)."""
    if mv is None:
        return None

    def ok(x: float | None) -> float | None:
        return x if x is not None and math.isfinite(x) else None

    return mv.model_copy(
        update={"value": ok(mv.value), "ci_low": ok(mv.ci_low), "ci_high": ok(mv.ci_high)}
    )


def _cell(mv: MetricValue | None, why: Callable[[], str] | None = None) -> Cell:
    mv = _finite(mv)
    if mv is None or mv.value is None:
        return Cell("—", n=mv.n if mv else 0, why=why() if why else "")
    ci = ""
    if mv.ci_low is not None and mv.ci_high is not None:
        ci = f"[{mv.ci_low:.2f}, {mv.ci_high:.2f}]"
    return Cell(f"{mv.value:.3f}", ci=ci, n=mv.n, value=mv.value)


def _is_oracle(result: ModelResult) -> bool:
    return result.spec.name == ORACLE_NAME


def display_names(summary: RunSummary) -> dict[str, str]:
    """Model key -> how tables and legends show it: the key, or when longer than
    :data:`MAX_NAME` the registry name with as many options as fit, each cut short (paths to
    their last part), then "…"."""

    def shorten(value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value)
        text = text.rstrip("/").rsplit("/", 1)[-1] if isinstance(value, str) else text
        return text if len(text) <= 14 else text[:13] + "…"

    out: dict[str, str] = {}
    for m in summary.models:
        key = m.spec.key
        if len(key) <= MAX_NAME:
            out[key] = key
            continue
        opts: list[str] = []
        for k, v in sorted(m.spec.options.items()):  # as many shortened options as fit
            item = f"{k}={shorten(v)}"
            if len(f"{m.spec.name}({','.join([*opts, item])},…)") > MAX_NAME:
                opts.append("…")
                break
            opts.append(item)
        out[key] = f"{m.spec.name}({','.join(opts)})"
    seen: dict[str, int] = {}
    for key, name in out.items():  # two models shortened alike get a number each
        if list(out.values()).count(name) > 1:
            seen[name] = seen.get(name, 0) + 1
            out[key] = f"{name} #{seen[name]}"
    return out


def _board(summary: RunSummary, names: Sequence[str], reasons: Reasons) -> Board:
    """A models x metrics table; the best value per ranked column is marked, and undefined
    values are footnoted with their reason.

    The ``oracle`` baseline (which reads the labels) is left out of "best" unless it is alone.
    """
    infos = [metric_info(n) for n in names]
    shown = display_names(summary)
    rows = [
        {
            "key": result.spec.key,
            "name": shown[result.spec.key],
            "colour": PALETTE[i % len(PALETTE)],
            "oracle": _is_oracle(result),
            "cells": [
                _cell(
                    result.metrics.overall.get(n),
                    lambda n=n, k=result.spec.key: reasons.overall(k, n),
                )
                for n in names
            ],
        }
        for i, result in enumerate(summary.models)
    ]
    judged = [r for r in rows if not r["oracle"]] or rows
    for col, info in enumerate(infos):
        cells = [r["cells"][col] for r in judged if r["cells"][col].value is not None]
        if not info.ranked or not cells:
            continue
        pick = max if info.higher_is_better else min
        best = pick(c.value for c in cells)
        for c in cells:
            c.best = abs(c.value - best) <= 1e-12
    notes = _footnote(
        [(info.label, r["cells"][col]) for col, info in enumerate(infos) for r in rows]
    )
    return Board(infos, rows, notes)


def _leaderboards(summary: RunSummary, reasons: Reasons) -> tuple[Board, Board]:
    """The main leaderboard (headline metrics) and the table of further metrics."""
    main, more = split_headline(n for m in summary.models for n in m.metrics.overall)
    return _board(summary, main, reasons), _board(summary, more, reasons)


def _group_order(names: Sequence[str], reference: Sequence[str]) -> list[str]:
    known = [g for g in reference if g in names]
    return known + sorted(set(names) - set(known))


def _chart_metrics(
    present: Sequence[str], has_values: Callable[[str], bool], max_charts: int
) -> tuple[list[str], list[str]]:
    """(metrics to chart, metrics that would have made an empty chart).

    The :data:`CHART_METRICS` present come first (the calibrated FPR only without the fixed
    one); those without any value are not drawn but explained, and metrics of
    :data:`FALLBACK_CHART_METRICS` with values fill their places.
    """
    wanted = [n for n in CHART_METRICS if n in present]
    if "fpr_fixed" in wanted and "fpr_calibrated" in wanted:
        wanted.remove("fpr_calibrated")
    wanted = (wanted or list(present))[:max_charts]
    charts = [n for n in wanted if has_values(n)]
    empty = [n for n in wanted if n not in charts]
    for n in FALLBACK_CHART_METRICS:
        if len(charts) >= max_charts:
            break
        if n in present and n not in charts and has_values(n):
            charts.append(n)
    return charts, empty


def _breakdowns(
    summary: RunSummary,
    attr: str,
    reference: Sequence[str],
    reasons: Reasons,
    *,
    max_charts: int = 3,
) -> list[Breakdown]:
    dim = attr.removeprefix("by_")
    tables: dict[str, Mapping[str, Mapping[str, MetricValue]]] = {
        m.spec.key: getattr(m.metrics, attr) for m in summary.models
    }
    groups = _group_order({g for t in tables.values() for g in t}, reference)
    present = order_metrics(n for t in tables.values() for per in t.values() for n in per)

    def values_of(name: str) -> dict[str, dict[str, MetricValue | None]]:
        return {g: {k: _finite(t.get(g, {}).get(name)) for k, t in tables.items()} for g in groups}

    def has_values(name: str) -> bool:
        return any(
            mv is not None and mv.value is not None
            for per in values_of(name).values()
            for mv in per.values()
        )

    charts, empty = _chart_metrics(present, has_values, max_charts)
    shown = display_names(summary)
    models = [(m.spec.key, PALETTE[i % len(PALETTE)]) for i, m in enumerate(summary.models)]
    out = []
    for name in [*charts, *empty]:
        info = metric_info(name)
        values = values_of(name)
        rows = [
            (
                shown[k],
                [
                    _cell(values[g][k], lambda g=g, k=k, n=name: reasons.group(k, dim, g, n))
                    for g in groups
                ],
            )
            for k, _ in models
        ]
        notes = _footnote(
            [(group_label(g), c) for _, cells in rows for g, c in zip(groups, cells, strict=True)]
        )
        if name in empty:
            overall = [
                reasons.overall(m.spec.key, name)
                for m in summary.models
                if _cell(m.metrics.overall.get(name)).value is None
            ]
            why = _one_reason(overall or [c.why for _, cells in rows for c in cells])
            out.append(Breakdown(info, "", groups, rows, why=why, notes=notes))
            continue
        figure = bar_chart(groups, models, values, info, chance=info.chance)
        gaps = [
            (group_label(g), _one_reason([cells[i].why for _, cells in rows]))
            for i, g in enumerate(groups)
            if all(values[g][k] is None or values[g][k].value is None for k, _ in models)
        ]
        out.append(Breakdown(info, figure, groups, rows, gaps=gaps, notes=notes))
    return out


def _one_reason(reasons: Sequence[str]) -> str:
    """The distinct reasons, joined (models usually share one)."""
    distinct = list(dict.fromkeys(r for r in reasons if r))
    return "; ".join(distinct) or "no values"


def _label_sources(labels: Mapping[str, EpisodeLabels]) -> dict[str, list[str]]:
    """Who produced the labels: ``{"score": [...], "progress": [...], "dense reward": [...]}``
    (sources seen; a kind no episode has is left out, except progress and dense reward)."""
    score = sorted({lab.score_source for lab in labels.values() if lab.score_source})
    progress = sorted({lab.progress_source for lab in labels.values() if lab.progress_source})
    dense = sorted({lab.dense_source for lab in labels.values() if lab.dense_source})
    return {**({"score": score} if score else {}), "progress": progress, "dense reward": dense}


def _curves(
    showcase: Sequence[Showcase],
    scores: Mapping[str, Sequence[EpisodeScore]],
    summary: RunSummary,
    strips: Mapping[str, Strip],
) -> list[dict[str, Any]]:
    shown = display_names(summary)
    wanted = {item.episode_id for item in showcase}
    by_id = {
        key: {r.episode_id: r for r in rows if r.episode_id in wanted}
        for key, rows in scores.items()
    }
    by_id.update({m.spec.key: {} for m in summary.models if m.spec.key not in by_id})
    out = []
    for item in showcase:
        curves = []
        for i, result in enumerate(summary.models):
            row = by_id[result.spec.key].get(item.episode_id)
            if row is None or not row.rewards:
                continue
            n = min(len(row.rewards), len(row.frame_indices))  # tolerate a malformed row
            values = normalise(row.rewards[:n], result.spec.output_range)
            curves.append(
                Curve(
                    shown[result.spec.key], PALETTE[i % len(PALETTE)], row.frame_indices[:n], values
                )
            )
        strip = strips.get(item.episode_id)
        strip_frames = [i for i, _ in strip.frames] if strip else []
        spans = [(t.start_frame, t.end_frame) for t in item.labels.tags]
        out.append(
            {
                "item": item,
                "figure": curve_figure(item.labels, curves, strip_frames=strip_frames),
                "strip": strip,
                "in_span": {i: any(a <= i <= b for a, b in spans) for i in strip_frames},
            }
        )
    return out


def _by_score_kind(
    summary: RunSummary, scores: Mapping[str, Sequence[EpisodeScore]], reasons: Reasons
) -> list[tuple[str, list[Cell]]]:
    """Rows of the trajectory-score table: each model's pairwise accuracy per score kind."""
    tie_credit = float(summary.settings.get("tie_credit", 0.0))
    accs = pairwise_by_score_kind(scores, tie_credit=tie_credit)
    shown = display_names(summary)
    rows = []
    for key, per in accs.items():
        cells = [
            Cell("—", why=reasons.overall(key, "pairwise_accuracy"))
            if math.isnan(v)
            else Cell(f"{v:.3f}", value=v)
            for v in per.values()
        ]
        rows.append((shown.get(key, key), cells))
    return rows


def _load_scores(run_dir: Path, summary: RunSummary) -> dict[str, list[EpisodeScore]]:
    return {m.spec.key: load_jsonl(run_dir / m.scores_file, EpisodeScore) for m in summary.models}


def render_html(run_dir: str | Path) -> str:
    """The report's HTML for a run directory (records and stored strips only).

    Raises:
        DataError: ``results.json`` or a scores file is missing.
        SchemaError: a record does not validate.
    """
    import jinja2

    from badbench import __version__

    run_dir = Path(run_dir)
    summary = load_summary(run_dir)
    scores = _load_scores(run_dir, summary)
    labels = episode_labels(scores)
    specs = {m.spec.key: m.spec for m in summary.models}
    showcase = choose_showcase(scores, specs)
    reasons = Reasons(summary, scores)
    board, more = _leaderboards(summary, reasons)
    modes = sorted(
        FAILURE_MODES, key=lambda m: (list(FailureCategory).index(FAILURE_MODES[m].category), m)
    )
    context = {
        "summary": summary,
        "report_version": __version__,
        "palette": PALETTE,
        "options": {m.spec.key: json.dumps(m.spec.options, sort_keys=True) for m in summary.models},
        "label_sources": _label_sources(labels),
        "n_bad": sum(lab.is_bad for lab in labels.values()),
        "n_success": sum(bool(lab.success) and not lab.is_bad for lab in labels.values()),
        "board": board,
        "more": more,
        "by_score_kind": _by_score_kind(summary, scores, reasons),
        "score_kinds": SCORE_KINDS,
        "by_task": _breakdowns(
            summary, "by_task_category", [c.value for c in TaskCategory], reasons
        ),
        "by_failure_category": _breakdowns(
            summary, "by_failure_category", [c.value for c in FailureCategory], reasons
        ),
        "by_failure_mode": _breakdowns(summary, "by_failure_mode", modes, reasons),
        "names": display_names(summary),
        "any_failed": any(m.n_failed for m in summary.models),
        "curves": _curves(showcase, scores, summary, load_strips(run_dir)),
        "settings": json.dumps(summary.settings, sort_keys=True),
        "group_label": group_label,
    }
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html").render(**context)


def write_report(run_dir: str | Path, dataset: Dataset | None = None) -> Path:
    """Render ``RUN_DIR/report.html`` from the run's records.

    Args:
        run_dir: a run directory written by ``badbench eval`` (``results.json`` and
            ``scores/*.jsonl``).
        dataset: the evaluated dataset, if at hand: frame strips of the showcased episodes are
            first extracted into ``RUN_DIR/strips/`` so later renders need only the run dir.

    Returns:
        The path of the written report.

    Raises:
        DataError: ``results.json`` or a scores file is missing.
        SchemaError: a record does not validate.
    """
    run_dir = Path(run_dir)
    if dataset is not None:
        summary = load_summary(run_dir)
        scores = _load_scores(run_dir, summary)
        specs = {m.spec.key: m.spec for m in summary.models}
        picks = choose_showcase(scores, specs)
        extract_strips(
            run_dir, dataset, [(s.episode_id, s.labels.length, s.labels.tags) for s in picks]
        )
    html = render_html(run_dir)
    path = run_dir / REPORT_FILE
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
