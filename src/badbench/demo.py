"""The main job, ``badbench demo``: a Meta-World bad-behaviour suite, every model, one report.

The suite is generated once into a cache directory (the generator resumes, so an interrupted
first run picks up where it stopped), then every reward model that needs no extra setup is
evaluated on it and the run directory gets ``results.json`` and ``report.html``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from badbench.bench.results import ScoreKind

DEMO_TASKS: tuple[str, ...] = (
    "pick-place-low-v3",
    "drawer-open-v3",
    "push-v3",
    "hammer-v3",
)
"""Tasks of the demo suite: one per paper category Meta-World covers (pick/place, open/close,
push/pull, tool use)."""

DEMO_VERSION = 4
"""Bumped when the demo suite or the engine's labels change, so an old cache is not reused silently
(2: fixed-length episodes, dense reward ending at the rubric score, push_off and knock_over;
3: sim suite v2: detected events as tags, rubric v2, operator styles, the rater panel;
4: scene and wrist cameras, upright frames, every tag in view of a camera)."""


@dataclass(frozen=True)
class DemoConfig:
    """What the demo generates and evaluates."""

    out: Path = Path("runs/demo")
    """Run directory: results.json, report.html, per-episode scores."""
    cache: Path | None = None
    """Where the generated suite is kept between runs (default: ``$BADBENCH_CACHE`` or
    ``~/.cache/badbench``)."""
    tasks: tuple[str, ...] = DEMO_TASKS
    """Meta-World tasks of the suite."""
    episodes_per_mode: int = 2
    """Seed families per task; each family has one episode per failure mode plus a good one."""
    workers: int | None = None
    """Generator processes (default: all cores)."""
    resolution: int = 96
    """Frame size of the rendered episodes (square)."""
    seed: int = 0
    """Generator seed; the same seed gives the same suite."""
    rewind: bool = False
    """Also train two ReWiND models on the suite's training families (one on clean successes
    only, one with the training families' simulated failures as half of its examples) and rank
    every model on the held-out families only (needs the ``torch`` extra). Off by default until
    its cold run is measured under 10 minutes and the README's demo figures are re-measured."""
    heldout_families: int = 1
    """Seed families of each task held out for the leaderboard when ``rewind`` is on."""
    good_families: int = 4
    """Extra seed families with the good episode only (demonstrations for ReWiND)."""
    rewind_steps: int = 300
    """Optimiser steps of each ReWiND model."""
    encoder: str = "efficientnet-lite0:size=160"
    """ReWiND's image encoder (EfficientNet-Lite0, ImageNet weights, frames resized to 160)."""
    score_kind: ScoreKind = "last"
    """Trajectory score of the leaderboard. The suite's human stand-in labels are end-of-episode
    rubric scores, so the demo compares end states; ``return`` (the paper's default, and
    ``badbench eval``'s) also rewards reaching progress early, which the rubric ignores: on the
    oracle's own labels it misorders slow-but-clean successes against fast unsafe ones (0.90
    instead of 1.00). :func:`pairwise_by_score_kind` reports every kind."""


def cache_root(cache: Path | None = None) -> Path:
    """The demo's cache directory."""
    if cache is not None:
        return Path(cache)
    env = os.environ.get("BADBENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "badbench"


def suite_dir(config: DemoConfig) -> Path:
    """The dataset directory of the demo suite for this config (one per distinct suite)."""
    tag = (
        f"demo-v{DEMO_VERSION}-{len(config.tasks)}t-{config.episodes_per_mode}e"
        f"-{config.resolution}px-s{config.seed}"
    )
    return cache_root(config.cache) / tag


def demo_models() -> list[str]:
    """Registered models that run without an extra or required options (the baselines today)."""
    from badbench.errors import ValidationError
    from badbench.models import MODELS
    from badbench.models.registry import check_options

    names = []
    for entry in MODELS:
        if entry.extra is not None:
            continue
        try:  # a model with a required option (precomputed's dir) cannot run unconfigured
            check_options("model", entry.name, entry.load(), {})
        except ValidationError:
            continue
        names.append(entry.name)
    return names


def run_demo(
    config: DemoConfig,
    *,
    models: Sequence[str] | None = None,
    progress: bool = True,
    on_generate: Callable[[int, int, str], None] | None = None,
):
    """Generate (or reuse) the suite, evaluate every demo model, write the report.

    Args:
        config: what to generate and where to write.
        models: model specs (default: :func:`demo_models`).
        progress: show the evaluation progress bar.
        on_generate: progress callback of the generator, ``(done, total, episode_id)``.

    Returns:
        the :class:`~badbench.bench.results.RunSummary` of the run.
    """
    from badbench.bench.metrics import SCORE_KINDS
    from badbench.bench.runner import evaluate
    from badbench.errors import ValidationError
    from badbench.generate.sim import generate_sim

    if config.score_kind not in SCORE_KINDS:  # before minutes of generation, not after
        raise ValidationError(
            f"unknown score '{config.score_kind}'; use return, last or mean", field="score"
        )
    data = suite_dir(config)
    common = dict(
        tasks=config.tasks,
        workers=config.workers,
        seed=config.seed,
        resolution=config.resolution,
        progress=on_generate,
    )
    generate_sim(data, modes="all", episodes_per_mode=config.episodes_per_mode, **common)
    specs = list(models or demo_models())
    episodes = None
    if config.rewind and not _has_torch():
        from rich.console import Console

        Console(stderr=True).print(
            "[yellow]no torch: the ReWiND models are left out[/] (pip install 'badbench[torch]')"
        )
    elif config.rewind:
        generate_sim(
            data,
            modes=["good"],
            episodes_per_mode=config.episodes_per_mode + config.good_families,
            **common,
        )
        rewinds, episodes = train_demo_rewinds(config, data, progress=progress)
        specs += rewinds
    return evaluate(
        data,
        specs,
        config.out,
        score_kind=config.score_kind,
        progress=progress,
        episodes=episodes,
    )


def _has_torch() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


REWIND_ARMS = {"success-only": ("none", 0.0), "with-bad-data": ("sim", 0.5)}
"""The demo's two ReWiND models: directory name -> (bad-data source, bad share)."""


def train_demo_rewinds(
    config: DemoConfig, data: Path, *, progress: bool = True
) -> tuple[list[str], list[str]]:
    """Train (or reuse) the demo's two ReWiND models on the suite's training families.

    Returns:
        ``(model specs, held-out episode ids)``: the leaderboard ranks every model on the
        held-out families only (no model saw them).
    """
    from badbench.data.dataset import Dataset
    from badbench.models.rewind import TrainConfig, labelled_examples, success_examples
    from badbench.train import Arm, make_splits, train_arms

    ds = Dataset.open(data)
    splits = make_splits(
        ds, heldout_tasks=(), heldout_modes=(), heldout_families=config.heldout_families
    )
    cache = cache_root(config.cache) / "embeddings"
    emb = dict(encoder=config.encoder, cache_dir=cache, progress=progress)
    successes = [e for e in success_examples(ds, **emb) if e.episode_id in splits.train]
    sim = [e for e in labelled_examples(ds, **emb) if e.episode_id in splits.train]
    arms = [Arm(source, fraction, config.seed) for source, fraction in REWIND_ARMS.values()]
    base = TrainConfig(encoder=config.encoder, steps=config.rewind_steps, val_fraction=0.0)
    checkpoints, _ = train_arms(
        arms,
        successes,
        {"sim": sim},
        base,
        Path(config.out) / "rewind",
        cache_dir=cache,
        progress=progress,
        names=list(REWIND_ARMS),
    )
    shown = "" if config.cache is None else f",cache={cache}"  # the default cache: not in keys
    specs = [f"rewind:checkpoint={checkpoints[name]}{shown}" for name in REWIND_ARMS]
    return specs, sorted(splits.tests["seeds"])


def pairwise_by_score_kind(run_dir: str | Path) -> dict[str, dict[str, float]]:
    """Score-based pairwise accuracy of each model of a run under every trajectory score,
    recomputed from the run's records (no model is called); see
    :func:`badbench.bench.tables.pairwise_by_score_kind`.

    Returns:
        model key -> {score kind -> accuracy}.
    """
    from badbench.bench import tables
    from badbench.bench.results import load_run

    records = load_run(run_dir)
    tie_credit = float(records.summary.settings.get("tie_credit", 0.0))
    return tables.pairwise_by_score_kind(records.scores, tie_credit=tie_credit)
