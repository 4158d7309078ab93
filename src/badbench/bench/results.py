"""Versioned result records of a benchmark run, and how they are saved and loaded.

A run directory holds everything needed to rebuild the report without re-running a model::

    RUN_DIR/
      results.json          RunSummary: dataset, models (name + options), metrics with CIs
      pairs.jsonl           PairRecord rows: the comparisons pairwise accuracy was computed on
      scores/<slug>.jsonl   EpisodeScore rows of one model, one per episode, dataset order
      cache/                the score cache (raw model outputs; see :mod:`badbench.bench.cache`)
      report.html           written by :mod:`badbench.bench.report` from the files above

``SCHEMA_VERSION`` is bumped on any change; :func:`load_summary` reads every version in
:data:`READABLE_VERSIONS` (fields added later take their defaults) and refuses others with a
message that says to re-run ``badbench eval``.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from badbench.data.schema import FailureTag
from badbench.errors import DataError, SchemaError

SCHEMA_VERSION = 2
"""Version of the records below; stored in ``results.json``. 2 added per-episode errors and
info, failure counts, the model fingerprint and pairwise accuracy under every score kind."""

READABLE_VERSIONS = (1, 2)
"""Versions :func:`load_summary` reads; version 1 files get the defaults of the newer fields."""

RESULTS_FILE = "results.json"
PAIRS_FILE = "pairs.jsonl"
SCORES_DIR = "scores"
CACHE_DIR = "cache"
REPORT_FILE = "report.html"

R = TypeVar("R", bound=BaseModel)

ScoreKind = Literal["return", "last", "mean"]
"""How per-frame rewards become one trajectory score: sum, last frame, or mean."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricValue(_Record):
    """One metric's value with its bootstrap confidence interval.

    The one record of a metric value: :func:`badbench.bench.metrics.compute_all` returns it and
    ``results.json`` stores it. Undefined is always ``None``: a NaN or infinite number given to
    it becomes ``None``, so ``value is None`` is the only test a reader needs.
    """

    value: float | None
    """Point estimate on the full data; ``None`` when undefined (e.g. no pairs, no bad episodes)."""
    ci_low: float | None = None
    """Lower end of the bootstrap interval (resampling contexts); ``None`` if not computed."""
    ci_high: float | None = None
    """Upper end of the bootstrap interval; ``None`` if not computed."""
    n: int = 0
    """How many items the value rests on (what it counts: ``METRICS[name].n_of``)."""

    @field_validator("value", "ci_low", "ci_high", mode="before")
    @classmethod
    def _undefined_as_none(cls, x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):  # NaN, inf (numpy float64 too)
            return None
        return x


class ModelSpec(_Record):
    """What produced a model's scores: its registry name and options, enough to re-create it."""

    key: str
    """Unique, human-readable key of this configuration in the run, e.g. ``"random(seed=1)"``."""
    name: str
    """Registry name, e.g. ``"oracle"``, ``"time"``, ``"gvl"``."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Options the model was built with (JSON values), as given on the command line or in code."""
    config_hash: str
    """Hash of name + options + model version + fingerprint: the score cache's model key."""
    fingerprint: dict[str, Any] = Field(default_factory=dict)
    """What determines the outputs beyond the options (checkpoint hash, prompt, server model)."""
    version: str = "0"
    """The model implementation's version; bumping it invalidates cached scores."""
    output_range: tuple[float, float] = (0.0, 1.0)
    """The declared range of the per-frame rewards; metrics map it linearly onto [0, 1]."""
    needs_frames: bool = False
    """Whether the model reads video frames (baselines that read labels do not)."""
    description: str = ""
    """One line from the model's docstring, for the report's leaderboard."""


class ModelMetrics(_Record):
    """All metrics of one model: overall and broken down by task and failure kind."""

    overall: dict[str, MetricValue] = Field(default_factory=dict)
    """Metric name -> value over the whole dataset (e.g. ``"pairwise_accuracy"``)."""
    by_task_category: dict[str, dict[str, MetricValue]] = Field(default_factory=dict)
    """Task category (``"pick_place"``, ...) -> metric name -> value on that category's episodes."""
    by_failure_category: dict[str, dict[str, MetricValue]] = Field(default_factory=dict)
    """Failure category (``"unsafe"``, ...) -> metric name -> value on that category's episodes."""
    by_failure_mode: dict[str, dict[str, MetricValue]] = Field(default_factory=dict)
    """Failure mode (``"collision"``, ...) -> metric name -> value on that mode's episodes."""


class ModelResult(_Record):
    """One model's part of a run: what it was, how it scored, where its rows are."""

    spec: ModelSpec
    """The model's registry name, options and declared properties."""
    metrics: ModelMetrics
    """Its metrics, overall and per breakdown."""
    scores_file: str
    """Path of its :class:`EpisodeScore` JSONL, relative to the run directory."""
    n_episodes: int = 0
    """Episodes scored (from cache or fresh)."""
    n_cached: int = 0
    """Of those, how many came from the score cache without calling the model."""
    model_seconds: float = 0.0
    """Total wall time spent inside ``RewardModel.score`` (cached episodes keep their old time)."""
    n_failed: int = 0
    """Episodes the model could not score (their error is in the scores file); the metrics
    leave them out."""
    failures: dict[str, int] = Field(default_factory=dict)
    """Failed episodes by error kind (``"exception"``, ``"parse"``, ``"contract"``, ...)."""
    pairwise_by_score_kind: dict[str, float | None] = Field(default_factory=dict)
    """Pairwise accuracy under each trajectory score (return, last, mean), whatever the run's
    own :attr:`RunSummary.score_kind`; ``None`` where no pair has different human scores."""


class DatasetRef(_Record):
    """Which dataset a run evaluated."""

    path: str
    """The dataset directory as given (absolute)."""
    fingerprint: str
    """Hash of the episodes' content keys: changes whenever any episode or label changes."""
    n_episodes: int
    """Number of episodes evaluated."""
    n_preferences: int = 0
    """Number of explicit A/B preferences in the dataset."""


class RunSummary(_Record):
    """The top-level record of a benchmark run (``results.json``)."""

    schema_version: int = SCHEMA_VERSION
    """Version of these records; see :data:`SCHEMA_VERSION`."""
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))
    """When the run finished (UTC)."""
    badbench_version: str = ""
    """The badbench version that wrote the run."""
    dataset: DatasetRef
    """The evaluated dataset."""
    score_kind: ScoreKind = "return"
    """Trajectory score used for pairwise accuracy, ranking and best-of-K."""
    settings: dict[str, Any] = Field(default_factory=dict)
    """Metric settings (success threshold, calibrated TPR, bootstrap samples and seed, ...)."""
    models: list[ModelResult] = Field(default_factory=list)
    """One entry per model configuration, in command-line order."""
    pairs_file: str = PAIRS_FILE
    """Path of the :class:`PairRecord` JSONL, relative to the run directory."""

    def model(self, key: str) -> ModelResult:
        """The result of the model with this key.

        Raises:
            KeyError: no model with that key (the message lists the keys present).
        """
        for m in self.models:
            if m.spec.key == key:
                return m
        raise KeyError(f"no model '{key}' in this run; models: {[m.spec.key for m in self.models]}")


class EpisodeLabels(_Record):
    """The labels of one episode that metrics and the report need (no frames)."""

    episode_id: str
    """The episode's id in the dataset."""
    instruction: str = ""
    """The language instruction."""
    task: str = ""
    """Task name, e.g. ``"pick-place-v3"``."""
    task_category: str = "other"
    """The paper's task category."""
    context_id: str = ""
    """Episodes sharing a context are compared with one another."""
    policy_id: str = "unknown"
    """The policy or script that produced the behaviour."""
    length: int = 0
    """Number of frames."""
    fps: float = 0.0
    """Frame rate."""
    success: bool | None = None
    """Whether the task was completed (``None`` when unlabelled)."""
    progress: float | None = None
    """Final task progress in [0, 1] (human or oracle), if labelled."""
    progress_source: str | None = None
    """``"human"`` or ``"oracle"``."""
    score: float | None = None
    """The episode's overall score in [0, 1] (a rubric or rater judging more than progress),
    if labelled; the quality target when given."""
    score_source: str | None = None
    """``"human"`` or ``"oracle"``."""
    is_bad: bool = False
    """Not a clean success: failed, or carries any failure tag."""
    quality: int | None = None
    """Quality level for ranking: 0 failure, 1 suboptimal (success with tags), 2 clean success."""
    tags: list[FailureTag] = Field(default_factory=list)
    """Failure tags with their frame spans."""
    dense_reward: list[float] | None = None
    """The stored per-frame reward labels (the oracle's curve), if any."""
    dense_source: str | None = None
    """Who produced ``dense_reward`` (``"oracle"``, ``"distilled"``, ...)."""


class EpisodeScore(_Record):
    """One model's output on one episode, with the episode's labels (a row of a scores JSONL)."""

    model_key: str
    """The :attr:`ModelSpec.key` of the model."""
    episode_id: str
    """The episode's id."""
    frame_indices: list[int]
    """Indices (into the episode's frames) that ``rewards`` refer to; a model may subsample."""
    rewards: list[float]
    """Per-frame predicted reward / progress, in the model's declared output range (empty when
    ``error`` is set)."""
    success_prob: float | None = None
    """The model's probability that the episode succeeded, if it gives one."""
    scores: dict[str, float] = Field(default_factory=dict)
    """Trajectory scores: ``"return"`` (sum), ``"last"`` and ``"mean"`` of ``rewards`` mapped
    from the output range onto [0, 1] (empty when ``error`` is set)."""
    seconds: float = 0.0
    """Model wall time spent on this episode (a batch's time split evenly)."""
    error: dict[str, Any] | None = None
    """Why the model could not score the episode (``kind``, ``message``, ``raw``), or ``None``."""
    info: dict[str, Any] = Field(default_factory=dict)
    """The model's details for this episode (raw text, parse statistics, tokens, cost)."""
    cached: bool = False
    """True when this run took the output from the score cache."""
    labels: EpisodeLabels
    """The episode's labels, so the report needs no dataset."""


class PairRecord(_Record):
    """One comparison between two episodes of a context, as used by pairwise accuracy."""

    context_id: str
    """The shared context."""
    episode_a: str
    """First episode id."""
    episode_b: str
    """Second episode id."""
    label: Literal["a", "b", "tie"]
    """Which episode is better according to the labels."""
    origin: Literal["preference", "progress"]
    """``preference``: an explicit A/B judgement; ``progress``: two different progress scores."""
    rater_id: str = ""
    """Who judged (for preferences) or the progress label source (for progress pairs)."""


@dataclass
class RunRecords:
    """Everything a run directory holds, loaded: what the report is rendered from.

    Attributes:
        summary: the run's summary.
        scores: model key -> its episode rows, in dataset order.
        pairs: the comparisons used for pairwise accuracy.
    """

    summary: RunSummary
    scores: dict[str, list[EpisodeScore]]
    pairs: list[PairRecord]


def model_slug(key: str) -> str:
    """A file-name-safe form of a model key (``"random(seed=1)"`` -> ``"random_seed_1"``)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_")
    return slug or "model"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_summary(run_dir: str | Path, summary: RunSummary) -> Path:
    """Write ``results.json`` atomically; returns its path."""
    path = Path(run_dir) / RESULTS_FILE
    _atomic_write(path, summary.model_dump_json(indent=2) + "\n")
    return path


def load_summary(run_dir: str | Path) -> RunSummary:
    """Read and validate ``results.json``.

    Raises:
        DataError: the file is missing.
        SchemaError: it is not valid JSON, has another schema version, or fails validation.
    """
    path = Path(run_dir) / RESULTS_FILE
    if not path.is_file():
        raise DataError("no results here; run `badbench eval` first", path=path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SchemaError(f"not valid JSON ({e})", path=path) from None
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if version not in READABLE_VERSIONS:
        raise SchemaError(
            f"schema version {version} is not one of {list(READABLE_VERSIONS)}; "
            "re-run `badbench eval`",
            path=path,
            field="schema_version",
        )
    try:
        return RunSummary.model_validate(raw)
    except PydanticValidationError as e:
        raise SchemaError(f"invalid run summary: {e}", path=path) from None


def save_jsonl(path: str | Path, rows: Iterable[BaseModel]) -> Path:
    """Write records as JSON lines, atomically (temporary file, fsync, rename)."""
    path = Path(path)
    _atomic_write(path, "".join(r.model_dump_json() + "\n" for r in rows))
    return path


def load_jsonl(path: str | Path, record: type[R]) -> list[R]:
    """Read JSON lines into records of the given type.

    Raises:
        DataError: the file is missing.
        SchemaError: a line is not valid JSON or fails validation (the message gives the line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", path=path)
    out: list[R] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(record.model_validate_json(line))
            except PydanticValidationError as e:
                raise SchemaError(
                    f"invalid {record.__name__}: {e}", path=path, line=lineno
                ) from None
    return out


def save_scores(
    run_dir: str | Path, model_key: str, rows: Iterable[EpisodeScore], *, stem: str | None = None
) -> str:
    """Write one model's rows to ``scores/<stem>.jsonl``; returns the path relative to the run.

    ``stem`` defaults to :func:`model_slug` of the key.
    """
    rel = f"{SCORES_DIR}/{stem or model_slug(model_key)}.jsonl"
    save_jsonl(Path(run_dir) / rel, rows)
    return rel


def save_pairs(run_dir: str | Path, pairs: Iterable[PairRecord]) -> str:
    """Write the pairs table to ``pairs.jsonl``; returns the path relative to the run."""
    save_jsonl(Path(run_dir) / PAIRS_FILE, pairs)
    return PAIRS_FILE


def load_run(run_dir: str | Path) -> RunRecords:
    """Load a run directory's summary, per-model score rows and pairs.

    Raises:
        DataError: a file named by the summary is missing.
        SchemaError: a file does not validate.
    """
    run_dir = Path(run_dir)
    summary = load_summary(run_dir)
    scores = {m.spec.key: load_jsonl(run_dir / m.scores_file, EpisodeScore) for m in summary.models}
    pairs = load_jsonl(run_dir / summary.pairs_file, PairRecord)
    return RunRecords(summary=summary, scores=scores, pairs=pairs)
