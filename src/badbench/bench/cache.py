"""The score cache: each model output on disk as soon as it exists, safe against kill -9.

One append-only JSONL file per model configuration, ``<cache_dir>/<config_hash>.jsonl``, with
one line per scored episode, keyed by the episode's input key: what the model reads, never the
labels (see :func:`badbench.bench.inputs.input_key`). A sidecar ``<config_hash>.json`` records
the model's name, options and fingerprint so a cache directory is readable by people.

A line may record a failure (the output's :class:`~badbench.models.OutputError`); a later
successful line for the same key replaces it (``badbench eval --retry-failed``), a later
failure replaces only a failure (the latest error is kept), never a success.

Crash safety: each line is written with a single ``write`` under an exclusive ``flock`` and
flushed to the operating system before the runner moves on, so it survives the process being
killed at any point (kill -9 included). ``fsync`` (against power loss) is grouped: at most every
:data:`FSYNC_INTERVAL` seconds and when the cache is closed, so a power cut loses at most the last
fraction of a second of outputs, which a resume scores again; nothing is ever half-kept.
A process killed mid-write leaves at most one torn last line; opening the cache drops it
(truncating the file back to the last complete line), so nothing complete is lost and nothing
is duplicated. Processes sharing a cache file do not interleave lines, and each reads what the
others appended before it appends, so an episode's entry is written once even when two
processes score it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from badbench.errors import DataError
from badbench.models.base import OutputError, RewardOutput

FSYNC_INTERVAL = 0.2
"""Seconds between grouped fsyncs of a score cache (each append is flushed immediately)."""


@dataclass(frozen=True)
class CachedScore:
    """One cached model output.

    Attributes:
        key: the episode's content key.
        episode_id: the episode's id (for people reading the file).
        output: the model's output.
        seconds: model wall time spent on the episode when it was scored.
    """

    key: str
    episode_id: str
    output: RewardOutput
    seconds: float


class ScoreCache:
    """Append-only, fsync-ed cache of one model configuration's outputs.

    Args:
        cache_dir: directory of cache files (created if needed).
        config_hash: the model configuration's hash (:func:`badbench.models.config_hash`).
        describe: JSON-able description of the model, written once to the sidecar file.
        fsync: fsync appends (grouped, at most every :data:`FSYNC_INTERVAL` seconds, and on
            close); turn off only for throwaway runs.
    """

    def __init__(
        self,
        cache_dir: str | Path,
        config_hash: str,
        *,
        describe: dict[str, Any] | None = None,
        fsync: bool = True,
    ) -> None:
        self.dir = Path(cache_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / f"{config_hash}.jsonl"
        self.fsync = fsync
        self._synced_at = time.monotonic()
        self._unsynced = False
        self._entries: dict[str, CachedScore] = {}
        self._offset = 0  # bytes of the file already parsed
        self._fh = open(self.path, "a+b")  # noqa: SIM115 (kept open for appends)
        self._load()
        if describe is not None:
            side = self.dir / f"{config_hash}.json"
            if not side.exists():
                side.write_text(json.dumps(describe, indent=2, sort_keys=True, default=str) + "\n")

    # -- reading ----------------------------------------------------------------------------

    def _load(self) -> None:
        """Read every complete line; cut a torn tail left by a killed writer."""
        fcntl.flock(self._fh, fcntl.LOCK_EX)
        try:
            self._offset = 0
            good = self._read_new()
            self._fh.seek(0, os.SEEK_END)
            if good < self._fh.tell():
                self._fh.truncate(good)
                self._sync()
        finally:
            fcntl.flock(self._fh, fcntl.LOCK_UN)

    def _read_new(self) -> int:
        """Parse complete lines after ``self._offset`` (caller holds the lock).

        Returns:
            The byte offset after the last complete, valid line (the new ``self._offset``).

        Raises:
            DataError: an unreadable line that is not the file's last.
        """
        self._fh.seek(self._offset)
        data = self._fh.read()
        pos = good = 0
        while pos < len(data):
            nl = data.find(b"\n", pos)
            if nl < 0:
                break  # torn last line (no newline): drop it
            line = data[pos:nl]
            pos = nl + 1
            if line.strip():
                entry = _parse(line)
                if entry is None:
                    if pos < len(data):  # corruption in the middle is not a torn tail
                        self._fh.seek(0)
                        before = self._fh.read(self._offset + nl).count(b"\n") + 1
                        raise DataError(
                            "unreadable score-cache line; delete this file to re-score",
                            path=self.path,
                            line=before,
                        )
                    break
                old = self._entries.get(entry.key)
                if old is None or old.output.failed:
                    self._entries[entry.key] = entry
            good = pos
        self._offset += good
        return self._offset

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> CachedScore | None:
        """The cached output for an episode content key, or ``None``."""
        return self._entries.get(key)

    @property
    def keys(self) -> set[str]:
        """Input keys of every cached episode."""
        return set(self._entries)

    def failed_keys(self) -> set[str]:
        """Input keys whose cached output records a failure."""
        return {k for k, e in self._entries.items() if e.output.failed}

    # -- writing ----------------------------------------------------------------------------

    def put(self, key: str, episode_id: str, output: RewardOutput, seconds: float = 0.0) -> None:
        """Append one output (flushed at once; fsync grouped, see the module docstring).

        A key already cached is left alone, unless its cached output is a failure.
        """
        if not self._replaces(key, output):
            return
        record = {
            "key": key,
            "episode_id": episode_id,
            "frame_indices": output.frame_indices.tolist(),
            "rewards": output.rewards.tolist(),
            "success_prob": output.success_prob,
            "seconds": float(seconds),
        }
        if output.error is not None:
            record["error"] = output.error.as_dict()
        if output.info:
            record["info"] = output.info
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        fcntl.flock(self._fh, fcntl.LOCK_EX)
        try:
            self._fh.seek(0, os.SEEK_END)
            if self._fh.tell() > self._offset:  # another process appended: catch up
                self._read_new()
                if not self._replaces(key, output):
                    return
            self._fh.seek(0, os.SEEK_END)
            self._fh.write(line)
            self._sync()
            self._offset = self._fh.tell()
        finally:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._entries[key] = CachedScore(key, episode_id, _copy(output), float(seconds))

    def _replaces(self, key: str, output: RewardOutput) -> bool:
        old = self._entries.get(key)
        return old is None or old.output.failed

    def _sync(self, force: bool = False) -> None:
        self._fh.flush()
        self._unsynced = True
        if self.fsync and (force or time.monotonic() - self._synced_at >= FSYNC_INTERVAL):
            os.fsync(self._fh.fileno())
            self._synced_at = time.monotonic()
            self._unsynced = False

    def close(self) -> None:
        """Close the file (entries stay readable in memory)."""
        if not self._fh.closed:
            if self._unsynced:
                self._sync(force=True)
            self._fh.close()

    def __enter__(self) -> ScoreCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _copy(out: RewardOutput) -> RewardOutput:
    return RewardOutput(
        out.rewards.copy(), out.frame_indices.copy(), out.success_prob, out.error, dict(out.info)
    )


def _parse(line: bytes) -> CachedScore | None:
    try:
        rec = json.loads(line)
        err = rec.get("error")
        error = None if err is None else OutputError(err["kind"], err["message"], err.get("raw"))
        out = RewardOutput(
            np.asarray(rec["rewards"], dtype=np.float64),
            np.asarray(rec["frame_indices"], dtype=np.int64),
            rec.get("success_prob"),
            error,
            dict(rec.get("info") or {}),
        )
        return CachedScore(str(rec["key"]), str(rec["episode_id"]), out, float(rec["seconds"]))
    except (ValueError, KeyError, TypeError):
        return None
