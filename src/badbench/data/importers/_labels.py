"""Per-episode labels in import files: success, progress, failure tags, dense rewards.

Both the videos importer and the LeRobot importer's annotation file accept these fields; they
are parsed in two steps. :func:`parse_labels` checks everything that does not depend on the
video (types, ranges, failure-mode names) so a bad file fails before anything is decoded;
:meth:`LabelSpec.build` then checks frame ranges against the episode's length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from badbench.data.importers._records import Row
from badbench.data.schema import FailureTag, LabelSource, Outcome
from badbench.data.taxonomy import FAILURE_MODES, FailureCategory
from badbench.errors import SchemaError

LABEL_FIELDS = (
    "success",
    "progress",
    "progress_source",
    "failure_tags",
    "tags",
    "dense_reward",
    "dense_source",
)
"""Field names (and aliases) parsed by :func:`parse_labels`."""

TAG_FIELDS = ("mode", "category", "start_frame", "end_frame", "severity", "description")

_PROGRESS_SOURCES = (LabelSource.HUMAN, LabelSource.ORACLE)


@dataclass(frozen=True)
class TagSpec:
    """A failure tag as written in an import file; frames may be left open (whole episode)."""

    mode: str
    start_frame: int | None = None
    end_frame: int | None = None
    severity: float = 1.0
    description: str = ""
    field: str = "failure_tags"
    """Where in the record the tag was written, for error messages (``failure_tags[2]``)."""


@dataclass(frozen=True)
class LabelSpec:
    """The labels of one record, checked except for frame ranges.

    Attributes:
        row: the record, for error messages.
        success: the episode's success, or None when unlabelled.
        progress: progress in [0, 1] (already divided by the scale), or None.
        progress_source: human | oracle.
        tags: failure tags.
        dense_reward: per-frame labels, or None.
        dense_source: source of ``dense_reward``.
    """

    row: Row
    success: bool | None = None
    progress: float | None = None
    progress_source: LabelSource = LabelSource.HUMAN
    tags: tuple[TagSpec, ...] = field(default_factory=tuple)
    dense_reward: tuple[float, ...] | None = None
    dense_source: LabelSource = LabelSource.HUMAN

    def build(self, length: int) -> tuple[Outcome | None, list[FailureTag], np.ndarray | None]:
        """The outcome, tags and dense rewards of an episode of ``length`` frames.

        Raises:
            ValidationError: a tag's frames or the dense labels do not fit the episode.
        """
        outcome = None
        if self.success is not None:
            outcome = Outcome(
                success=self.success,
                progress=self.progress,
                progress_source=self.progress_source if self.progress is not None else None,
                dense_source=self.dense_source if self.dense_reward is not None else None,
            )
        tags = [self._tag(spec, length) for spec in self.tags]
        dense = None
        if self.dense_reward is not None:
            if len(self.dense_reward) != length:
                raise self.row.error(
                    f"has {len(self.dense_reward)} values but the episode has {length} frames",
                    "dense_reward",
                )
            dense = np.asarray(self.dense_reward, dtype=np.float32)
        return outcome, tags, dense

    def _tag(self, spec: TagSpec, length: int) -> FailureTag:
        start = 0 if spec.start_frame is None else spec.start_frame
        end = length - 1 if spec.end_frame is None else spec.end_frame
        if end >= length:
            raise self.row.error(
                f"end_frame {end} is past the episode's last frame {length - 1}", spec.field
            )
        if start > end:
            raise self.row.error(f"start_frame {start} is after end_frame {end}", spec.field)
        return FailureTag(
            category=FAILURE_MODES[spec.mode].category,
            mode=spec.mode,
            start_frame=start,
            end_frame=end,
            severity=spec.severity,
            description=spec.description,
        )


def parse_labels(row: Row, *, progress_scale: float = 1.0) -> LabelSpec:
    """Parse and check the label fields of ``row``.

    Args:
        row: the record.
        progress_scale: what a progress of "complete" is written as: 1 (progress in [0, 1]) or
            100 (RoboArena's 0-100 scores).

    Raises:
        SchemaError: a field has the wrong type.
        ValidationError: a value is out of range or not in its vocabulary.
    """
    success = row.flag("success", default=None)
    progress = _progress(row, "progress", progress_scale)
    if progress is not None and success is None:
        raise row.error(
            'progress is given without success; add "success": true|false', "success", SchemaError
        )
    progress_source = _source(row, "progress_source", _PROGRESS_SOURCES)
    dense = _dense(row)
    dense_source = _source(row, "dense_source", tuple(LabelSource))
    if dense is not None and success is None:
        raise row.error(
            'dense_reward is given without success; add "success": true|false',
            "success",
            SchemaError,
        )
    return LabelSpec(
        row=row,
        success=success,
        progress=progress,
        progress_source=progress_source,
        tags=_tags(row),
        dense_reward=dense,
        dense_source=dense_source,
    )


def parse_progress(row: Row, name: str, scale: float) -> float | None:
    """A progress field divided by ``scale``, checked to lie in [0, 1] (None when absent)."""
    return _progress(row, name, scale)


def _progress(row: Row, name: str, scale: float) -> float | None:
    value = row.number(name, default=None)
    if value is None:
        return None
    if not 0.0 <= value <= scale:
        hint = (
            " (scores in 0-100? pass progress_scale=100 / --progress-scale 100)"
            if scale == 1.0 and value <= 100.0
            else ""
        )
        raise row.error(f"{value:g} is outside [0, {scale:g}]{hint}", name)
    return value / scale


def _source(row: Row, name: str, allowed: tuple[LabelSource, ...]) -> LabelSource:
    text = row.text(name, default="human")
    try:
        source = LabelSource(text.strip().lower())
    except ValueError:
        source = None
    if source not in allowed:
        raise row.error(
            f"unknown source {text!r}; use one of: {', '.join(s.value for s in allowed)}", name
        )
    return source


def _dense(row: Row) -> tuple[float, ...] | None:
    name, value, found = row.raw("dense_reward", default=None)
    if not found:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        raise row.error("expected a list of numbers (one per frame)", name, SchemaError)
    return tuple(float(v) for v in value)


def _tags(row: Row) -> tuple[TagSpec, ...]:
    name, value, found = row.raw("failure_tags", "tags", default=None)
    if not found:
        return ()
    if isinstance(value, str):  # CSV cell or shorthand: "drop;jitter" or "drop,jitter"
        value = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    if not isinstance(value, list):
        raise row.error("expected a list of failure modes or tag objects", name, SchemaError)
    return tuple(_tag(row, f"{name}[{i}]", item) for i, item in enumerate(value))


def _tag(row: Row, where: str, item: Any) -> TagSpec:
    if isinstance(item, str):
        item = {"mode": item}
    if not isinstance(item, dict):
        raise row.error("expected a failure-mode name or a tag object", where, SchemaError)
    sub = Row(row.path, row.line, item)
    for key in item:
        if key not in TAG_FIELDS:
            raise row.error(
                f"unknown tag field '{key}'; known: {', '.join(TAG_FIELDS)}", where, SchemaError
            )
    mode = sub.text("mode", default=None)
    if mode is None:
        raise row.error("tag has no 'mode'", where, SchemaError)
    if mode not in FAILURE_MODES:
        known = ", ".join(sorted(FAILURE_MODES))
        raise row.error(f"unknown failure mode '{mode}'; known modes: {known}", where)
    category = sub.text("category", default=None)
    expected = FAILURE_MODES[mode].category
    if category is not None and category != expected:
        valid = ", ".join(c.value for c in FailureCategory)
        raise row.error(
            f"mode '{mode}' belongs to category '{expected}', not '{category}' "
            f"(categories: {valid})",
            where,
        )
    start = _frame(row, sub, where, "start_frame")
    end = _frame(row, sub, where, "end_frame")
    severity = _wrap(row, where, lambda: sub.number("severity", default=1.0))
    if not 0.0 <= severity <= 1.0:
        raise row.error(f"severity {severity:g} is outside [0, 1]", where)
    description = _wrap(row, where, lambda: sub.text("description", default=""))
    return TagSpec(mode, start, end, severity, description, where)


def _frame(row: Row, sub: Row, where: str, key: str) -> int | None:
    value = _wrap(row, where, lambda: sub.integer(key, default=None))
    if value is not None and value < 0:
        raise row.error(f"{key} {value} is negative", where)
    return value


def _wrap(row: Row, where: str, get: Any) -> Any:
    """Re-raise a nested field's error with the tag's position (``failure_tags[1].severity``)."""
    try:
        return get()
    except SchemaError as e:
        raise row.error(e.message, f"{where}.{e.field}", SchemaError) from None
