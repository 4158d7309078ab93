"""Episodes/s of `generate_sim` against a bare Meta-World loop, 1 vs 2 processes.

The bare loop (no badbench) runs the same tasks' scripted experts with Meta-World's env class,
steps at 80 Hz and renders the same number of frames at the same resolution (shadows and
multisampling off, as the engine does), for the same number of control steps per episode as
the engine used. Run: ``.venv/bin/python benchmarks/sim_generation.py [repeats]``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import tempfile
import time
import warnings

os.environ.setdefault("MUJOCO_GL", "egl")

TASKS = ["drawer-open-v3", "push-v3", "window-open-v3", "faucet-open-v3", "pick-place-v3"]
MODES = ["good", "jitter", "hesitation", "early_stop"]
N = 4
RES, FPS = 128, 20


def _bare(args: tuple[str, int, int]) -> int:
    task, seed, steps = args
    from metaworld.policies import ENV_POLICY_MAP

    from badbench.generate.sim import sim_task
    from badbench.generate.sim._mujoco import make_env, render_frame

    env = _bare.cache.get(task) if hasattr(_bare, "cache") else None
    if env is None:
        _bare.cache = getattr(_bare, "cache", {})
        env = _bare.cache[task] = make_env(
            sim_task(task).env_name, width=RES, height=RES, cameras=["corner"], render=True
        )
    pol = ENV_POLICY_MAP[sim_task(task).env_name]()
    env.seed(seed)
    obs, _ = env.reset()
    render_frame(env)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in range(1, steps + 1):
            obs, *_ = env.step(pol.get_action(obs))
            if t % (80 // FPS) == 0:
                render_frame(env)
    return steps


def bare(jobs: list[tuple[str, int, int]], workers: int) -> float:
    t0 = time.perf_counter()
    if workers == 1:
        list(map(_bare, jobs))
        from badbench.generate.sim._mujoco import close_env

        for env in getattr(_bare, "cache", {}).values():
            close_env(env)
        _bare.cache = {}
    else:
        from badbench.generate.sim._runner import worker_init

        with mp.get_context("spawn").Pool(workers, initializer=worker_init) as pool:
            list(pool.imap(_bare, jobs, chunksize=1))
    return len(jobs) / (time.perf_counter() - t0)


def engine(workers: int) -> tuple[float, list[tuple[str, int, int]]]:
    from badbench.data.dataset import Dataset
    from badbench.generate.sim import generate_sim

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        s = generate_sim(
            f"{tmp}/ds",
            tasks=TASKS,
            modes=MODES,
            episodes_per_mode=N,
            workers=workers,
            resolution=RES,
            fps=FPS,
        )
        dt = time.perf_counter() - t0
        ds = Dataset.open(f"{tmp}/ds")
        jobs = [
            (
                m.task,
                ds.meta(m.episode_id).generator["family_seed"],
                len(ds.extras(m.episode_id)["action_full"]),
            )
            for m in ds
        ]
    return len(s.written) / dt, jobs


def main(repeats: int = 2) -> None:
    """Alternate the four measurements ``repeats`` times; report the best rate of each.

    Best-of-n discounts interference from other processes on a shared machine.
    """
    # imports are paid once per process by both sides: load them before timing either
    import badbench.data.dataset  # noqa: F401
    import badbench.data.writer  # noqa: F401
    from badbench.generate.sim._mujoco import import_sim

    import_sim()
    e1 = b1 = e2 = b2 = 0.0
    for _ in range(repeats):
        rate, jobs = engine(1)
        e1 = max(e1, rate)
        b1 = max(b1, bare(jobs, 1))
        e2 = max(e2, engine(2)[0])
        b2 = max(b2, bare(jobs, 2))
    print(
        f"episodes: {len(jobs)} ({', '.join(TASKS)}; modes {', '.join(MODES)}), "
        f"{RES}x{RES} @ {FPS} fps, cpu_count={os.cpu_count()}, best of {repeats}"
    )
    print(f"1 process : generate {e1:.2f} ep/s, bare loop {b1:.2f} ep/s -> ratio {e1 / b1:.2f}")
    print(f"2 processes: generate {e2:.2f} ep/s, bare loop {b2:.2f} ep/s -> ratio {e2 / b2:.2f}")
    print(f"scaling 2 vs 1 process: generate {e2 / e1:.2f}x, bare loop {b2 / b1:.2f}x")


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2))
