"""Import A/B judgements in RoboArena's shape as :class:`~badbench.data.schema.Preference` records.

RoboArena's evaluators run two policies from matched initial conditions, then record a progress
score 0-100 for each rollout, which one they preferred (A, B or tie) and free-text feedback. One
row of a CSV or JSONL file holds one such judgement; the field reference is in
``docs/importing.md``. Every row is checked (including that both episodes exist in the dataset)
before any is written, so a bad file adds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from badbench.data.importers._common import ImportReport
from badbench.data.importers._labels import parse_progress
from badbench.data.importers._records import Row, read_records
from badbench.data.schema import LabelSource, Preference
from badbench.errors import DataError, SchemaError

EPISODE_A = ("episode_a", "episode_a_id", "episode_id_a")
EPISODE_B = ("episode_b", "episode_b_id", "episode_id_b")
LABEL = ("preference", "label")
RATER = ("rater", "rater_id", "evaluator")
CONTEXT = ("context", "context_id")
PREFERENCE_FIELDS = (
    *EPISODE_A,
    *EPISODE_B,
    *LABEL,
    *RATER,
    *CONTEXT,
    "progress_a",
    "progress_b",
    "feedback",
    "time",
    "source",
)
"""The fields (with aliases) a preference row may hold."""

_LABELS = {
    "a": "a",
    "b": "b",
    "tie": "tie",
    "a_better": "a",
    "b_better": "b",
    "equal": "tie",
    "draw": "tie",
    "same": "tie",
}
_SOURCES = (LabelSource.HUMAN, LabelSource.ORACLE, LabelSource.SYNTHETIC)


def parse_preferences(
    path: str | Path,
    *,
    contexts: dict[str, str],
    format: str | None = None,
    progress_scale: float = 100.0,
    allow_extra: bool = False,
) -> list[Preference]:
    """Read and check a file of A/B judgements.

    Args:
        path: a CSV (with a header) or JSONL file.
        contexts: episode id -> context id of every episode in the target dataset; a row naming
            an episode not in it is an error. A row without ``context`` takes episode A's.
        format: "csv" or "jsonl" (default: from the file suffix).
        progress_scale: 100 when progress scores are 0-100 (RoboArena), 1 when in [0, 1].
        allow_extra: ignore unknown columns instead of failing on them.

    Raises:
        DataError: the first bad row (file, line and field named).
    """
    path = Path(path)
    rows = read_records(path, format)
    if not rows:
        raise DataError("the file holds no judgements", path=path)
    preferences = []
    for row in rows:
        if not allow_extra:
            row.check_fields(PREFERENCE_FIELDS)
        preferences.append(_parse_row(row, contexts, progress_scale))
    return preferences


def import_preferences(
    path: str | Path,
    dest: str | Path,
    *,
    format: str | None = None,
    progress_scale: float = 100.0,
    allow_extra: bool = False,
) -> ImportReport:
    """Append the judgements in ``path`` to the dataset at ``dest``.

    Judgements that the dataset already holds (same context, episodes, label, rater, scores
    and feedback; the time is not compared, since rows without one are stamped with the import
    time) are skipped, so importing a file twice adds nothing the second time.

    Args:
        path: a CSV (with a header) or JSONL file.
        dest: an existing dataset holding every episode the judgements name.
        format: "csv" or "jsonl" (default: from the file suffix).
        progress_scale: 100 when progress scores are 0-100 (RoboArena), 1 when in [0, 1].
        allow_extra: ignore unknown columns instead of failing on them.

    Raises:
        DataError: the dataset cannot be opened, or a row is bad; nothing is written then.
    """
    from badbench.data.dataset import Dataset, DatasetWriter

    dest = Path(dest)
    dataset = Dataset.open(dest)
    contexts = {meta.episode_id: meta.context_id for meta in dataset}
    preferences = parse_preferences(
        path,
        contexts=contexts,
        format=format,
        progress_scale=progress_scale,
        allow_extra=allow_extra,
    )
    held = {_key(p) for p in dataset.preferences()}
    new = []
    for p in preferences:
        if _key(p) not in held:
            held.add(_key(p))
            new.append(p)
    report = ImportReport(dest=dest, preferences=len(new))
    report.duplicate_preferences = len(preferences) - len(new)
    if new:
        with DatasetWriter(dest) as writer:
            writer.add_preferences(new)
    return report


def _key(p: Preference) -> tuple:
    return (
        p.context_id,
        p.episode_a,
        p.episode_b,
        p.label,
        p.rater_id,
        p.progress_a,
        p.progress_b,
        p.feedback,
    )


def _parse_row(row: Row, contexts: dict[str, str], progress_scale: float) -> Preference:
    episodes = []
    for names in (EPISODE_A, EPISODE_B):
        name, _, _ = row.raw(*names)
        episode = row.text(*names)
        if episode not in contexts:
            raise row.error(f"episode '{episode}' is not in the dataset", name)
        episodes.append(episode)
    a, b = episodes
    if a == b:
        raise row.error(f"episode A and episode B are the same episode '{a}'", EPISODE_B[0])
    label_name, _, _ = row.raw(*LABEL)
    label_text = row.text(*LABEL)
    label = _LABELS.get(label_text.strip().lower())
    if label is None:
        raise row.error(f"unknown preference {label_text!r}; use A, B or tie", label_name)
    source_text = row.text("source", default="human")
    source = next((s for s in _SOURCES if s.value == source_text.strip().lower()), None)
    if source is None:
        allowed = ", ".join(s.value for s in _SOURCES)
        raise row.error(f"unknown source {source_text!r}; use one of: {allowed}", "source")
    return Preference(
        context_id=row.text(*CONTEXT, default=contexts[a]),
        episode_a=a,
        episode_b=b,
        label=label,
        rater_id=row.text(*RATER, default="unknown"),
        source=source,
        progress_a=parse_progress(row, "progress_a", progress_scale),
        progress_b=parse_progress(row, "progress_b", progress_scale),
        feedback=row.text("feedback", default=""),
        time=_time(row),
    )


def _time(row: Row) -> datetime:
    text = row.text("time", default=None)
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise row.error(
            f"expected an ISO 8601 time such as 2025-06-01T14:03:00Z, got {text!r}",
            "time",
            SchemaError,
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
