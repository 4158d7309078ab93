"""``check_model``: a conformance check third parties run on their reward models.

Like Gymnasium's ``check_env``: it builds a few tiny episodes in memory (or takes yours), calls
:meth:`RewardModel.score` (or, for an async model, :meth:`RewardModel.ascore` with
``max_concurrency`` calls in flight) the way the runner does, with lazy frames, and raises
:class:`badbench.errors.ValidationError` naming the first broken rule:

1. the declarations are well formed (``output_range`` low < high, ``batch_size`` and
   ``max_concurrency`` >= 1, ...), and ``fingerprint()`` returns a JSON-able dict;
2. ``score`` returns one :class:`RewardOutput` per episode, in order;
3. rewards are finite, 1-D and as long as ``frame_indices``; indices are strictly increasing and
   inside the episode; rewards lie in ``output_range``; ``success_prob`` is in [0, 1] or ``None``;
   ``info`` is JSON-able; a failure (:meth:`RewardOutput.failure`) has no rewards and an error
   with a kind and a message;
4. ``frame_indices()`` agrees with the frames the model was given and returned;
5. a deterministic model gives the same output twice and the same output batched or one by one
   (episodes it failed on are not compared).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from badbench.data.schema import Episode, EpisodeMeta, EpisodeSource, LabelSource, Outcome
from badbench.errors import ValidationError
from badbench.models.base import LazyFrames, RewardModel, RewardOutput, episode_length

_CAMERA = "observation.images.main"


def example_episodes(n: int = 3, length: int = 12, size: int = 32) -> list[Episode]:
    """Tiny in-memory episodes (random frames, a ramp or a dip as dense labels) for checks."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        t = length + 3 * i
        success = i % 2 == 0
        ramp = np.linspace(0.0, 1.0, t)
        dense = ramp if success else np.minimum(ramp, 0.5)
        meta = EpisodeMeta(
            episode_id=f"check/{i:02d}",
            instruction="put the block on the plate",
            task="check",
            fps=10.0,
            cameras=(_CAMERA,),
            length=t,
            source=EpisodeSource.SIM,
            context_id="check",
        )
        out.append(
            Episode(
                meta=meta,
                frames={_CAMERA: rng.integers(0, 256, (t, size, size, 3), dtype=np.uint8)},
                outcome=Outcome(
                    success=success, progress=float(dense[-1]), progress_source=LabelSource.ORACLE
                ),
                dense_reward=dense.astype(np.float32),
            )
        )
    return out


def _prepare(model: RewardModel, ep: Episode) -> Episode:
    """What the runner hands the model: only the cameras and frames it asked for."""
    # fresh tag and extras containers: a model that mutates its input cannot touch the dataset's
    copy = replace(ep, frames={}, tags=list(ep.tags), extras=dict(ep.extras))
    if not model.needs_frames:
        return copy
    cams = model.cameras or (next(iter(ep.frames)),)
    idx = model.frame_indices(ep.meta)
    loaders = {}
    for cam in cams:
        if cam not in ep.frames:
            raise ValidationError(f"the model asks for camera '{cam}', which the episode lacks")
        arr = ep.frames[cam] if idx is None else ep.frames[cam][list(idx)]
        loaders[cam] = lambda arr=arr: arr
    return replace(copy, frames=LazyFrames(loaders))  # type: ignore[arg-type]


def check_output(model: RewardModel, episode: Episode, out: object) -> RewardOutput:
    """Check one output against the contract; return it typed.

    Raises:
        ValidationError: the output breaks a rule (the message names the episode and the rule).
    """
    where = f"{model!r} on episode '{episode.id}'"
    if not isinstance(out, RewardOutput):
        raise ValidationError(
            f"{where}: score() must return RewardOutput, got {type(out).__name__}"
        )
    try:
        json.dumps(out.info)
    except (TypeError, ValueError) as e:
        raise ValidationError(f"{where}: info is not JSON-able ({e})") from None
    if out.error is not None:
        err = out.error
        if not (isinstance(err.kind, str) and err.kind and isinstance(err.message, str)):
            raise ValidationError(f"{where}: an error needs a kind and a message, got {err!r}")
        if len(out.rewards) or len(out.frame_indices):
            raise ValidationError(f"{where}: a failed output must carry no rewards")
        return out
    r, idx = out.rewards, out.frame_indices
    if r.ndim != 1 or idx.ndim != 1 or len(r) != len(idx):
        raise ValidationError(f"{where}: rewards {r.shape} and frame_indices {idx.shape} differ")
    if len(r) == 0:
        raise ValidationError(f"{where}: no rewards returned")
    if not np.all(np.isfinite(r)):
        raise ValidationError(f"{where}: rewards contain NaN or inf")
    n = episode_length(episode)
    if np.any(np.diff(idx) <= 0) or idx[0] < 0 or idx[-1] >= n:
        raise ValidationError(
            f"{where}: frame_indices must increase strictly within [0, {n}), got {idx.tolist()}"
        )
    lo, hi = model.output_range
    tol = 1e-6 * max(1.0, hi - lo)
    if r.min() < lo - tol or r.max() > hi + tol:
        raise ValidationError(
            f"{where}: rewards span [{r.min():.4g}, {r.max():.4g}] outside the declared "
            f"output_range {model.output_range}"
        )
    p = out.success_prob
    if p is not None and not (np.isfinite(p) and 0.0 <= p <= 1.0):
        raise ValidationError(f"{where}: success_prob {p} is not in [0, 1]")
    return out


def _check_declarations(model: RewardModel) -> None:
    name = repr(model)
    if not isinstance(model, RewardModel):
        raise ValidationError(f"{type(model).__name__} is not a badbench RewardModel subclass")
    if not (model.is_async() or type(model).score is not RewardModel.score):
        raise ValidationError(f"{name}: implement score() or async ascore()")
    lo, hi = model.output_range
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValidationError(f"{name}: output_range {model.output_range} must have low < high")
    if not isinstance(model.batch_size, int) or model.batch_size < 1:
        raise ValidationError(f"{name}: batch_size must be a positive integer")
    if not isinstance(model.max_concurrency, int) or model.max_concurrency < 1:
        raise ValidationError(f"{name}: max_concurrency must be a positive integer")
    fp = model.fingerprint()
    if not isinstance(fp, dict):
        raise ValidationError(f"{name}: fingerprint() must return a dict, got {type(fp).__name__}")
    try:
        json.dumps(fp, sort_keys=True)
    except (TypeError, ValueError) as e:
        raise ValidationError(f"{name}: fingerprint() is not JSON-able ({e})") from None
    if fp != model.fingerprint():
        raise ValidationError(f"{name}: fingerprint() changes between calls")
    if model.cameras is not None and not all(isinstance(c, str) for c in model.cameras):
        raise ValidationError(f"{name}: cameras must be None or a tuple of camera keys")


def _score(model: RewardModel, episodes: Sequence[Episode]) -> object:
    """Call the model as the runner does: ``score``, or ``ascore`` with bounded concurrency."""
    if not model.is_async():
        return model.score(list(episodes))

    async def run() -> list[object]:
        sem = asyncio.Semaphore(model.max_concurrency)

        async def one(ep: Episode) -> object:
            async with sem:
                return await model.ascore(ep)

        return list(await asyncio.gather(*(one(ep) for ep in episodes)))

    return asyncio.run(run())


def _same(a: RewardOutput, b: RewardOutput) -> bool:
    if a.failed or b.failed:
        return True  # a failure (a flaky server, a parse error) is not a determinism breach
    return (
        np.array_equal(a.frame_indices, b.frame_indices)
        and np.allclose(a.rewards, b.rewards, rtol=1e-6, atol=1e-9)
        and (a.success_prob is None) == (b.success_prob is None)
        and (a.success_prob is None or abs(a.success_prob - b.success_prob) < 1e-6)  # type: ignore[operator]
    )


def check_model(model: RewardModel, episodes: Sequence[Episode] | None = None) -> None:
    """Run the conformance checks on ``model``; return quietly if it passes.

    Args:
        model: the model instance to check.
        episodes: episodes to score (with frames for every camera it reads and the dense labels
            it may need); by default three tiny random ones from :func:`example_episodes`.

    Raises:
        ValidationError: the first rule the model breaks.
    """
    _check_declarations(model)
    eps = list(episodes) if episodes is not None else example_episodes()
    given = [_prepare(model, ep) for ep in eps]
    if model.needs_frames:
        for ep in given:
            idx = model.frame_indices(ep.meta)
            if idx is not None and any(i < 0 or i >= episode_length(ep) for i in idx):
                raise ValidationError(f"{model!r}: frame_indices() out of range for '{ep.id}'")
    outs = _score(model, given)
    if not isinstance(outs, list) or len(outs) != len(given):
        got = len(outs) if hasattr(outs, "__len__") else type(outs).__name__
        raise ValidationError(f"{model!r}: score() of {len(given)} episodes returned {got} outputs")
    typed = [check_output(model, ep, o) for ep, o in zip(given, outs, strict=True)]
    if not model.deterministic:
        return
    again = _score(model, given)
    singles = [_score(model, [ep])[0] for ep in given]  # type: ignore[index]
    for ep, a, b, c in zip(given, typed, again, singles, strict=True):
        if not _same(a, check_output(model, ep, b)):
            raise ValidationError(f"{model!r}: two calls on '{ep.id}' differ (deterministic=True)")
        if not _same(a, check_output(model, ep, c)):
            raise ValidationError(f"{model!r}: '{ep.id}' scores differently batched and alone")
