"""The dataset card: a typed summary of a dataset, and its Markdown rendering.

:func:`summarize` reads only metadata and label tables (no video is decoded), so a card of a
large dataset is quick. :func:`render_card` turns the summary into Markdown; :func:`dataset_card`
does both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, computed_field

from badbench.data.taxonomy import FAILURE_MODES, FailureCategory, TaskCategory

if TYPE_CHECKING:
    from badbench.data.dataset import Dataset


class _Card(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # computed fields come back in JSON


class GroupStats(_Card):
    """Counts for one task or task category."""

    name: str
    """The task name or task category."""
    episodes: int
    """Number of episodes."""
    frames: int
    """Number of frames over those episodes."""
    labelled: int
    """Episodes with an outcome record."""
    successes: int
    """Labelled episodes that succeeded."""
    bad: int
    """Episodes that failed or carry a failure tag."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def success_rate(self) -> float | None:
        """``successes / labelled``, or None when nothing is labelled."""
        return self.successes / self.labelled if self.labelled else None


class FailureCount(_Card):
    """How often a failure category or mode occurs."""

    name: str
    """The category or mode."""
    category: str
    """The mode's category (the category itself for a category row)."""
    tags: int
    """Number of failure tags."""
    episodes: int
    """Number of episodes with at least one such tag."""


class CameraInfo(_Card):
    """One camera stream, as the dataset's info.json describes it."""

    key: str
    """LeRobot feature key, e.g. ``observation.images.front``."""
    height: int | None = None
    """Frame height in pixels, when recorded."""
    width: int | None = None
    """Frame width in pixels, when recorded."""
    codec: str | None = None
    """Video codec, when recorded."""


class DatasetSummary(_Card):
    """Everything a dataset card states, computed from a dataset's metadata and labels."""

    name: str
    """The dataset directory's name."""
    episodes: int
    """Number of episodes."""
    frames: int
    """Total frames (per camera)."""
    hours: float
    """Total duration: sum over episodes of frames / fps, in hours."""
    fps: list[float]
    """Distinct frame rates."""
    cameras: list[CameraInfo]
    """Camera streams."""
    embodiments: dict[str, int]
    """Episodes per robot type."""
    sources: dict[str, int]
    """Episodes per source (real | sim | augmented)."""
    policies: int
    """Number of distinct policy ids."""
    contexts: int
    """Number of distinct non-empty context ids."""
    tasks: list[GroupStats]
    """Per task, most episodes first."""
    task_categories: list[GroupStats]
    """Per task category, in the paper's order (simplest first)."""
    labelled: int
    """Episodes with an outcome record."""
    successes: int
    """Labelled episodes that succeeded."""
    bad_episodes: int
    """Episodes that failed or carry a failure tag."""
    tagged_episodes: int
    """Episodes with at least one failure tag."""
    failure_categories: list[FailureCount]
    """Failure tags per category (unsafe, shortcut, poor_execution, failure)."""
    failure_modes: list[FailureCount]
    """Failure tags per mode, most frequent first."""
    progress_sources: dict[str, int]
    """Episodes with a progress label, per source (human | oracle)."""
    dense_sources: dict[str, int]
    """Episodes with dense per-frame labels, per source."""
    preferences: int
    """Number of A/B preference records."""
    preference_sources: dict[str, int]
    """Preferences per source (human | oracle | synthetic)."""
    preference_labels: dict[str, int]
    """Preferences per label (a | b | tie)."""
    raters: int
    """Number of distinct rater ids."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def success_rate(self) -> float | None:
        """``successes / labelled``, or None when nothing is labelled."""
        return self.successes / self.labelled if self.labelled else None


def summarize(dataset: Dataset) -> DatasetSummary:
    """Compute the card's numbers from a dataset's metadata and label tables (no video)."""
    metas = list(dataset)
    outcomes = {m.episode_id: dataset.outcome(m.episode_id) for m in metas}
    tags = {m.episode_id: dataset.tags(m.episode_id) for m in metas}
    bad = {
        m.episode_id
        for m in metas
        if (outcomes[m.episode_id] is not None and not outcomes[m.episode_id].success)
        or tags[m.episode_id]
    }
    prefs = dataset.preferences()

    def group(key: str) -> dict[str, GroupStats]:
        members: dict[str, list] = {}
        for m in metas:
            members.setdefault(str(getattr(m, key)), []).append(m)
        return {
            name: GroupStats(
                name=name,
                episodes=len(ms),
                frames=sum(m.length for m in ms),
                labelled=sum(outcomes[m.episode_id] is not None for m in ms),
                successes=sum(bool(o and o.success) for o in (outcomes[m.episode_id] for m in ms)),
                bad=sum(m.episode_id in bad for m in ms),
            )
            for name, ms in members.items()
        }

    tasks = sorted(group("task").values(), key=lambda g: (-g.episodes, g.name))
    by_category = group("task_category")
    categories = [by_category[c.value] for c in TaskCategory if c.value in by_category]
    labelled = [o for o in outcomes.values() if o is not None]
    return DatasetSummary(
        name=Path(dataset.root).name,
        episodes=len(metas),
        frames=sum(m.length for m in metas),
        hours=sum(m.length / m.fps for m in metas) / 3600.0,
        fps=sorted({float(m.fps) for m in metas}),
        cameras=_cameras(dataset),
        embodiments=_count(m.embodiment for m in metas),
        sources=_count(str(m.source) for m in metas),
        policies=len({m.policy_id for m in metas}),
        contexts=len({m.context_id for m in metas if m.context_id}),
        tasks=tasks,
        task_categories=categories,
        labelled=len(labelled),
        successes=sum(o.success for o in labelled),
        bad_episodes=len(bad),
        tagged_episodes=sum(bool(t) for t in tags.values()),
        failure_categories=_failure_categories(tags),
        failure_modes=_failure_modes(tags),
        progress_sources=_count(str(o.progress_source) for o in labelled if o.progress is not None),
        dense_sources=_count(str(o.dense_source) for o in labelled if o.dense_source is not None),
        preferences=len(prefs),
        preference_sources=_count(str(p.source) for p in prefs),
        preference_labels=_count(p.label for p in prefs),
        raters=len({p.rater_id for p in prefs}),
    )


def _count(values: Iterable[str]) -> dict[str, int]:
    """Counts, most frequent first (ties by name)."""
    counts = Counter(values)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _failure_categories(tags: dict[str, list]) -> list[FailureCount]:
    rows = []
    for category in FailureCategory:
        n_tags = sum(t.category == category for ts in tags.values() for t in ts)
        n_eps = sum(any(t.category == category for t in ts) for ts in tags.values())
        if n_tags:
            rows.append(
                FailureCount(
                    name=category.value, category=category.value, tags=n_tags, episodes=n_eps
                )
            )
    return rows


def _failure_modes(tags: dict[str, list]) -> list[FailureCount]:
    modes = Counter(t.mode for ts in tags.values() for t in ts)
    rows = [
        FailureCount(
            name=mode,
            category=str(FAILURE_MODES[mode].category) if mode in FAILURE_MODES else "?",
            tags=n,
            episodes=sum(any(t.mode == mode for t in ts) for ts in tags.values()),
        )
        for mode, n in modes.items()
    ]
    return sorted(rows, key=lambda r: (-r.tags, r.name))


def _cameras(dataset: Dataset) -> list[CameraInfo]:
    features = (dataset.info or {}).get("features", {})
    cameras = []
    for key in dataset.cameras:
        feature = features.get(key, {})
        shape = feature.get("shape") or []
        names = feature.get("names") or []
        dims = dict(zip(names, shape, strict=False)) if len(names) == len(shape) else {}
        height = dims.get("height", shape[0] if len(shape) == 3 else None)
        width = dims.get("width", shape[1] if len(shape) == 3 else None)
        codec = (feature.get("info") or {}).get("video.codec")
        cameras.append(CameraInfo(key=key, height=height, width=width, codec=codec))
    return cameras


def dataset_card(root: str | Path) -> str:
    """The Markdown card of the dataset at ``root``."""
    from badbench.data.dataset import Dataset

    return render_card(summarize(Dataset.open(root)))


def render_card(summary: DatasetSummary) -> str:
    """Render a summary as a Markdown dataset card."""
    from badbench import __version__

    s = summary
    lines = [f"# Dataset card: {s.name}", ""]
    lines += [
        f"{s.episodes} episodes, {s.frames} frames ({_hms(s.hours)}) at "
        f"{_join(f'{f:g}' for f in s.fps)} fps; {s.bad_episodes} bad "
        f"(failed or tagged), success rate {_rate(s.successes, s.labelled)}.",
        "",
        "## Overview",
        "",
        *_table(
            ["Field", "Value"],
            [
                ["Episodes", s.episodes],
                ["Frames", s.frames],
                ["Hours", f"{s.hours:.2f} ({_hms(s.hours)})"],
                ["Frame rate (fps)", _join(f"{f:g}" for f in s.fps)],
                ["Cameras", _join(c.key for c in s.cameras)],
                ["Embodiment", _counts(s.embodiments)],
                ["Source", _counts(s.sources)],
                ["Policies", s.policies],
                ["Contexts", s.contexts],
                ["Labelled episodes", s.labelled],
                ["Successes", s.successes],
                ["Success rate", _rate(s.successes, s.labelled)],
                ["Bad episodes (failed or tagged)", s.bad_episodes],
                ["Episodes with failure tags", s.tagged_episodes],
                ["Preferences", s.preferences],
            ],
        ),
    ]
    group_header = ["Episodes", "Frames", "Labelled", "Successes", "Success rate", "Bad"]
    lines += ["", "## Tasks", ""]
    lines += _table(["Task", *group_header], [_group_row(g) for g in s.tasks])
    lines += ["", "## Task categories", ""]
    lines += _table(["Task category", *group_header], [_group_row(g) for g in s.task_categories])
    lines += ["", "## Failures", ""]
    if s.failure_modes:
        lines += _table(
            ["Failure category", "Tags", "Episodes"],
            [[f.name, f.tags, f.episodes] for f in s.failure_categories],
        )
        lines += [""]
        lines += _table(
            ["Failure mode", "Category", "Tags", "Episodes"],
            [[f.name, f.category, f.tags, f.episodes] for f in s.failure_modes],
        )
    else:
        lines += ["No failure tags."]
    lines += ["", "## Label sources", ""]
    lines += _table(
        ["Label", "Sources"],
        [
            ["Outcome (success)", f"{s.labelled} episodes"],
            ["Progress", _counts(s.progress_sources)],
            ["Dense per-frame reward", _counts(s.dense_sources)],
            ["Preferences", _counts(s.preference_sources)],
            ["Preference labels", _counts(s.preference_labels)],
            ["Raters", s.raters],
        ],
    )
    lines += ["", "## Cameras", ""]
    lines += _table(
        ["Camera", "Height", "Width", "Codec"],
        [[c.key, _opt(c.height), _opt(c.width), _opt(c.codec)] for c in s.cameras],
    )
    lines += ["", f"_Generated by badbench {__version__}._", ""]
    return "\n".join(lines)


def _group_row(g: GroupStats) -> list[object]:
    return [
        g.name,
        g.episodes,
        g.frames,
        g.labelled,
        g.successes,
        _rate(g.successes, g.labelled),
        g.bad,
    ]


def _hms(hours: float) -> str:
    seconds = round(hours * 3600)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _rate(k: int, n: int) -> str:
    return f"{100.0 * k / n:.1f}%" if n else "n/a"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} ({v})" for k, v in counts.items()) or "none"


def _join(items: Iterable[str]) -> str:
    return ", ".join(items) or "none"


def _opt(value: object) -> str:
    return "?" if value is None else str(value)


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    if not rows:
        return ["(none)"]
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def taxonomy_markdown() -> str:
    """The failure taxonomy as Markdown tables: the categories, then every registered mode.

    ``docs/taxonomy.md`` embeds this output between its ``BEGIN``/``END`` markers; a test keeps
    the two in sync.
    """
    from badbench.data.taxonomy import FailureMode

    by_category: dict[FailureCategory, list[FailureMode]] = {c: [] for c in FailureCategory}
    for mode in FAILURE_MODES.values():
        by_category[mode.category].append(mode)
    lines = _table(
        ["Category", "Modes"],
        [[f"`{c.value}`", len(modes)] for c, modes in by_category.items()],
    )
    lines += [""]
    lines += _table(
        ["Mode", "Category", "What happens"],
        [
            [f"`{m.name}`", f"`{m.category.value}`", m.description]
            for c in FailureCategory
            for m in sorted(by_category[c], key=lambda m: m.name)
        ],
    )
    return "\n".join(lines) + "\n"
