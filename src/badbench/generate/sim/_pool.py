"""Worker processes of the sim engine: results in job order, and a clear error when one dies.

Workers are ``spawn`` processes of a :class:`~concurrent.futures.ProcessPoolExecutor`. A worker
that dies (killed, out of memory, or exiting while it imports the main module) breaks the pool:
the run stops at once with one :class:`~badbench.errors.BadbenchError` naming how it died,
instead of a ``multiprocessing.Pool`` replacing the worker while its job is lost for good.
A script that calls :func:`~badbench.generate.sim.generate_sim` at top level, without
``if __name__ == "__main__":``, makes each worker call it again while it starts; the call then
exits the worker quietly with :data:`EXIT_UNGUARDED`, and the parent says to add the guard.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from badbench.errors import BadbenchError

if TYPE_CHECKING:
    from badbench.generate.sim._runner import SimJob

EXIT_UNGUARDED = 3
"""Exit code of a worker process that found :func:`generate_sim` called while it imported the
main module (a script without ``if __name__ == "__main__":``)."""


def starting_worker() -> bool:
    """Whether this process is a spawn worker still importing the main module (the check
    ``multiprocessing`` itself makes before it refuses to start a process from there)."""
    return bool(getattr(mp.current_process(), "_inheriting", False))


def worker_init(started: Any = None) -> None:
    """Pool initializer: one render thread per worker process; sets ``started`` (an event).

    Mesa's software rasteriser (llvmpipe, used by EGL without a GPU) starts one thread per
    core in every process; with one process per core those threads only contend. The event
    tells the parent that a worker got past importing the main module.
    """
    os.environ.setdefault("LP_NUM_THREADS", "1")
    if started is not None:
        started.set()


def run_and_prepare(job: SimJob, *, root: Path, spec: Any, fps: float) -> tuple[SimJob, Any]:
    """Worker body: :func:`run_job`, then encode the episode's video into the dataset's staging
    area; returns ``(job, PreparedEpisode or None)`` (no pixels cross the process boundary)."""
    from badbench.data.prepared import prepare_episode
    from badbench.generate.sim._runner import run_job

    job, episode = run_job(job)
    if episode is None:
        return job, None
    return job, prepare_episode(episode, root, spec=spec, fps=fps)


def imap_jobs(
    jobs: list[SimJob], workers: int, *, root: Path, spec: Any, fps: float
) -> Iterator[tuple[SimJob, Any]]:
    """``(job, Episode | PreparedEpisode | None)`` in job order.

    A worker that dies (killed, out of memory, or failing to import the main module) fails the
    run at once with :class:`BadbenchError`, instead of being replaced while its job is lost.
    """
    if workers == 1 or len(jobs) <= 1:
        from badbench.generate.sim._runner import run_job

        yield from map(run_job, jobs)
        return
    ctx = mp.get_context("spawn")
    started = ctx.Event()
    work = partial(run_and_prepare, root=root, spec=spec, fps=fps)
    pool = ProcessPoolExecutor(
        min(workers, len(jobs)), mp_context=ctx, initializer=worker_init, initargs=(started,)
    )
    try:
        futures = [pool.submit(work, job) for job in jobs]
        for fut in futures:
            try:
                result = fut.result()
            except BrokenProcessPool:
                procs = list((getattr(pool, "_processes", None) or {}).values())
                pool.shutdown(wait=True, cancel_futures=True)  # joins them: exit codes are set
                codes = sorted({p.exitcode for p in procs if p.exitcode not in (None, 0)})
                raise BadbenchError(_died(started.is_set(), codes)) from None
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _died(started: bool, codes: list[int]) -> str:
    """The message for a worker process that died (``codes``: the exit codes seen)."""
    guard = (
        "a script that calls generate_sim (or run_demo) must do so under "
        '`if __name__ == "__main__":` (workers re-import it), or pass workers=1'
    )
    if EXIT_UNGUARDED in codes:
        main = getattr(sys.modules.get("__main__"), "__file__", None) or "the main module"
        return f"the generator's worker processes could not start: they re-import {main}; {guard}"
    how = ", ".join(
        f"killed by {signal.Signals(-c).name}" if c < 0 and -c in signal.valid_signals()
        else f"exit code {c}"
        for c in codes if c != -signal.SIGTERM
    )
    how = f" ({how})" if how else ""
    if not started:
        return f"the generator's worker processes died while starting{how}; {guard}"
    return (
        f"a generator worker process died{how}, killed or out of memory?; the episodes "
        "written so far are kept: run again to resume, with fewer workers if memory is short"
    )
