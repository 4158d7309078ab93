"""kill -9 mid-`evaluate`, then resume: nothing lost, nothing duplicated, no re-calls."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _runner_factory import CallLog, LoggedTime, build_bench_dataset

from badbench.bench.inputs import FileHashes, input_key
from badbench.bench.results import load_run
from badbench.bench.runner import evaluate, load_episodes
from badbench.data import Dataset
from badbench.models import config_hash

TESTS = Path(__file__).resolve().parents[1]


def _cache_lines(run_dir: Path) -> list[dict]:
    files = list((run_dir / "cache").glob("*.jsonl"))
    if not files:
        return []
    assert len(files) == 1
    out = []
    for line in files[0].read_bytes().split(b"\n"):
        try:
            out.append(json.loads(line))
        except ValueError:  # empty or torn line
            pass
    return out


def _run_and_kill(entry: str, data: Path, out: Path, log: Path, after: int) -> None:
    """Run ``_runner_factory.<entry>(data, out, log)`` in a subprocess; SIGKILL it once the
    cache holds ``after`` lines."""
    code = (
        f"import sys; sys.path[:0] = [{str(TESTS)!r}, {str(TESTS / 'bench')!r}]\n"
        f"from _runner_factory import {entry}\n"
        f"{entry}({str(data)!r}, {str(out)!r}, {str(log)!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONWARNINGS": ""})
    try:
        deadline = time.monotonic() + 120
        while len(_cache_lines(out)) < after:
            assert proc.poll() is None, "the eval subprocess ended before it could be killed"
            assert time.monotonic() < deadline, "the eval subprocess made no progress"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_sigkill_then_resume(tmp_path: Path) -> None:
    data = build_bench_dataset(tmp_path / "ds")
    out, log1, log2 = tmp_path / "run", tmp_path / "calls1.txt", tmp_path / "calls2.txt"
    _run_and_kill("run_slow", data, out, log1, after=5)
    assert not (out / "results.json").exists()

    done_before = {r["episode_id"] for r in _cache_lines(out)}
    assert 5 <= len(done_before) < 16
    assert set(done_before) <= set(CallLog(log1).read())

    model = LoggedTime(log2)
    assert config_hash(model) == config_hash(LoggedTime(log1, delay=0.15))
    summary = evaluate(data, [model], out, progress=False, report=False)

    ds = Dataset.open(data)
    called_after = CallLog(log2).read()
    assert len(called_after) == len(set(called_after))
    assert set(called_after).isdisjoint(done_before)  # cached episodes were not re-scored
    assert set(called_after) | done_before == set(ds.episode_ids)  # none lost

    lines = _cache_lines(out)
    assert len(lines) == len({r["key"] for r in lines}) == 16  # no duplicates
    keys = {input_key(ds, model, ep, FileHashes()) for ep in load_episodes(ds)}
    assert {r["key"] for r in lines} == keys
    res = summary.models[0]
    assert res.n_episodes == 16 and res.n_cached == len(done_before)
    rows = load_run(out).scores[res.spec.key]
    assert [r.episode_id for r in rows] == ds.episode_ids


@pytest.mark.slow
def test_sigkill_an_async_run_then_resume(tmp_path: Path) -> None:
    from _runner_factory import AsyncLoggedTime

    data = build_bench_dataset(tmp_path / "ds")
    out, log1, log2 = tmp_path / "run", tmp_path / "calls1.txt", tmp_path / "calls2.txt"
    _run_and_kill("run_slow_async", data, out, log1, after=4)
    done_before = {r["episode_id"] for r in _cache_lines(out)}
    assert 4 <= len(done_before) < 16  # each output was written as it arrived
    summary = evaluate(data, [AsyncLoggedTime(log2)], out, progress=False, report=False)
    called_after = CallLog(log2).read()
    assert len(called_after) == len(set(called_after))
    assert set(called_after).isdisjoint(done_before)  # nothing repeated
    assert set(called_after) | done_before == set(Dataset.open(data).episode_ids)  # none lost
    lines = _cache_lines(out)
    assert len(lines) == len({r["key"] for r in lines}) == 16
    assert summary.models[0].n_cached == len(done_before)
