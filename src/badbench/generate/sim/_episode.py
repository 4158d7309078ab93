"""Turn a rollout :class:`Trace` into a labelled badbench :class:`Episode`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from badbench.data.rubric import DEFAULT_RUBRIC, Rubric, dense_reward, rubric_score
from badbench.data.schema import (
    Episode,
    EpisodeMeta,
    EpisodeSource,
    FailureTag,
    LabelSource,
    Outcome,
    TagView,
)
from badbench.data.taxonomy import failure_mode
from badbench.generate.sim._injector import FailureInjector
from badbench.generate.sim._oracle import oracle_success, task_progress
from badbench.generate.sim._rollout import Trace

ENGINE = "badbench.sim/metaworld-v3"
"""The generator name recorded in every episode's metadata."""

ENGINE_VERSION = 3
"""Bumped when rollouts or labels change (2: detected events as tags, rubric v2, task progress and
score as separate labels, the rater panel; 3: scene and wrist cameras, every tag in view); stored
with a dataset's settings, so that a resumed run never mixes episodes of two engine versions
(``meta/badbench/sim.json``)."""


MIN_SEVERITY = 0.25
"""Floor of a stored tag's severity: under the rubric every tag then costs at least 0.0625
(poor execution, weight 0.25), so every bad episode scores below the 0.95 success threshold."""


def episode_id(task: str, mode: str, index: int) -> str:
    """Deterministic id, e.g. ``"pick-place-v3/drop/s0003"`` (same as ``SimJob.episode_id``)."""
    return f"{task}/{mode}/s{index:04d}"


def context_id(task: str, index: int) -> str:
    """Episodes of one task and seed family share a context (same initial condition)."""
    return f"{task}/s{index:04d}"


def _tags(
    trace: Trace, n_frames: int, views: Sequence[dict[str, TagView]] | None = None
) -> list[FailureTag]:
    tags = []
    for k, span in enumerate(trace.spans):
        start = min(span.start // trace.stride, n_frames - 1)
        end = min(-(-min(span.end, trace.n_steps) // trace.stride), n_frames - 1)
        tags.append(
            FailureTag(
                category=failure_mode(span.mode).category,
                mode=span.mode,
                start_frame=start,
                end_frame=max(start, end),
                severity=max(float(span.severity), MIN_SEVERITY),
                description=span.description,
                visibility=views[k] if views is not None else {},
            )
        )
    return tags


def build_episode(
    trace: Trace,
    injector: FailureInjector,
    *,
    index: int,
    family_seed: int,
    fps: float,
    attempt: int,
    settings: dict[str, Any],
    views: Sequence[dict[str, TagView]] | None = None,
    rubric: Rubric = DEFAULT_RUBRIC,
) -> Episode:
    """Assemble the episode: frames, record-rate state/action, labels and full-rate extras.

    Every camera of ``trace.frames`` is stored as ``observation.images.<name>``; ``settings``
    (resolution, cameras, their placement, seed) go into the generator record.

    ``trace.spans`` are the episode's final spans (the injector's, merged with the detected
    events); ``views`` gives each span's per-camera visibility, in the same order. ``rubric``
    labels the score and the dense reward.
    """
    task = trace.task
    steps = trace.frame_steps
    n = len(steps)
    tags = _tags(trace, n, views)
    progress_full = task_progress(trace)
    progress = progress_full[steps]
    success = oracle_success(trace)
    score = rubric_score(success, float(progress[-1]), tags, rubric)
    act_idx = np.minimum(steps, trace.n_steps - 1)
    frames = {f"observation.images.{name}": f for name, f in (trace.frames or {}).items()}
    meta = EpisodeMeta(
        episode_id=episode_id(task.name, injector.name, index),
        instruction=task.instruction,
        task=task.name,
        task_category=task.category,
        embodiment="sawyer",
        fps=fps,
        cameras=tuple(frames),
        length=n,
        source=EpisodeSource.SIM,
        generator={
            "engine": ENGINE,
            "mode": injector.name,
            "family_seed": int(family_seed),
            "injector": {"name": injector.name, **injector.params()},
            "attempt": attempt,
            "style": trace.style.to_json(),
            "control_hz": 80,
            "stride": trace.stride,
            "oracle_score": score,
            "oracle_success": success,
            "sim_success": bool(trace.sim_success[-1]),
            **settings,
        },
        policy_id=f"metaworld-expert+{injector.name}",
        context_id=context_id(task.name, index),
    )
    return Episode(
        meta=meta,
        frames=frames,
        state=trace.obs[steps].astype(np.float32),
        action=trace.action[act_idx].astype(np.float32),
        outcome=Outcome(
            success=success,
            progress=float(progress[-1]),
            progress_source=LabelSource.ORACLE,
            score=score,
            score_source=LabelSource.ORACLE,
            dense_source=LabelSource.ORACLE,
        ),
        tags=tags,
        dense_reward=dense_reward(progress, tags, score, rubric=rubric),
        extras={
            "sim_success": trace.sim_success[steps].astype(np.uint8),
            "goal_distance": trace.distance[steps].astype(np.float32),
            "task_progress": progress.astype(np.float32),
            "contact_force_full": trace.contact_force.astype(np.float32),
            "object_force_full": trace.object_force.astype(np.float32),
            "grasp_full": trace.grasp.astype(np.uint8),
            "state_full": trace.obs.astype(np.float32),
            "action_full": trace.action.astype(np.float32),
        },
    )
