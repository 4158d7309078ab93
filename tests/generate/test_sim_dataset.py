"""generate_sim end to end: a valid dataset, same for 1 or 2 workers, resumable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from badbench.data.dataset import Dataset

KW = dict(
    tasks=["drawer-open-v3"],
    modes=["good", "collision", "early_stop"],
    episodes_per_mode=1,
    seed=0,
    resolution=32,
    fps=10,
)


@pytest.mark.sim
@pytest.mark.slow
def test_generate_validate_determinism_resume(tmp_path: Path) -> None:
    from badbench.data.validate import validate
    from badbench.generate.sim import generate_sim

    one = generate_sim(tmp_path / "w1", workers=1, **KW)
    two = generate_sim(tmp_path / "w2", workers=2, **KW)
    assert one.written == two.written and len(one.written) == 3
    errors = [p for p in validate(tmp_path / "w1") if p.severity == "error"]
    assert not errors, errors
    d1, d2 = Dataset.open(tmp_path / "w1"), Dataset.open(tmp_path / "w2")
    assert d1.episode_ids == d2.episode_ids
    for eid in d1.episode_ids:
        assert (d1.dense_reward(eid) == d2.dense_reward(eid)).all()
        assert d1.tags(eid) == d2.tags(eid) and d1.outcome(eid) == d2.outcome(eid)
        assert np.array_equal(d1.frames(eid), d2.frames(eid))
        assert np.array_equal(d1.extras(eid)["state_full"], d2.extras(eid)["state_full"])
    assert d1.preferences() == d2.preferences() and d1.preferences()
    assert all(p.source == "oracle" for p in d1.preferences())
    meta = d1.meta("drawer-open-v3/collision/s0000")
    assert meta.context_id == "drawer-open-v3/s0000" and meta.source == "sim"
    again = generate_sim(tmp_path / "w1", workers=1, **KW)
    assert not again.written and len(again.skipped) == 3
    assert len(Dataset.open(tmp_path / "w1").preferences()) == len(d1.preferences())
