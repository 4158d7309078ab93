"""Parallel, resumable generation of a sim dataset: :func:`generate_sim`.

Jobs (task x mode x seed family) are listed in a fixed order and run in worker processes
(``spawn``, see :mod:`._pool`); results come back in job order, so the dataset written is the same
whatever the number of workers. Each job's randomness depends only on its task, mode and
family seed. Re-running over an existing directory skips episodes already in it, provided it
was generated with the same settings (:mod:`._settings`). An episode
whose injected failure could not be confirmed after :data:`MAX_ATTEMPTS` injector seeds is left
out (never written with a false tag) and counted in the summary.

With several workers, each worker also encodes its episode's video and computes its image stats
(:func:`~badbench.data.prepared.prepare_episode`, into the dataset's staging area) and returns a
small prepared episode; the main process only commits it (moves the files into place, writes the
parquet files). With one process the append encodes in a background thread instead. Either way
the dataset is the same.
"""

from __future__ import annotations

import json
import os
import shutil
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from badbench.data.rubric import DEFAULT_RUBRIC, Rubric
from badbench.data.schema import TagView
from badbench.errors import DataError, ValidationError
from badbench.generate.sim._cameras import DEFAULT_CAMERAS, check_cameras
from badbench.generate.sim._episode import ENGINE, ENGINE_VERSION
from badbench.generate.sim._injector import injector_class, make_injector, modes_for
from badbench.generate.sim._pool import EXIT_UNGUARDED, imap_jobs, starting_worker
from badbench.generate.sim._pool import worker_init as worker_init  # benchmarks/ import it here
from badbench.generate.sim._settings import SimSettings, check_resume, write_settings
from badbench.generate.sim._tasks import DEFAULT_TASKS, sim_task

VIDEO_PRESET = "veryfast"
"""x264 preset of the written videos (small frames: quality is the same, encoding 2x cheaper)."""

MAX_ATTEMPTS = 6
"""Injector seeds tried per episode before it is left out."""

@dataclass(frozen=True)
class SimJob:
    """One episode to generate.

    Attributes:
        task: task name (a key of :data:`SIM_TASKS`).
        mode: injector name (``good`` or a failure mode).
        index: seed family index within the run (``s0003`` in ids).
        seed: the run's base seed.
        fps: requested record rate; frames are kept every ``round(80 / fps)`` control steps.
        width, height: frame size in pixels.
        cameras: the stored cameras (see :mod:`._cameras`: ``scene``, ``wrist`` or Meta-World
            camera names).
        render: draw frames (False: physics and labels only, for tests and checks).
        rubric: the labelling rubric's JSON (:meth:`~badbench.data.rubric.Rubric.to_json`,
            canonical), empty for the default rubric.
    """

    task: str
    mode: str
    index: int
    seed: int
    fps: float
    width: int
    height: int
    cameras: tuple[str, ...] = DEFAULT_CAMERAS
    render: bool = True
    rubric: str = ""

    @property
    def episode_id(self) -> str:
        """``"<task>/<mode>/s<index>"``."""
        return f"{self.task}/{self.mode}/s{self.index:04d}"

    @property
    def family_seed(self) -> int:
        """Seeds the initial condition: shared by every mode of one task and index."""
        return self.seed * 100_003 + self.index

    def injector_seed(self, attempt: int) -> int:
        """Seeds the injector of one attempt (stable across processes and Python runs)."""
        return zlib.crc32(f"{self.task}|{self.mode}|{self.family_seed}|{attempt}".encode())


@dataclass
class SimSummary:
    """What a :func:`generate_sim` run did.

    Attributes:
        root: the dataset directory.
        written: ids of the episodes written by this run, in order.
        skipped: ids already in the dataset (resumed runs).
        unconfirmed: ids left out because the injected failure could not be confirmed.
        preferences: number of preference records written by this run.
    """

    root: Path
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    preferences: int = 0

    def __fspath__(self) -> str:
        """A summary stands for its dataset path (``Path(summary)``, ``Dataset.open(summary)``)."""
        return str(self.root)


_ENVS: dict[tuple, Any] = {}


def tag_views(env: Any, trace: Any) -> list[dict[str, TagView]]:
    """What each stored camera shows of each of ``trace.spans``: the task's object and the hand
    during the span (:func:`~._visibility.event_views`), keyed by the camera's feature key
    (``observation.images.<name>``). The pixel threshold is :data:`~._visibility.MIN_PIXELS` at
    224 x 224 and scales with the frame's area (the same share of the image at any resolution,
    at least one pixel)."""
    from badbench.generate.sim._visibility import HAND, MIN_PIXELS, event_views, task_bodies

    bodies = (task_bodies(env)[0], HAND)
    height, width = next(iter(trace.frames.values())).shape[1:3]
    min_pixels = max(1, round(MIN_PIXELS * width * height / 224**2))
    out = []
    for span in trace.spans:
        views = event_views(env, trace, span.start, span.end, bodies, min_pixels=min_pixels)
        out.append({f"observation.images.{name}": v for name, v in views.items()})
    return out


def run_job(job: SimJob) -> tuple[SimJob, Any]:
    """Run one job in this process; returns ``(job, Episode or None)``."""
    from badbench.generate.sim._mujoco import import_sim

    import_sim()
    from metaworld.policies import ENV_POLICY_MAP

    from badbench.generate.sim._episode import build_episode
    from badbench.generate.sim._events import episode_spans, upright_bodies
    from badbench.generate.sim._mujoco import camera_placement, make_env
    from badbench.generate.sim._rollout import render_trace, rollout
    from badbench.generate.sim._style import Style

    task = sim_task(job.task)
    key = (task.env_name, job.width, job.height, job.cameras, job.render)
    if key not in _ENVS:
        env = make_env(
            task.env_name,
            width=job.width,
            height=job.height,
            cameras=job.cameras,
            render=job.render,
        )
        _ENVS[key] = (env, ENV_POLICY_MAP[task.env_name]())
    env, policy = _ENVS[key]
    stride = max(1, round(80 / job.fps))
    upright = upright_bodies(env.model)
    for attempt in range(MAX_ATTEMPTS):
        params = task.mode_params.get(job.mode, {})
        inj = make_injector(job.mode, seed=job.injector_seed(attempt), **params)
        style = Style.draw(np.random.default_rng([job.injector_seed(attempt), 5]), task.horizon)
        trace = rollout(
            env,
            policy,
            task,
            inj,
            family_seed=job.family_seed,
            stride=stride,
            keep_states=job.render,
            style=style,
        )
        if not inj.confirm(trace):
            continue
        trace.spans, rejected = episode_spans(trace, job.mode, upright=upright)
        if rejected:
            continue
        settings: dict[str, Any] = {
            "resolution": [job.width, job.height],
            "cameras": list(job.cameras),
            "seed": job.seed,
        }
        views = None
        if job.render:  # draw the frames only once the failure is confirmed
            trace.frames = render_trace(env, trace)
            settings["camera_placement"] = camera_placement(env)
            views = tag_views(env, trace)
            if any(not any(v.in_view for v in view.values()) for view in views):
                continue  # a tag no stored camera shows: re-sample
        episode = build_episode(
            trace,
            inj,
            index=job.index,
            family_seed=job.family_seed,
            fps=80 / stride,
            attempt=attempt,
            settings=settings,
            views=views,
            rubric=Rubric.from_json(json.loads(job.rubric)) if job.rubric else DEFAULT_RUBRIC,
        )
        return job, episode
    return job, None


def plan_jobs(
    tasks: Sequence[str], modes: Sequence[str] | str, episodes_per_mode: int, **settings: Any
) -> list[SimJob]:
    """The jobs of a run, in their canonical order (task, seed family, mode).

    Raises:
        RegistryError: an unknown task or mode.
        ValidationError: no task or mode given, or none of the modes applies to any of the tasks
            (the message lists the modes that apply to each task).
    """
    if not tasks:
        raise ValidationError("no task given; see `badbench generate modes`", field="tasks")
    if modes != "all" and not modes:
        raise ValidationError("no mode given; see `badbench generate modes`", field="modes")
    if episodes_per_mode < 1:
        raise ValidationError(
            f"episodes_per_mode must be at least 1, not {episodes_per_mode}",
            field="episodes_per_mode",
        )
    jobs = []
    for name in tasks:
        task = sim_task(name)
        if modes == "all":
            chosen = modes_for(task)
        else:
            chosen = [m for m in modes if injector_class(m).applies(task)]
        for index in range(episodes_per_mode):
            for mode in chosen:
                jobs.append(SimJob(task=name, mode=mode, index=index, **settings))
    if not jobs:
        apply = "; ".join(f"{t}: {', '.join(modes_for(sim_task(t)))}" for t in tasks)
        raise ValidationError(
            f"none of the modes {', '.join(modes)} applies to {', '.join(tasks)}; "
            f"the modes that apply: {apply}",
            field="modes",
        )
    return jobs


def generate_sim(
    out: str | Path,
    *,
    tasks: Sequence[str] = DEFAULT_TASKS,
    modes: Sequence[str] | str = "all",
    episodes_per_mode: int = 2,
    workers: int | None = None,
    seed: int = 0,
    fps: float = 20.0,
    resolution: int | tuple[int, int] = 224,
    cameras: Sequence[str] | str = DEFAULT_CAMERAS,
    preference_temperature: float | None = 0.1,
    rubric: Rubric | None = None,
    overwrite: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> SimSummary:
    """Generate (or resume) a Meta-World bad-behaviour dataset at ``out``.

    Every option is checked before anything is written. Worker processes are started with
    ``spawn`` and re-import the main module: a script that calls this function must do so under
    ``if __name__ == "__main__":`` (without it, the call fails at once with a message saying so).

    Args:
        out: dataset directory (created, or resumed when it exists).
        tasks: Meta-World task names (see :data:`SIM_TASKS`).
        modes: ``"all"`` (every mode that applies to each task) or a list of mode names;
            ``"good"`` is the clean expert. Modes that do not apply to a task are skipped (an
            error when none applies to any task).
        episodes_per_mode: seed families per task; each family gives one episode per mode.
        workers: processes (default: all cores).
        seed: base seed; the same seed gives the same dataset for any ``workers``.
        fps: record rate (control runs at 80 Hz; frames every ``round(80 / fps)`` steps).
        resolution: frame size, an int (square) or ``(width, height)``.
        cameras: the stored cameras, a list or a comma-separated string: ``scene`` (placed per
            episode to frame the task's hand, objects and goal), ``wrist`` (a close view that
            follows the hand), or Meta-World camera names (``corner``, ``corner2``,
            ``corner3``, ``corner4``, ``topview``, ``behindGripper``, ``gripperPOV``); each is
            stored as ``observation.images.<name>``.
        preference_temperature: also write a noisy Bradley-Terry rater at this temperature
            (None: only the clean oracle rater).
        rubric: the rubric that labels every episode's score and dense reward (default:
            :data:`~badbench.data.rubric.DEFAULT_RUBRIC`); stored in the settings.
        overwrite: replace an existing dataset at ``out`` instead of resuming it.
        progress: optional callback ``(done, total, episode_id)``.

    Returns:
        a :class:`SimSummary` (``.root`` is the dataset path).

    Raises:
        ValidationError: a bad option, or ``out`` holds a dataset generated with other settings
            (the message names them; ``overwrite`` replaces it).
        DataError: ``out`` cannot be written.
        BadbenchError: a worker process could not start or died.
    """
    from badbench.data.video import VideoSpec

    if starting_worker():
        # a spawn worker re-importing a script that calls this at top level: let the parent
        # report it (one message) instead of a traceback per worker
        raise SystemExit(EXIT_UNGUARDED)
    width, height = (resolution, resolution) if isinstance(resolution, int) else resolution
    cameras = check_cameras(cameras)
    root = Path(out)
    rubric = rubric or DEFAULT_RUBRIC
    rubric_json = json.dumps(rubric.to_json(), sort_keys=True)
    jobs = plan_jobs(
        tasks,
        modes,
        episodes_per_mode,
        seed=seed,
        fps=fps,
        width=width,
        height=height,
        cameras=cameras,
        rubric="" if rubric == DEFAULT_RUBRIC else rubric_json,
    )
    _check_options(fps=fps, width=width, height=height, temperature=preference_temperature)
    spec = VideoSpec(codec="libx264", options={"preset": VIDEO_PRESET})
    rate = 80 / max(1, round(80 / fps))
    settings = SimSettings(
        engine=ENGINE,
        engine_version=ENGINE_VERSION,
        seed=seed,
        fps=rate,
        resolution=(width, height),
        cameras=cameras,
        preference_temperature=preference_temperature,
        video={"codec": spec.codec, **spec.options},
        rubric=rubric.to_json(),
    )
    if root.exists() and not root.is_dir():
        raise ValidationError("exists and is not a directory; choose another output", path=root)
    created = not root.exists()
    check_resume(root, settings, overwrite=overwrite)
    workers = max(1, workers or os.cpu_count() or 1)
    try:
        writer = _open_writer(root, fps=rate, spec=spec)
    except OSError as e:
        raise DataError(
            f"cannot write a dataset there ({e.strerror or e}); choose another output",
            path=root,
        ) from None
    try:
        with writer:
            write_settings(root, settings)
            summary = _run(writer, jobs, workers, spec=spec, rate=rate, progress=progress)
            summary.preferences = _write_preferences(writer, root, seed, preference_temperature)
    except BaseException:
        if created and not writer.existing_ids:  # nothing committed: leave nothing behind
            shutil.rmtree(root, ignore_errors=True)
        raise
    return summary


def _check_options(*, fps: float, width: int, height: int, temperature: float | None) -> None:
    """Raise :class:`ValidationError` for an option out of range."""
    if not 0 < fps <= 80:
        raise ValidationError(
            f"fps must be in (0, 80] (control runs at 80 Hz), not {fps}", field="fps"
        )
    if min(width, height) < 16:
        raise ValidationError(
            f"resolution must be at least 16 pixels, not {width}x{height}", field="resolution"
        )
    if temperature is not None and not temperature > 0:
        raise ValidationError(
            f"preference_temperature must be > 0 (or None), not {temperature}",
            field="preference_temperature",
        )


def _open_writer(root: Path, *, fps: float, spec: Any) -> Any:
    from badbench.data.writer import DatasetWriter

    return DatasetWriter(root, fps=fps, robot_type="sawyer", spec=spec)


def _run(
    writer: Any,
    jobs: list[SimJob],
    workers: int,
    *,
    spec: Any,
    rate: float,
    progress: Callable[[int, int, str], None] | None,
) -> SimSummary:
    """Generate the jobs not yet in ``writer``'s dataset and append them in job order."""
    summary = SimSummary(root=writer.root)
    existing = writer.existing_ids
    todo = [j for j in jobs if j.episode_id not in existing]
    summary.skipped = [j.episode_id for j in jobs if j.episode_id in existing]
    # Appends (parquet; with one process also video encoding) run in one background thread,
    # in job order, so they overlap with the rollouts; a failed append is re-raised here.
    with ThreadPoolExecutor(max_workers=1) as io:
        pending: list[Future] = []
        results = imap_jobs(todo, workers, root=writer.root, spec=spec, fps=rate)
        try:
            for done, (job, episode) in enumerate(results, start=1):
                if episode is None:
                    summary.unconfirmed.append(job.episode_id)
                else:
                    pending.append(io.submit(writer.append, episode))
                    summary.written.append(job.episode_id)
                for fut in [f for f in pending if f.done()]:
                    fut.result()
                    pending.remove(fut)
                if progress is not None:
                    progress(done, len(todo), job.episode_id)
        finally:
            for fut in pending:
                fut.result()
            _close_envs()
    return summary


def _close_envs() -> None:
    """Free this process's cached environments (their GL contexts) while still alive."""
    while _ENVS:
        from badbench.generate.sim._mujoco import close_env

        env, _ = _ENVS.popitem()[1]
        close_env(env)


def _write_preferences(writer: Any, root: Path, seed: int, temperature: float | None) -> int:
    """Write simulated A/B judgements for every context that has none yet: the clean oracle's
    and, with a ``temperature``, the rater panel's (:func:`~._labels.panel_preferences`)."""
    from badbench.data.dataset import Dataset
    from badbench.generate.sim._labels import RatedEpisode, oracle_preferences, panel_preferences

    ds = Dataset.open(root)
    have = {p.context_id for p in ds.preferences()}
    contexts: dict[str, list[tuple[RatedEpisode, float]]] = {}
    for meta in ds:
        if meta.generator.get("engine", "").startswith("badbench.sim") and meta.context_id:
            outcome = ds.outcome(meta.episode_id)
            if outcome is not None and outcome.quality is not None:
                rated = RatedEpisode(
                    meta.episode_id,
                    outcome.success,
                    outcome.progress if outcome.score is not None else outcome.quality,
                    ds.tags(meta.episode_id),
                )
                contexts.setdefault(meta.context_id, []).append((rated, outcome.quality))
    prefs = []
    for ctx_id in sorted(contexts):
        group = contexts[ctx_id]
        if ctx_id in have or len(group) < 2:
            continue
        prefs += oracle_preferences(ctx_id, {r.episode_id: q for r, q in group})
        if temperature is not None:
            prefs += panel_preferences(
                ctx_id, [r for r, _ in group], temperature=temperature, seed=seed
            )
    writer.add_preferences(prefs)
    return len(prefs)
