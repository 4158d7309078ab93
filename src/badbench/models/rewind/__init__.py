"""ReWiND: a trainable progress reward model on frozen image and instruction embeddings.

Encoders by name (``efficientnet-lite0``, ``dinov2``, ``state``; ``minilm``), an on-disk
embedding cache shared by training and evaluation, the transformer, training on cached
embeddings, and the ``rewind`` reward model. See ``docs/rewind.md``.
"""

from __future__ import annotations

from badbench.models.rewind._cache import (
    FRAMES,
    EmbeddingCache,
    default_cache_dir,
    embed_dataset,
    frame_selection,
    text_embeddings,
)
from badbench.models.rewind._encoders import (
    DEFAULT_IMAGE_ENCODER,
    DEFAULT_TEXT_ENCODER,
    Dinov2,
    EfficientNetLite0,
    ImageEncoder,
    MiniLM,
    StateEncoder,
    TextEncoder,
    encoder_spec,
    image_encoder,
    text_encoder,
)
from badbench.models.rewind._examples import (
    Example,
    episode_targets,
    examples_hash,
    is_clean_success,
    labelled_examples,
    progress_targets,
    success_examples,
)
from badbench.models.rewind._model import ReWiNDTransformer, even_subsample, pad_clip
from badbench.models.rewind._reward import ReWiNDModel
from badbench.models.rewind._train import TrainConfig, make_batch, read_record, sample_clip, train

__all__ = [
    "DEFAULT_IMAGE_ENCODER",
    "DEFAULT_TEXT_ENCODER",
    "FRAMES",
    "Dinov2",
    "EfficientNetLite0",
    "EmbeddingCache",
    "Example",
    "ImageEncoder",
    "MiniLM",
    "ReWiNDModel",
    "ReWiNDTransformer",
    "StateEncoder",
    "TextEncoder",
    "TrainConfig",
    "default_cache_dir",
    "embed_dataset",
    "encoder_spec",
    "episode_targets",
    "even_subsample",
    "examples_hash",
    "frame_selection",
    "image_encoder",
    "is_clean_success",
    "labelled_examples",
    "make_batch",
    "pad_clip",
    "progress_targets",
    "read_record",
    "sample_clip",
    "success_examples",
    "text_embeddings",
    "text_encoder",
    "train",
]
