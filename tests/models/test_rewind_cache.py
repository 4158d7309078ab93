"""The embedding cache: computed once, resumed after a loss or a torn file, and shared with the
``rewind`` model's evaluation (the same keys, no decoding on a hit)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from badbench.models.rewind import (  # noqa: E402
    EfficientNetLite0,
    EmbeddingCache,
    embed_dataset,
    frame_selection,
)
from badbench.registry import remember  # noqa: E402
from fixtures.rewind_data import reach_dataset  # noqa: E402


class Counting(EfficientNetLite0):
    """The real encoder, counting the frames it encodes."""

    def __init__(self) -> None:
        super().__init__(size=32, batch=16)
        remember(self, "efficientnet-lite0", {"size": 32, "batch": 16})
        self.encoded = 0

    def encode(self, frames: np.ndarray) -> np.ndarray:
        self.encoded += len(frames)
        return super().encode(frames)


@pytest.fixture(scope="module")
def video_ds(tmp_path_factory):
    return reach_dataset(tmp_path_factory.mktemp("v") / "ds", 4, 3, cameras=("cam",), length=24)


def test_embeds_once_and_resumes_what_is_missing(video_ds, tmp_path):
    enc = Counting()
    first = embed_dataset(video_ds, enc, cache_dir=tmp_path, progress=False)
    assert enc.encoded == 4 * 16
    idx, emb = first[video_ds.episode_ids[0]]
    assert idx.tolist() == frame_selection(16)(24) and emb.shape == (16, 1280)
    again = embed_dataset(video_ds, enc, cache_dir=tmp_path, progress=False)
    assert enc.encoded == 4 * 16  # nothing re-encoded
    for eid in video_ds.episode_ids:
        assert np.array_equal(again[eid][1], first[eid][1])

    cache = EmbeddingCache(tmp_path, enc.fingerprint())
    entries = sorted(cache.dir.glob("*/*.npy"))
    assert len(entries) == 4 and (cache.dir / "encoder.json").is_file()
    entries[0].unlink()  # lost
    entries[1].write_bytes(entries[1].read_bytes()[:100])  # torn (a kill without the rename)
    (entries[2].parent / f".{entries[2].name}.123.tmp").write_bytes(b"half")  # a leftover
    resumed = embed_dataset(video_ds, enc, cache_dir=tmp_path, progress=False)
    assert enc.encoded == 6 * 16  # only the lost and the torn entries
    for eid in video_ds.episode_ids:
        assert np.allclose(resumed[eid][1], first[eid][1], atol=1e-5)


def test_other_options_and_frame_choices_get_their_own_entries(video_ds, tmp_path):
    enc = Counting()
    embed_dataset(video_ds, enc, frames_per_episode=8, cache_dir=tmp_path, progress=False)
    embed_dataset(video_ds, enc, stride=5, cache_dir=tmp_path, progress=False)
    assert enc.encoded == 4 * 8 + 4 * 6  # 0, 5, 10, 15, 20, 23
    assert frame_selection(None, 5)(24) == [0, 5, 10, 15, 20, 23]


def test_state_encoder_reads_the_state_and_needs_it(video_ds, tmp_path, make_dataset):
    out = embed_dataset(video_ds, "state", cache_dir=tmp_path, progress=False)
    eid = video_ds.episode_ids[1]
    idx, rows = out[eid]
    assert np.allclose(rows, video_ds.state(eid)[idx])
    no_state = make_dataset(2, state_dim=None)
    from badbench.errors import DataError

    with pytest.raises(DataError, match=r"observation\.state"):
        embed_dataset(no_state, "state", cache_dir=tmp_path, progress=False)
    with pytest.raises(DataError, match="no camera 'side'"):
        embed_dataset(video_ds, Counting(), camera="side", cache_dir=tmp_path, progress=False)
