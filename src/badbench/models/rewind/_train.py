"""Training ReWiND on cached embeddings: ReWiND's objective, seeded, resumable, checkpointed.

Each step draws ``batch_size`` examples (uniformly) and makes one clip of each:

1. a forward clip ``frames 0..e`` of the example's embedded frames: the whole episode with
   probability ``full_prob`` (what evaluation sees), else ``e`` uniform over ``1..K-1``. Clips
   start at frame 0, as evaluation does (ReWiND also draws random starts);
2. with probability ``rewind_prob`` (ReWiND: 0.8), for examples that allow it (successes), the
   rewind: the clip is followed by its own frames ``e-1, e-2, .., e-r`` (``r`` uniform over
   ``1..e``), targets mirrored, so progress falls as the video plays backwards;
3. the clip is subsampled evenly to at most ``frames`` (16) and padded at the end (see
   :mod:`badbench.models.rewind._model`: padding never changes a real frame's prediction);
4. with probability ``swap_prob`` (ReWiND: 0.2) the instruction is swapped for one of another
   task, every target then 0.

Then ``round(mismatch_fraction * batch_size)`` in-batch mismatched pairs are added (a clip of
the batch with the instruction of another task's example, targets 0). The loss is the mean
squared error over real frames, frame 0 left out as in ReWiND (``loss_first_frame``). Adam with
ReWiND's lr 1e-4 and weight decay 1e-4, gradients clipped to norm 1.0.

A validation split (``val_fraction`` of the example groups, by a stable hash; at least one group
when there are two or more) scores a fixed set of clips drawn the same way every ``eval_every``
steps; the checkpoint kept is the one with the lowest validation loss (the last one without a
split). ReWiND has no validation split, and its users see metrics fall after about 1.5k steps.

The run directory ``out_dir``:

- ``rewind.json``: the configuration, architecture, encoder fingerprints, the training data's
  hash, the chosen step, the loss history, and ``complete``;
- ``model.pt``: the chosen weights (what the ``rewind`` reward model loads);
- ``train-state.pt``: the resume point (weights, optimiser, random states, step), written every
  ``eval_every`` steps; removed when training completes unless ``keep_state``.

Everything is written to a temporary file and renamed. Training again into the same directory
resumes from the last resume point when the configuration and data are the same, returns at once
when that run is complete, and refuses (naming the file) when they differ. With one seed, the
same data and ``device='cpu'``, a run gives the same weights whether or not it was interrupted.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from badbench.errors import DataError, ValidationError
from badbench.models.rewind._cache import FRAMES, text_embeddings
from badbench.models.rewind._encoders import DEFAULT_IMAGE_ENCODER, DEFAULT_TEXT_ENCODER
from badbench.models.rewind._encoders import text_encoder as make_text_encoder
from badbench.models.rewind._examples import Example, examples_hash
from badbench.models.rewind._model import POSITIONS, ReWiNDTransformer, even_subsample, pad_clip

FORMAT = 1
"""Version of the checkpoint layout."""
CONFIG_FILE = "rewind.json"
WEIGHTS_FILE = "model.pt"
STATE_FILE = "train-state.pt"


@dataclass(frozen=True)
class TrainConfig:
    """How a ReWiND model is trained (defaults: ReWiND's, except where noted)."""

    encoder: str = DEFAULT_IMAGE_ENCODER
    """Image encoder spec the examples were embedded with (``state`` for the state vector)."""
    text_encoder: str = DEFAULT_TEXT_ENCODER
    """Text encoder spec for the instructions (all-MiniLM-L6-v2; ReWiND uses L12)."""
    camera: str | None = None
    """Camera the reward model reads (``None``: the one the examples were embedded from, when
    they share one, else the evaluated dataset's first)."""
    frames: int = FRAMES
    """Frames per clip (ReWiND: 16), also what evaluation reads per episode."""
    frames_per_episode: int | None = FRAMES
    """Frames embedded per episode by the builders (recorded; more gives finer crops)."""
    steps: int = 2000
    """Optimiser steps (ReWiND trains about 2k)."""
    batch_size: int = 16
    """Clips per step, before the in-batch mismatched pairs."""
    lr: float = 1e-4
    """Adam learning rate."""
    weight_decay: float = 1e-4
    """Adam weight decay (L2, as ReWiND's ``torch.optim.Adam``)."""
    grad_clip: float = 1.0
    """Gradient norm clip."""
    seed: int = 0
    """Seed of the initial weights, the clip draws, dropout and the validation split."""
    rewind_prob: float = 0.8
    """Probability that a success's clip is rewound (ReWiND: 0.8)."""
    swap_prob: float = 0.2
    """Probability that a clip's instruction is swapped for another task's, targets 0."""
    mismatch_fraction: float = 0.25
    """In-batch mismatched pairs per step, as a fraction of ``batch_size`` (targets 0)."""
    full_prob: float = 0.25
    """Probability that a forward clip is the whole episode rather than a prefix."""
    loss_first_frame: bool = False
    """Whether frame 0 counts in the loss (ReWiND leaves it out)."""
    val_fraction: float = 0.1
    """Share of example groups held out to choose the checkpoint (0: keep the last)."""
    eval_every: int = 100
    """Steps between validation passes and resume points."""
    hidden: int = 512
    """Transformer width."""
    layers: int = 4
    """Transformer layers."""
    heads: int = 8
    """Attention heads."""
    ff: int = 2048
    """Feed-forward width."""
    dropout: float = 0.1
    """Dropout in the transformer and the head."""
    positions: str = "first"
    """``first`` (ReWiND: a learned vector on frame 0 only) or ``learned`` (one per position)."""
    standardise: bool = True
    """Standardise image embeddings by the training set's mean and std (ReWiND does not)."""
    device: str = "cpu"
    """Torch device (``cpu``; ``cuda`` runs but is not bit-reproducible)."""
    keep_state: bool = False
    """Keep ``train-state.pt`` after completion (needed only to train further)."""

    def check(self) -> None:
        """Raise :class:`ValidationError` naming the first bad field."""
        for f in dataclasses.fields(self):
            value, default = getattr(self, f.name), f.default
            if value is None or default is None:
                continue
            number = isinstance(default, float) and isinstance(value, int)
            if type(value) is not type(default) and not (number and not isinstance(value, bool)):
                raise ValidationError(
                    f"train: {f.name} must be a {type(default).__name__}, got {value!r}",
                    field=f.name,
                )
        positive = [
            "frames",
            "steps",
            "batch_size",
            "eval_every",
            "hidden",
            "layers",
            "heads",
            "ff",
        ]
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValidationError(
                    f"train: {name} must be a positive integer, got {value!r}", field=name
                )
        for name in ("rewind_prob", "swap_prob", "full_prob", "val_fraction", "dropout"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValidationError(
                    f"train: {name} must lie in [0, 1], got {value!r}", field=name
                )
        if self.mismatch_fraction < 0:
            raise ValidationError(
                "train: mismatch_fraction must be >= 0", field="mismatch_fraction"
            )
        if self.hidden % self.heads:
            raise ValidationError(
                f"train: hidden={self.hidden} is not a multiple of heads={self.heads}",
                field="heads",
            )
        if self.positions not in POSITIONS:
            raise ValidationError(f"train: positions must be one of {POSITIONS}", field="positions")
        if not (self.lr > 0 and self.weight_decay >= 0 and self.grad_clip > 0):
            raise ValidationError(
                "train: lr and grad_clip must be > 0, weight_decay >= 0", field="lr"
            )

    def identity(self) -> dict[str, Any]:
        """The fields a resumed run must share with the run it resumes: all but ``steps`` (a
        kept train state lets a finished run train further) and ``keep_state``."""
        d = dataclasses.asdict(self)
        for k in ("steps", "keep_state"):
            d.pop(k)
        return d


# -- clips ---------------------------------------------------------------------------------------


@dataclass
class _Pools:
    """Instructions of other tasks, per task (for swaps)."""

    by_task: dict[str, list[str]]

    @classmethod
    def of(cls, examples: Sequence[Example]) -> _Pools:
        tasks: dict[str, set[str]] = {}
        for ex in examples:
            tasks.setdefault(ex.task, set()).add(ex.instruction)
        every = {t: sorted(i) for t, i in tasks.items()}
        return cls(
            {t: sorted({i for u, ins in every.items() if u != t for i in ins}) for t in every}
        )

    def other(self, task: str) -> list[str]:
        return self.by_task.get(task, [])


def sample_clip(
    ex: Example, rng: np.random.Generator, config: TrainConfig, pools: _Pools
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """One training clip of an example (module docstring): (embeddings (F, D) padded,
    targets (F,), mask of real frames (F,), instruction)."""
    k = len(ex.frame_indices)
    end = k - 1 if rng.random() < config.full_prob else int(rng.integers(1, k))
    seq = list(range(end + 1))
    if ex.rewind and rng.random() < config.rewind_prob:
        back = int(rng.integers(1, end + 1))
        seq += list(range(end - 1, end - 1 - back, -1))
    pick = np.asarray(seq)[even_subsample(len(seq), config.frames)]
    emb, mask = pad_clip(ex.embeddings[pick], config.frames)
    y, _ = pad_clip(ex.targets[pick][:, None], config.frames)
    y = y[:, 0].copy()
    text = ex.instruction
    others = pools.other(ex.task)
    if others and rng.random() < config.swap_prob:
        text = others[int(rng.integers(len(others)))]
        y[:] = 0.0
    return emb, y, mask, text


def make_batch(
    examples: Sequence[Example],
    rng: np.random.Generator,
    config: TrainConfig,
    pools: _Pools,
    texts: dict[str, np.ndarray],
    size: int,
) -> tuple[torch.Tensor, ...]:
    """``size`` clips plus the in-batch mismatched pairs, as tensors (images, text, y, mask)."""
    picks = rng.integers(len(examples), size=size)
    clips = [sample_clip(examples[i], rng, config, pools) for i in picks]
    n_mis = int(round(config.mismatch_fraction * size))
    for _ in range(n_mis):
        a = int(rng.integers(size))
        task = examples[picks[a]].task
        other = [j for j in range(size) if examples[picks[j]].task != task]
        if not other:
            continue
        b = other[int(rng.integers(len(other)))]
        emb, _, mask, _ = clips[a]
        clips.append(
            (emb, np.zeros(config.frames, np.float32), mask, examples[picks[b]].instruction)
        )
    images = torch.from_numpy(np.stack([c[0] for c in clips]))
    text = torch.from_numpy(np.stack([texts[c[3]] for c in clips]))
    y = torch.from_numpy(np.stack([c[1] for c in clips]))
    mask = torch.from_numpy(np.stack([c[2] for c in clips]))
    if not config.loss_first_frame:
        mask[:, 0] = False
    return images, text, y, mask


def masked_mse(pred: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the real frames."""
    m = mask.to(pred.dtype)
    return ((pred - y) ** 2 * m).sum() / m.sum().clamp(min=1.0)


# -- the split -----------------------------------------------------------------------------------


def split(examples: Sequence[Example], fraction: float, seed: int) -> tuple[list, list]:
    """(train, validation) by group: the ``ceil(fraction * groups)`` groups first in a seeded
    hash order are held out (at least one when ``fraction > 0`` and there are two groups)."""
    groups = sorted({ex.group for ex in examples})
    n_val = math.ceil(fraction * len(groups)) if fraction > 0 and len(groups) >= 2 else 0
    n_val = min(n_val, len(groups) - 1)
    order = sorted(groups, key=lambda g: zlib.crc32(f"{seed}\0{g}".encode()))
    held = set(order[:n_val])
    return [e for e in examples if e.group not in held], [e for e in examples if e.group in held]


# -- files ---------------------------------------------------------------------------------------


def _atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        if path.suffix == ".json":
            tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str))
        else:
            torch.save(obj, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_record(out_dir: str | Path) -> dict[str, Any]:
    """``rewind.json`` of a run directory.

    Raises:
        DataError: missing or unreadable (naming the file).
    """
    path = Path(out_dir) / CONFIG_FILE
    if not path.is_file():
        raise DataError(
            "not a ReWiND checkpoint (no rewind.json); train one with `badbench train rewind`",
            path=path,
        )
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise DataError(f"cannot read the checkpoint record: {e}", path=path) from None
    if not isinstance(record, dict) or record.get("format") != FORMAT or "arch" not in record:
        raise DataError(f"not a format-{FORMAT} ReWiND checkpoint record", path=path)
    return record


# -- training ------------------------------------------------------------------------------------


def train(
    examples: Sequence[Example],
    config: TrainConfig | None = None,
    out_dir: str | Path = "rewind-ckpt",
    *,
    progress: bool = True,
    cache_dir: str | Path | None = None,
    stop_after: int | None = None,
) -> Path:
    """Train a ReWiND model on embedded examples; return the checkpoint directory.

    Args:
        examples: the training (and validation) examples, from any mix of sources.
        config: the configuration (default :class:`TrainConfig`).
        out_dir: the run directory (created; resumed or returned as is, module docstring).
        progress: show a progress bar with the loss on stderr.
        cache_dir: the embedding cache for the instruction embeddings.
        stop_after: stop (resumably) after this many steps of this call, for a time budget.

    Returns:
        ``out_dir``: ``rewind.json`` and ``model.pt`` inside (``complete`` false if stopped).

    Raises:
        ValidationError: bad configuration, no examples, examples of mixed encoders, or an
            ``out_dir`` that holds another run.
    """
    config = config or TrainConfig()
    config.check()
    out = Path(out_dir)
    examples = list(examples)
    if not examples:
        raise ValidationError(
            "train: no training examples (no clean success or labelled episode in the data)",
            field="examples",
        )
    specs = {ex.encoder for ex in examples}
    if len(specs) > 1 or len({e.embeddings.shape[1] for e in examples}) > 1:
        raise ValidationError(
            f"train: the examples were embedded with different encoders ({sorted(specs)})",
            field="encoder",
        )
    if specs != {""} and specs != {config.encoder}:
        raise ValidationError(
            f"train: the examples were embedded with '{specs.pop()}' but "
            f"config.encoder is '{config.encoder}'",
            field="encoder",
        )
    data_hash = examples_hash(examples)
    identity = {"config": config.identity(), "data": data_hash}
    out.mkdir(parents=True, exist_ok=True)
    record_path = out / CONFIG_FILE
    previous = read_record(out) if record_path.is_file() else None
    state_path = out / STATE_FILE
    if previous is not None and _finished(previous, identity, config, state_path):
        return out

    text_enc = make_text_encoder(config.text_encoder)
    texts = text_embeddings(sorted({ex.instruction for ex in examples}), text_enc, cache_dir)
    train_set, val_set = split(examples, config.val_fraction, config.seed)
    dims = {"image_dim": int(examples[0].embeddings.shape[1]), "text_dim": int(text_enc.dim)}
    arch = {
        **dims,
        "hidden": config.hidden,
        "layers": config.layers,
        "heads": config.heads,
        "ff": config.ff,
        "dropout": config.dropout,
        "max_frames": config.frames,
        "positions": config.positions,
    }
    device = torch.device(config.device)

    torch.manual_seed(config.seed)
    model = ReWiNDTransformer(**arch)
    if config.standardise:
        stacked = np.concatenate([ex.embeddings for ex in train_set])
        model.set_standardisation(stacked.mean(axis=0), stacked.std(axis=0))
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)
    pools = _Pools.of(examples)
    val_batch = _validation_batch(val_set, config, pools, texts)
    state = {"step": 0, "best": None, "best_step": None, "history": []}

    if previous is not None and state_path.is_file():
        saved = torch.load(state_path, map_location=device, weights_only=False)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        rng.bit_generator.state = saved["numpy_rng"]
        torch.set_rng_state(saved["torch_rng"])
        state = saved["progress"]

    record = {
        "format": FORMAT,
        "identity": identity,
        "config": dataclasses.asdict(config),
        "arch": arch,
        "encoder": config.encoder,
        "encoder_fingerprint": examples[0].encoder_fingerprint,
        "camera": config.camera or _one({ex.camera for ex in examples}),
        "text_encoder": config.text_encoder,
        "text_fingerprint": text_enc.fingerprint(),
        "data": data_hash,
        "examples": _counts(train_set, val_set),
    }
    budget = config.steps - state["step"] if stop_after is None else stop_after
    end = min(config.steps, state["step"] + max(0, budget))
    saved_at = state["step"]
    with _LossBar(progress, config.steps, state["step"]) as bar:
        while state["step"] < end:
            model.train()
            images, text, y, mask = (
                t.to(device)
                for t in make_batch(train_set, rng, config, pools, texts, config.batch_size)
            )
            loss = masked_mse(model(images, text), y, mask)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            opt.step()
            state["step"] += 1
            bar.update(loss.item())
            step = state["step"]
            if step % config.eval_every == 0 or step == config.steps:
                _validate(model, state, loss.item(), val_batch, out)
                _save(model, opt, rng, state, out, record, config)
                saved_at = step
    if state["step"] > saved_at:  # stopped off the validation grid: a resume point only
        _save(model, opt, rng, state, out, record, config)
    return out


def _finished(
    previous: dict[str, Any], identity: dict[str, Any], config: TrainConfig, state_path: Path
) -> bool:
    """Whether a previous run in the directory is this one, finished (else it resumes).

    Raises:
        ValidationError: the directory holds another run, or one that cannot be extended.
    """
    where = state_path.parent / CONFIG_FILE
    if previous.get("identity") != identity:
        raise ValidationError(
            f"{where}: this directory holds a ReWiND run with another configuration or "
            "training data; use another --out or delete it",
            field="out",
        )
    done = int(previous.get("steps_done", 0))
    if done > config.steps:
        raise ValidationError(
            f"{where}: this run already trained {done} steps, more than "
            f"steps={config.steps}; use another --out",
            field="steps",
        )
    if done == config.steps and previous.get("complete"):
        return True
    if not state_path.is_file():
        raise ValidationError(
            f"{where}: the run finished at {done} steps without its train "
            "state (keep_state=False), so it cannot train further; use "
            "another --out",
            field="steps",
        )
    return False


def _one(values: set[str | None]) -> str | None:
    return next(iter(values)) if len(values) == 1 else None


def _counts(train_set: Sequence[Example], val_set: Sequence[Example]) -> dict[str, Any]:
    def by_source(xs: Sequence[Example]) -> dict[str, int]:
        out: dict[str, int] = {}
        for ex in xs:
            out[ex.source] = out.get(ex.source, 0) + 1
        return dict(sorted(out.items()))

    return {"train": by_source(train_set), "val": by_source(val_set)}


def _validation_batch(
    val_set: Sequence[Example], config: TrainConfig, pools: _Pools, texts: dict[str, np.ndarray]
) -> tuple[torch.Tensor, ...] | None:
    if not val_set:
        return None
    rng = np.random.default_rng([config.seed, 1])
    n = min(512, 4 * len(val_set))
    return make_batch(val_set, rng, config, pools, texts, n)


def _validate(
    model: ReWiNDTransformer,
    state: dict[str, Any],
    loss: float,
    val_batch: tuple[torch.Tensor, ...] | None,
    out: Path,
) -> None:
    """Score the validation clips; keep the weights when they are the best so far."""
    val = None
    if val_batch is not None:
        model.eval()
        device = next(model.parameters()).device
        with torch.no_grad():
            images, text, y, mask = (t.to(device) for t in val_batch)
            val = float(masked_mse(model(images, text), y, mask))
    step = state["step"]
    state["history"].append({"step": step, "train_loss": loss, "val_loss": val})
    if val is None or state["best"] is None or val < state["best"]:
        state["best"], state["best_step"] = val, step
        weights = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        _atomic_save(weights, out / WEIGHTS_FILE)


def _save(
    model: ReWiNDTransformer,
    opt: torch.optim.Optimizer,
    rng: np.random.Generator,
    state: dict[str, Any],
    out: Path,
    record: dict[str, Any],
    config: TrainConfig,
) -> None:
    """Write the resume point (unless complete and not kept), then the record."""
    step = state["step"]
    complete = step >= config.steps
    if not complete or config.keep_state:
        _atomic_save(
            {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "numpy_rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
                "progress": state,
            },
            out / STATE_FILE,
        )
    body = {
        **record,
        "step": state["best_step"],
        "steps_done": step,
        "best_val_loss": state["best"],
        "history": state["history"],
        "complete": complete,
    }
    _atomic_save(body, out / CONFIG_FILE)
    if complete and not config.keep_state:
        (out / STATE_FILE).unlink(missing_ok=True)


class _LossBar:
    """A rich progress bar on stderr with the running loss (or nothing)."""

    def __init__(self, enabled: bool, total: int, done: int) -> None:
        self.enabled, self.total, self.done = enabled, total, done
        self._bar: Any = None
        self._avg: float | None = None

    def __enter__(self) -> _LossBar:
        if self.enabled and self.done < self.total:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("training ReWiND"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(
                "train", total=self.total, completed=self.done, loss="-"
            )
        return self

    def update(self, loss: float) -> None:
        self._avg = loss if self._avg is None else 0.95 * self._avg + 0.05 * loss
        if self._bar is not None:
            self._bar.update(self._task, advance=1, loss=f"{self._avg:.4f}")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
