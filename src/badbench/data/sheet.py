"""Contact sheets: a picture of what episodes show and what their labels say.

For each chosen episode, :func:`contact_sheet` draws one strip of evenly spaced frames per
camera, the tagged spans as coloured bars (one colour per failure category, the mode written on
the bar, a tag no camera shows drawn hatched), and beneath them the dense reward label with the
task progress (when the episode stores ``task_progress``). It is how a person checks that a
label is something a video reward model could see.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from badbench.data.dataset import Dataset
from badbench.data.schema import Episode
from badbench.data.taxonomy import FailureCategory
from badbench.errors import ValidationError

COLORS: dict[str, str] = {
    FailureCategory.UNSAFE: "#d62728",
    FailureCategory.SHORTCUT: "#9467bd",
    FailureCategory.POOR_EXECUTION: "#ff7f0e",
    FailureCategory.FAILURE: "#7f7f7f",
}
"""Bar colour per failure category."""


def choose_episodes(
    ds: Dataset, episodes: Sequence[str] = (), mode: str | None = None, limit: int = 4
) -> list[str]:
    """The episode ids a sheet shows: the given ones, else up to ``limit`` of ``mode`` (by its
    generator mode or a tag of that mode), else the first ``limit``.

    Raises:
        ValidationError: an unknown episode id, or no episode of ``mode``.
    """
    if episodes:
        unknown = [e for e in episodes if e not in ds]
        if unknown:
            raise ValidationError(
                f"no episode '{unknown[0]}' in {ds.root} (see `badbench data info`)",
                field="episode",
            )
        return list(episodes)
    ids = ds.episode_ids
    if mode is not None:
        ids = [
            i
            for i in ids
            if ds.meta(i).generator.get("mode") == mode or any(t.mode == mode for t in ds.tags(i))
        ]
        if not ids:
            raise ValidationError(f"no episode of mode '{mode}' in {ds.root}", field="mode")
    return ids[:limit]


def contact_sheet(
    root: str | Path,
    out: str | Path,
    *,
    episodes: Sequence[str] = (),
    mode: str | None = None,
    limit: int = 4,
    frames: int = 8,
) -> Path:
    """Write a PNG contact sheet of some episodes of the dataset at ``root`` to ``out``.

    Args:
        root: the dataset directory.
        out: the PNG file to write (its directory is created).
        episodes: episode ids to show (default: chosen by ``mode``, else the first ones).
        mode: show episodes of this failure mode (or ``good``).
        limit: at most this many episodes when not given by id.
        frames: frames per camera strip, evenly spaced.

    Returns:
        the path written.

    Raises:
        ValidationError: bad selection or option.
        DataError: the dataset cannot be read.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if frames < 2:
        raise ValidationError(f"frames must be at least 2, not {frames}", field="frames")
    ds = Dataset.open(root)
    ids = choose_episodes(ds, episodes, mode, limit)
    cams = list(ds.cameras)
    rows_per = len(cams) + 3  # strips, tag bar, curve, a gap before the next episode's title
    fig = plt.figure(figsize=(frames * 1.25, rows_per * 1.3 * len(ids) + 0.3), dpi=100)
    grid = fig.add_gridspec(
        rows_per * len(ids),
        frames,
        height_ratios=([1.0] * len(cams) + [0.35, 0.9, 0.3]) * len(ids),
        hspace=0.5,
        wspace=0.03,
    )
    for n, episode_id in enumerate(ids):
        ep = ds.load(episode_id)
        _draw_episode(fig, grid, n * rows_per, ep, cams, frames)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def _draw_episode(fig, grid, row: int, ep: Episode, cams: list[str], k: int) -> None:
    length = ep.meta.length
    picks = np.linspace(0, length - 1, k).round().astype(int)
    out = ep.outcome
    title = ep.id
    if out is not None:
        parts = [f"success={out.success}"]
        if out.score is not None:
            parts.append(f"score={out.score:.2f}")
        if out.progress is not None:
            parts.append(f"progress={out.progress:.2f}")
        title += "   " + "  ".join(parts)
    for c, cam in enumerate(cams):
        strip = ep.frames.get(cam)
        for j, t in enumerate(picks):
            ax = fig.add_subplot(grid[row + c, j])
            ax.set_xticks([])
            ax.set_yticks([])
            if strip is not None:
                ax.imshow(strip[t])
            if j == 0:
                ax.set_ylabel(cam.removeprefix("observation.images."), fontsize=7)
            if c == 0:
                ax.set_title(f"frame {t}", fontsize=7)
                if j == 0:
                    ax.text(0, 1.3, title, transform=ax.transAxes, fontsize=9, weight="bold")
    bar = fig.add_subplot(grid[row + len(cams), :])
    bar.set_xlim(-0.5, length - 0.5)
    bar.set_ylim(0, 1)
    bar.set_yticks([])
    bar.set_xticks([])
    if not ep.tags:
        bar.text(
            0.5,
            0.5,
            "no failure tag",
            ha="center",
            va="center",
            fontsize=7,
            transform=bar.transAxes,
        )
    for tag in ep.tags:
        seen = not tag.visibility or any(v.in_view for v in tag.visibility.values())
        bar.broken_barh(
            [(tag.start_frame - 0.5, tag.end_frame - tag.start_frame + 1)],
            (0.1, 0.8),
            facecolors=COLORS[tag.category],
            alpha=0.8,
            hatch=None if seen else "//",
        )
        pixels = max((v.pixels for v in tag.visibility.values()), default=None)
        label = f"{tag.mode} s={tag.severity:.2f}" + (f" {pixels}px" if pixels else "")
        bar.text(
            tag.start_frame,
            0.5,
            label,
            va="center",
            fontsize=7,
            bbox={"facecolor": "white", "alpha": 0.75, "pad": 1, "lw": 0},
        )
    curve = fig.add_subplot(grid[row + len(cams) + 1, :], sharex=bar)
    curve.set_ylim(-0.05, 1.05)
    curve.tick_params(labelsize=7)
    if ep.dense_reward is not None and len(ep.dense_reward):
        curve.plot(
            np.arange(len(ep.dense_reward)),
            ep.dense_reward,
            color="#1f77b4",
            label="dense reward label",
        )
    else:
        curve.text(
            0.5,
            0.5,
            "no dense reward label",
            ha="center",
            va="center",
            fontsize=7,
            transform=curve.transAxes,
        )
    progress = ep.extras.get("task_progress")
    if progress is not None:
        curve.plot(
            np.arange(len(progress)), progress, color="#2ca02c", ls="--", label="task progress"
        )
    for t in picks:
        curve.axvline(t, color="#cccccc", lw=0.5, zorder=0)
    if curve.lines:
        curve.legend(fontsize=6, loc="lower right")
