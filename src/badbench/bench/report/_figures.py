"""The report's figures, drawn with matplotlib and returned as inline ``data:`` PNG URIs.

matplotlib is imported inside the functions (never at import time of badbench), and figures are
drawn on :class:`matplotlib.figure.Figure` objects with the Agg canvas, never through pyplot's
global state, so rendering a report leaves the caller's matplotlib backend alone.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from badbench.bench.report._metric_info import MetricInfo
from badbench.bench.results import EpisodeLabels, MetricValue

PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
]
"""Model colours, in model order (matplotlib's tab10); shared by the bars, curves and tables."""

CATEGORY_COLOURS = {
    "unsafe": "#d62728",
    "shortcut": "#9467bd",
    "poor_execution": "#ff7f0e",
    "failure": "#7f7f7f",
}
"""Shading of failure spans by failure category."""

ORACLE_COLOUR = "#222222"
DPI = 110


@dataclass(frozen=True)
class Curve:
    """One model's per-frame rewards on an episode, mapped onto [0, 1].

    Attributes:
        label: legend text (the model key).
        colour: line colour.
        frames: frame indices of the rewards.
        values: rewards mapped from the model's declared range onto [0, 1].
    """

    label: str
    colour: str
    frames: Sequence[int]
    values: Sequence[float]


def group_label(group: str) -> str:
    """How a breakdown group is shown: underscores as spaces; ``none`` as clean episodes."""
    return "no failure" if group == "none" else group.replace("_", " ")


def _mode_category(name: str) -> str:
    from badbench.data.taxonomy import FAILURE_MODES

    mode = FAILURE_MODES.get(name)
    return str(mode.category) if mode else ""


def _new_figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig


def to_data_uri(fig: Any) -> str:
    """Encode a figure as a ``data:image/png;base64,...`` URI (no metadata, no external refs)."""
    import warnings

    buf = BytesIO()
    with warnings.catch_warnings():  # a crowded figure still renders, only less neatly
        warnings.filterwarnings("ignore", "constrained_layout not applied", UserWarning)
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def bar_chart(
    groups: Sequence[str],
    models: Sequence[tuple[str, str]],
    values: Mapping[str, Mapping[str, MetricValue | None]],
    info: MetricInfo,
    *,
    chance: float | None = None,
) -> str:
    """Grouped bars of one metric: groups on x, one bar per model, 95% CIs as error bars.

    The figure has no legend: bars follow the models' order and colours, which the report's
    HTML legend shows once per section.

    Args:
        groups: the x-axis groups (task categories, failure categories or modes), in order.
        models: (model key, colour) in leaderboard order.
        values: group -> model key -> value (missing or ``None``: no bar, marked "n/a").
        info: the metric, for the axis label and direction.
        chance: draw a dashed reference line at this value (e.g. 0.5 for pairwise accuracy).

    Returns:
        The figure as a ``data:`` URI.
    """
    import textwrap

    import numpy as np

    n_groups, n_models = max(len(groups), 1), max(len(models), 1)
    width = min(11.0, max(3.0, 0.22 * n_groups * n_models + 1.2))
    fig = _new_figure(width, 3.1)
    ax = fig.add_subplot()
    bar_w = 0.8 / n_models
    x = np.arange(len(groups))
    for m, (key, colour) in enumerate(models):
        xs, ys, err_lo, err_hi, missing = [], [], [], [], []
        for g, group in enumerate(groups):
            mv = values.get(group, {}).get(key)
            pos = x[g] - 0.4 + bar_w * (m + 0.5)
            if mv is None or mv.value is None:
                missing.append(pos)
                continue
            xs.append(pos)
            ys.append(mv.value)
            lo = mv.ci_low if mv.ci_low is not None else mv.value
            hi = mv.ci_high if mv.ci_high is not None else mv.value
            err_lo.append(max(mv.value - lo, 0.0))
            err_hi.append(max(hi - mv.value, 0.0))
        ax.bar(xs, ys, bar_w * 0.92, color=colour, label=key, zorder=2)
        if xs:
            ax.errorbar(
                xs,
                ys,
                yerr=[err_lo, err_hi],
                fmt="none",
                ecolor="#333333",
                capsize=2,
                linewidth=1,
                zorder=3,
            )
        for pos in missing:
            ax.text(
                pos,
                0.02,
                "n/a",
                rotation=90,
                ha="center",
                va="bottom",
                fontsize=7,
                color="#888888",
                transform=ax.get_xaxis_transform(),
            )
    ax.set_xlim(-0.5, len(groups) - 0.5)
    if chance is not None:
        ax.axhline(chance, color="#888888", linestyle="--", linewidth=1, zorder=1)
    ax.axhline(0, color="#444444", linewidth=0.8, zorder=1)
    names = [textwrap.fill(group_label(g), 11) for g in groups]
    rotate = n_groups > 6
    ax.set_xticks(
        x,
        names,
        fontsize=8,
        rotation=35 if rotate else 0,
        ha="right" if rotate else "center",
        rotation_mode="anchor",
    )
    for tick, group in zip(ax.get_xticklabels(), groups, strict=True):
        colour = CATEGORY_COLOURS.get(group) or CATEGORY_COLOURS.get(_mode_category(group))
        if colour:
            tick.set_color(colour)
    arrow = "\u2191" if info.higher_is_better else "\u2193"  # direction of "better"
    ax.set_ylabel(f"{info.label} {arrow}", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", color="#e5e5e5", zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    # no legend: the report shows one in HTML above the charts (model colours are fixed)
    return to_data_uri(fig)


def curve_figure(
    labels: EpisodeLabels,
    curves: Sequence[Curve],
    *,
    strip_frames: Sequence[int] = (),
) -> str:
    """Reward curves of one episode: each model beside the oracle's dense label, spans shaded.

    Args:
        labels: the episode's labels (dense oracle reward, failure tags, length).
        curves: the models' curves, already on [0, 1].
        strip_frames: frame indices shown in the strip below, marked on the x axis.

    Returns:
        The figure as a ``data:`` URI.
    """
    fig = _new_figure(9.8, 3.0)
    ax = fig.add_subplot()
    for tag in labels.tags:
        colour = CATEGORY_COLOURS.get(str(tag.category), "#7f7f7f")
        ax.axvspan(tag.start_frame - 0.5, tag.end_frame + 0.5, color=colour, alpha=0.15, lw=0)
        ax.text(
            (tag.start_frame + tag.end_frame) / 2,
            0.99,
            tag.mode.replace("_", " "),
            ha="center",
            va="top",
            fontsize=8,
            color=colour,
            transform=ax.get_xaxis_transform(),
        )
    low, high = 0.0, 1.0
    if labels.dense_reward:
        source = labels.dense_source or "stored"
        name = "oracle label\n(simulator, not human)" if source == "oracle" else f"{source} label"
        ax.plot(
            range(len(labels.dense_reward)),
            labels.dense_reward,
            color=ORACLE_COLOUR,
            linestyle=(0, (4, 2)),
            linewidth=2.4,
            label=name,
            zorder=5,
            alpha=0.75,
        )
        low, high = min(low, *labels.dense_reward), max(high, *labels.dense_reward)
    for curve in curves:
        ax.plot(
            curve.frames,
            curve.values,
            color=curve.colour,
            linewidth=1.6,
            label=curve.label,
            zorder=4,
            marker="." if len(curve.frames) <= 15 else None,
        )
        if curve.values:
            low, high = min(low, *curve.values), max(high, *curve.values)
    for f in strip_frames:
        ax.plot(
            [f],
            [low - 0.02 * (high - low)],
            marker="^",
            color="#555555",
            markersize=5,
            clip_on=False,
            zorder=6,
        )
    length = labels.length or (len(labels.dense_reward) if labels.dense_reward else 0)
    if length:
        ax.set_xlim(-0.5, max(length - 0.5, 0.5))
    ax.set_ylim(low - 0.05 * (high - low), high + 0.12 * (high - low))
    ax.set_xlabel("frame", fontsize=9)
    ax.set_ylabel("progress (0-1)", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(color="#eeeeee", zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    if curves or labels.dense_reward:
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return to_data_uri(fig)
