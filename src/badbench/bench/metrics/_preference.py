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

from badbench.bench.metrics._groupby import encode


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
    human = np.asarray(human, dtype=np.float64).reshape(-1)
    rows = np.flatnonzero(np.isfinite(human))
    if len(rows) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.int8)
    _, codes = encode(np.asarray(context)[rows])
    order = np.argsort(codes, kind="stable")
    rows, codes = rows[order], codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(rows)])
    parts_a, parts_b = [], []
    for size in np.unique(sizes):
        if size < 2:
            continue
        first = starts[sizes == size]  # (m,) first position of each context of this size
        block = rows[first[:, None] + np.arange(size)[None, :]]  # (m, size) rows, ascending
        ia, ib = np.triu_indices(size, 1)
        parts_a.append(block[:, ia].reshape(-1))
        parts_b.append(block[:, ib].reshape(-1))
    if not parts_a:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.int8)
    idx_a = np.concatenate(parts_a).astype(np.int64)
    idx_b = np.concatenate(parts_b).astype(np.int64)
    sign = np.sign(human[idx_a] - human[idx_b]).astype(np.int8)
    keep = sign != 0
    return idx_a[keep], idx_b[keep], sign[keep]


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
    model = np.asarray(model, dtype=np.float64).reshape(-1)
    idx_a = np.asarray(idx_a, dtype=np.int64).reshape(-1)  # [] would be float64
    idx_b = np.asarray(idx_b, dtype=np.int64).reshape(-1)
    human_sign = np.asarray(human_sign, dtype=np.float64).reshape(-1)
    ms = np.sign(model[idx_a] - model[idx_b])
    credit = (ms == human_sign).astype(np.float64)
    credit[ms == 0] = tie_credit
    credit[human_sign == 0] = np.nan
    return credit


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
    idx_a, idx_b, sign = preference_pairs(context, human)
    credit = pair_agreement(model, idx_a, idx_b, sign, tie_credit=tie_credit)
    return _mean(credit)


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
        ``(accuracy, n_pairs)`` with n_pairs the non-tie judgements; ``(nan, 0)`` when there are
        none, including empty inputs (plain empty lists are fine).
    """
    credit = pair_agreement(model, idx_a, idx_b, label, tie_credit=tie_credit)
    return _mean(credit[np.isfinite(credit)])


def per_context_agreement(
    pair_context: np.ndarray, credit: np.ndarray, n_contexts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum pair credits per context: ``(agree_c, count_c)``, each (n_contexts,) float.

    ``pair_context`` holds integer context codes in [0, n_contexts); NaN credits are skipped.
    A = sum(agree_c) / sum(count_c) = 1 - sum_c |P_c| D_c / sum_c |P_c|.
    """
    credit = np.asarray(credit, dtype=np.float64)
    ok = np.isfinite(credit)
    pc = np.asarray(pair_context, dtype=np.int64)[ok]
    agree = np.bincount(pc, weights=credit[ok], minlength=n_contexts).astype(np.float64)
    count = np.bincount(pc, minlength=n_contexts).astype(np.float64)
    return agree, count


def _mean(credit: np.ndarray) -> tuple[float, int]:
    if len(credit) == 0:
        return float("nan"), 0
    return float(credit.mean()), int(len(credit))
