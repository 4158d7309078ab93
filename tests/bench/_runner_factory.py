"""A small labelled dataset for the runner tests, and models that record their calls.

Per context (2 tasks x ``contexts``): a clean success, a jittery success (poor execution), a
drop (failure) and a collision (unsafe failure), with oracle progress, dense curves whose return
and last value order the episodes like their progress, and oracle A/B preferences.
Built from :func:`fixtures.factories.make_episode` (helper-1's factory).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import numpy as np

from badbench.data import (
    DatasetWriter,
    Episode,
    FailureTag,
    LabelSource,
    Outcome,
    Preference,
    TaskCategory,
    failure_mode,
)
from badbench.models import RewardModel, RewardOutput, TimeModel
from badbench.models.base import episode_length
from fixtures.factories import make_episode

CAMERA = "observation.images.top"
TASKS = (("pick-place-v3", TaskCategory.PICK_PLACE), ("push-v3", TaskCategory.PUSH_PULL))
BEHAVIOURS = ("success", "jitter", "drop", "collision")


def _curve(behaviour: str, n: int) -> tuple[np.ndarray, bool, str | None]:
    if behaviour == "success":
        return np.linspace(0, 1, n), True, None
    if behaviour == "jitter":
        return np.linspace(0, 0.8, n), True, "jitter"
    if behaviour == "drop":
        k = 2 * n // 3
        return np.concatenate([np.linspace(0, 0.6, k), np.full(n - k, 0.5)]), False, "drop"
    return np.linspace(0, 0.3, n), False, "collision"


def bench_episodes(contexts: int = 2, length: int = 12, size: int = 16) -> list[Episode]:
    """The episodes (see the module docstring)."""
    out = []
    i = 0
    for task, category in TASKS:
        for c in range(contexts):
            ctx = f"{task}/c{c}"
            for b in BEHAVIOURS:
                dense, success, mode = _curve(b, length)
                base = make_episode(
                    i,
                    length=length,
                    size=size,
                    cameras=(CAMERA,),
                    success=success,
                    tags=False,
                    extras=False,
                    task=task,
                    context_id=ctx,
                    episode_id=f"{ctx}/{b}",
                )
                i += 1
                tags = []
                if mode is not None:
                    tags.append(
                        FailureTag(
                            category=failure_mode(mode).category,
                            mode=mode,
                            start_frame=length // 3,
                            end_frame=length - 1,
                        )
                    )
                out.append(
                    dataclasses.replace(
                        base,
                        meta=base.meta.model_copy(update={"task_category": category}),
                        outcome=Outcome(
                            success=success,
                            progress=float(dense[-1]),
                            progress_source=LabelSource.ORACLE,
                            dense_source=LabelSource.ORACLE,
                        ),
                        tags=tags,
                        dense_reward=dense.astype(np.float32),
                    )
                )
    return out


def bench_preferences(episodes: Sequence[Episode]) -> list[Preference]:
    """Oracle A/B judgements between every pair of a context (higher progress wins)."""
    by_ctx: dict[str, list[Episode]] = {}
    for ep in episodes:
        by_ctx.setdefault(ep.meta.context_id, []).append(ep)
    prefs = []
    for ctx, group in by_ctx.items():
        for a, b in combinations(group, 2):
            pa, pb = a.outcome.progress, b.outcome.progress  # type: ignore[union-attr]
            label = "tie" if pa == pb else ("a" if pa > pb else "b")
            prefs.append(
                Preference(
                    context_id=ctx,
                    episode_a=a.id,
                    episode_b=b.id,
                    label=label,
                    rater_id="oracle",
                    source=LabelSource.ORACLE,
                )
            )
    return prefs


def build_bench_dataset(root: str | Path, **kw: int) -> Path:
    """Write :func:`bench_episodes` and their preferences to ``root``."""
    episodes = bench_episodes(**kw)
    with DatasetWriter(root) as w:
        w.extend(episodes)
        w.add_preferences(bench_preferences(episodes))
    return Path(root)


class CallLog:
    """Appends the id of each episode a model scores to a file (one line each, fsync-ed)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def write(self, ids: Sequence[str]) -> None:
        with open(self.path, "a") as f:
            f.write("".join(i + "\n" for i in ids))
            f.flush()

    def read(self) -> list[str]:
        return self.path.read_text().split() if self.path.exists() else []


class LoggedTime(TimeModel):
    """The ``time`` baseline, one episode per call, logging its calls and optionally slow."""

    batch_size = 1

    def __init__(self, log: str | Path, delay: float = 0.0) -> None:
        self.log = CallLog(log)
        self.delay = delay

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        self.log.write([e.id for e in episodes])
        if self.delay:
            time.sleep(self.delay)
        return super().score(episodes)


class Brightness(RewardModel):
    """Reads every other frame of the first camera; reward = mean brightness in [0, 1]."""

    batch_size = 3

    def frame_indices(self, meta):  # type: ignore[no-untyped-def]
        return list(range(0, meta.length, 2))

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        outs = []
        for ep in episodes:
            frames = ep.frames[CAMERA]
            idx = self.frame_indices(ep.meta)
            assert len(frames) == len(idx) <= episode_length(ep)
            outs.append(RewardOutput(frames.reshape(len(frames), -1).mean(1) / 255.0, idx))
        return outs


def run_slow(data: str, out: str, log: str) -> None:
    """Entry point of the kill -9 test's subprocess: a slow, logged eval without report."""
    from badbench.bench.runner import evaluate

    evaluate(data, [LoggedTime(log, delay=0.15)], out, progress=False, report=False)


class AsyncLoggedTime(RewardModel):
    """The ``time`` ramp from an async model (``max_concurrency`` 3), logging each call."""

    needs_frames = False
    max_concurrency = 3

    def __init__(self, log: str | Path, delay: float = 0.0) -> None:
        self.log = CallLog(log)
        self.delay = delay

    async def ascore(self, episode: Episode) -> RewardOutput:
        import asyncio

        self.log.write([episode.id])
        await asyncio.sleep(self.delay)
        n = episode_length(episode)
        return RewardOutput.per_frame(np.linspace(0.0, 1.0, n) if n > 1 else np.ones(n))


def run_slow_async(data: str, out: str, log: str) -> None:
    """Entry point of the async kill -9 test's subprocess."""
    from badbench.bench.runner import evaluate

    evaluate(data, [AsyncLoggedTime(log, delay=0.3)], out, progress=False, report=False)
