"""The ablation's data splits: what a model trains on, and three held-out test sets.

Every split is a set of episode ids of one sim suite (episode ids ``<task>/<mode>/s<index>``,
contexts ``<task>/s<index>``: one seed family of a task). A seed family is all in training or
all in test, so no test context was ever seen in training.

- ``train``: the training tasks' training families, every mode except the held-out modes. Clean
  successes there are the success data; bad episodes there are the sim-failure pool.
- ``seeds`` (held-out seeds): the training tasks' held-out families, good episodes and the
  modes seen in training.
- ``modes`` (held-out failure modes): the same held-out families, good episodes and the
  held-out modes only (never trained on: does bad data teach a model about kinds of failure it
  never saw?).
- ``tasks`` (held-out tasks): every episode of the held-out tasks.

The held-out families of a task are the ``heldout_families`` highest family indices among the
families that hold bad episodes; families with good episodes only (extra demonstrations) are
always training families.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from badbench.data.schema import EpisodeMeta
from badbench.errors import ValidationError

TEST_SPLITS = ("seeds", "modes", "tasks")
"""The held-out test sets, in report order."""

GOOD = "good"


@dataclass(frozen=True)
class Splits:
    """Episode ids per split (module docstring).

    Attributes:
        train: episodes a model may train on.
        tests: split name (:data:`TEST_SPLITS`) -> its episodes.
        heldout_modes: the failure modes no model trains on.
        heldout_tasks: the tasks no model trains on.
    """

    train: frozenset[str]
    tests: dict[str, frozenset[str]]
    heldout_modes: tuple[str, ...]
    heldout_tasks: tuple[str, ...]

    def split_of(self, episode_id: str) -> str | None:
        """The split an episode is in (``"train"``, a test split, or None: unused)."""
        if episode_id in self.train:
            return "train"
        return next((name for name, ids in self.tests.items() if episode_id in ids), None)


def _mode(meta: EpisodeMeta) -> str:
    return str(meta.generator.get("mode") or meta.episode_id.split("/")[1])


def _family(meta: EpisodeMeta) -> int:
    return int(str(meta.context_id).rsplit("/s", 1)[1])


def make_splits(
    metas: Iterable[EpisodeMeta],
    *,
    heldout_tasks: Sequence[str],
    heldout_modes: Sequence[str],
    heldout_families: int,
) -> Splits:
    """Split a sim suite's episodes (module docstring).

    Raises:
        ValidationError: a held-out task or mode that the suite lacks, no training task left,
            or a training task with too few families to hold some out.
    """
    metas = list(metas)
    tasks = {m.task for m in metas}
    modes = {_mode(m) for m in metas}
    for name, wanted, have in (("task", heldout_tasks, tasks), ("mode", heldout_modes, modes)):
        missing = sorted(set(wanted) - have)
        if missing:
            raise ValidationError(
                f"held-out {name}(s) {', '.join(missing)} not in the suite "
                f"(it has: {', '.join(sorted(have))})",
                field=f"heldout_{name}s",
            )
    if GOOD in heldout_modes:
        raise ValidationError("'good' cannot be a held-out failure mode", field="heldout_modes")
    if not tasks - set(heldout_tasks):
        raise ValidationError("every task is held out; nothing to train on", field="heldout_tasks")
    bad_families: dict[str, set[int]] = defaultdict(set)
    for m in metas:
        if _mode(m) != GOOD:
            bad_families[m.task].add(_family(m))
    test_families = {}
    for task in sorted(tasks - set(heldout_tasks)):
        fams = sorted(bad_families[task])
        if len(fams) <= heldout_families:
            raise ValidationError(
                f"task {task} has {len(fams)} seed families with failures; holding out "
                f"{heldout_families} leaves none to train on",
                field="heldout_families",
            )
        test_families[task] = set(fams[len(fams) - heldout_families :])
    train, seeds, modes_split, tasks_split = set(), set(), set(), set()
    for m in metas:
        eid, mode = m.episode_id, _mode(m)
        if m.task in heldout_tasks:
            tasks_split.add(eid)
        elif _family(m) in test_families[m.task]:
            if mode == GOOD:
                seeds.add(eid)
                modes_split.add(eid)
            elif mode in heldout_modes:
                modes_split.add(eid)
            else:
                seeds.add(eid)
        elif mode not in heldout_modes:
            train.add(eid)
    return Splits(
        train=frozenset(train),
        tests={
            "seeds": frozenset(seeds),
            "modes": frozenset(modes_split),
            "tasks": frozenset(tasks_split),
        },
        heldout_modes=tuple(heldout_modes),
        heldout_tasks=tuple(heldout_tasks),
    )
