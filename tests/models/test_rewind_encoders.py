"""ReWiND's encoders: real weights (EfficientNet classifies a cat and an espresso), DINOv2 on a
tiny random config, MiniLM puts paraphrases together, and names resolve with their options."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from badbench.errors import RegistryError, ValidationError  # noqa: E402
from badbench.models.rewind import (  # noqa: E402
    Dinov2,
    EfficientNetLite0,
    encoder_spec,
    image_encoder,
    text_encoder,
)
from badbench.registry import IMAGE_ENCODERS, registry_info  # noqa: E402


@pytest.fixture(scope="module")
def effnet() -> EfficientNetLite0:
    return image_encoder("efficientnet-lite0")  # type: ignore[return-value]


def test_efficientnet_weights_are_real_imagenet_weights(effnet):
    """The full classifier path puts skimage's chelsea in class 285 (Egyptian cat) and coffee in
    967 (espresso): random or wrong weights would not."""
    data = pytest.importorskip("skimage.data")
    logits = np.concatenate(
        [effnet.logits(data.chelsea()[None]), effnet.logits(data.coffee()[None])]
    )
    assert logits.argmax(axis=1).tolist() == [285, 967]


def test_efficientnet_features_are_pooled_1280_and_batch_independent(effnet):
    frames = np.random.default_rng(0).integers(0, 256, (5, 40, 48, 3), dtype=np.uint8)
    small = image_encoder("efficientnet-lite0:size=64,batch=2")
    emb = small.encode(frames)
    assert emb.shape == (5, 1280) and emb.dtype == np.float32
    assert np.allclose(emb[3:], small.encode(frames[3:]), atol=1e-4)
    assert effnet.dim == 1280 and effnet.fingerprint()["size"] == 224
    assert small.fingerprint()["weights"] == effnet.fingerprint()["weights"]
    assert small.fingerprint() != effnet.fingerprint()  # the size changes the embeddings


def test_encoders_resolve_by_name_and_remember_options():
    enc = image_encoder("efficientnet-lite0:size=96")
    assert registry_info(enc) == {"name": "efficientnet-lite0", "options": {"size": 96}}
    assert encoder_spec(enc) == "efficientnet-lite0:size=96"
    assert encoder_spec(image_encoder(encoder_spec(enc))) == encoder_spec(enc)
    assert {"efficientnet-lite0", "dinov2", "state"} <= set(IMAGE_ENCODERS.names())
    with pytest.raises(RegistryError, match="did you mean 'state'"):
        image_encoder("stat")
    with pytest.raises(ValidationError, match="size"):
        image_encoder("efficientnet-lite0:size=0")


def test_state_encoder_passes_rows_through():
    enc = image_encoder("state")
    assert enc.reads == "state" and not enc.cacheable
    rows = np.arange(12, dtype=np.float64).reshape(3, 4)
    out = enc.encode(rows)
    assert out.dtype == np.float32 and np.array_equal(out, rows) and enc.dim == 4


def test_dinov2_on_a_tiny_random_config(tmp_path):
    transformers = pytest.importorskip("transformers")
    transformers.utils.logging.disable_progress_bar()
    cfg = transformers.Dinov2Config(
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        image_size=28,
        patch_size=14,
    )
    transformers.Dinov2Model(cfg).save_pretrained(tmp_path / "tiny")
    frames = np.random.default_rng(1).integers(0, 256, (3, 30, 30, 3), dtype=np.uint8)
    cls = image_encoder(f"dinov2:path={tmp_path / 'tiny'},size=28")
    mean = image_encoder(f"dinov2:path={tmp_path / 'tiny'},size=28,pooling=mean")
    assert isinstance(cls, Dinov2) and cls.dim == 32
    a, b = cls.encode(frames), mean.encode(frames)
    assert a.shape == b.shape == (3, 32) and a.dtype == np.float32
    assert not np.allclose(a, b)
    assert cls.fingerprint()["weights"] and cls.fingerprint() != mean.fingerprint()


def test_dinov2_without_weights_names_the_option(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValidationError, match=r"path=.*nowhere.*dinov2:path=DIR"):
        image_encoder(f"dinov2:path={tmp_path / 'nowhere'}")
    with pytest.raises(ValidationError, match="pooling"):
        image_encoder(f"dinov2:path={tmp_path},pooling=max")


def test_minilm_puts_paraphrases_closer_than_another_task():
    enc = text_encoder("minilm")
    emb = enc.encode(
        ["pick up the red block", "grasp the red cube and lift it", "open the top drawer"]
    )
    assert emb.shape == (3, 384) and np.allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)
    sim = emb @ emb.T
    assert sim[0, 1] > sim[0, 2] + 0.1 and sim[0, 1] > sim[1, 2] + 0.1
    assert enc.fingerprint()["model"] == "all-MiniLM-L6-v2"
