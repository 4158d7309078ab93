"""The ablation's outputs: ``ablation.md`` (tables) and two plots, from ``ablation.json`` alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from badbench.train._arms import SOURCES
from badbench.train._splits import TEST_SPLITS

METRIC_LABELS = {
    "pairwise_accuracy": "pairwise acc.",
    "fpr_fixed": "FPR@0.95",
    "over_reward": "over-reward",
}
CATEGORIES = ("unsafe", "shortcut", "poor_execution", "failure")
SPLIT_LABELS = {"seeds": "held-out seeds", "modes": "held-out modes", "tasks": "held-out tasks"}


def _fmt(v: dict[str, Any] | None) -> str:
    if not v or v.get("value") is None:
        return "-"
    lo, hi = v.get("ci_low"), v.get("ci_high")
    if lo is None or hi is None:
        return f"{v['value']:.2f}"
    return f"{v['value']:.2f} [{lo:.2f}, {hi:.2f}]"


def group_order(metrics: dict[str, Any]) -> list[str]:
    """Baselines first, then ``none``, then each source by fraction."""
    named = [g for g in metrics if "-" not in g]
    arms = sorted(
        (g for g in metrics if "-" in g),
        key=lambda g: (SOURCES.index(g.rsplit("-", 1)[0]), int(g.rsplit("-", 1)[1])),
    )
    return named + arms


def markdown(result: Any) -> str:
    """The tables of ``ablation.md``."""
    m = result.metrics
    order = group_order(m)
    lines = [
        "# badbench ablation: only the bad data varies",
        "",
        "Same ReWiND architecture, objective, steps and seeds in every arm; arms differ only in "
        "the bad training data (source and share of the training examples). Intervals: 95% "
        "bootstrap over (seed, test context). `motion` has no task understanding (cue-only) and "
        "`random` is chance. Labels are simulated (oracle rubric), not human.",
        "",
        "Splits: " + ", ".join(f"{k} {v}" for k, v in result.splits.items()) + " episodes.",
        "",
    ]
    for split in TEST_SPLITS:
        lines += [f"## {SPLIT_LABELS[split]}", ""]
        head = ["arm", *METRIC_LABELS.values(), *(f"pairs: {c}" for c in CATEGORIES)]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for g in order:
            parts = m[g].get(split, {})
            row = [g, *(_fmt(parts.get("overall", {}).get(k)) for k in METRIC_LABELS)]
            row += [_fmt(parts.get(c, {}).get("pairwise_accuracy")) for c in CATEGORIES]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    lines += ["## Stages", ""]
    lines += [f"- {s.name}: {s.seconds:.0f} s ({s.detail})" for s in result.stages]
    lines += ["", "## Notes", "", *(f"- {n}" for n in result.notes), ""]
    return "\n".join(lines)


def _series(m: dict[str, Any], source: str, split: str, part: str, metric: str):
    xs, ys, lo, hi = [], [], [], []
    for g in group_order(m):
        if "-" not in g:
            continue
        src, pct = g.rsplit("-", 1)
        if src not in (source, "none"):
            continue
        v = m[g].get(split, {}).get(part, {}).get(metric)
        if not v or v.get("value") is None:
            continue
        xs.append(int(pct))
        ys.append(v["value"])
        lo.append(v["value"] - (v.get("ci_low") if v.get("ci_low") is not None else v["value"]))
        hi.append((v.get("ci_high") if v.get("ci_high") is not None else v["value"]) - v["value"])
    return xs, ys, [lo, hi]


def plot(result: Any, path: Path, parts: tuple[str, ...], metrics: tuple[str, ...]) -> Path:
    """A grid: rows ``parts`` x ``metrics``, columns the test splits; x = bad share (%)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = result.metrics
    rows = [(p, k) for p in parts for k in metrics]
    fig, axes = plt.subplots(
        len(rows), len(TEST_SPLITS), figsize=(4 * len(TEST_SPLITS), 2.6 * len(rows)),
        squeeze=False,
    )
    for r, (part, metric) in enumerate(rows):
        for c, split in enumerate(TEST_SPLITS):
            ax = axes[r][c]
            for source in SOURCES[1:]:
                xs, ys, err = _series(m, source, split, part, metric)
                if xs:
                    ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=source)
            for base, style in (("motion", "--"), ("random", ":")):
                v = m.get(base, {}).get(split, {}).get(part, {}).get(metric)
                if v and v.get("value") is not None:
                    ax.axhline(v["value"], ls=style, color="grey", label=base)
            ax.set_title(f"{SPLIT_LABELS[split]}: {part}", fontsize=9)
            ax.set_ylabel(METRIC_LABELS[metric], fontsize=8)
            ax.set_xlabel("bad share of training examples (%)", fontsize=8)
            ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_outputs(result: Any, out: Path) -> None:
    """``ablation.md``, ``ablation.png`` (overall metrics) and ``ablation-categories.png``."""
    (out / "ablation.md").write_text(markdown(result))
    plot(result, out / "ablation.png", ("overall",), tuple(METRIC_LABELS))
    plot(result, out / "ablation-categories.png", CATEGORIES, ("pairwise_accuracy",))
