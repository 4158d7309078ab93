"""``precomputed``: rewards another harness already wrote, one file per episode, read by id.

Any external reward model can be benchmarked this way: run it in its own code, save its
per-frame predictions per episode, and point ``badbench eval`` at the folder::

    badbench eval --data my-data -m 'precomputed:dir=preds,pattern={episode_id}.npy,range=[0,100]'

Files, found as ``dir / pattern`` with ``{episode_id}`` replaced by the episode's id (an id with
``/`` names a sub-folder), in one of these formats, chosen by the pattern's suffix:

- ``.npy``: a 1-D array of rewards (numpy's own format, as most harnesses save);
- ``.json``: a list of rewards, or an object ``{"rewards": [...], "frame_indices": [...],
  "success_prob": p}`` (only ``rewards`` required);
- ``.jsonl``: one reward per line, a number or ``{"reward": r, "frame": i}``;
- ``.csv``: one reward per row, a single column, or a header naming ``reward`` (and optionally
  ``frame``) columns.

Rewards lie in the declared ``range`` (``[0, 100]`` for 0-100 predictions); metrics map it onto
[0, 1]. With fewer rewards than the episode has frames, they are placed on evenly spaced frames,
the first and last included (``frames=even``, the default), or on the frame indices a second file
per episode names (``frames={episode_id}_frames.npy``, same formats), or on those the reward file
itself carries (``frame_indices`` / ``frame``). ``success=PATTERN`` reads the model's success
probability from a further file per episode (one number, or per-sample values of which the last
is used).

A missing or malformed file, or more rewards than frames, fails that episode with an error naming
the file and the episode (recorded by the runner, left out of the metrics); a folder with no file
matching the pattern at all is refused when the model is built. The model's
:meth:`~PrecomputedModel.fingerprint` hashes the content of every matching file, so changed
predictions are scored again rather than read from the score cache.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from badbench.data.schema import Episode
from badbench.errors import DataError, ValidationError
from badbench.models.base import RewardModel, RewardOutput, episode_length, evenly_spaced
from badbench.models.registry import register_model

ID_FIELD = "{episode_id}"
"""The placeholder a file pattern must contain."""

FORMATS = (".npy", ".json", ".jsonl", ".csv")
"""File suffixes the model reads."""


@dataclass(frozen=True)
class Predictions:
    """What one episode's file holds.

    Attributes:
        rewards: (K,) float rewards, in file order.
        frames: (K,) frame indices the file gives, or ``None``.
        success_prob: a success probability the file gives, or ``None``.
    """

    rewards: np.ndarray
    frames: np.ndarray | None = None
    success_prob: float | None = None


def _option_error(name: str, message: str) -> ValidationError:
    return ValidationError(f"model 'precomputed': option '{name}' {message}", field=name)


def _check_pattern(name: str, pattern: Any) -> str:
    if not isinstance(pattern, str) or ID_FIELD not in pattern:
        raise _option_error(name, f"must be a file name containing {ID_FIELD}, got {pattern!r}")
    if not pattern.endswith(FORMATS):
        raise _option_error(name, f"must end with one of {', '.join(FORMATS)}, got {pattern!r}")
    return pattern


def _check_range(value: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise _option_error("range", f"must be [low, high], got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise _option_error("range", f"must be finite with low < high, got {value!r}")
    return lo, hi


def _read_table(path: Path) -> tuple[list[Any], list[Any] | None]:
    """(values, frames or None) of a .jsonl or .csv file; raw items, checked by the caller."""
    text = path.read_text(encoding="utf-8")
    values: list[Any] = []
    frames: list[Any] = []
    if path.suffix == ".jsonl":
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"malformed JSON ({e.msg})", path=path, line=lineno) from None
            if isinstance(item, dict):
                if "reward" not in item:
                    raise DataError("needs a 'reward' key", path=path, line=lineno)
                values.append(item["reward"])
                if "frame" in item:
                    frames.append(item["frame"])
            else:
                values.append(item)
    else:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
        header = [c.strip().lower() for c in rows[0]] if rows else []
        if "reward" in header:
            col, fcol = header.index("reward"), header.index("frame") if "frame" in header else -1
            for row in rows[1:]:
                values.append(row[col] if col < len(row) else "")
                if fcol >= 0:
                    frames.append(row[fcol] if fcol < len(row) else "")
        else:
            values = [r[0] for r in rows]
    if frames and len(frames) != len(values):
        raise DataError("gives a frame for some rewards but not all", path=path)
    return values, (frames or None)


def read_file(path: Path) -> Predictions:
    """Read one predictions file in any of :data:`FORMATS`.

    Raises:
        DataError: the file is missing, cannot be parsed, or holds non-numeric values.
    """
    if not path.is_file():
        raise MissingPredictions("file not found", path=path)
    frames: Any = None
    success: Any = None
    try:
        if path.suffix == ".npy":
            raw: Any = np.load(path, allow_pickle=False)
        elif path.suffix == ".json":
            raw = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(raw, dict):
                if "rewards" not in raw:
                    raise DataError("a JSON object needs a 'rewards' list", path=path)
                frames, success = raw.get("frame_indices"), raw.get("success_prob")
                raw = raw["rewards"]
        else:
            raw, frames = _read_table(path)
        rewards = np.asarray(raw, dtype=np.float64)
        frame_arr = None if frames is None else np.asarray(frames, dtype=np.float64)
        prob = None if success is None else float(success)
    except DataError:
        raise
    except json.JSONDecodeError as e:
        raise DataError(f"malformed JSON ({e.msg} at line {e.lineno})", path=path) from None
    except (ValueError, TypeError, OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read predictions: {e}", path=path) from None
    if rewards.ndim == 0:
        rewards = rewards.reshape(1)
    if rewards.ndim != 1:
        raise DataError(f"holds an array of shape {rewards.shape}; expected 1-D", path=path)
    if frame_arr is not None:
        if frame_arr.shape != rewards.shape:
            raise DataError(
                f"has {len(rewards)} rewards but {frame_arr.size} frame indices", path=path
            )
        if not np.all(frame_arr == np.round(frame_arr)):
            raise DataError("frame indices must be whole numbers", path=path)
    return Predictions(rewards, None if frame_arr is None else frame_arr.astype(np.int64), prob)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A regex matching every relative path the pattern can produce."""
    return re.compile(".+".join(re.escape(part) for part in pattern.split(ID_FIELD)))


class MissingPredictions(DataError):
    """An episode's predictions file does not exist."""


@register_model("precomputed")
class PrecomputedModel(RewardModel):
    """Rewards read from per-episode files another harness wrote (any external model).

    Args:
        dir: the folder of prediction files.
        pattern: file name of an episode's rewards under ``dir``, with ``{episode_id}``.
        range: the declared ``[low, high]`` of the rewards (e.g. ``[0, 100]``).
        frames: ``"even"`` (fewer rewards than frames sit on evenly spaced frames, first and
            last included) or a file pattern with ``{episode_id}`` whose files hold the frame
            indices.
        success: optional file pattern with ``{episode_id}`` of success probabilities (one
            number, or per-sample values of which the last is used).

    Raises:
        DataError: ``dir`` is not a folder, or no file in it matches ``pattern``.
        ValidationError: a malformed option.
    """

    version = "1"
    needs_frames = False
    batch_size = 64

    def __init__(
        self,
        dir: str,  # noqa: A002 (the option's name on the command line)
        pattern: str = "{episode_id}.npy",
        range: Sequence[float] = (0.0, 1.0),  # noqa: A002
        frames: str = "even",
        success: str | None = None,
    ) -> None:
        if not isinstance(dir, str | os.PathLike) or not str(dir):
            raise _option_error("dir", f"must be a folder path, got {dir!r}")
        self.dir = Path(dir)
        if not self.dir.is_dir():
            raise DataError(
                "not a folder (model 'precomputed', option 'dir': the folder of prediction files)",
                path=self.dir,
            )
        self.pattern = _check_pattern("pattern", pattern)
        self.output_range = _check_range(range)  # type: ignore[misc] (per instance here)
        self.frames = frames if frames == "even" else _check_pattern("frames", frames)
        self.success = None if success is None else _check_pattern("success", success)
        self._fingerprint: dict[str, Any] | None = None
        if not self._matching_files(_pattern_regex(self.pattern)):
            raise DataError(
                f"no file matches pattern '{self.pattern}' (model 'precomputed'); "
                "check dir= and pattern=",
                path=self.dir,
            )

    def path(self, pattern: str, episode_id: str) -> Path:
        """The file a pattern names for an episode."""
        return self.dir / pattern.replace(ID_FIELD, episode_id)

    def _patterns(self) -> list[str]:
        return [p for p in (self.pattern, self.frames, self.success) if p and ID_FIELD in p]

    def _matching_files(self, *regexes: re.Pattern[str]) -> list[Path]:
        out = []
        for root, _, names in os.walk(self.dir):
            for name in names:
                rel = (Path(root) / name).relative_to(self.dir).as_posix()
                if any(r.fullmatch(rel) for r in regexes):
                    out.append(self.dir / rel)
        return sorted(out)

    def fingerprint(self) -> dict[str, Any]:
        """The folder and a SHA-256 of every file the patterns match (names and contents,
        sorted), so changed predictions invalidate cached scores. Computed once per model."""
        if self._fingerprint is None:
            files = self._matching_files(*(_pattern_regex(p) for p in self._patterns()))
            h = hashlib.sha256()
            for f in files:
                h.update(f.relative_to(self.dir).as_posix().encode() + b"\0")
                h.update(hashlib.sha256(f.read_bytes()).digest())
            self._fingerprint = {
                "dir": str(self.dir.resolve()),
                "files": len(files),
                "sha256": h.hexdigest(),
            }
        return dict(self._fingerprint)

    def read(self, episode: Episode) -> RewardOutput:
        """One episode's output from its files.

        Raises:
            DataError: a file is missing or malformed, or disagrees with the episode's length;
                the message names the file and the episode.
        """
        eid = episode.id
        path = self.path(self.pattern, eid)
        try:
            preds = read_file(path)
        except DataError as e:
            raise type(e)(f"episode '{eid}': {e.message}", path=path, line=e.line) from None
        rewards = preds.rewards
        if len(rewards) == 0:
            raise DataError(f"episode '{eid}': no rewards in the file", path=path)
        if not np.all(np.isfinite(rewards)):
            raise DataError(f"episode '{eid}': rewards contain NaN or inf", path=path)
        lo, hi = self.output_range
        if rewards.min() < lo or rewards.max() > hi:
            raise DataError(
                f"episode '{eid}': rewards span [{rewards.min():g}, {rewards.max():g}], outside "
                f"the declared range [{lo:g}, {hi:g}]; pass range=[low,high]",
                path=path,
            )
        frames = self._frames(episode, len(rewards), preds.frames, path)
        prob = preds.success_prob
        if self.success is not None:
            prob = self._success(episode)
        if prob is not None and not 0.0 <= prob <= 1.0:
            raise DataError(
                f"episode '{eid}': success probability {prob} is not in [0, 1]", path=path
            )
        return RewardOutput(rewards, frames, prob)

    def _frames(
        self, episode: Episode, k: int, given: np.ndarray | None, path: Path
    ) -> np.ndarray:
        eid, length = episode.id, episode_length(episode)
        if self.frames != "even":
            path = self.path(self.frames, eid)
            try:
                given = read_file(path).rewards
            except DataError as e:
                raise type(e)(f"episode '{eid}': {e.message}", path=path, line=e.line) from None
            if not np.all(given == np.round(given)):
                raise DataError(f"episode '{eid}': frame indices must be whole numbers", path=path)
            given = given.astype(np.int64)
        if given is not None:
            if len(given) != k:
                raise DataError(
                    f"episode '{eid}': {len(given)} frame indices for {k} rewards", path=path
                )
            if np.any(np.diff(given) <= 0) or given[0] < 0 or given[-1] >= length:
                raise DataError(
                    f"episode '{eid}': frame indices must increase strictly within "
                    f"0..{length - 1} (the episode has {length} frames)",
                    path=path,
                )
            return given
        if k > length:
            raise DataError(
                f"episode '{eid}': {k} rewards for an episode of {length} frames", path=path
            )
        return np.asarray(evenly_spaced(length, k), dtype=np.int64)

    def _success(self, episode: Episode) -> float:
        assert self.success is not None
        path = self.path(self.success, episode.id)
        try:
            values = read_file(path).rewards
        except DataError as e:
            raise type(e)(f"episode '{episode.id}': {e.message}", path=path, line=e.line) from None
        if len(values) == 0 or not math.isfinite(values[-1]):
            raise DataError(f"episode '{episode.id}': no success probability", path=path)
        return float(values[-1])

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        """Read each episode's files; a missing or malformed one fails that episode only
        (kind ``"missing"`` or ``"invalid"``, the message naming the file and the episode)."""
        out = []
        for ep in episodes:
            try:
                out.append(self.read(ep))
            except DataError as e:
                kind = "missing" if isinstance(e, MissingPredictions) else "invalid"
                out.append(RewardOutput.failure(kind, str(e)))
        return out

