"""The Meta-World synthetic bad-behaviour engine: rollouts, failure injectors, oracle labels.

Heavy dependencies (``mujoco``, ``metaworld``) are imported only when a rollout runs.
"""

from __future__ import annotations

from badbench.generate.sim._injector import (
    GOOD,
    FailureInjector,
    Span,
    injector_class,
    injector_names,
    make_injector,
    modes_for,
    register_injector,
)
from badbench.generate.sim._labels import dense_reward, oracle_preferences, rubric_score
from badbench.generate.sim._rollout import RolloutContext, Trace, rollout
from badbench.generate.sim._runner import SimJob, SimSummary, generate_sim, plan_jobs, run_job
from badbench.generate.sim._tasks import DEFAULT_TASKS, SIM_TASKS, SimTask, sim_task

__all__ = [
    "DEFAULT_TASKS",
    "GOOD",
    "SIM_TASKS",
    "FailureInjector",
    "RolloutContext",
    "SimJob",
    "SimSummary",
    "SimTask",
    "Span",
    "Trace",
    "dense_reward",
    "generate_sim",
    "injector_class",
    "injector_names",
    "make_injector",
    "modes_for",
    "oracle_preferences",
    "plan_jobs",
    "register_injector",
    "rollout",
    "rubric_score",
    "run_job",
    "sim_task",
]
