"""The oracle's judgement of a trace: did the task really succeed, and how far did it get.

The oracle is the simulator's ground truth plus explicit rules; it stands in for human raters
and is labelled ``oracle`` everywhere. It is stricter than Meta-World's success flag:

* the final goal distance must be within the task's *oracle radius* (tighter than Meta-World's
  radius, so a task stopped at the edge of the threshold is not a success);
* Meta-World's flag must be on at the end (for stick-push this also requires holding the stick);
* for pick tasks the object must have been carried: lifted at least ``carry_height`` above its
  start at some step while both finger pads held it (a drag along the table never is).
"""

from __future__ import annotations

import numpy as np

from badbench.generate.sim._rollout import Trace, progress_of


def carried(trace: Trace) -> bool:
    """Whether the object was lifted ``carry_height`` while grasped (True if not required)."""
    h = trace.task.carry_height
    if h <= 0:
        return True
    lifted = trace.obj[:, 2] > trace.obj[0, 2] + h
    return bool(np.any(lifted & trace.grasp))


def oracle_success(trace: Trace) -> bool:
    """The oracle's success verdict (see the module docstring)."""
    final = float(trace.distance[-1])
    return bool(trace.sim_success[-1]) and final <= trace.task.oracle_radius and carried(trace)


def task_progress(trace: Trace) -> np.ndarray:
    """Per-step task progress in [0, 1]: ``clip((d_0 - d_t) / (d_0 - r), 0, 1)``.

    ``d`` is the goal distance and ``r`` the task's oracle radius, so progress reaches 1 exactly
    when the oracle would accept the end state, and the edge of Meta-World's wider radius (the
    ``partial_completion`` shortcut) stays below 1.
    """
    return progress_of(trace.distance, float(trace.distance[0]), trace.task.oracle_radius)
