"""The ReWiND progress transformer, and how a clip of frames becomes its input.

As in ReWiND's ``model.py`` (rewind-reward/ReWiND): the frozen image embeddings and the frozen
instruction embedding are each projected by a linear layer to ``hidden`` (512); the sequence
``[instruction, frame_1 .. frame_n]`` goes through a transformer encoder (4 layers, 8 heads,
feed-forward 2048, dropout 0.1, post-norm, ReLU: PyTorch's ``TransformerEncoderLayer``) under a
causal mask, so frame ``i`` sees the instruction and frames ``1..i`` only; a head
``Linear(512, 256) -> LayerNorm -> GELU -> Dropout -> Linear(256, 1) -> sigmoid`` gives each
frame's progress in [0, 1].

Positions: ReWiND's only positional signal is one learned vector added to the first frame
(``positions="first"``, the default here too). ``positions="learned"`` adds a learned embedding
per frame position instead (0..``max_frames``-1).

Two additions, both off in ReWiND: ``standardise`` (the default here) subtracts the training
set's per-dimension mean of the image embeddings and divides by their standard deviation before
the projection (stored in the checkpoint as buffers; raw state vectors and pooled CNN features
have very different scales), and the architecture sizes are options, so tests can use a tiny one.

**Clips and padding.** A clip is at most ``max_frames`` (16) frames, subsampled evenly
(:func:`even_subsample`). A shorter clip is padded *at the end* by repeating its last frame, and
padded positions are masked out of the loss and dropped from the output. Under the causal mask a
padded position is never seen by a real frame, so a frame's prediction is the same padded or not,
in training and in evaluation alike (ReWiND pads training clips with the last frame and
evaluation clips with the first, which changes what every frame sees).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

POSITIONS = ("first", "learned")
"""Positional schemes: ReWiND's vector on frame 0 only, or a learned embedding per position."""


class ReWiNDTransformer(nn.Module):
    """Per-frame progress from frozen image embeddings and an instruction embedding.

    Args:
        image_dim: width of an image embedding (1280 for EfficientNet-Lite0, 768 for DINOv2-B).
        text_dim: width of an instruction embedding (384 for MiniLM).
        hidden: model width (512).
        layers: transformer layers (4).
        heads: attention heads (8).
        ff: feed-forward width (2048).
        dropout: dropout in the transformer and the head (0.1).
        max_frames: longest clip (16).
        positions: ``"first"`` (ReWiND) or ``"learned"`` (module docstring).
    """

    def __init__(
        self,
        image_dim: int,
        text_dim: int,
        *,
        hidden: int = 512,
        layers: int = 4,
        heads: int = 8,
        ff: int = 2048,
        dropout: float = 0.1,
        max_frames: int = 16,
        positions: str = "first",
    ) -> None:
        super().__init__()
        if positions not in POSITIONS:
            raise ValueError(f"positions must be one of {POSITIONS}, got {positions!r}")
        self.max_frames, self.positions = max_frames, positions
        self.register_buffer("image_mean", torch.zeros(image_dim))
        self.register_buffer("image_std", torch.ones(image_dim))
        self.image_proj = nn.Linear(image_dim, hidden)
        self.text_proj = nn.Linear(text_dim, hidden)
        if positions == "first":
            self.first_pos = nn.Parameter(torch.randn(1, hidden))
        else:
            self.pos = nn.Parameter(torch.randn(max_frames, hidden) * 0.02)
        layer = nn.TransformerEncoderLayer(
            d_model=hidden, nhead=heads, dim_feedforward=ff, dropout=dropout, batch_first=True
        )
        self.transformer = nn.TransformerEncoder(
            layer, num_layers=layers, enable_nested_tensor=False
        )
        self.head = nn.Sequential(
            nn.Linear(hidden, hidden // 2),
            nn.LayerNorm(hidden // 2),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden // 2, 1),
        )
        mask = nn.Transformer.generate_square_subsequent_mask(max_frames + 1)
        self.register_buffer("causal", mask, persistent=False)

    def set_standardisation(self, mean: np.ndarray, std: np.ndarray) -> None:
        """Store the training set's image-embedding mean and standard deviation."""
        self.image_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.image_std.copy_(torch.as_tensor(np.maximum(std, 1e-6), dtype=torch.float32))

    def forward(self, images: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """Progress (B, T) in [0, 1] from images (B, T, image_dim) and text (B, text_dim)."""
        n = images.shape[1]
        if n > self.max_frames:
            raise ValueError(f"a clip of {n} frames is longer than max_frames={self.max_frames}")
        x = self.image_proj((images - self.image_mean) / self.image_std)
        if self.positions == "first":
            x = torch.cat([x[:, :1] + self.first_pos, x[:, 1:]], dim=1)
        else:
            x = x + self.pos[:n]
        seq = torch.cat([self.text_proj(text).unsqueeze(1), x], dim=1)
        out = self.transformer(seq, mask=self.causal[: n + 1, : n + 1], is_causal=True)
        return torch.sigmoid(self.head(out[:, 1:]).squeeze(-1))


def even_subsample(n: int, k: int) -> np.ndarray:
    """Indices of ``k`` frames spread evenly over ``0..n-1`` (first and last kept); all ``n``
    when ``n <= k``."""
    if n <= k:
        return np.arange(n)
    return np.round(np.linspace(0, n - 1, k)).astype(np.int64)


def pad_clip(frames: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """A clip (n <= k, D) padded at the end to (k, D) by repeating its last frame, and the
    mask (k,) of its real frames."""
    n = len(frames)
    if n > k:
        raise ValueError(f"a clip of {n} frames does not fit in {k}")
    mask = np.zeros(k, bool)
    mask[:n] = True
    if n == k:
        return frames, mask
    pad = np.repeat(frames[-1:], k - n, axis=0)
    return np.concatenate([frames, pad]), mask


def build(arch: dict[str, Any]) -> ReWiNDTransformer:
    """The network of an architecture record (``image_dim``, ``text_dim`` and the options)."""
    return ReWiNDTransformer(**arch)
