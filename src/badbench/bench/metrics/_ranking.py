"""Ranking metrics: Kendall tau of the quality ranking, and best-of-K selection."""

from __future__ import annotations

import numpy as np


def quality_levels(success: np.ndarray, failure_category: np.ndarray) -> np.ndarray:
    """Quality level of each episode: 0 failure < 1 suboptimal < 2 clean success.

    0 when ``success`` is false; 2 when successful with no failure category (``"none"``);
    1 when successful but tagged (poor execution, shortcut, or unsafe: the task got done in a
    way people penalise).
    """
    raise NotImplementedError


def group_ranking_tau(
    model: np.ndarray, unit: np.ndarray, group: np.ndarray, truth: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Kendall tau-b, per unit, between groups ranked by mean model score and by mean truth.

    Within each unit (e.g. a task), episodes are grouped (e.g. by quality level or policy);
    each group gets its mean model score and mean truth value, and tau-b compares the two
    rankings of the groups. Units with fewer than 2 groups (or constant truth) are undefined.

    Returns:
        ``(mean_tau, units, taus)``: the mean over defined units (NaN if none), the unit ids,
        and each unit's tau (NaN where undefined).
    """
    raise NotImplementedError


def quality_ranking_tau(
    model: np.ndarray, task: np.ndarray, quality: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """:func:`group_ranking_tau` with quality levels as groups and truth, per task.

    Example: a task whose mean scores are failure 0.2, suboptimal 0.9, success 0.8 has
    tau = (2 - 1) / 3 = 1/3 (pairs (F,S),(F,Su) concordant; (S,Su) discordant).
    """
    raise NotImplementedError


def best_of_k(
    context: np.ndarray, human: np.ndarray, model: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Best-of-K: is the model's top pick among the humans' top, per context?

    Credit of a context = |M ∩ H| / |M|, where M are its episodes tied at the model's maximum
    and H those tied at the human maximum (RewardBench v2: 1 / number tied at the max when the
    right one is among them): the expected hit rate of a random tie-break. Contexts with fewer
    than 2 episodes or all human scores equal are undefined (left out). NaN human scores are
    ignored.

    Returns:
        ``(mean_credit, contexts, credits)``: the mean over defined contexts (NaN if none), the
        context ids and their credits (NaN where undefined).
    """
    raise NotImplementedError
