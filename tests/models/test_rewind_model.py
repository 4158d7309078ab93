"""The ReWiND transformer (causal, padding-invariant) and the ``rewind`` reward model: contract,
cache shared with training (no decoding when warm), and clear errors for bad checkpoints."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from badbench.bench import evaluate  # noqa: E402
from badbench.errors import DataError, ValidationError  # noqa: E402
from badbench.models import check_model, create_model  # noqa: E402
from badbench.models.rewind import (  # noqa: E402
    EfficientNetLite0,
    ReWiNDTransformer,
    TrainConfig,
    embed_dataset,
    even_subsample,
    pad_clip,
    success_examples,
    train,
)
from fixtures.rewind_data import reach_dataset  # noqa: E402

TINY = {"hidden": 32, "layers": 2, "heads": 4, "ff": 64}


@pytest.mark.parametrize("positions", ["first", "learned"])
def test_padding_and_later_frames_never_change_earlier_predictions(positions):
    torch.manual_seed(0)
    net = ReWiNDTransformer(6, 5, max_frames=16, positions=positions, **TINY).eval()
    clip = np.random.default_rng(0).normal(size=(9, 6)).astype(np.float32)
    padded, mask = pad_clip(clip, 16)
    assert mask.sum() == 9 and np.array_equal(padded[9:], np.repeat(clip[-1:], 7, 0))
    text = torch.randn(1, 5)
    with torch.no_grad():
        short = net(torch.from_numpy(clip[None]), text)[0]
        long = net(torch.from_numpy(padded[None]), text)[0]
        changed = clip.copy()
        changed[6:] += 3.0
        later = net(torch.from_numpy(changed[None]), text)[0]
    assert torch.allclose(short, long[:9], atol=1e-6)
    assert torch.allclose(short[:6], later[:6], atol=1e-6) and not torch.allclose(short, later)
    assert ((short > 0) & (short < 1)).all()


def test_even_subsample_keeps_first_and_last():
    assert even_subsample(40, 16)[[0, -1]].tolist() == [0, 39]
    assert len(set(even_subsample(40, 16).tolist())) == 16
    assert even_subsample(5, 16).tolist() == [0, 1, 2, 3, 4]


def test_state_model_passes_check_model(state_checkpoint, reach_test, rewind_cache):
    model = create_model(f"rewind:checkpoint={state_checkpoint},cache={rewind_cache}")
    assert model.registry_name == "rewind-v1" and not model.needs_frames
    episodes = [reach_test.load(i, video=False) for i in reach_test.episode_ids[:4]]
    check_model(model, episodes)
    out = model.score(episodes[:1])[0]
    assert out.frame_indices.tolist() == list(even_subsample(20, 16))
    fp = model.fingerprint()
    assert fp["checkpoint"] and fp["encoder"]["name"] == "state"


def test_image_model_passes_check_model_and_reuses_the_training_cache(tmp_path, rewind_cache):
    """Embed a small video set, train on its successes' efficientnet-lite0 embeddings, then
    evaluate every episode: each embedding is found in the cache embedding filled, so no frame
    is decoded and the encoder's network is never loaded."""
    ds = reach_dataset(tmp_path / "ds", 6, 4, cameras=("cam",), length=18)
    enc = "efficientnet-lite0:size=32"
    cache = tmp_path / "cache"
    shutil.copytree(rewind_cache, cache, dirs_exist_ok=True)  # the session's text embeddings
    embed_dataset(ds, enc, cache_dir=cache, progress=False)  # all 6 episodes, 16 frames each
    examples = success_examples(ds, enc, cache_dir=cache, progress=False)
    assert len(examples) == 4
    config = TrainConfig(encoder=enc, steps=20, eval_every=10, **TINY)
    ckpt = train(examples, config, tmp_path / "ckpt", progress=False, cache_dir=cache)
    assert json.loads((ckpt / "rewind.json").read_text())["camera"] == "cam"

    model = create_model(f"rewind:checkpoint={ckpt},cache={cache}")
    evaluate(ds, [model], tmp_path / "run", progress=False, report=False)
    assert model.encoder._net is None  # all 6 episodes came from the training's cache
    assert model._cache.hits == 6 and model._cache.writes == 0

    cam = "observation.images.main"  # check_model's episodes' camera
    fresh = create_model(f"rewind:checkpoint={ckpt},cache={tmp_path / 'cold'},camera={cam}")
    check_model(fresh)  # random in-memory frames: a cold cache, the encoder runs
    assert isinstance(fresh.encoder, EfficientNetLite0) and fresh.encoder._net is not None


def test_bad_checkpoints_are_one_clear_error(tmp_path, state_checkpoint):
    with pytest.raises(ValidationError, match="needs option.*checkpoint"):
        create_model("rewind")
    with pytest.raises(ValidationError, match="checkpoint=.*not a directory"):
        create_model(f"rewind:checkpoint={tmp_path / 'none'}")
    with pytest.raises(DataError, match="rewind.json.*not a ReWiND checkpoint"):
        create_model(f"rewind:checkpoint={tmp_path}")
    broken = tmp_path / "broken"
    shutil.copytree(state_checkpoint, broken)
    (broken / "model.pt").write_bytes(b"not torch")
    with pytest.raises(DataError, match="model.pt.*cannot load"):
        create_model(f"rewind:checkpoint={broken}")
    record = json.loads((broken / "rewind.json").read_text())
    (broken / "rewind.json").write_text(json.dumps({**record, "complete": False}))
    with pytest.raises(DataError, match="unfinished"):
        create_model(f"rewind:checkpoint={broken}")
    (broken / "rewind.json").write_text("{")
    with pytest.raises(DataError, match="rewind.json.*cannot read"):
        create_model(f"rewind:checkpoint={broken}")
