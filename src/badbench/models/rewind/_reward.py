"""The ``rewind`` reward model: a trained ReWiND checkpoint scoring episodes, per frame.

It reads :data:`~badbench.models.rewind._cache.FRAMES` (16) evenly spaced frames of an episode
(``frame_indices``), embeds them through the shared embedding cache (an episode whose embeddings
are cached is never decoded: ``prefetch`` is off and frames are read only on a cache miss), and
returns the transformer's progress in [0, 1] at those frames. With the ``state`` encoder it
reads the episode's state rows instead of video. Its :meth:`fingerprint` holds the checkpoint's
hash and the encoders' fingerprints, so a retrained checkpoint invalidates cached scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from badbench.data.schema import Episode, EpisodeMeta
from badbench.errors import DataError, ValidationError
from badbench.models.base import RewardModel, RewardOutput, evenly_spaced, frame_content_key
from badbench.models.rewind._cache import EmbeddingCache, text_embeddings
from badbench.models.rewind._encoders import file_digest, image_encoder, text_encoder
from badbench.models.rewind._model import ReWiNDTransformer
from badbench.models.rewind._train import CONFIG_FILE, WEIGHTS_FILE, read_record


class ReWiNDModel(RewardModel):
    """A trained ReWiND checkpoint (``badbench train rewind``) as a reward model.

    Registered as ``rewind-v1`` (``rewind``) in :data:`badbench.models.registry.BUILTIN_LAZY`.

    Args:
        checkpoint: the run directory ``train`` wrote (``rewind.json`` and ``model.pt``).
        camera: the camera to read (default: the one it was trained on, else the dataset's
            first).
        device: torch device.
        cache: the embedding cache directory (default ``$BADBENCH_CACHE/embeddings``).
    """

    version = "1"
    prefetch = False  # cached episodes are never decoded
    batch_size = 16

    def __init__(
        self,
        checkpoint: str,
        camera: str | None = None,
        device: str = "cpu",
        cache: str | None = None,
    ) -> None:
        where = Path(checkpoint)
        if not where.is_dir():
            raise ValidationError(
                f"model 'rewind': checkpoint={checkpoint} is not a directory "
                "(train one with `badbench train rewind`)",
                field="checkpoint",
            )
        record = read_record(where)
        if not record.get("complete"):
            raise DataError(
                f"the training run is unfinished ({record.get('steps_done')} of "
                f"{record['config'].get('steps')} steps); train again with the same "
                "--out to resume it",
                path=where / CONFIG_FILE,
            )
        weights = where / WEIGHTS_FILE
        if not weights.is_file():
            raise DataError("the checkpoint has no weights", path=weights)
        self.record = record
        self.net = ReWiNDTransformer(**record["arch"])
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
            self.net.load_state_dict(state)
        except Exception as e:  # noqa: BLE001 (torn file, wrong shapes, not a state dict)
            raise DataError(f"cannot load the checkpoint weights: {e}", path=weights) from None
        self.device = torch.device(device)
        self.net.to(self.device).eval()
        self.frames = int(record["arch"]["max_frames"])
        self.camera = camera if camera is not None else record.get("camera")
        self.encoder = image_encoder(record["encoder"])
        self.text = text_encoder(record["text_encoder"])
        self.cache_dir = cache
        self.needs_frames = self.encoder.reads == "frames"  # type: ignore[misc]
        self.cameras = (self.camera,) if self.camera and self.needs_frames else None  # type: ignore[misc]
        self._digest = file_digest(weights) + file_digest(where / CONFIG_FILE)[:8]
        self._texts: dict[str, np.ndarray] = {}
        self._cache: EmbeddingCache | None = None

    def frame_indices(self, meta: EpisodeMeta) -> Sequence[int] | None:
        """16 frames spread evenly over the episode (all of a shorter one)."""
        return evenly_spaced(int(meta.length), self.frames)

    def fingerprint(self) -> dict[str, Any]:
        """The checkpoint's hash and the encoders' fingerprints (from the checkpoint)."""
        return {
            "checkpoint": self._digest,
            "encoder": self.record["encoder_fingerprint"],
            "text_encoder": self.record["text_fingerprint"],
        }

    def _embeddings(self, episodes: Sequence[Episode]) -> list[np.ndarray | str]:
        """Image embeddings per episode (cache first), or the reason there are none."""
        out: list[np.ndarray | str] = []
        if self.encoder.reads == "state":
            for ep in episodes:
                idx = self.frame_indices(ep.meta)
                if ep.state is None or len(ep.state) < ep.meta.length:
                    out.append("the episode has no observation.state (encoder 'state')")
                else:
                    out.append(self.encoder.encode(np.asarray(ep.state)[list(idx)]))
            return out
        if self._cache is None:
            self._cache = EmbeddingCache(self.cache_dir, self.encoder.fingerprint())
        for ep in episodes:
            cam = self.camera or next(iter(ep.frames))
            key = frame_content_key(ep, cam)
            n = len(self.frame_indices(ep.meta))
            found = self._cache.get(key, n)
            if found is None:
                found = self.encoder.encode(ep.frames[cam])
                self._cache.put(key, found)
            out.append(found)
        return out

    def _text(self, instruction: str) -> np.ndarray:
        if instruction not in self._texts:
            self._texts.update(text_embeddings([instruction], self.text, self.cache_dir))
        return self._texts[instruction]

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        """Per-frame progress at the 16 frames read, one forward pass per episode."""
        out = []
        for ep, emb in zip(episodes, self._embeddings(episodes), strict=True):
            if isinstance(emb, str):
                out.append(RewardOutput.failure("input", f"model 'rewind': {emb}"))
                continue
            idx = np.asarray(self.frame_indices(ep.meta), np.int64)
            images = torch.from_numpy(emb[None]).to(self.device)
            text = torch.from_numpy(self._text(ep.meta.instruction)[None]).to(self.device)
            with torch.no_grad():
                progress = self.net(images, text)[0].cpu().numpy().astype(np.float64)
            out.append(RewardOutput(np.clip(progress, 0.0, 1.0), idx))
        return out
