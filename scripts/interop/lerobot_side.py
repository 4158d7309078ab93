"""LeRobot's side of the interop check (runs in a venv with lerobot 0.4.x, not badbench).

1. LeRobotDataset reads a badbench-written dataset (ROOT/sim) and dumps some frames and states.
2. LeRobotDataset.create writes a small dataset (ROOT/written_by_lerobot) for badbench to read.
Usage: python lerobot_side.py ROOT
"""

import os
import shutil
import sys

import numpy as np

ROOT = sys.argv[1]
os.environ["HF_HUB_OFFLINE"] = "1"
from lerobot.datasets.lerobot_dataset import LeRobotDataset  # noqa: E402

# 1) read ours: dump a few frames for comparison
ds = LeRobotDataset("local/sim", root=f"{ROOT}/sim", video_backend="pyav")
idx = [0, 75, 300, 609]
out = {}
for i in idx:
    it = ds[i]
    out[f"f{i}"] = (
        (it["observation.images.corner"].numpy().transpose(1, 2, 0) * 255).round().astype(np.uint8)
    )
    out[f"s{i}"] = it["observation.state"].numpy()
    out[f"e{i}"] = np.array([int(it["episode_index"]), int(it["frame_index"])])
np.savez(f"{ROOT}/lerobot_read.npz", **out)
# 2) LeRobot writes a dataset
root = f"{ROOT}/written_by_lerobot"
shutil.rmtree(root, ignore_errors=True)
features = {
    "observation.images.top": {
        "dtype": "video",
        "shape": (48, 64, 3),
        "names": ["height", "width", "channels"],
    },
    "observation.state": {"dtype": "float32", "shape": (3,), "names": ["x", "y", "z"]},
    "action": {"dtype": "float32", "shape": (2,), "names": ["a", "b"]},
}
w = LeRobotDataset.create(
    "local/written",
    fps=10,
    root=root,
    robot_type="testbot",
    features=features,
    use_videos=True,
    video_backend="pyav",
)
rng = np.random.default_rng(0)
for ep in range(3):
    for t in range(12 + ep):
        img = np.zeros((48, 64, 3), np.uint8)
        img[:, : (t * 5) % 64] = (40 * ep, 200, 90)
        w.add_frame(
            {
                "observation.images.top": img,
                "observation.state": rng.random(3, dtype=np.float32),
                "action": rng.random(2, dtype=np.float32),
                "task": f"task {ep % 2}",
            }
        )
    w.save_episode()
w.finalize()
print("lerobot wrote", w.meta.total_episodes, w.meta.total_frames)
