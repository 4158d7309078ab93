"""Fixtures of the ReWiND tests: one embedding cache per session (the text encoder is loaded
once), and a tiny trained checkpoint on the state encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.rewind_data import reach_dataset

SMALL = {"hidden": 64, "layers": 2, "heads": 4, "ff": 128, "lr": 1e-3}
"""A small architecture (and a faster learning rate): the fixture trains in seconds."""


@pytest.fixture(scope="session")
def rewind_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedding cache shared by the session's ReWiND tests (and one torch thread: on a
    shared 2-core machine a tiny model trains several times faster on one)."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return tmp_path_factory.mktemp("rewind-cache")


@pytest.fixture(scope="session")
def reach_train(tmp_path_factory: pytest.TempPathFactory):
    """30 reach episodes (20 successes), seed 0."""
    return reach_dataset(tmp_path_factory.mktemp("reach") / "train", 30, 0)


@pytest.fixture(scope="session")
def reach_test(tmp_path_factory: pytest.TempPathFactory):
    """12 held-out reach episodes, seed 1."""
    return reach_dataset(tmp_path_factory.mktemp("reach") / "test", 12, 1)


@pytest.fixture(scope="session")
def state_checkpoint(tmp_path_factory, reach_train, rewind_cache) -> Path:
    """A small ReWiND trained 300 steps on the reach successes' state vectors."""
    pytest.importorskip("torch")
    from badbench.models.rewind import TrainConfig, success_examples, train

    examples = success_examples(reach_train.root, "state", progress=False)
    config = TrainConfig(encoder="state", steps=300, eval_every=100, **SMALL)
    out = tmp_path_factory.mktemp("ckpt") / "state"
    return train(examples, config, out, progress=False, cache_dir=rewind_cache)
