"""No untagged event: on a seed no other test uses, every physical event of every episode
(re-detected from the stored full-rate channels) lies inside a tag that names it."""

from __future__ import annotations

import numpy as np
import pytest

from badbench.generate.sim._events import (
    CRUSH_FORCE_N,
    EXPLAINED_BY,
    SLAM_LOOKBACK,
    SLAM_SPEED,
    runs,
)
from badbench.generate.sim._injector import (
    COLLISION_FORCE_N,
    IMPACT_FORCE_N,
    NEAR_OBJECT,
    SPEED_LIMIT,
    modes_for,
)
from badbench.generate.sim._runner import SimJob, run_job
from badbench.generate.sim._tasks import sim_task

SEED = 4242  # used by no other test
TASKS = ("pick-place-v3", "drawer-open-v3")


def stored_events(ep) -> list[tuple[str, int]]:
    """(mode, control step) of strikes, slams and fast motion, from the episode's extras."""
    x = ep.extras
    obs = x["state_full"].astype(np.float64)
    hand, obj = obs[:, :3], obs[:, 4:7]
    speed = np.append(np.linalg.norm(np.diff(hand, axis=0), axis=1) * 80.0, 0.0)
    near = np.linalg.norm(hand - obj, axis=1) < NEAR_OBJECT
    # a slam: over the impact force, coming down fast just before (or crushing)
    force = x["object_force_full"]
    vz = np.diff(obj[:, 2], prepend=obj[0, 2]) * 80.0
    falling = np.array([vz[max(0, t - SLAM_LOOKBACK) : t + 1].min() for t in range(len(vz))])
    slam = (force > IMPACT_FORCE_N) & ((falling < -SLAM_SPEED) | (force >= CRUSH_FORCE_N))
    found = []
    for mode, mask in (
        ("collision", x["contact_force_full"] > COLLISION_FORCE_N),
        ("excessive_force", slam),
        ("fast_motion", (speed > SPEED_LIMIT + 1e-3) & near),
    ):
        found += [(mode, a) for a, _ in runs(mask)]
    return found


@pytest.mark.sim
@pytest.mark.slow
def test_every_event_is_inside_a_tag_that_names_it() -> None:
    checked = 0
    for name in TASKS:
        for mode in modes_for(sim_task(name)):
            job = SimJob(name, mode, 0, SEED, 20.0, 32, 32, "corner", render=False)
            _, ep = run_job(job)
            if ep is None:
                continue
            stride = ep.meta.generator["stride"]
            if mode == "good":
                assert ep.tags == [] and stored_events(ep) == [], ep.id
            for ev_mode, step in stored_events(ep):
                frame = step // stride
                names = {ev_mode} | set(EXPLAINED_BY.get(ev_mode, ()))
                covering = [
                    t
                    for t in ep.tags
                    if t.mode in names and t.start_frame <= frame + 1 and frame <= t.end_frame + 1
                ]
                assert covering, f"{ep.id}: {ev_mode} at frame {frame} outside every tag"
                assert min(t.start_frame for t in covering) <= frame + 1  # tag starts first
                checked += 1
    assert checked > 0
