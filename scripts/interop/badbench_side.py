"""badbench's side of the interop check: compare with what LeRobot read, read what it wrote.

Usage: python badbench_side.py ROOT   (after lerobot_side.py ROOT)
"""

import sys

import numpy as np

ROOT = sys.argv[1]
from badbench.data import Dataset, validate  # noqa: E402

# ours read by lerobot vs ours read by us
z = np.load(f"{ROOT}/lerobot_read.npz")
ds = Dataset.open(f"{ROOT}/sim")
for i in [0, 75, 300, 609]:
    ep, fi = z[f"e{i}"]
    eid = ds.episode_ids[ep]
    ours = ds.frames(eid, indices=[fi])[0]
    st = ds.load(eid, video=False).state[fi]
    print(
        i,
        eid,
        fi,
        "frame max abs diff",
        int(np.abs(ours.astype(int) - z[f"f{i}"].astype(int)).max()),
        "state equal",
        np.array_equal(st, z[f"s{i}"]),
    )
# lerobot-written dataset read by us
d2 = Dataset.open(f"{ROOT}/written_by_lerobot")
print("lerobot-written:", len(d2), d2.episode_ids, d2.cameras)
for eid in d2.episode_ids:
    e = d2.load(eid)
    print(
        eid,
        e.meta.instruction,
        e.meta.length,
        {k: v.shape for k, v in e.frames.items()},
        e.state.shape,
        e.action.shape,
    )
print("problems:", [str(p) for p in validate(f"{ROOT}/written_by_lerobot", include_warnings=True)])
