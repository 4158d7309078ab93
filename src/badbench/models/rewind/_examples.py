"""Training examples of ReWiND, and the builders that make them from datasets.

An :class:`Example` is one episode's embedded frames with a per-frame progress target in [0, 1].
Examples from any source go in one list to :func:`badbench.models.rewind.train`, so an experiment
varies only which examples it passes:

- :func:`success_examples`: a dataset's clean successes (``success`` and no failure tag), with
  ReWiND's targets, linear progress ``t / (T - 1)``; ReWiND's rewind augmentation applies to them.
- :func:`labelled_examples`: episodes with labels of their own (bad episodes by default: sim
  failures, augmented negatives, rated real rollouts), regressed to those labels: the stored
  dense reward at the embedded frames when the episode has one, else a linear ramp from 0 to the
  episode's quality (``Outcome.score``, else ``progress``). Episodes with neither are skipped.
  The rewind augmentation does not apply to them (their labels already say how bad they are).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from badbench.data.dataset import Dataset
from badbench.data.schema import Episode, EpisodeSource
from badbench.errors import ValidationError
from badbench.models.rewind._cache import FRAMES, embed_dataset
from badbench.models.rewind._encoders import ImageEncoder, encoder_spec, image_encoder


@dataclass(frozen=True, eq=False)
class Example:
    """One episode's embedded frames and per-frame progress targets.

    Attributes:
        episode_id: the episode it comes from.
        instruction: the instruction it is paired with.
        task: the episode's task (instruction swaps draw from other tasks).
        frame_indices: int64 (K,): the episode frames embedded, increasing.
        embeddings: float32 (K, dim): their image embeddings.
        targets: float32 (K,): progress target of each, in [0, 1].
        length: the episode's length T in frames.
        source: where it comes from: ``"success"``, ``"sim"``, ``"augmented"``, ``"real"``.
        rewind: whether ReWiND's rewind augmentation may be applied (successes).
        group: the validation-split unit (the context id, else the episode id): examples of one
            group are all in training or all in validation.
        encoder: the image encoder's spec (``efficientnet-lite0:size=160``).
        encoder_fingerprint: the image encoder's fingerprint.
        camera: the camera embedded (``None`` for the ``state`` encoder).
    """

    episode_id: str
    instruction: str
    task: str
    frame_indices: np.ndarray
    embeddings: np.ndarray
    targets: np.ndarray
    length: int
    source: str = "success"
    rewind: bool = True
    group: str = ""
    encoder: str = ""
    encoder_fingerprint: dict[str, Any] = field(default_factory=dict)
    camera: str | None = None

    def __post_init__(self) -> None:
        idx = np.asarray(self.frame_indices, dtype=np.int64)
        emb = np.asarray(self.embeddings, dtype=np.float32)
        y = np.asarray(self.targets, dtype=np.float32)
        where = f"example '{self.episode_id}'"
        if emb.ndim != 2 or len(emb) != len(idx) or len(y) != len(idx) or len(idx) < 2:
            raise ValidationError(
                f"{where}: frame_indices {idx.shape}, embeddings {emb.shape} and targets "
                f"{y.shape} must agree, with at least 2 frames",
                field="embeddings",
            )
        if not np.all(np.isfinite(y)) or y.min() < 0 or y.max() > 1:
            raise ValidationError(f"{where}: targets must lie in [0, 1]", field="targets")
        if not np.all(np.isfinite(emb)):
            raise ValidationError(f"{where}: embeddings contain NaN or inf", field="embeddings")
        object.__setattr__(self, "frame_indices", idx)
        object.__setattr__(self, "embeddings", emb)
        object.__setattr__(self, "targets", y)
        if not self.group:
            object.__setattr__(self, "group", self.episode_id)


def progress_targets(frame_indices: np.ndarray, length: int) -> np.ndarray:
    """ReWiND's target for a demonstration: linear progress ``t / (T - 1)``."""
    return np.asarray(frame_indices, np.float32) / max(1, length - 1)


def episode_targets(episode: Episode, frame_indices: np.ndarray) -> np.ndarray | None:
    """An episode's own per-frame targets (module docstring), or ``None`` when it has none."""
    dense = episode.dense_reward
    if dense is not None and len(dense) == episode.meta.length and len(dense):
        return np.clip(np.asarray(dense, np.float32)[frame_indices], 0.0, 1.0)
    quality = episode.outcome.quality if episode.outcome is not None else None
    if quality is None:
        return None
    return (float(quality) * progress_targets(frame_indices, episode.meta.length)).astype("f4")


def is_clean_success(episode: Episode) -> bool:
    """A labelled success with no failure tag."""
    return episode.outcome is not None and episode.outcome.success and not episode.tags


def _source(episode: Episode) -> str:
    src = episode.meta.source
    return {EpisodeSource.SIM: "sim", EpisodeSource.AUGMENTED: "augmented"}.get(src, "real")


def _examples(
    dataset: str | Path | Dataset,
    encoder: str | ImageEncoder | None,
    keep: Any,
    *,
    camera: str | None,
    frames_per_episode: int | None,
    stride: int | None,
    cache_dir: str | Path | None,
    progress: bool,
) -> list[Example]:
    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(dataset)
    enc = image_encoder(encoder)
    spec, fingerprint = encoder_spec(enc), enc.fingerprint()
    if enc.reads == "state":
        camera = None
    elif camera is None and ds.cameras:
        camera = ds.cameras[0]
    chosen: list[tuple[Episode, bool, str]] = []
    for eid in ds.episode_ids:
        ep = ds.load(eid, video=False)
        picked = keep(ep)
        if picked is not None:
            chosen.append((ep, *picked))
    embedded = embed_dataset(
        ds,
        enc,
        camera,
        frames_per_episode,
        stride=stride,
        cache_dir=cache_dir,
        episodes=[ep.id for ep, _, _ in chosen],
        progress=progress,
    )
    out = []
    for ep, rewind, source in chosen:
        idx, emb = embedded[ep.id]
        if len(idx) < 2:
            continue  # a one-frame episode has no progress to learn
        if source == "success":
            targets = progress_targets(idx, ep.meta.length)
        else:
            targets = episode_targets(ep, idx)
        if targets is None:
            continue
        out.append(
            Example(
                episode_id=ep.id,
                instruction=ep.meta.instruction,
                task=ep.meta.task,
                frame_indices=idx,
                embeddings=emb,
                targets=targets,
                length=ep.meta.length,
                source=source,
                rewind=rewind,
                group=ep.meta.context_id or ep.id,
                encoder=spec,
                encoder_fingerprint=fingerprint,
                camera=camera,
            )
        )
    return out


def success_examples(
    dataset: str | Path | Dataset,
    encoder: str | ImageEncoder | None = None,
    *,
    camera: str | None = None,
    frames_per_episode: int | None = FRAMES,
    stride: int | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> list[Example]:
    """Examples of a dataset's clean successes, targets ``t / (T - 1)``, rewinds allowed.

    Args:
        dataset: a dataset directory (or an open dataset).
        encoder: the image encoder or its spec (default ``efficientnet-lite0``).
        camera: the camera embedded (default the dataset's first).
        frames_per_episode: frames embedded per episode, evenly spaced (16: what ``rewind``
            evaluates, so evaluation reuses the cache; more gives crops and rewinds finer
            steps at a proportional embedding cost); ``None`` for all.
        stride: instead, every ``stride``-th frame.
        cache_dir: the embedding cache (default ``$BADBENCH_CACHE/embeddings``).
        progress: show the embedding progress bar.
    """

    def keep(ep: Episode) -> tuple[bool, str] | None:
        return (True, "success") if is_clean_success(ep) else None

    return _examples(
        dataset,
        encoder,
        keep,
        camera=camera,
        frames_per_episode=frames_per_episode,
        stride=stride,
        cache_dir=cache_dir,
        progress=progress,
    )


def labelled_examples(
    dataset: str | Path | Dataset,
    encoder: str | ImageEncoder | None = None,
    *,
    which: Literal["bad", "all"] = "bad",
    camera: str | None = None,
    frames_per_episode: int | None = FRAMES,
    stride: int | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> list[Example]:
    """Examples regressed to the episodes' own labels (dense reward, else a quality ramp).

    Args:
        which: ``"bad"`` (episodes that failed or carry a failure tag) or ``"all"``.
        (others as :func:`success_examples`)
    """
    if which not in ("bad", "all"):
        raise ValidationError(f"which must be 'bad' or 'all', got {which!r}", field="which")

    def keep(ep: Episode) -> tuple[bool, str] | None:
        if ep.outcome is None or (which == "bad" and not ep.is_bad):
            return None
        return (False, _source(ep))

    return _examples(
        dataset,
        encoder,
        keep,
        camera=camera,
        frames_per_episode=frames_per_episode,
        stride=stride,
        cache_dir=cache_dir,
        progress=progress,
    )


def examples_hash(examples: Sequence[Example]) -> str:
    """A hash of the training data: ids, instructions, sources, frames, embeddings, targets."""
    h = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: (e.episode_id, e.source, e.instruction)):
        h.update(f"{ex.episode_id}\0{ex.instruction}\0{ex.task}\0{ex.source}\0{ex.rewind}".encode())
        for arr in (ex.frame_indices, ex.embeddings, ex.targets):
            h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:32]
