"""The reward-model interface: one small base class, like Gymnasium's ``Env``.

A reward model R(o_1:T; c) reads an episode (frames from one or more cameras and the instruction)
and returns a reward or progress value for some of its frames, plus optionally a success
probability. Models are batched: :meth:`RewardModel.score` takes a sequence of episodes; a model
that calls a server implements ``async`` :meth:`RewardModel.ascore` instead (one episode per
call) and declares :attr:`RewardModel.max_concurrency`.

A model declares what it needs so the runner can skip work:

- :attr:`RewardModel.needs_frames` - ``False`` for models that read labels or lengths only
  (the baselines); the runner then never touches video.
- :attr:`RewardModel.cameras` - the camera keys it reads (``None``: the dataset's first camera).
- :meth:`RewardModel.frame_indices` - the frames it reads (``None``: all). When it returns
  indices, ``episode.frames[camera]`` holds exactly those frames, in that order.
- :attr:`RewardModel.reads_labels` - ``True`` only for models whose input is a label (the
  oracle reads the dense reward); the score cache then keys on the labels too.
- :meth:`RewardModel.prepare` - an optional hook that sees the whole evaluated dataset before
  scoring (a baseline fitted on other contexts' labels uses it).

Frames are lazy (:class:`LazyFrames`): a camera's frames decode the first time the model reads
``episode.frames[camera]``. A model with its own cache (embeddings keyed by frame content) asks
:func:`frame_content_key` for a key of the frames it would read, which costs no decoding.

and what it gives: :attr:`RewardModel.output_range` (``(0, 1)`` unless stated; metrics map it
linearly onto [0, 1]), :meth:`RewardModel.fingerprint` (what determines its outputs beyond its
options: a checkpoint's hash, a prompt template, a server's model name), and per episode a
:class:`RewardOutput`, which may instead carry an :class:`OutputError` (a garbage answer, a
timeout) and an ``info`` dict (raw text, tokens, cost).
:func:`badbench.models.check_model` checks an implementation against this contract.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from badbench.data.schema import Episode, EpisodeMeta


@dataclass(frozen=True)
class OutputError:
    """Why a model gave no usable output for one episode.

    Attributes:
        kind: a short class of failure: ``"exception"`` (``score`` raised), ``"contract"`` (the
            output broke the contract), ``"parse"`` (an unreadable answer), ``"timeout"``,
            ``"server"``, or any model-specific word.
        message: one line for people.
        raw: the raw response that could not be used (text of a VLM answer), if any.
    """

    kind: str
    message: str
    raw: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form, as stored in the score cache and the score rows."""
        return {"kind": self.kind, "message": self.message, "raw": self.raw}


@dataclass
class RewardOutput:
    """A model's output for one episode.

    Attributes:
        rewards: float array (K,): predicted reward or progress of each scored frame, in the
            model's :attr:`RewardModel.output_range`. Empty when ``error`` is set.
        frame_indices: int array (K,): strictly increasing indices into the episode's frames
            that ``rewards`` refer to (a model may subsample frames).
        success_prob: the model's probability that the episode succeeded, or ``None``.
        error: set when the model could not score the episode; the runner records it and the
            metrics leave the episode out (``badbench eval --retry-failed`` re-scores it).
        info: free JSON-able details stored with the output: raw text, parse statistics,
            tokens, cost.
    """

    rewards: np.ndarray
    frame_indices: np.ndarray
    success_prob: float | None = None
    error: OutputError | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rewards = np.asarray(self.rewards, dtype=np.float64).reshape(-1)
        self.frame_indices = np.asarray(self.frame_indices, dtype=np.int64).reshape(-1)

    @property
    def failed(self) -> bool:
        """Whether this output records a failure instead of rewards."""
        return self.error is not None

    @classmethod
    def per_frame(
        cls, rewards: np.ndarray, success_prob: float | None = None, **info: Any
    ) -> RewardOutput:
        """An output with one reward for every frame (indices ``0..T-1``)."""
        rewards = np.asarray(rewards, dtype=np.float64).reshape(-1)
        return cls(rewards, np.arange(len(rewards)), success_prob, info=dict(info))

    @classmethod
    def failure(
        cls, kind: str, message: str, *, raw: str | None = None, info: dict | None = None
    ) -> RewardOutput:
        """An output recording that the episode could not be scored."""
        error = OutputError(kind, message, raw)
        return cls(np.zeros(0), np.zeros(0, np.int64), None, error, dict(info or {}))


class LazyFrames(Mapping[str, np.ndarray]):
    """Camera key -> frames (T, H, W, 3) uint8, each camera decoded on first read.

    Args:
        loaders: camera key -> a function that decodes that camera's frames.
        content_keys: camera key -> a key of the frames' content (the video file's hash, the
            episode's timestamps and the frame indices asked for), known without decoding.
    """

    def __init__(
        self,
        loaders: Mapping[str, Callable[[], np.ndarray]],
        content_keys: Mapping[str, str] | None = None,
    ) -> None:
        self._loaders = dict(loaders)
        self._keys = dict(content_keys or {})
        self._frames: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self.decodes = 0
        """How many cameras were decoded (a test counts them)."""

    def __getitem__(self, camera: str) -> np.ndarray:
        if camera not in self._frames:
            loader = self._loaders[camera]  # KeyError for an unknown camera, as a dict
            with self._lock:
                if camera not in self._frames:
                    self._frames[camera] = loader()
                    self.decodes += 1
        return self._frames[camera]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)

    def is_decoded(self, camera: str) -> bool:
        """Whether a camera's frames were already decoded."""
        return camera in self._frames

    def preload(self) -> None:
        """Decode every camera now (the local executor calls it in a prefetch thread)."""
        for cam in self._loaders:
            self[cam]

    def content_key(self, camera: str) -> str | None:
        """The content key of a camera's frames without decoding, if the dataset told it."""
        return self._keys.get(camera)


def frame_content_key(episode: Episode, camera: str) -> str:
    """A key of the frames a model was given for one camera, decoding nothing when it can.

    For episodes from the runner, the key hashes the video file's content hash, the episode's
    timestamps and the frame indices the model asked for; for in-memory frames, the pixels.
    Equal keys mean equal frames, so a model may key its own embedding cache on it.
    """
    frames = episode.frames
    if isinstance(frames, LazyFrames):
        key = frames.content_key(camera)
        if key is not None:
            return key
    a = np.ascontiguousarray(frames[camera])
    h = hashlib.sha256(f"{a.dtype}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()[:32]


class RewardModel:
    """Base class of reward models.

    Subclasses implement :meth:`score` (batched, synchronous) or :meth:`ascore` (one episode,
    ``async``; for models that call a server), and set the class attributes that apply.
    Register one with :func:`badbench.models.register_model` to make it available by name
    (``badbench models list``); the registry then records the name and options it was built
    with in :attr:`registry_name` and :attr:`registry_options`.
    """

    version: ClassVar[str] = "0"
    """Implementation version; bump it when outputs change so cached scores are not reused."""
    output_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    """Closed range every per-frame reward lies in; metrics map it linearly onto [0, 1]."""
    needs_frames: ClassVar[bool] = True
    """Whether the model reads ``episode.frames``; if not, video is never touched."""
    cameras: ClassVar[tuple[str, ...] | None] = None
    """Camera keys the model reads; ``None`` means the dataset's first camera."""
    reads_labels: ClassVar[bool] = False
    """Whether the model's input includes labels (the oracle): its cached scores then follow
    relabelling. Every other model is keyed by what it reads only."""
    batch_size: ClassVar[int] = 1
    """How many episodes the runner passes to one :meth:`score` call."""
    max_concurrency: ClassVar[int] = 1
    """How many :meth:`ascore` calls the runner keeps in flight (async models only)."""
    prefetch: ClassVar[bool] = True
    """Whether the local executor may decode this model's frames ahead in a thread. A model
    with its own frame cache sets ``False`` so cached episodes are never decoded."""
    deterministic: ClassVar[bool] = True
    """Whether the same episode always gets the same output (checked by ``check_model``)."""

    registry_name: str | None = None
    """Name the model was created under by the registry (``None`` when built directly)."""
    registry_options: dict[str, Any] | None = None
    """Options the registry passed to the constructor."""

    @classmethod
    def is_async(cls) -> bool:
        """Whether the model implements :meth:`ascore` (the runner then drives it)."""
        return _overrides(cls, "ascore")

    def frame_indices(self, meta: EpisodeMeta) -> Sequence[int] | None:
        """Which frames of an episode the model reads; ``None`` for all (the default)."""
        return None

    def fingerprint(self) -> dict[str, Any]:
        """What determines the outputs beyond the options: a checkpoint file's content hash,
        a prompt template's hash, an encoder's name and version, a server's model name.

        Folded into the configuration hash, so a new checkpoint invalidates cached scores.
        The default is empty. Must be JSON-able and cheap (it is called once per run).
        """
        return {}

    def score(self, episodes: Sequence[Episode]) -> list[RewardOutput]:
        """Score a batch of episodes.

        The default runs :meth:`ascore` on each episode (for async models used directly).

        Args:
            episodes: the episodes, with ``frames`` (lazy) for :attr:`cameras` at
                :meth:`frame_indices` when :attr:`needs_frames` is true.

        Returns:
            One :class:`RewardOutput` per episode, in the same order; an episode that cannot be
            scored gets :meth:`RewardOutput.failure` (raising fails the whole batch).
        """
        if not self.is_async():
            raise NotImplementedError(f"{type(self).__name__}.score")

        async def run() -> list[RewardOutput]:
            sem = asyncio.Semaphore(max(1, int(self.max_concurrency)))

            async def one(ep: Episode) -> RewardOutput:
                async with sem:
                    return await self.ascore(ep)

            return list(await asyncio.gather(*(one(ep) for ep in episodes)))

        return asyncio.run(run())

    async def ascore(self, episode: Episode) -> RewardOutput:
        """Score one episode asynchronously (implement this instead of :meth:`score` for a model
        that waits on a server; the runner keeps :attr:`max_concurrency` calls in flight)."""
        raise NotImplementedError(f"{type(self).__name__}.ascore")

    def prepare(self, dataset: Any, episodes: Sequence[Episode]) -> None:  # noqa: B027
        """Optional hook: called once with the dataset being evaluated and its episodes (loaded
        without video), after the model is built and before :meth:`fingerprint` and scoring.

        A model fitted on the data it is evaluated on (the ``motion`` baseline cross-fits by
        context) fits here, and must then fold what it was fitted on into its
        :meth:`fingerprint`. The default does nothing.
        """

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release resources (clients, GPU memory). The default does nothing."""

    def __repr__(self) -> str:
        name = self.registry_name or type(self).__name__
        opts = ", ".join(f"{k}={v!r}" for k, v in (self.registry_options or {}).items())
        return f"{name}({opts})"


def _overrides(cls: type, name: str) -> bool:
    return getattr(cls, name) is not getattr(RewardModel, name)


def episode_length(episode: Episode) -> int:
    """Number of frames of an episode, from its metadata or, failing that, its arrays.

    Never decodes lazy frames.
    """
    if episode.meta.length:
        return int(episode.meta.length)
    arrays = [episode.dense_reward, episode.state, episode.action]
    if not isinstance(episode.frames, LazyFrames):
        arrays = [*episode.frames.values(), *arrays]
    for arr in arrays:
        if arr is not None and len(arr):
            return len(arr)
    return 0


def evenly_spaced(length: int, k: int | None) -> list[int]:
    """``k`` frame indices spread evenly over ``0..length-1``, first and last included.

    Returns all indices when ``k`` is ``None`` or at least ``length``.
    """
    if length <= 0:
        return []
    if k is None or k >= length:
        return list(range(length))
    if k <= 1:
        return [length - 1]
    return sorted({int(round(x)) for x in np.linspace(0, length - 1, k)})
