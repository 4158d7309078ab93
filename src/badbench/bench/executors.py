"""Executors: how the score stage runs a model over episodes (the seam under ``score``).

An executor gets the model, the episodes to score (lazy views, see
:func:`badbench.bench.inputs.episode_view`) and an ``emit(position, output, seconds)``
callback, and calls ``emit`` for every episode, in the driver's thread, as soon as the output
exists. Only the driver writes the score cache (``emit`` does), so an executor never touches it.

- :class:`SequentialExecutor`: batches of :attr:`~badbench.models.RewardModel.batch_size`, one
  after another, in this thread; frames decode when the model reads them.
- :class:`LocalExecutor` (the default): the same, with the next batches' frames decoded ahead
  in a background thread, so video decoding overlaps the model's own time.

Both drive an ``async`` model (:meth:`~badbench.models.RewardModel.ascore`) on an event loop
with at most :attr:`~badbench.models.RewardModel.max_concurrency` calls in flight, emitting each
output as it arrives. An exception in ``score`` fails that batch's episodes (recorded as
:class:`~badbench.models.OutputError` of kind ``"exception"``), not the run; an exception in
``ascore`` fails its episode. ``KeyboardInterrupt`` and ``SystemExit`` still stop the run.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from badbench.data.schema import Episode
from badbench.models.base import LazyFrames, RewardModel, RewardOutput

Emit = Callable[[int, object, float], None]
"""``emit(position, output, seconds)``: ``output`` is whatever the model returned for the episode
at ``position`` (checked by the driver), ``seconds`` the model time spent on it."""


class Executor(Protocol):
    """Runs a model over episodes and emits each output."""

    def run(self, model: RewardModel, episodes: Sequence[Episode], emit: Emit) -> None:
        """Score every episode and call ``emit`` once per episode, in the calling thread."""
        ...


def exception_output(e: BaseException) -> RewardOutput:
    """The recorded failure of an episode whose ``score``/``ascore`` call raised."""
    return RewardOutput.failure("exception", f"{type(e).__name__}: {e}")


def _batches(n: int, size: int) -> list[range]:
    size = max(1, int(size))
    return [range(s, min(n, s + size)) for s in range(0, n, size)]


def _score_batch(model: RewardModel, batch: list[Episode]) -> tuple[list[object], float]:
    t0 = time.perf_counter()
    try:
        outs = model.score(batch)
    except Exception as e:  # noqa: BLE001 (a model bug fails its batch, not the run)
        outs = [exception_output(e)] * len(batch)
    per = (time.perf_counter() - t0) / max(1, len(batch))
    if not isinstance(outs, list) or len(outs) != len(batch):
        got = f"{len(outs)} outputs" if isinstance(outs, list) else type(outs).__name__
        msg = f"score() of {len(batch)} episodes returned {got}"
        outs = [RewardOutput.failure("contract", msg)] * len(batch)
    return outs, per


def _preload(episodes: Sequence[Episode]) -> None:
    for ep in episodes:
        if isinstance(ep.frames, LazyFrames):
            try:
                ep.frames.preload()
            except Exception:  # noqa: BLE001 (the model's own read raises it again, recorded)
                pass


def _run_async(
    model: RewardModel, episodes: Sequence[Episode], emit: Emit, *, prefetch: bool
) -> None:
    """Drive ``model.ascore`` with a bounded semaphore; emit each output as it completes."""

    async def one(i: int, ep: Episode, sem: asyncio.Semaphore) -> tuple[int, object, float]:
        async with sem:
            if prefetch and isinstance(ep.frames, LazyFrames):
                await asyncio.to_thread(_preload, [ep])
            t0 = time.perf_counter()
            try:
                out: object = await model.ascore(ep)
            except Exception as e:  # noqa: BLE001
                out = exception_output(e)
            return i, out, time.perf_counter() - t0

    async def main() -> None:
        sem = asyncio.Semaphore(max(1, int(model.max_concurrency)))
        tasks = [asyncio.create_task(one(i, ep, sem)) for i, ep in enumerate(episodes)]
        try:
            for fut in asyncio.as_completed(tasks):
                i, out, seconds = await fut
                emit(i, out, seconds)
        finally:
            for t in tasks:
                t.cancel()

    asyncio.run(main())


class SequentialExecutor:
    """One batch after another in this thread; frames decode when the model reads them."""

    name = "sequential"

    def run(self, model: RewardModel, episodes: Sequence[Episode], emit: Emit) -> None:
        """See :class:`Executor`."""
        if model.is_async():
            _run_async(model, episodes, emit, prefetch=False)
            return
        for rows in _batches(len(episodes), model.batch_size):
            outs, per = _score_batch(model, [episodes[i] for i in rows])
            for i, out in zip(rows, outs, strict=True):
                emit(i, out, per)


class LocalExecutor:
    """Batches in this thread, with the frames of the next batches decoded ahead in a thread.

    Args:
        prefetch: how many batches to decode ahead (0 behaves as :class:`SequentialExecutor`).
    """

    name = "local"

    def __init__(self, prefetch: int = 2) -> None:
        self.prefetch = max(0, int(prefetch))

    def run(self, model: RewardModel, episodes: Sequence[Episode], emit: Emit) -> None:
        """See :class:`Executor`."""
        ahead = self.prefetch > 0 and model.needs_frames and model.prefetch
        if model.is_async():
            _run_async(model, episodes, emit, prefetch=ahead)
            return
        if not ahead:
            SequentialExecutor().run(model, episodes, emit)
            return
        batches = _batches(len(episodes), model.batch_size)
        ready: queue.Queue[range | None] = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()

        def decode() -> None:
            for rows in batches:
                if stop.is_set():
                    break
                _preload([episodes[i] for i in rows])
                while not stop.is_set():
                    try:
                        ready.put(rows, timeout=0.1)
                        break
                    except queue.Full:
                        continue
            ready.put(None)

        worker = threading.Thread(target=decode, name="badbench-prefetch", daemon=True)
        worker.start()
        try:
            while (rows := ready.get()) is not None:
                outs, per = _score_batch(model, [episodes[i] for i in rows])
                for i, out in zip(rows, outs, strict=True):
                    emit(i, out, per)
        finally:
            stop.set()
            while worker.is_alive():  # unblock a producer waiting on a full queue
                try:
                    ready.get_nowait()
                except queue.Empty:
                    worker.join(timeout=0.05)


EXECUTORS: dict[str, Callable[[], Executor]] = {
    "sequential": SequentialExecutor,
    "local": LocalExecutor,
}
"""Executors by name (``badbench eval --executor``); a later issue adds ``ray``."""
