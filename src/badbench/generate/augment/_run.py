"""``augment``: derive labelled video negatives from every clean success of a dataset.

Sources are the episodes with ``Outcome.success`` and no failure tag (with ``assume_success``
also those without an outcome, e.g. a plain LeRobot dataset of demonstrations); failed and
tagged episodes are skipped. Each source gives ``per_episode`` negatives of each kind (module
``_kinds``), written as one commit per batch of :data:`BATCH` sources, so a killed run resumes
at its first uncommitted batch and ends with the same dataset. Every random draw comes from a
generator seeded by ``(seed, source id, kind, index)``: the output depends on nothing else.

Frames: ``clip`` and ``swap_instruction`` (and ``with_sources`` copies) reference their
source's video file and time range (the file is hard-linked into the output, or copied where a
link is refused; never re-encoded); ``rewind``, ``stall`` and ``reverse`` show frames in a new
order and are re-encoded with the source's codec. ``reference=False`` re-encodes every kind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from badbench.data import lerobot
from badbench.data.dataset import Dataset
from badbench.data.prepared import PreparedEpisode, PreparedVideo
from badbench.data.schema import Episode, EpisodeMeta, EpisodeSource
from badbench.data.stats import QUANTILE_KEYS, image_stats, stats_from_row
from badbench.data.video import VideoSpec, video_info
from badbench.data.writer import DatasetWriter
from badbench.errors import DataError, RegistryError, ValidationError
from badbench.generate.augment._kinds import Augmentation, Plan
from badbench.generate.augment._labels import (
    PROGRESS_EXTRA,
    SOURCE_FRAME_EXTRA,
    ProgressSource,
    plan_labels,
    source_progress,
)
from badbench.generate.augment._settings import (
    GENERATOR,
    VERSION,
    AugmentSettings,
    check_out,
    write_settings,
)
from badbench.registry import AUGMENTATIONS

BATCH = 8
"""Source episodes per commit (the unit a killed run redoes)."""

ENCODERS = {"h264": "libx264", "av1": "libsvtav1", "hevc": "libx265"}
"""Codec recorded in ``info.json`` -> the encoder that writes it."""

ProgressCallback = Callable[[int, int, str], None]

_IMAGE_STATS = ("min", "max", "mean", "std", "count", *QUANTILE_KEYS)


@dataclass
class AugmentReport:
    """What an ``augment`` run did.

    Attributes:
        dest: the output dataset.
        sources: ids of the source episodes augmented (this run and earlier ones).
        written: ids of the episodes written by this run.
        existing: episodes already in ``dest`` from an earlier run (skipped).
        skipped: reason -> number of episodes of the source dataset not augmented.
        no_plan: kind -> number of sources that allowed no negative of that kind.
        referenced: episodes of this run whose frames reference the source video.
        reencoded: episodes of this run whose frames were re-encoded.
    """

    dest: Path
    sources: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    existing: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    no_plan: dict[str, int] = field(default_factory=dict)
    referenced: int = 0
    reencoded: int = 0


def augment(
    data: str | Path,
    out: str | Path,
    *,
    kinds: Sequence[str] = ("rewind", "clip", "stall", "reverse", "swap_instruction"),
    per_episode: int = 1,
    seed: int = 0,
    progress_source: ProgressSource = "auto",
    reference: bool = True,
    with_sources: bool = False,
    assume_success: bool = False,
    progress: ProgressCallback | None = None,
    batch: int = BATCH,
) -> AugmentReport:
    """Write the video negatives of every clean success of ``data`` to the dataset ``out``.

    Args:
        data: the source dataset (badbench or plain LeRobot v3).
        out: the output dataset directory: new, empty, or an earlier run with the same
            settings (resumed: done episodes are skipped).
        kinds: augmentation names (registry ``badbench.registry.AUGMENTATIONS``).
        per_episode: negatives of each kind per source episode (``reverse``: at most one;
            ``swap_instruction``: at most the number of other tasks' instructions).
        seed: base seed; the same seed gives the same dataset.
        progress_source: ``auto`` (the source's own progress labels, else linear) or
            ``linear``.
        reference: reference the source video for clip and swap_instruction (False:
            re-encode them too).
        with_sources: also copy each source episode (frames referenced) into ``out``.
        assume_success: count episodes without an outcome as successes.
        progress: called as ``progress(done, total, source_id)`` after each commit.
        batch: source episodes per commit (what a killed run redoes; not a setting: any
            value gives the same episodes).

    Returns:
        an :class:`AugmentReport`.

    Raises:
        RegistryError: an unknown kind (the message lists the known ones).
        ValidationError: a bad option, or ``out`` made with other settings.
        DataError: ``data`` is not a dataset, has no clean success, or ``out`` is not an
            augment output.
    """
    data, out = Path(data), Path(out)
    augs = _kinds(kinds)
    if per_episode < 1:
        raise ValidationError(f"must be at least 1, not {per_episode}", field="per_episode")
    if progress_source not in ("auto", "linear"):
        raise ValidationError(
            f"must be 'auto' or 'linear', not {progress_source!r}", field="progress"
        )
    if not data.is_dir():
        raise DataError("no such dataset directory", path=data, field="data")
    if out.resolve() == data.resolve() or data.resolve() in out.resolve().parents:
        raise ValidationError("--out must be outside the source dataset", path=out, field="out")
    ds = Dataset.open(data)
    if not ds.cameras:
        raise DataError("has no camera (video feature): nothing to augment", path=data)
    sources, skipped = _sources(ds, assume_success)
    pools = _instruction_pools(ds)
    if "swap_instruction" in kinds and not any(pools.get(ds.meta(s).task) for s in sources):
        raise DataError(
            f"swap_instruction needs episodes of at least two tasks; every episode is of task "
            f"'{ds.meta(sources[0]).task}' (drop swap_instruction from --kinds)",
            path=data,
        )
    spec, can_reference = _video_spec(ds)
    settings = AugmentSettings(
        source=str(data.resolve()),
        kinds=tuple(a.name for a in augs),
        per_episode=per_episode,
        seed=seed,
        progress=progress_source,
        reference=reference,
        with_sources=with_sources,
        assume_success=assume_success,
    )
    check_out(out, settings)
    out.mkdir(parents=True, exist_ok=True)
    write_settings(out, settings)
    report = AugmentReport(dest=out, sources=list(sources), skipped=skipped)
    job = _Job(ds, out, augs, settings, reference and can_reference, pools, report)
    tick = progress or (lambda done, total, eid: None)
    tick(0, len(sources), "")
    names = _names(ds)
    with DatasetWriter(out, fps=ds.fps, robot_type=ds.robot_type, spec=spec, names=names) as w:
        job.spec = w.spec
        for start in range(0, len(sources), batch):
            group = sources[start : start + batch]
            w.extend(job.episodes(group, w.existing_ids))
            tick(min(start + batch, len(sources)), len(sources), group[-1])
    return report


def _kinds(kinds: Sequence[str]) -> list[Augmentation]:
    if not kinds:
        raise ValidationError("give at least one kind", field="kinds")
    out: list[Augmentation] = []
    for name in kinds:
        try:
            aug = AUGMENTATIONS.create(name)
        except RegistryError as e:
            raise ValidationError(str(e), field="kinds") from None
        if aug.name in {a.name for a in out}:
            raise ValidationError(f"'{name}' is given twice", field="kinds")
        out.append(aug)
    return out


def _sources(ds: Dataset, assume_success: bool) -> tuple[list[str], dict[str, int]]:
    """The clean successes (in dataset order) and why the other episodes are left out."""
    sources: list[str] = []
    skipped: dict[str, int] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    for meta in ds:
        out, tags = ds.outcome(meta.episode_id), ds.tags(meta.episode_id)
        if out is None and not assume_success:
            skip("no outcome")
        elif out is not None and not out.success:
            skip("failed")
        elif tags:
            skip("success with failure tags")
        elif meta.length < 2:
            skip("fewer than 2 frames")
        else:
            sources.append(meta.episode_id)
    if not sources:
        counts = ", ".join(f"{n} {why}" for why, n in skipped.items()) or "no episode"
        hint = (
            "; --assume-success counts episodes without an outcome as successes"
            if "no outcome" in skipped
            else ""
        )
        raise DataError(
            f"has no clean successful episode to augment ({counts}){hint}", path=ds.root
        )
    return sources, skipped


def _instruction_pools(ds: Dataset) -> dict[str, list[str]]:
    """task -> the sorted instructions of the dataset's episodes of every other task."""
    by_task: dict[str, set[str]] = {}
    for meta in ds:
        by_task.setdefault(meta.task, set()).add(meta.instruction)
    every = set().union(*by_task.values()) if by_task else set()
    return {t: sorted(every - own) for t, own in by_task.items() if every - own}


def _video_spec(ds: Dataset) -> tuple[VideoSpec, bool]:
    """The output's encoder settings (the source's codec and pixel format) and whether the
    source's files can be referenced (one codec with an encoder here, for every camera)."""
    found = set()
    for cam in ds.cameras:
        info = ds.features[cam].get("info") or {}
        if "video.codec" not in info and len(ds):
            info = video_info(ds.video_path(ds.episode_ids[0], cam))
        found.add((info.get("video.codec"), info.get("video.pix_fmt") or "yuv420p"))
    if len(found) == 1:
        codec, pix_fmt = found.pop()
        if codec in ENCODERS:
            return VideoSpec(codec=ENCODERS[codec], pix_fmt=pix_fmt), True
    return VideoSpec(), False


def _names(ds: Dataset) -> dict[str, list[str]]:
    out = {}
    for key in (lerobot.STATE_KEY, lerobot.ACTION_KEY):
        names = ds.features.get(key, {}).get("names")
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            out[key] = names
    return out


def _rng(seed: int, source: str, kind: str, index: int) -> np.random.Generator:
    digest = hashlib.sha256(f"{source}\0{kind}\0{index}".encode()).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, *words]))


def negative_id(source: str, kind: str, index: int) -> str:
    """The id of a source episode's ``index``-th negative of ``kind``."""
    return f"{source}/aug-{kind}-{index}"


class _Job:
    """Plans and builds the episodes of each batch."""

    def __init__(
        self,
        ds: Dataset,
        out: Path,
        augs: list[Augmentation],
        settings: AugmentSettings,
        reference: bool,
        pools: dict[str, list[str]],
        report: AugmentReport,
    ) -> None:
        self.ds, self.out, self.augs, self.settings = ds, out, augs, settings
        self.reference, self.pools, self.report = reference, pools, report
        self.spec = VideoSpec()
        self._rows: list[dict[str, Any]] | None = None

    def rows(self) -> list[dict[str, Any]]:
        """The source's ``meta/episodes`` rows with their stats (read once, when needed)."""
        if self._rows is None:
            self._rows = lerobot.read_episodes_index(self.ds.root, with_stats=True).to_pylist()
        return self._rows

    def plans(self, source: Episode) -> tuple[list[Plan], str]:
        """Every negative of one source, kinds in the order given; and the progress source."""
        p, where = source_progress(source, self.settings.progress)  # type: ignore[arg-type]
        plans: list[Plan] = []
        for aug in self.augs:
            unused = list(self.pools.get(source.meta.task, []))
            made = 0
            for k in range(self.settings.per_episode):
                rng = _rng(self.settings.seed, source.id, aug.name, k)
                plan = aug.plan(p, rng, k, instructions=unused)
                if plan is None:
                    break
                if plan.instruction is not None:
                    unused.remove(plan.instruction)
                plans.append(plan)
                made += 1
            if not made:
                self.report.no_plan[aug.name] = self.report.no_plan.get(aug.name, 0) + 1
        return plans, where

    def episodes(self, batch: list[str], existing: set[str]) -> Iterator[Episode | PreparedEpisode]:
        """The batch's new episodes: re-encoded ones first (they pack into one video file per
        camera), then the referenced ones."""
        referenced: list[PreparedEpisode] = []
        for eid in batch:
            source = self.ds.load(eid, video=False)
            plans, where = self.plans(source)
            todo = [p for p in plans if negative_id(eid, p.kind, p.index) not in existing]
            want_source = self.settings.with_sources and eid not in existing
            self.report.existing += len(plans) - len(todo) + int(
                self.settings.with_sources and not want_source
            )
            frames = _SourceFrames(self.ds, eid, self.rows)
            if want_source:
                referenced.append(self._copy_of_source(source, frames))
            for plan in todo:
                ep = self._negative(source, plan, where)
                if self.reference and self._references(plan):
                    referenced.append(self._referencing(ep, plan, frames))
                else:
                    ep.frames = {c: frames.full(c)[plan.frames] for c in self.ds.cameras}
                    self.report.reencoded += 1
                    self.report.written.append(ep.id)
                    yield ep
            frames.release()
        for prepared in referenced:
            self.report.referenced += 1
            self.report.written.append(prepared.id)
            yield prepared

    def _references(self, plan: Plan) -> bool:
        return bool(AUGMENTATIONS.entry(plan.kind).load().references)  # type: ignore[attr-defined]

    def _negative(self, source: Episode, plan: Plan, where: str) -> Episode:
        outcome, tags, dense = plan_labels(plan)
        m = source.meta
        references = self.reference and self._references(plan)
        meta = EpisodeMeta(
            episode_id=negative_id(m.episode_id, plan.kind, plan.index),
            instruction=plan.instruction or m.instruction,
            task=m.task,
            task_category=m.task_category,
            embodiment=m.embodiment,
            fps=self.ds.fps,
            cameras=tuple(self.ds.cameras),
            length=plan.length,
            source=EpisodeSource.AUGMENTED,
            generator={
                "name": GENERATOR,
                "version": VERSION,
                "kind": plan.kind,
                "mode": plan.mode,
                "index": plan.index,
                "seed": self.settings.seed,
                "source_episode": m.episode_id,
                "source_progress": where,
                "frames": "referenced" if references else "re-encoded",
                **plan.params,
            },
            policy_id=m.policy_id,
            context_id=m.context_id,
        )

        def rows(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else np.asarray(a)[plan.frames]

        return Episode(
            meta=meta,
            state=rows(source.state),
            action=rows(source.action),
            outcome=outcome,
            tags=tags,
            dense_reward=dense,
            extras={
                SOURCE_FRAME_EXTRA: plan.frames.astype(np.int64),
                PROGRESS_EXTRA: plan.progress.astype(np.float32),
            },
        )

    def _referencing(self, ep: Episode, plan: Plan, frames: _SourceFrames) -> PreparedEpisode:
        """The episode with each camera's frames a time range of the source's video file
        (``plan.frames`` is always ``0..L-1`` for the referencing kinds)."""
        assert plan.frames[0] == 0 and np.all(np.diff(plan.frames) == 1)
        return self._prepared(ep, frames, plan.length)

    def _copy_of_source(self, source: Episode, frames: _SourceFrames) -> PreparedEpisode:
        return self._prepared(source, frames, source.meta.length)

    def _prepared(self, ep: Episode, frames: _SourceFrames, length: int) -> PreparedEpisode:
        videos = {}
        for cam in self.ds.cameras:
            path, t0, _ = self.ds.video_ref(frames.eid, cam)
            h, w = lerobot.video_hw(self.ds.features[cam])
            videos[cam] = PreparedVideo(
                path=path,
                frames=length,
                height=h,
                width=w,
                stats=frames.stats(cam, length),
                offset=t0,
                shared=True,
            )
        return PreparedEpisode(
            episode=ep, root=self.out, fps=self.ds.fps, spec=self.spec, videos=videos
        )


class _SourceFrames:
    """One source episode's frames: decoded once when a re-encoded kind needs them; image
    stats of a prefix without decoding more than LeRobot's frame sample."""

    def __init__(self, ds: Dataset, eid: str, rows: Callable[[], list[dict[str, Any]]]) -> None:
        self.ds, self.eid, self._rows = ds, eid, rows
        self._full: dict[str, np.ndarray] = {}

    def full(self, cam: str) -> np.ndarray:
        if cam not in self._full:
            self._full[cam] = self.ds.frames(self.eid, cam)
        return self._full[cam]

    def stats(self, cam: str, length: int) -> dict[str, np.ndarray]:
        """LeRobot's image stats of the first ``length`` frames of ``cam``."""
        if cam in self._full:
            return image_stats(self._full[cam][:length])
        if length == self.ds.meta(self.eid).length:
            stored = self._stored(cam)
            if stored is not None:
                return stored
        return image_stats(_Lazy(self.ds, self.eid, cam, length))  # type: ignore[arg-type]

    def _stored(self, cam: str) -> dict[str, np.ndarray] | None:
        """The source's own per-episode stats of ``cam`` when it has every one we write."""
        row = self._rows()[self.ds.episode_index(self.eid)]
        st = stats_from_row(row).get(cam)
        if st is None or not set(_IMAGE_STATS) <= set(st):
            return None
        return {k: np.asarray(st[k]) for k in _IMAGE_STATS}

    def release(self) -> None:
        self._full.clear()


class _Lazy:
    """A stand-in for a (length, H, W, 3) array that decodes only the frames indexed (what
    :func:`~badbench.data.stats.image_stats` reads: its frame sample)."""

    def __init__(self, ds: Dataset, eid: str, cam: str, length: int) -> None:
        self.ds, self.eid, self.cam, self.length = ds, eid, cam, length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, indices: list[int]) -> np.ndarray:
        return self.ds.frames(self.eid, self.cam, indices=list(indices))
