"""Pairwise preference accuracy, the paper's main metric.

For each context c, P_c holds the pairs (i, j) of its episodes with different human scores
y_i != y_j. D_c is the fraction of P_c where sign(y_hat_i - y_hat_j) != sign(y_i - y_j); a model
tie (y_hat_i == y_hat_j) counts as a disagreement unless ``tie_credit`` says otherwise. The
accuracy is A = 1 - sum_c |P_c| D_c / sum_c |P_c|, i.e. the fraction of all pairs the model
orders like the humans (a micro-average over pairs). With explicit A/B/tie labels, the pairs are
the judgements and human ties are left out. Units: fraction of pairs, in [0, 1]; chance is 0.5.
"""

from __future__ import annotations

import numpy as np


def preference_pairs(
    context: np.ndarray, human: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Enumerate P = union of P_c: all within-context pairs with different human scores.

    Vectorised: contexts are grouped by size and each size's pairs come from one
    ``triu_indices``. Episodes with a NaN human score form no pairs; a single-episode context
    forms none.

    Args:
        context: (N,) context ids (any hashable dtype).
        human: (N,) float human scores.

    Returns:
        ``(idx_a, idx_b, sign)``: (P,) int64 rows with idx_a < idx_b, and (P,) int8
        sign(human[idx_a] - human[idx_b]), never 0.
    """
    raise NotImplementedError


def pair_agreement(
    model: np.ndarray,
    idx_a: np.ndarray,
    idx_b: np.ndarray,
    human_sign: np.ndarray,
    *,
    tie_credit: float = 0.0,
) -> np.ndarray:
    """Per-pair credit: 1 when sign(model[a] - model[b]) == human_sign, ``tie_credit`` for a
    model tie, else 0. Pairs with human_sign 0 get NaN (callers drop them).

    Returns:
        (P,) float credit in [0, 1] (NaN for human ties).
    """
    raise NotImplementedError


def pairwise_accuracy(
    context: np.ndarray,
    human: np.ndarray,
    model: np.ndarray,
    *,
    tie_credit: float = 0.0,
) -> tuple[float, int]:
    """The paper's A over score-based pairs (:func:`preference_pairs`).

    Args:
        context: (N,) context ids.
        human: (N,) human scores (NaN: unknown).
        model: (N,) model trajectory scores.
        tie_credit: credit of a model tie (0 = disagreement, as the paper; 0.5 = half).

    Returns:
        ``(accuracy, n_pairs)``; accuracy is NaN when there are no pairs.
    """
    raise NotImplementedError


def pairwise_accuracy_labels(
    model: np.ndarray,
    idx_a: np.ndarray,
    idx_b: np.ndarray,
    label: np.ndarray,
    *,
    tie_credit: float = 0.0,
) -> tuple[float, int]:
    """A over explicit A/B judgements; judgements labelled tie (0) are left out.

    Args:
        model: (N,) model trajectory scores.
        idx_a, idx_b: (P,) rows of the two episodes.
        label: (P,) +1 (A preferred), -1 (B preferred) or 0 (tie).
        tie_credit: credit of a model tie.

    Returns:
        ``(accuracy, n_pairs)`` with n_pairs the non-tie judgements; NaN accuracy when none.
    """
    raise NotImplementedError


def per_context_agreement(
    pair_context: np.ndarray, credit: np.ndarray, n_contexts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum pair credits per context: ``(agree_c, count_c)``, each (n_contexts,) float.

    ``pair_context`` holds integer context codes in [0, n_contexts); NaN credits are skipped.
    A = sum(agree_c) / sum(count_c) = 1 - sum_c |P_c| D_c / sum_c |P_c|.
    """
    raise NotImplementedError
