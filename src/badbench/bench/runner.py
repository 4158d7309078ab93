"""The benchmark runner: score a dataset with reward models, cache, compute metrics, save.

:func:`evaluate` is ``badbench eval`` without the command line::

    summary = evaluate("data/suite", ["oracle", "time", "random:seed=1"], "runs/r1")

For each model it scores every episode not yet in the score cache (batched, with a progress bar),
appending each output to the cache as soon as it exists; so a run killed at any point resumes
where it stopped, without losing or repeating an episode. Video is decoded only for models that
declare :attr:`~badbench.models.RewardModel.needs_frames`, and only the cameras and frames they
ask for. It then builds one :class:`~badbench.bench.metrics.EpisodeTable` per model plus the
dataset's A/B judgements, computes the metrics with
:func:`~badbench.bench.metrics.compute_all`, and writes the records of
:mod:`badbench.bench.results` and the HTML report.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

import badbench
from badbench.bench import results as R
from badbench.bench.cache import ScoreCache
from badbench.bench.metrics import SCORE_KINDS, MetricSettings, PairTable, compute_all
from badbench.bench.tables import build_pairs, episode_labels, episode_table
from badbench.data.dataset import Dataset
from badbench.data.schema import Episode
from badbench.errors import ValidationError
from badbench.models.base import RewardModel, RewardOutput
from badbench.models.check import check_output
from badbench.models.registry import config_hash, create_model, model_key


@dataclass
class ScoredEpisode:
    """One model's output on one episode, fresh or from the cache.

    Attributes:
        output: the model's output.
        seconds: model wall time spent on it.
        cached: whether it came from the cache.
    """

    output: RewardOutput
    seconds: float
    cached: bool


ProgressHook = Callable[[str, int, int], None]
"""``hook(model_key, done, total)``: called after each batch (and once before the first)."""


# -- episode identity ---------------------------------------------------------------------------


def episode_key(episode: Episode, refs: object = None) -> str:
    """Content key of an episode: changes when anything a model may read changes.

    Hashes the id, metadata, outcome, tags, dense labels, state and action, plus ``refs``: where
    the episode's frames live (e.g. video files and timestamps), if the dataset tells.
    """
    h = hashlib.sha256()
    h.update(episode.id.encode())
    h.update(episode.meta.model_dump_json().encode())
    h.update((episode.outcome.model_dump_json() if episode.outcome else "null").encode())
    for tag in episode.tags:
        h.update(tag.model_dump_json().encode())
    for arr in (episode.dense_reward, episode.state, episode.action):
        if arr is None:
            h.update(b"none")
        else:
            a = np.ascontiguousarray(arr)
            h.update(f"{a.dtype}{a.shape}".encode())
            h.update(a.tobytes())
    if refs is not None:
        h.update(json.dumps(refs, sort_keys=True, default=str).encode())
    return h.hexdigest()[:32]


def _frame_refs(ds: Dataset, episode_id: str) -> object:
    """Where an episode's frames are stored: its index and each camera's video file."""
    root = Path(ds.root)
    videos = {}
    for cam in ds.cameras:
        path = Path(ds.video_path(episode_id, cam))
        videos[cam] = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    return {"episode_index": ds.episode_index(episode_id), "videos": videos}


def dataset_fingerprint(keys: Sequence[str]) -> str:
    """Hash of all episodes' content keys, in order."""
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


# -- scoring ------------------------------------------------------------------------------------


def _with_frames(ds: Dataset, model: RewardModel, ep: Episode) -> Episode:
    """A shallow copy of ``ep`` with the frames the model asked for decoded."""
    cams = model.cameras or tuple(ds.cameras[:1])
    idx = model.frame_indices(ep.meta)
    indices = None if idx is None else list(idx)
    frames = {cam: ds.frames(ep.id, cam, indices) for cam in cams}
    return replace(ep, frames=frames)


def score_episodes(
    ds: Dataset,
    model: RewardModel,
    episodes: Sequence[Episode],
    keys: Sequence[str],
    cache: ScoreCache,
    *,
    hook: ProgressHook | None = None,
    name: str = "",
) -> list[ScoredEpisode]:
    """Score episodes not in ``cache`` (appending each output), return all outputs in order."""
    todo = [i for i, k in enumerate(keys) if k not in cache]
    total, done = len(episodes), len(episodes) - len(todo)
    if hook:
        hook(name, done, total)
    fresh: dict[int, ScoredEpisode] = {}
    bs = max(1, int(model.batch_size))
    for start in range(0, len(todo), bs):
        rows = todo[start : start + bs]
        batch = [
            _with_frames(ds, model, episodes[i]) if model.needs_frames else episodes[i]
            for i in rows
        ]
        t0 = time.perf_counter()
        outs = model.score(batch)
        per = (time.perf_counter() - t0) / len(rows)
        if not isinstance(outs, list) or len(outs) != len(rows):
            got = f"{len(outs)} outputs" if isinstance(outs, list) else type(outs).__name__
            raise ValidationError(f"{model!r}: score() of {len(rows)} episodes returned {got}")
        for i, ep, out in zip(rows, batch, outs, strict=True):
            out = check_output(model, ep, out)
            cache.put(keys[i], ep.id, out, per)
            fresh[i] = ScoredEpisode(out, per, cached=False)
        done += len(rows)
        if hook:
            hook(name, done, total)
    result = []
    for i, key in enumerate(keys):
        if i in fresh:
            result.append(fresh[i])
        else:
            hit = cache.get(key)
            assert hit is not None
            result.append(ScoredEpisode(hit.output, hit.seconds, cached=True))
    return result


def score_row(key: str, labels: R.EpisodeLabels, scored: ScoredEpisode) -> R.EpisodeScore:
    """The result row of one episode."""
    r = scored.output.rewards
    return R.EpisodeScore(
        model_key=key,
        episode_id=labels.episode_id,
        frame_indices=scored.output.frame_indices.tolist(),
        rewards=r.tolist(),
        success_prob=scored.output.success_prob,
        scores={
            "return": float(r.sum()),
            "last": float(r[-1]) if len(r) else float("nan"),
            "mean": float(r.mean()) if len(r) else float("nan"),
        },
        seconds=scored.seconds,
        cached=scored.cached,
        labels=labels,
    )


# -- the run ------------------------------------------------------------------------------------


def model_spec(model: RewardModel) -> R.ModelSpec:
    """The result record of what a model is."""
    doc = (type(model).__doc__ or "").strip().split("\n", 1)[0]
    return R.ModelSpec(
        key=model_key(model),
        name=model.registry_name or type(model).__name__,
        options=dict(model.registry_options or {}),
        config_hash=config_hash(model),
        version=str(type(model).version),
        output_range=tuple(float(x) for x in model.output_range),
        needs_frames=bool(model.needs_frames),
        description=doc,
    )


def _build_models(models: Sequence[str | RewardModel]) -> list[RewardModel]:
    built = [create_model(m) if isinstance(m, str) else m for m in models]
    if not built:
        raise ValidationError("no model given; pass at least one (see `badbench models list`)")
    keys = [model_key(m) for m in built]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValidationError(f"model(s) {dup} given twice", field="model")
    return built


def load_episodes(ds: Dataset) -> tuple[list[Episode], list[str]]:
    """Every episode of a dataset without video, and its content key."""
    episodes = [ds.load(eid, video=False) for eid in ds.episode_ids]
    keys = [episode_key(ep, _frame_refs(ds, ep.id)) for ep in episodes]
    return episodes, keys


def evaluate(
    data: str | Path | Dataset,
    models: Sequence[str | RewardModel],
    out: str | Path,
    *,
    score_kind: R.ScoreKind = "return",
    settings: MetricSettings | None = None,
    cache_dir: str | Path | None = None,
    progress: bool | ProgressHook = True,
    report: bool = True,
    fsync: bool = True,
) -> R.RunSummary:
    """Score a dataset with reward models, compute the metrics and write the run directory.

    Args:
        data: a dataset directory or an open :class:`~badbench.data.Dataset`.
        models: model specs (``"random:seed=1"``) or model instances.
        out: the run directory (created; an existing run there is resumed and overwritten).
        score_kind: trajectory score for pairwise accuracy and ranking: return, last or mean.
        settings: metric settings (thresholds, bootstrap); default
            :class:`~badbench.bench.metrics.MetricSettings`.
        cache_dir: score cache directory; default ``out/cache``. Share one across runs to reuse
            scores.
        progress: ``True`` for a rich progress bar, ``False`` for none, or a hook called as
            ``hook(model_key, done, total)``.
        report: write ``report.html`` as well.
        fsync: fsync every cache append (leave on unless the run is throwaway).

    Returns:
        The run summary (also saved as ``out/results.json``).

    Raises:
        RegistryError: an unknown model name.
        ValidationError: bad options, a model breaking the output contract, a bad score kind.
        DataError: the dataset cannot be read, or lacks labels a model needs.
    """
    if score_kind not in SCORE_KINDS:
        raise ValidationError(
            f"unknown score '{score_kind}'; use return, last or mean", field="score"
        )
    ds = data if isinstance(data, Dataset) else Dataset.open(data)
    built = _build_models(models)
    run_dir = Path(out)
    run_dir.mkdir(parents=True, exist_ok=True)
    cache_root = Path(cache_dir) if cache_dir is not None else run_dir / R.CACHE_DIR
    settings = settings or MetricSettings()

    episodes, keys = load_episodes(ds)
    labels = [episode_labels(ep) for ep in episodes]
    pair_records, ab = build_pairs(labels, ds.preferences())

    per_model: list[tuple[R.ModelSpec, list[ScoredEpisode]]] = []
    with _progress(progress) as hook:
        for model in built:
            spec = model_spec(model)
            with ScoreCache(
                cache_root, spec.config_hash, describe=spec.model_dump(mode="json"), fsync=fsync
            ) as cache:
                try:
                    scored = score_episodes(
                        ds, model, episodes, keys, cache, hook=hook, name=spec.key
                    )
                finally:
                    model.close()
            per_model.append((spec, scored))

    ids = [lab.episode_id for lab in labels]
    pairs = PairTable.from_labels(ids, ab) if ab else None
    results = []
    slugs = [R.model_slug(spec.key) for spec, _ in per_model]
    for (spec, scored), slug in zip(per_model, slugs, strict=True):
        rows = [score_row(spec.key, lab, s) for lab, s in zip(labels, scored, strict=True)]
        stem = slug if slugs.count(slug) == 1 else f"{slug}-{spec.config_hash[:8]}"
        rel = R.save_scores(run_dir, spec.key, rows, stem=stem)
        metrics = compute_all(episode_table(rows, score_kind), pairs, settings)
        results.append(
            R.ModelResult(
                spec=spec,
                metrics=R.ModelMetrics.model_validate(metrics.as_dict()),
                scores_file=rel,
                n_episodes=len(rows),
                n_cached=sum(s.cached for s in scored),
                model_seconds=float(sum(s.seconds for s in scored)),
            )
        )
    R.save_pairs(run_dir, pair_records)
    summary = R.RunSummary(
        badbench_version=badbench.__version__,
        dataset=R.DatasetRef(
            path=str(Path(ds.root).resolve()),
            fingerprint=dataset_fingerprint(keys),
            n_episodes=len(episodes),
            n_preferences=len(ab),
        ),
        score_kind=score_kind,
        settings={"score_kind": score_kind, **_settings_dict(settings)},
        models=results,
    )
    R.save_summary(run_dir, summary)
    if report:
        from badbench.bench.report import write_report

        write_report(run_dir, ds)
    return summary


def _settings_dict(settings: MetricSettings) -> dict:
    from dataclasses import asdict

    return asdict(settings)


class _progress:
    """Context manager yielding a progress hook: a rich bar, a user hook, or nothing."""

    def __init__(self, progress: bool | ProgressHook) -> None:
        self.progress = progress
        self.bar = None
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> ProgressHook | None:
        if callable(self.progress):
            return self.progress
        if not self.progress:
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        self.bar.__enter__()
        return self._hook

    def _hook(self, name: str, done: int, total: int) -> None:
        assert self.bar is not None
        if name not in self.tasks:
            self.tasks[name] = self.bar.add_task(name, total=total)
        self.bar.update(self.tasks[name], completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
