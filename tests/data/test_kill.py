"""Crash safety: a writer process killed mid-append leaves a dataset that validates and loads.

Real processes, real kills: ``tests/fixtures/kill_writer.py`` appends episodes; we SIGKILL it at
random moments, and also make it die between every two file writes of an append.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from badbench.data import Dataset, DatasetWriter
from badbench.data.validate import validate
from fixtures.factories import make_episode

SCRIPT = Path(__file__).resolve().parents[1] / "fixtures" / "kill_writer.py"


def _writer(root: Path, first: int, count: int, batch: int = 1, die_at: int | None = None):
    env = dict(os.environ)
    if die_at is not None:
        env["DIE_AT_REPLACE"] = str(die_at)
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(root), str(first), str(count), str(batch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _episode_number(episode_id: str) -> int:
    return int(episode_id.rsplit("/ep", 1)[1])


def _check(root: Path, completed: list[str], attempted: set[str]) -> Dataset:
    """validate finds no error; every completed episode loads intact, nothing else is there."""
    assert validate(root) == []
    ds = Dataset.open(root)
    ids = ds.episode_ids
    assert ids[: len(completed)] == completed
    assert set(ids) <= attempted
    for eid in ids:
        want = make_episode(_episode_number(eid), length=24, size=48)
        got = ds.load(eid)
        assert got.meta == want.meta and got.tags == want.tags
        np.testing.assert_array_equal(got.state, want.state)
        for cam, frames in want.frames.items():
            assert np.abs(got.frames[cam].astype(int) - frames).mean() < 8
    return ds


@pytest.mark.slow
def test_sigkill_at_random_moments(tmp_path):
    root = tmp_path / "ds"
    rng = random.Random(0)
    completed: list[str] = []
    attempted: set[str] = set()
    first = 0
    for round_ in range(4):
        proc = _writer(root, first, 200, batch=1 + round_ % 2)
        seen = 0
        assert proc.stdout is not None
        while seen < 2:  # let it commit a couple of appends, then kill it at a random moment
            line = proc.stdout.readline()
            assert line.startswith("done "), (line, proc.stderr.read() if proc.stderr else "")
            completed.append(line.split()[1])
            seen += 1
        time.sleep(rng.uniform(0.0, 0.08))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        completed.extend(line.split()[1] for line in out.splitlines() if line.startswith("done"))
        assert proc.returncode == -signal.SIGKILL
        attempted |= {make_episode(i).id for i in range(first, first + 200)}
        ds = _check(root, completed, attempted)
        completed = ds.episode_ids  # a commit may land after the last line was printed
        first = max(_episode_number(e) for e in completed) + 1
    # the next writer cleans up after the last kill and appends on top
    with DatasetWriter(root) as w:
        w.append(make_episode(first, length=24, size=48))
    assert validate(root, include_warnings=True) == []


@pytest.mark.slow
@pytest.mark.parametrize("fresh", [False, True], ids=["resume", "fresh"])
def test_die_between_any_two_writes(tmp_path, fresh):
    """Die instead of the k-th file move of an append, for every k; then resume."""
    k = 0
    while True:
        k += 1
        root = tmp_path / f"k{k}"
        if not fresh:
            with DatasetWriter(root) as w:
                w.append(make_episode(0, length=24, size=48))
        proc = _writer(root, 1, 2, batch=2, die_at=k)
        out, err = proc.communicate()
        if proc.returncode == 0:  # k is past the last write: the append completed
            assert k > 5
            break
        assert proc.returncode == 9, err
        before = [] if fresh else [make_episode(0).id]
        attempted = {make_episode(i).id for i in range(3)}
        if (root / "meta/info.json").exists():
            _check(root, before, attempted)
        else:  # died before the first file of a brand-new dataset was written
            assert fresh and not list(root.rglob("*.parquet"))
        proc = _writer(root, 1, 2, batch=2)  # a new writer recovers and appends the rest
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        ds = _check(root, [*before, make_episode(1).id, make_episode(2).id], attempted)
        assert len(ds) == len(before) + 2
        assert validate(root, include_warnings=True) == []
