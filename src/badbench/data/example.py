"""A small synthetic example dataset, drawn procedurally (no simulator needed).

A red block on a grey table is moved towards a green goal. Each context (task plus start
position) gets one clean success and several bad behaviours from the failure taxonomy, with
oracle labels: success, final progress, a dense per-frame progress curve, failure tags with
their frame spans, and oracle A/B preferences between the episodes of a context. It exists so
``badbench data example`` works on a fresh machine; it is not a benchmark.

Every episode has the same number of frames. The oracle labels follow the rubric of
:mod:`badbench.data.rubric`, as the sim engine's do: task progress
``p_t = clip((d_0 - d_t) / (d_0 - radius), 0, 1)`` (1 at the success radius); the episode's
progress label is the final task progress and its score label the rubric score
:func:`~badbench.data.rubric.rubric_score`; and the dense
reward is :func:`~badbench.data.rubric.dense_reward` without gates: ``p_t`` until the first tag
starts (frame 0 for an untagged episode) and ``min(p_t, S)`` from there on, so that it ends at the
episode's score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from badbench.data.rubric import dense_reward, rubric_score
from badbench.data.schema import (
    Episode,
    EpisodeMeta,
    EpisodeSource,
    FailureTag,
    LabelSource,
    Outcome,
    Preference,
)
from badbench.data.taxonomy import FAILURE_MODES, TaskCategory

FPS = 10.0
CAMERA = "observation.images.front"
_GOAL = np.array([0.78, 0.5])
_SUCCESS_RADIUS = 0.06


@dataclass(frozen=True)
class _Task:
    name: str
    instruction: str
    category: TaskCategory


_TASKS = (
    _Task("push-block", "push the red block onto the green goal", TaskCategory.PUSH_PULL),
    _Task(
        "place-block",
        "pick up the red block and place it on the green goal",
        TaskCategory.PICK_PLACE,
    ),
)
BEHAVIOURS = ("success", "jitter", "hesitation", "early_stop", "wrong_goal", "collision")
"""Behaviours drawn per context: one success, then failure modes from the taxonomy."""


def example_episodes(
    *, contexts_per_task: int = 2, frames: int = 30, size: int = 96, seed: int = 0
) -> list[Episode]:
    """Draw the example episodes.

    Args:
        contexts_per_task: start positions per task; each gets every behaviour in
            :data:`BEHAVIOURS`.
        frames: frames per episode.
        size: frame width and height in pixels.
        seed: random seed (the output is a deterministic function of the arguments).
    """
    rng = np.random.default_rng(seed)
    episodes = []
    for task in _TASKS:
        for c in range(contexts_per_task):
            start = np.array([rng.uniform(0.12, 0.3), rng.uniform(0.25, 0.75)])
            context = f"{task.name}/ctx{c}"
            for behaviour in BEHAVIOURS:
                path, tags = _trajectory(behaviour, start, frames, rng)
                episodes.append(_episode(task, context, behaviour, path, tags, size))
    return episodes


def example_preferences(episodes: list[Episode]) -> list[Preference]:
    """Oracle A/B judgements between every pair of episodes in a context.

    The episode with the higher final progress wins; a difference under 0.02 is a tie, and
    between two successes the one with fewer failure tags wins.
    """
    by_context: dict[str, list[Episode]] = {}
    for ep in episodes:
        by_context.setdefault(ep.meta.context_id, []).append(ep)
    prefs = []
    for context, group in by_context.items():
        for a, b in combinations(group, 2):
            prefs.append(
                Preference(
                    context_id=context,
                    episode_a=a.id,
                    episode_b=b.id,
                    label=_judge(a, b),
                    rater_id="oracle",
                    source=LabelSource.ORACLE,
                    progress_a=a.outcome.quality,
                    progress_b=b.outcome.quality,
                    feedback=_feedback(a, b),
                )
            )
    return prefs


def build_example_dataset(
    dest: str | Path,
    *,
    contexts_per_task: int = 2,
    frames: int = 30,
    size: int = 96,
    seed: int = 0,
    progress: Callable[[int, int, str], None] | None = None,
) -> Path:
    """Write the example dataset to ``dest`` (resumable: existing episodes are kept).

    Returns:
        The dataset directory.
    """
    from badbench.data.dataset import Dataset, DatasetWriter

    dest = Path(dest)
    episodes = example_episodes(
        contexts_per_task=contexts_per_task, frames=frames, size=size, seed=seed
    )
    report = progress or (lambda done, total, eid: None)
    report(0, len(episodes), "")
    with DatasetWriter(dest, fps=FPS, robot_type="point_gripper") as writer:
        existing = writer.existing_ids
        for i, ep in enumerate(episodes, start=1):
            if ep.id not in existing:
                writer.append(ep)
            report(i, len(episodes), ep.id)
        if not Dataset.open(dest).preferences():  # also when resuming an interrupted build
            writer.add_preferences(example_preferences(episodes))
    return dest


def _trajectory(
    behaviour: str, start: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[tuple[str, int, int, str]]]:
    """Block positions (n, 2) in [0, 1]^2 and failure tags (mode, start, end, description)."""
    t = np.linspace(0.0, 1.0, n)
    ease = 0.5 - 0.5 * np.cos(np.pi * np.clip(t / 0.8, 0.0, 1.0))
    goal = _GOAL.copy()
    tags: list[tuple[str, int, int, str]] = []
    if behaviour == "early_stop":
        ease = np.minimum(ease, 0.55)
        first = int(np.argmax(ease >= 0.55))
        tags.append(("early_stop", first, n - 1, "stopped halfway to the goal"))
    elif behaviour == "wrong_goal":
        goal = goal + np.array([-0.05, 0.22 if start[1] < 0.5 else -0.22])
        tags.append(("wrong_goal", int(0.8 * n), n - 1, "left the block beside the goal"))
    elif behaviour == "hesitation":
        a, b = int(0.25 * n), int(0.45 * n)
        ease = ease.copy()
        ease[a:b] = ease[a] - 0.06 * np.sin(np.linspace(0, 2 * np.pi, b - a))
        ease[b:] = np.interp(t[b:], [t[b], min(t[b] + 0.2, 1.0)], [ease[b - 1], 1.0])
        tags.append(("hesitation", a, b - 1, "paused and moved back and forth"))
    path = start + ease[:, None] * (goal - start)
    if behaviour == "jitter":
        a, b = int(0.2 * n), int(0.7 * n)
        path[a:b] += rng.normal(0.0, 0.025, size=(b - a, 2))
        tags.append(("jitter", a, b - 1, "the block shook on the way"))
    elif behaviour == "collision":
        k = int(0.45 * n)
        path[k : k + 3, 1] += np.array([0.18, 0.1, 0.04])
        tags.append(("collision", k, k + 2, "swung the block into the table's edge"))
    return np.clip(path, 0.05, 0.95), tags


def _episode(
    task: _Task,
    context: str,
    behaviour: str,
    path: np.ndarray,
    tags: list[tuple[str, int, int, str]],
    size: int,
) -> Episode:
    dist = np.linalg.norm(path - _GOAL, axis=1)
    span = max(float(dist[0]) - _SUCCESS_RADIUS, 1e-6)
    prog = np.clip((dist[0] - dist) / span, 0.0, 1.0)
    success = bool(dist[-1] < _SUCCESS_RADIUS)
    failure_tags = [
        FailureTag(
            category=FAILURE_MODES[mode].category,
            mode=mode,
            start_frame=a,
            end_frame=b,
            severity=(0.8 if mode == "collision" else 0.5) if success else 1.0,
            description=text,
        )
        for mode, a, b, text in tags
    ]
    score = rubric_score(success, float(prog[-1]), failure_tags)
    dense = dense_reward(prog, failure_tags, score, gates=False)
    meta = EpisodeMeta(
        episode_id=f"{context}/{behaviour}",
        instruction=task.instruction,
        task=task.name,
        task_category=task.category,
        embodiment="point_gripper",
        fps=FPS,
        cameras=(CAMERA,),
        length=len(path),
        source=EpisodeSource.SIM,
        generator={"name": "badbench.data.example", "behaviour": behaviour},
        policy_id=f"scripted-{behaviour}",
        context_id=context,
    )
    action = np.diff(path, axis=0, prepend=path[:1]).astype(np.float32)
    return Episode(
        meta=meta,
        frames={CAMERA: _draw(path, size, lifted=task.category == TaskCategory.PICK_PLACE)},
        state=path.astype(np.float32),
        action=action,
        outcome=Outcome(
            success=success,
            progress=float(prog[-1]),
            progress_source=LabelSource.ORACLE,
            score=score,
            score_source=LabelSource.ORACLE,
            dense_source=LabelSource.ORACLE,
        ),
        tags=failure_tags,
        dense_reward=dense,
    )


def _draw(path: np.ndarray, size: int, *, lifted: bool) -> np.ndarray:
    """Frames (T, size, size, 3): table, goal, block (bigger and shadowed while lifted)."""
    frames = np.empty((len(path), size, size, 3), dtype=np.uint8)
    frames[:] = (150, 150, 140)
    frames[:, : size // 10] = (90, 70, 50)  # the table's far edge
    g = (_GOAL * size).astype(int)
    r = max(2, size // 14)
    frames[:, g[1] - r - 2 : g[1] + r + 2, g[0] - r - 2 : g[0] + r + 2] = (60, 170, 70)
    n = len(path)
    for i, (x, y) in enumerate(path):
        cx, cy = int(x * size), int(y * size)
        up = lifted and 0.15 * n < i < 0.85 * n
        half = r + (2 if up else 0)
        if up:  # shadow on the table below the lifted block
            frames[i, cy - r + 3 : cy + r + 3, cx - r + 3 : cx + r + 3] = (100, 100, 95)
        frames[i, max(cy - half, 0) : cy + half, max(cx - half, 0) : cx + half] = (200, 40, 40)
    return frames


def _judge(a: Episode, b: Episode) -> str:
    pa, pb = a.outcome.quality, b.outcome.quality
    if a.outcome.success and b.outcome.success:
        if len(a.tags) != len(b.tags):
            return "a" if len(a.tags) < len(b.tags) else "b"
        return "tie"
    if a.outcome.success != b.outcome.success:
        return "a" if a.outcome.success else "b"
    if abs(pa - pb) < 0.02:
        return "tie"
    return "a" if pa > pb else "b"


def _feedback(a: Episode, b: Episode) -> str:
    notes = []
    for name, ep in (("A", a), ("B", b)):
        if ep.tags:
            notes.append(f"{name}: " + "; ".join(t.description for t in ep.tags))
        elif ep.outcome.success:
            notes.append(f"{name}: clean success")
    return " / ".join(notes)
