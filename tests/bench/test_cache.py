"""The score cache: durable appends, torn-tail recovery, no duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from badbench.bench.cache import ScoreCache
from badbench.errors import DataError
from badbench.models import RewardOutput


def _out(n: int, p: float | None = None) -> RewardOutput:
    return RewardOutput(np.linspace(0, 1, n), np.arange(0, 2 * n, 2), p)


def test_put_then_reopen(tmp_path: Path) -> None:
    with ScoreCache(tmp_path, "h1", describe={"name": "x"}) as c:
        c.put("k1", "ep1", _out(3, 0.25), seconds=0.5)
        c.put("k2", "ep2", _out(4))
        assert "k1" in c and len(c) == 2
    with ScoreCache(tmp_path, "h1") as c:
        hit = c.get("k1")
        assert hit is not None and hit.episode_id == "ep1" and hit.seconds == 0.5
        np.testing.assert_allclose(hit.output.rewards, np.linspace(0, 1, 3))
        assert hit.output.frame_indices.tolist() == [0, 2, 4]
        assert hit.output.success_prob == 0.25
        assert c.get("k2").output.success_prob is None  # type: ignore[union-attr]
        assert c.get("nope") is None and c.keys == {"k1", "k2"}
    assert json.loads((tmp_path / "h1.json").read_text()) == {"name": "x"}


def test_configs_do_not_share_entries(tmp_path: Path) -> None:
    with ScoreCache(tmp_path, "a") as c:
        c.put("k", "ep", _out(2))
    with ScoreCache(tmp_path, "b") as c:
        assert "k" not in c


def test_repeated_put_is_not_duplicated(tmp_path: Path) -> None:
    with ScoreCache(tmp_path, "h") as c:
        c.put("k", "ep", _out(2))
        c.put("k", "ep", _out(5))
    lines = (tmp_path / "h.jsonl").read_text().splitlines()
    assert len(lines) == 1


def test_torn_last_line_is_dropped_and_truncated(tmp_path: Path) -> None:
    with ScoreCache(tmp_path, "h") as c:
        c.put("k1", "ep1", _out(2))
        c.put("k2", "ep2", _out(2))
    path = tmp_path / "h.jsonl"
    good = path.read_bytes()
    path.write_bytes(good + b'{"key":"k3","episode_id":"ep3","rew')  # killed mid-write
    with ScoreCache(tmp_path, "h") as c:
        assert c.keys == {"k1", "k2"}
        assert path.read_bytes() == good
        c.put("k3", "ep3", _out(2))
    with ScoreCache(tmp_path, "h") as c:
        assert c.keys == {"k1", "k2", "k3"}


def test_unterminated_but_complete_line_is_dropped(tmp_path: Path) -> None:
    """A line without its newline was not fully written: treat it as torn."""
    with ScoreCache(tmp_path, "h") as c:
        c.put("k1", "ep1", _out(2))
    path = tmp_path / "h.jsonl"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    with ScoreCache(tmp_path, "h") as c:
        assert len(c) == 0
        c.put("k1", "ep1", _out(2))
    assert len(path.read_text().splitlines()) == 1


def test_corruption_in_the_middle_is_an_error(tmp_path: Path) -> None:
    with ScoreCache(tmp_path, "h") as c:
        c.put("k1", "ep1", _out(2))
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"garbage\n" + path.read_bytes())
    with pytest.raises(DataError, match="delete this file") as e:
        ScoreCache(tmp_path, "h")
    assert "h.jsonl:1" in str(e.value)


def test_two_writers_append_whole_lines(tmp_path: Path) -> None:
    a, b = ScoreCache(tmp_path, "h"), ScoreCache(tmp_path, "h")
    for i in range(20):
        (a if i % 2 else b).put(f"k{i}", f"ep{i}", _out(50))
    a.close()
    b.close()
    with ScoreCache(tmp_path, "h") as c:
        assert len(c) == 20


def test_writers_see_each_others_entries(tmp_path: Path) -> None:
    a, b = ScoreCache(tmp_path, "h"), ScoreCache(tmp_path, "h")
    a.put("k", "ep", _out(3))
    b.put("k", "ep", _out(4))  # b catches up under the lock and does not append again
    b.put("k2", "ep2", _out(2))
    a.put("k2", "ep2", _out(2))
    assert b.get("k").output.rewards.size == 3  # type: ignore[union-attr]
    a.close()
    b.close()
    assert len((tmp_path / "h.jsonl").read_text().splitlines()) == 2
