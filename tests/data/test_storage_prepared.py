"""Prepared episodes: videos encoded (and image stats computed) in another process, then
committed by ``DatasetWriter.append``; the dataset is the same as with plain appends, and a kill
between prepare and commit leaves a valid dataset."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from badbench.data import Dataset, DatasetWriter
from badbench.data.prepared import PreparedEpisode, prepare_episode
from badbench.data.validate import validate
from badbench.data.video import VideoSpec, probe_video
from badbench.errors import ValidationError
from fixtures.factories import FRAME_TOLERANCE, make_episode

SPEC = VideoSpec(codec="libx264", options={"preset": "veryfast"})
TESTS = Path(__file__).resolve().parents[1]


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".writer.lock"
    }


def _staged(root: Path) -> list[Path]:
    return sorted((root / "videos").rglob(".*.tmp")) if (root / "videos").exists() else []


def test_prepared_append_gives_the_same_dataset(tmp_path):
    episodes = [make_episode(i, length=12) for i in range(4)]
    plain, prep = tmp_path / "plain", tmp_path / "prep"
    with DatasetWriter(plain, spec=SPEC) as w:
        for ep in episodes:
            w.append(ep)
    with DatasetWriter(prep, spec=SPEC) as w:
        # prepared in other processes, as generate_sim's workers do
        with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(prepare_episode, ep, prep, spec=SPEC) for ep in episodes]
            prepared = [f.result() for f in futures]
        assert all(isinstance(p, PreparedEpisode) and not p.episode.frames for p in prepared)
        assert len(_staged(prep)) == 2 * len(episodes)
        for p in prepared:
            w.append(p)
    assert not _staged(prep)
    assert validate(prep) == []
    a, b = _files(plain), _files(prep)
    assert a.keys() == b.keys()
    for name in a:  # parquet tables, info.json and stats.json: the same bytes
        if name.endswith(".mp4"):  # libx264 here is not bit-exact from one run to the next
            assert probe_video(plain / name) == probe_video(prep / name)
        else:
            assert a[name] == b[name], name
    d1, d2 = Dataset.open(plain), Dataset.open(prep)
    assert json.loads((plain / "meta/stats.json").read_text()) == json.loads(
        (prep / "meta/stats.json").read_text()
    )
    for f1, f2 in zip(
        sorted((plain / "meta/episodes").rglob("*.parquet")),
        sorted((prep / "meta/episodes").rglob("*.parquet")),
        strict=True,
    ):
        assert pq.read_table(f1).equals(pq.read_table(f2))
    for ep in episodes:
        g1, g2 = d1.load(ep.id), d2.load(ep.id)
        for cam, frames in ep.frames.items():
            assert g1.frames[cam].shape == g2.frames[cam].shape == frames.shape
            # libx264 is not bit-exact from run to run here: both decodings must be within the
            # codec's tolerance of the source frames, as in the plain round trip
            for got in (g1.frames[cam], g2.frames[cam]):
                diff = np.abs(got.astype(int) - frames.astype(int)).mean()
                assert diff < FRAME_TOLERANCE, (cam, diff)
        np.testing.assert_array_equal(g1.state, g2.state)
        assert g1.tags == g2.tags and g1.outcome == g2.outcome


def test_prepared_and_plain_episodes_mix_and_resume(tmp_path):
    root = tmp_path / "ds"
    eps = [make_episode(i, length=10) for i in range(5)]
    with DatasetWriter(root, spec=SPEC) as w:
        w.extend([eps[0], prepare_episode(eps[1], root, spec=SPEC), eps[2]])
    with DatasetWriter(root, spec=SPEC) as w:  # resumed
        w.append(prepare_episode(eps[3], root, spec=SPEC))
        w.append(eps[4])
    assert validate(root) == []
    ds = Dataset.open(root)
    assert ds.episode_ids == [ep.id for ep in eps]
    for ep in eps:
        got = ds.load(ep.id)
        for cam, frames in ep.frames.items():
            assert np.abs(got.frames[cam].astype(int) - frames).mean() < 8
    rows = pq.read_table(sorted((root / "meta/episodes").rglob("*.parquet"))[-1])
    assert "stats/observation.images.top/q01" in rows.column_names


def test_quantile_free_dataset_gets_no_quantiles_from_a_prepared_episode(tmp_path):
    root = tmp_path / "ds"
    with DatasetWriter(root, spec=SPEC) as w:
        w.append(make_episode(0))
    path = next((root / "meta/episodes").rglob("*.parquet"))
    table = pq.read_table(path)  # as written by a LeRobot version without quantiles
    pq.write_table(table.select([c for c in table.column_names if "/q" not in c]), path)
    with DatasetWriter(root, spec=SPEC) as w:
        w.append(prepare_episode(make_episode(1), root, spec=SPEC))
    new = sorted((root / "meta/episodes").rglob("*.parquet"))[-1]
    assert new != path
    assert pq.read_table(new).column_names == pq.read_table(path).column_names


def test_prepared_episode_must_match_the_writer(tmp_path):
    root = tmp_path / "ds"
    ep0, ep1 = make_episode(0), make_episode(1)
    with DatasetWriter(root, spec=SPEC) as w:
        w.append(ep0)
        other = prepare_episode(ep1, root, spec=VideoSpec())  # default preset
        with pytest.raises(ValidationError, match="spec"):
            w.append(other)
        assert not _staged(root)  # consumed: the rejected episode's files are gone
        slow = prepare_episode(ep1, root, spec=SPEC, fps=5.0)
        with pytest.raises(ValidationError, match="fps"):
            w.append(slow)
        elsewhere = prepare_episode(ep1, tmp_path / "other", spec=SPEC)
        with pytest.raises(ValidationError, match="staged for the dataset"):
            w.append(elsewhere)
        dup = prepare_episode(ep0, root, spec=SPEC)
        with pytest.raises(ValidationError, match="already in the dataset"):
            w.append(dup)
        assert not _staged(root)
        good = prepare_episode(ep1, root, spec=SPEC)
        w.append(good)
        with pytest.raises(ValidationError, match="prepare it again"):
            w.append(good)
    assert validate(root) == []
    assert Dataset.open(root).episode_ids == [ep0.id, ep1.id]


KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from badbench.data import DatasetWriter
from badbench.data.prepared import prepare_episode
from badbench.data.video import VideoSpec, probe_video
from fixtures.factories import FRAME_TOLERANCE, make_episode

root, die_at = sys.argv[1], int(sys.argv[2])
spec = VideoSpec(codec="libx264", options={{"preset": "veryfast"}})
with DatasetWriter(root, spec=spec) as w:
    for i in range(len(w), 3):
        p = prepare_episode(make_episode(i, length=10), root, spec=spec)
        if i == 2 and die_at == 0:
            os.kill(os.getpid(), signal.SIGKILL)  # prepared, never committed
        if i == 2:
            real, calls = os.replace, [0]
            def replace(src, dst):
                calls[0] += 1
                if calls[0] == die_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                real(src, dst)
            os.replace = replace
        w.append(p)
        print("done", i, flush=True)
"""


def _run(script: Path, root: Path, die_at: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(script), str(root), str(die_at)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


@pytest.mark.slow
def test_kill_between_prepare_and_commit_leaves_a_valid_dataset(tmp_path):
    script = tmp_path / "kill.py"
    script.write_text(textwrap.dedent(KILL_SCRIPT.format(tests=str(TESTS))))
    base = tmp_path / "base"
    r = _run(script, base, die_at=0)
    assert r.returncode == -9, r.stderr
    assert r.stdout.split() == ["done", "0", "done", "1"]
    assert len(_staged(base)) == 2  # the prepared episode's two videos, never committed
    assert all(p.severity == "warning" for p in validate(base))
    # the commit of a prepared append does 2 video moves and 5 parquet/json writes before
    # info.json: die before each, then reopen; the next writer removes what is left
    for die_at in [0, *range(1, 10)]:
        root = tmp_path / f"k{die_at}"
        shutil.copytree(base, root)
        r = _run(script, root, die_at)
        assert r.returncode == -9, r.stderr
        with DatasetWriter(root, spec=SPEC) as w:
            n = len(w)
        assert not _staged(root)
        assert validate(root) == [], die_at
        ds = Dataset.open(root)
        assert n == len(ds) in (2, 3)
        for eid in ds.episode_ids:
            assert ds.frames(eid).shape[0] == 10
        r = _run(script, root, die_at=-1)  # resume: the killed episode is written again
        assert r.returncode == 0, r.stderr
        assert validate(root) == []
        assert len(Dataset.open(root)) == 3
