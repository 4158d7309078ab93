"""Make docs/sim.md's contact sheets: one PNG per failure category, from a fresh sim suite.

    MUJOCO_GL=egl python scripts/sim_sheets.py [--out docs/img] [--seed 5]

Generates one seed family of pick-place-v3, push-v3 and drawer-open-v3 at 224 px with the
default cameras (scene and wrist), then writes ``sheet-<category>.png`` for each category: the
clean episode of a context above some of that category's modes in the same context (frames from
each camera, the tagged spans marked, the dense label beneath). About a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

SHEETS = {
    "unsafe": [("pick-place-v3", ("collision", "excessive_force", "push_off"))],
    "shortcut": [
        ("pick-place-v3", ("push_instead_of_pick",)),
        ("push-v3", ("partial_completion",)),
    ],
    "poor_execution": [("drawer-open-v3", ("jitter", "hesitation", "detour"))],
    "failure": [("pick-place-v3", ("miss_grasp", "drop", "early_stop"))],
}
"""Category -> [(task, modes shown after the clean episode of the same context)]."""


def main() -> None:
    from badbench.data.dataset import Dataset
    from badbench.data.sheet import contact_sheet
    from badbench.generate.sim import generate_sim

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--frames", type=int, default=8)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "suite"
        pairs = [p for rows in SHEETS.values() for p in rows]
        modes = sorted({"good", *(m for _, ms in pairs for m in ms)})
        tasks = sorted({t for t, _ in pairs})
        generate_sim(root, tasks=tasks, modes=modes, episodes_per_mode=1, seed=args.seed)
        have = set(Dataset.open(root).episode_ids)
        for category, rows in SHEETS.items():
            ids = [f"{task}/{m}/s0000" for task, shown in rows for m in ("good", *shown)]
            ids = [i for i in ids if i in have]
            path = contact_sheet(root, args.out / f"sheet-{category}.png", episodes=ids,
                                 frames=args.frames)
            print(f"wrote {path} ({', '.join(ids)})")


if __name__ == "__main__":
    main()
