"""The benchmark runner, in stages that other commands reuse.

:func:`evaluate` is ``badbench eval`` without the command line::

    summary = evaluate("data/suite", ["oracle", "time", "random:seed=1"], "runs/r1")

It composes four stages:

1. **score** (:func:`score_model`): dataset + model -> one :class:`ScoredEpisode` per episode.
   Episodes already in the score cache are not scored again; the others go to an executor
   (:mod:`badbench.bench.executors`), and each output is written to the cache as soon as it
   arrives, so a run killed at any point resumes without losing or repeating an episode. The
   cache is keyed by what the model reads (:mod:`badbench.bench.inputs`), never by labels.
   A failed episode (an exception, a garbage answer, a broken contract) is recorded with its
   error and left out of the metrics; ``retry_failed`` scores only those again.
2. **measure** (:func:`measure`): score rows + labels + settings -> metric results. No model is
   built; ``badbench report`` re-measures a saved run with other settings this way.
3. **write** (:func:`write_run`): ``results.json``, ``scores/*.jsonl``, ``pairs.jsonl``.
4. **report**: ``report.html`` (:func:`badbench.bench.report.write_report`).

Models are built, scored and closed one after another, so only one is in memory at a time;
all model specs and metric settings are checked before any work starts.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import badbench
from badbench.bench import results as R
from badbench.bench.cache import ScoreCache
from badbench.bench.executors import EXECUTORS, Executor, LocalExecutor
from badbench.bench.inputs import (
    HASHES_FILE,
    FileHashes,
    episode_view,
    hash_array,
    input_key,
    model_cameras,
)
from badbench.bench.metrics import SCORE_KINDS, MetricSettings, PairTable, compute_all
from badbench.bench.tables import build_pairs, episode_labels, episode_table, pairwise_by_score_kind
from badbench.data.dataset import Dataset
from badbench.data.schema import Episode
from badbench.errors import DataError, ValidationError
from badbench.models.base import RewardModel, RewardOutput
from badbench.models.check import check_output
from badbench.models.registry import (
    MODELS,
    check_options,
    config_hash,
    create_model,
    model_key,
    parse_model_spec,
    spec_key,
)
from badbench.registry import registry_info


@dataclass
class ScoredEpisode:
    """One model's output on one episode, fresh or from the cache.

    Attributes:
        output: the model's output (``output.error`` is set for a failed episode).
        seconds: model wall time spent on it.
        cached: whether it came from the cache.
    """

    output: RewardOutput
    seconds: float
    cached: bool


ProgressHook = Callable[[str, int, int], None]
"""``hook(model_key, done, total)``: called after each output (and once before the first)."""

ModelArg = str | RewardModel
"""A model spec (``"random:seed=1"``) or a built model."""


# -- checks before any work ---------------------------------------------------------------------


def check_settings(settings: MetricSettings, score_kind: str) -> None:
    """Refuse metric settings that would fail (or mean nothing) after scoring.

    The success threshold applies to rewards mapped onto [0, 1] from each model's declared
    output range, so it must lie in [0, 1].

    Raises:
        ValidationError: naming the option.
    """
    if score_kind not in SCORE_KINDS:
        raise ValidationError(
            f"unknown score '{score_kind}'; use return, last or mean", field="score"
        )
    s = settings

    def bad(name: str, why: str) -> ValidationError:
        return ValidationError(
            f"--{name.replace('_', '-')} {getattr(s, name)!r}: {why}", field=name
        )

    if not (isinstance(s.n_boot, int) and s.n_boot >= 0):
        raise bad("n_boot", "must be a whole number >= 0 (0: no confidence intervals)")
    if not (math.isfinite(s.threshold) and 0.0 <= s.threshold <= 1.0):
        raise bad(
            "threshold",
            "must be in [0, 1]: it applies to rewards mapped onto [0, 1] from each model's "
            "declared output range (a model scoring 0-100 with threshold 95 is --threshold 0.95)",
        )
    if not (math.isfinite(s.tpr) and 0.0 < s.tpr <= 1.0):
        raise bad("tpr", "must be in (0, 1]")
    if not (math.isfinite(s.level) and 0.0 < s.level < 1.0):
        raise bad("level", "must be in (0, 1)")
    if not (math.isfinite(s.tie_credit) and 0.0 <= s.tie_credit <= 1.0):
        raise bad("tie_credit", "must be in [0, 1]")


def plan_models(models: Sequence[ModelArg]) -> list[tuple[str, ModelArg]]:
    """Check every model spec without building any model; return (key, spec or model) pairs.

    Raises:
        RegistryError: an unknown model name.
        ValidationError: no model, a malformed spec, an unknown option, a model given twice.
    """
    if not models:
        raise ValidationError("no model given; pass at least one (see `badbench models list`)")
    planned = []
    for m in models:
        if isinstance(m, RewardModel):
            planned.append((model_key(m), m))
            continue
        name, options = parse_model_spec(m)
        check_options("model", name, MODELS.entry(name).load(), options)
        planned.append((spec_key(name, options), m))
    keys = [k for k, _ in planned]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValidationError(f"model(s) {dup} given twice", field="model")
    return planned


# -- stage 1: score -----------------------------------------------------------------------------


def model_spec(model: RewardModel) -> R.ModelSpec:
    """The result record of what a model is."""
    doc = (type(model).__doc__ or "").strip().split("\n", 1)[0]
    return R.ModelSpec(
        key=model_key(model),
        name=model.registry_name or type(model).__name__,
        options=registry_info(model)["options"] if model.registry_name else {},
        config_hash=config_hash(model),
        fingerprint=dict(model.fingerprint() or {}),
        version=str(type(model).version),
        output_range=tuple(float(x) for x in model.output_range),
        needs_frames=bool(model.needs_frames),
        description=doc,
    )


def _checked(model: RewardModel, episode: Episode, out: object) -> RewardOutput:
    """The output if it keeps the contract, else a recorded ``contract`` failure."""
    if isinstance(out, RewardOutput) and out.error is not None:
        return out
    try:
        return check_output(model, episode, out)
    except ValidationError as e:
        return RewardOutput.failure("contract", str(e))


def score_model(
    ds: Dataset,
    model: RewardModel,
    episodes: Sequence[Episode],
    cache: ScoreCache,
    *,
    executor: Executor | None = None,
    hashes: FileHashes | None = None,
    retry_failed: bool = False,
    hook: ProgressHook | None = None,
    name: str = "",
) -> list[ScoredEpisode]:
    """Stage 1: score the episodes not in ``cache`` (appending each output), return all in order.

    Args:
        ds: the dataset the episodes come from (for video).
        model: the model.
        episodes: the episodes, loaded without video.
        cache: this model configuration's score cache.
        executor: how to run the model (default :class:`~badbench.bench.executors.LocalExecutor`).
        hashes: the video-file hasher (default: in memory).
        retry_failed: score again the episodes whose cached output is a failure.
        hook: progress hook.
        name: the model's key, for the hook.
    """
    executor = executor or LocalExecutor()
    hashes = hashes or FileHashes()
    cams = model_cameras(ds, model)
    keys = [input_key(ds, model, ep, hashes, cams) for ep in episodes]
    failed = cache.failed_keys() if retry_failed else set()
    todo = [i for i, k in enumerate(keys) if k not in cache or k in failed]
    total, done = len(episodes), len(episodes) - len(todo)
    if hook:
        hook(name, done, total)
    views = [episode_view(ds, model, episodes[i], hashes, cams) for i in todo]
    fresh: dict[int, ScoredEpisode] = {}

    def emit(pos: int, out: object, seconds: float) -> None:
        nonlocal done
        i = todo[pos]
        typed = _checked(model, views[pos], out)
        cache.put(keys[i], episodes[i].id, typed, seconds)
        fresh[i] = ScoredEpisode(typed, seconds, cached=False)
        done += 1
        if hook:
            hook(name, done, total)

    if todo:
        executor.run(model, views, emit)
    missing = [episodes[todo[p]].id for p in range(len(todo)) if todo[p] not in fresh]
    if missing:
        raise ValidationError(f"{executor!r} emitted no output for episode(s) {missing[:5]}")
    result = []
    for i, key in enumerate(keys):
        if i in fresh:
            result.append(fresh[i])
        else:
            hit = cache.get(key)
            assert hit is not None
            result.append(ScoredEpisode(hit.output, hit.seconds, cached=True))
    return result


def normalised(rewards: Sequence[float], output_range: tuple[float, float]) -> list[float]:
    """Rewards mapped linearly from the declared output range onto [0, 1]."""
    lo, hi = output_range
    if (lo, hi) == (0.0, 1.0):
        return [float(r) for r in rewards]
    return [(float(r) - lo) / (hi - lo) for r in rewards]


def score_row(spec: R.ModelSpec, labels: R.EpisodeLabels, scored: ScoredEpisode) -> R.EpisodeScore:
    """The result row of one episode: raw rewards, trajectory scores on [0, 1], any error."""
    out = scored.output
    r = normalised(out.rewards.tolist(), spec.output_range)
    scores = {}
    if out.error is None and r:
        scores = {"return": float(sum(r)), "last": r[-1], "mean": float(sum(r) / len(r))}
    return R.EpisodeScore(
        model_key=spec.key,
        episode_id=labels.episode_id,
        frame_indices=out.frame_indices.tolist(),
        rewards=out.rewards.tolist(),
        success_prob=out.success_prob,
        scores=scores,
        seconds=scored.seconds,
        error=None if out.error is None else out.error.as_dict(),
        info=dict(out.info),
        cached=scored.cached,
        labels=labels,
    )


# -- stage 2: measure ---------------------------------------------------------------------------


def measure_model(
    spec: R.ModelSpec,
    rows: Sequence[R.EpisodeScore],
    ab: Sequence[tuple[str, str, str]],
    settings: MetricSettings,
    score_kind: str,
    *,
    scores_file: str = "",
) -> R.ModelResult:
    """Stage 2 for one model: metrics on its rows, failed episodes left out and counted."""
    ok = [r for r in rows if r.error is None]
    failures: dict[str, int] = {}
    for r in rows:
        if r.error is not None:
            kind = str(r.error.get("kind", "error"))
            failures[kind] = failures.get(kind, 0) + 1
    metrics = R.ModelMetrics()
    if ok:
        ids = {r.episode_id for r in ok}
        kept = [p for p in ab if p[0] in ids and p[1] in ids]
        table = episode_table(ok, score_kind, spec.output_range)
        pairs = PairTable.from_labels(table.episode_id, kept) if kept else None
        metrics = R.ModelMetrics.model_validate(compute_all(table, pairs, settings).as_dict())
    by_kind = pairwise_by_score_kind({spec.key: ok}, {spec.key: spec.output_range}) if ok else {}
    return R.ModelResult(
        spec=spec,
        metrics=metrics,
        scores_file=scores_file,
        n_episodes=len(rows),
        n_cached=sum(r.cached for r in rows),
        model_seconds=float(sum(r.seconds for r in rows)),
        n_failed=len(rows) - len(ok),
        failures=dict(sorted(failures.items())),
        pairwise_by_score_kind={
            k: (None if math.isnan(v) else v) for k, v in by_kind.get(spec.key, {}).items()
        },
    )


def preference_triples(pairs: Sequence[R.PairRecord]) -> list[tuple[str, str, str]]:
    """The explicit A/B judgements among a run's pair records."""
    return [(p.episode_a, p.episode_b, p.label) for p in pairs if p.origin == "preference"]


# -- stage 3: write -----------------------------------------------------------------------------


def _stems(keys: Sequence[str], hashes: Sequence[str]) -> list[str]:
    slugs = [R.model_slug(k) for k in keys]
    return [
        s if slugs.count(s) == 1 else f"{s}-{h[:8]}" for s, h in zip(slugs, hashes, strict=True)
    ]


def write_run(
    run_dir: Path,
    summary: R.RunSummary,
    rows: Mapping[str, Sequence[R.EpisodeScore]],
    pair_records: Sequence[R.PairRecord],
) -> None:
    """Stage 3: write the score rows, the pairs and (last, atomically) ``results.json``."""
    for m in summary.models:
        R.save_jsonl(run_dir / m.scores_file, rows[m.spec.key])
    R.save_pairs(run_dir, pair_records)
    R.save_summary(run_dir, summary)


# -- the run ------------------------------------------------------------------------------------


def load_episodes(ds: Dataset, only: Sequence[str] | None = None) -> list[Episode]:
    """The episodes of a dataset (``only`` these ids, in the dataset's order), without video.

    Raises:
        ValidationError: an id of ``only`` that the dataset lacks, or an empty selection.
    """
    if only is None:
        return [ds.load(eid, video=False) for eid in ds.episode_ids]
    wanted = set(only)
    missing = sorted(wanted - set(ds.episode_ids))
    if missing:
        raise ValidationError(
            f"no episode '{missing[0]}' in {ds.root} ({len(missing)} unknown)", field="episodes"
        )
    if not wanted:
        raise ValidationError("the episode selection is empty", field="episodes")
    return [ds.load(eid, video=False) for eid in ds.episode_ids if eid in wanted]


def dataset_fingerprint(episodes: Sequence[Episode]) -> str:
    """Hash of every episode's id, metadata and labels, in order: changes when any label does."""
    h = hashlib.sha256()
    for ep in episodes:
        h.update(ep.meta.model_dump_json().encode())
        h.update((ep.outcome.model_dump_json() if ep.outcome else "null").encode())
        for tag in ep.tags:
            h.update(tag.model_dump_json().encode())
        hash_array(h, ep.dense_reward)
    return h.hexdigest()[:16]


def _prepare_out(run_dir: Path) -> None:
    """Create the run directory, or refuse with one line naming the path."""
    if run_dir.exists() and not run_dir.is_dir():
        raise DataError("exists and is not a directory; pick another --out", path=run_dir)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".badbench-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise DataError(
            f"cannot write the run directory: {e.strerror or e}", path=run_dir
        ) from None


def evaluate(
    data: str | Path | Dataset,
    models: Sequence[ModelArg],
    out: str | Path,
    *,
    score_kind: R.ScoreKind = "return",
    settings: MetricSettings | None = None,
    cache_dir: str | Path | None = None,
    progress: bool | ProgressHook = True,
    report: bool = True,
    fsync: bool = True,
    retry_failed: bool = False,
    executor: str | Executor = "local",
    episodes: Sequence[str] | None = None,
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
        retry_failed: score again the episodes whose cached output is a failure.
        executor: ``"local"`` (decode prefetched in a thread), ``"sequential"``, or an executor.
        episodes: evaluate only these episode ids (a held-out split), in the dataset's order;
            default all. Models' ``prepare`` hooks see only these.

    Returns:
        The run summary (also saved as ``out/results.json``).

    Raises:
        RegistryError: an unknown model name.
        ValidationError: bad options or settings, an empty dataset, a camera the dataset lacks.
        DataError: the dataset cannot be read, or the run directory cannot be written.
    """
    settings = settings or MetricSettings()
    check_settings(settings, score_kind)
    planned = plan_models(models)
    if isinstance(executor, str):
        if executor not in EXECUTORS:
            raise ValidationError(
                f"unknown executor '{executor}'; use {', '.join(EXECUTORS)}", field="executor"
            )
        executor = EXECUTORS[executor]()
    ds = data if isinstance(data, Dataset) else Dataset.open(data)
    if len(ds) == 0:
        raise ValidationError(
            f"dataset {ds.root} has no episodes; nothing to evaluate", field="episodes"
        )
    run_dir = Path(out)
    _prepare_out(run_dir)
    cache_root = Path(cache_dir) if cache_dir is not None else run_dir / R.CACHE_DIR

    episodes = load_episodes(ds, episodes)
    labels = [episode_labels(ep) for ep in episodes]
    pair_records, ab = build_pairs(labels, ds.preferences())
    hashes = FileHashes(cache_root / HASHES_FILE)

    specs: list[R.ModelSpec] = []
    rows: dict[str, list[R.EpisodeScore]] = {}
    with _progress(progress) as hook:
        for _, m in planned:
            model = create_model(m) if isinstance(m, str) else m
            try:
                model.prepare(ds, episodes)
                spec = model_spec(model)
                with ScoreCache(
                    cache_root, spec.config_hash, describe=spec.model_dump(mode="json"), fsync=fsync
                ) as cache:
                    scored = score_model(
                        ds,
                        model,
                        episodes,
                        cache,
                        executor=executor,
                        hashes=hashes,
                        retry_failed=retry_failed,
                        hook=hook,
                        name=spec.key,
                    )
            finally:
                model.close()
                hashes.save()
            specs.append(spec)
            rows[spec.key] = [
                score_row(spec, lab, s) for lab, s in zip(labels, scored, strict=True)
            ]

    stems = _stems([s.key for s in specs], [s.config_hash for s in specs])
    results = [
        measure_model(
            spec,
            rows[spec.key],
            ab,
            settings,
            score_kind,
            scores_file=f"{R.SCORES_DIR}/{stem}.jsonl",
        )
        for spec, stem in zip(specs, stems, strict=True)
    ]
    summary = R.RunSummary(
        badbench_version=badbench.__version__,
        dataset=R.DatasetRef(
            path=str(Path(ds.root).resolve()),
            fingerprint=dataset_fingerprint(episodes),
            n_episodes=len(episodes),
            n_preferences=len(ab),
        ),
        score_kind=score_kind,
        settings={"score_kind": score_kind, **asdict(settings)},
        models=results,
    )
    write_run(run_dir, summary, rows, pair_records)
    if report:
        from badbench.bench.report import write_report

        write_report(run_dir, ds)
    return summary


def run_settings(summary: R.RunSummary) -> MetricSettings:
    """The metric settings a saved run was measured with."""
    known = set(MetricSettings.__dataclass_fields__)
    return MetricSettings(**{k: v for k, v in summary.settings.items() if k in known})


def remeasure(
    run_dir: str | Path,
    *,
    score_kind: R.ScoreKind | None = None,
    settings: MetricSettings | None = None,
    report: bool = True,
) -> R.RunSummary:
    """``badbench report``: measure a saved run again from its records, building no model.

    Args:
        run_dir: a run directory written by :func:`evaluate`.
        score_kind: trajectory score (default: the run's own).
        settings: metric settings (default: the run's own).
        report: render ``report.html`` too.

    Returns:
        The new summary, also saved over ``results.json``.
    """
    run_dir = Path(run_dir)
    records = R.load_run(run_dir)
    old = records.summary
    kind = score_kind or old.score_kind
    settings = settings or run_settings(old)
    check_settings(settings, kind)
    ab = preference_triples(records.pairs)
    results = [
        measure_model(
            m.spec, records.scores[m.spec.key], ab, settings, kind, scores_file=m.scores_file
        ).model_copy(update={"model_seconds": m.model_seconds, "n_cached": m.n_cached})
        for m in old.models
    ]
    summary = old.model_copy(
        update={
            "schema_version": R.SCHEMA_VERSION,
            "score_kind": kind,
            "settings": {"score_kind": kind, **asdict(settings)},
            "models": results,
        }
    )
    R.save_summary(run_dir, summary)
    if report:
        from badbench.bench.report import write_report

        write_report(run_dir)
    return summary


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
