"""Rich tables for `badbench data info`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from badbench.data.card import DatasetSummary, GroupStats


def print_summary(console: Console, s: DatasetSummary) -> None:
    """Print a dataset summary as a few rich tables."""
    overview = Table(title=f"dataset {s.name}", show_header=False, title_justify="left")
    overview.add_column(style="bold")
    overview.add_column()
    rate = f"{100 * s.success_rate:.1f}%" if s.success_rate is not None else "n/a"
    for field, value in [
        ("episodes", s.episodes),
        ("frames", s.frames),
        ("hours", f"{s.hours:.3f}"),
        ("fps", ", ".join(f"{f:g}" for f in s.fps) or "none"),
        ("cameras", ", ".join(_camera(c.key, c.width, c.height) for c in s.cameras) or "none"),
        ("embodiment", _counts(s.embodiments)),
        ("source", _counts(s.sources)),
        ("policies / contexts", f"{s.policies} / {s.contexts}"),
        ("success rate", f"{rate} ({s.successes} of {s.labelled} labelled)"),
        ("bad episodes", f"{s.bad_episodes} ({s.tagged_episodes} with failure tags)"),
        ("progress labels", _counts(s.progress_sources)),
        ("dense labels", _counts(s.dense_sources)),
        ("preferences", f"{s.preferences}: {_counts(s.preference_sources)}"),
    ]:
        overview.add_row(field, str(value))
    console.print(overview)
    if s.task_categories:
        console.print(_groups("task category", s.task_categories))
    if s.tasks:
        console.print(_groups("task", s.tasks))
    if s.failure_modes:
        modes = Table(title="failure modes", title_justify="left")
        for col in ("mode", "category", "tags", "episodes"):
            modes.add_column(col, justify="right" if col in ("tags", "episodes") else "left")
        for f in s.failure_modes:
            modes.add_row(f.name, f.category, str(f.tags), str(f.episodes))
        console.print(modes)


def _groups(title: str, groups: list[GroupStats]) -> Table:
    table = Table(title=f"by {title}", title_justify="left")
    table.add_column(title)
    for col in ("episodes", "frames", "success", "bad"):
        table.add_column(col, justify="right")
    for g in groups:
        rate = f"{100 * g.success_rate:.0f}%" if g.success_rate is not None else "n/a"
        table.add_row(g.name, str(g.episodes), str(g.frames), rate, str(g.bad))
    return table


def _camera(key: str, width: int | None, height: int | None) -> str:
    return f"{key} ({width}x{height})" if width and height else key


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"
