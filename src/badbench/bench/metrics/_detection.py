"""Success detection and false positives: does the model call bad episodes a success?

The positive class is a clean success (see :attr:`EpisodeTable.good`); the score is the model's
success probability or, without one, its predicted final progress. An episode is *called* a
success when its score is >= the threshold.

A NaN score (no prediction: an empty episode under ``last`` or ``mean``) ranks below every real
score and ties with the other NaN scores; it is never called a success. So AUROC, AUPRC and the
calibrated threshold do not depend on the order of the episodes.
"""

from __future__ import annotations

import numpy as np


def confusion(called: np.ndarray, positive: np.ndarray) -> tuple[int, int, int, int]:
    """``(tp, fp, tn, fn)`` counts of boolean calls against boolean labels."""
    c = np.asarray(called, dtype=bool)
    p = np.asarray(positive, dtype=bool)
    return (
        int(np.sum(c & p)),
        int(np.sum(c & ~p)),
        int(np.sum(~c & ~p)),
        int(np.sum(~c & p)),
    )


def fpr_at_threshold(score: np.ndarray, positive: np.ndarray, threshold: float = 0.95) -> float:
    """False-positive rate: the fraction of negatives (bad episodes) with score >= threshold.

    Default threshold 0.95: Robo-Dopamine's success rule (progress >= 1 - delta, delta = 0.05).
    Units: fraction of bad episodes, in [0, 1]; NaN when there are no negatives.
    """
    score, positive = _prep(score, positive)
    neg = ~positive
    if not neg.any():
        return float("nan")
    return float(np.mean(score[neg] >= threshold))


def threshold_at_tpr(score: np.ndarray, positive: np.ndarray, tpr: float = 0.95) -> float:
    """The highest threshold t with TPR(t) = P(score >= t | positive) >= ``tpr``.

    With the positives' scores sorted descending s_(1) >= ... >= s_(n), t = s_(k) where
    k = ceil(tpr * n) (up to float tolerance). NaN when there are no positives.
    Example: positives 0.9, 0.8, 0.7, 0.2 and tpr 0.95: k = ceil(3.8) = 4, t = 0.2.
    """
    score, positive = _prep(score, positive)
    return float(weighted_threshold_at_tpr(score, positive, np.ones((1, len(score))), tpr)[0])


def fpr_at_tpr(score: np.ndarray, positive: np.ndarray, tpr: float = 0.95) -> tuple[float, float]:
    """FPR at the threshold calibrated to ``tpr`` on positives (:func:`threshold_at_tpr`).

    Returns:
        ``(fpr, threshold)``; fpr is NaN when there are no positives or no negatives.
    """
    score, positive = _prep(score, positive)
    fpr, thr = weighted_fpr_at_tpr(score, positive, np.ones((1, len(score))), tpr)
    return float(fpr[0]), float(thr[0])


def accuracy(called: np.ndarray, positive: np.ndarray) -> float:
    """(tp + tn) / n; NaN when empty."""
    tp, fp, tn, fn = confusion(called, positive)
    n = tp + fp + tn + fn
    return (tp + tn) / n if n else float("nan")


def precision(called: np.ndarray, positive: np.ndarray) -> float:
    """tp / (tp + fp); NaN when nothing is called a success."""
    tp, fp, _, _ = confusion(called, positive)
    return tp / (tp + fp) if tp + fp else float("nan")


def recall(called: np.ndarray, positive: np.ndarray) -> float:
    """tp / (tp + fn) (the true-positive rate); NaN when there are no positives."""
    tp, _, _, fn = confusion(called, positive)
    return tp / (tp + fn) if tp + fn else float("nan")


def auroc(score: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve = the Mann-Whitney probability P(s_pos > s_neg) + 0.5 P(tie).

    Equal to (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg) with R_pos the positives' sum of
    average ranks. NaN when either class is empty.
    """
    score, positive = _prep(score, positive)
    return float(weighted_auroc(score, positive, np.ones((1, len(score))))[0])


def auprc(score: np.ndarray, positive: np.ndarray) -> float:
    """Average precision: sum over distinct thresholds t (descending) of
    (R(t) - R(t_prev)) * P(t), tied scores forming one threshold (as scikit-learn's
    ``average_precision_score``). NaN when there are no positives.
    """
    score, positive = _prep(score, positive)
    return float(weighted_auprc(score, positive, np.ones((1, len(score))))[0])


# --- weighted kernels: W (B, N) episode weights -> (B,) values, for the bootstrap -------------


def missing_lowest(score: np.ndarray) -> np.ndarray:
    """``score`` as float64 with NaN replaced by -inf: below every real score, tied together."""
    return np.nan_to_num(np.asarray(score, dtype=np.float64), nan=-np.inf, posinf=np.inf)


def _prep(score: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    score = missing_lowest(score).reshape(-1)
    positive = np.asarray(positive, dtype=bool).reshape(-1)
    if len(score) != len(positive):
        raise ValueError(f"score and positive have lengths {len(score)} and {len(positive)}")
    return score, positive


def _tie_groups(sorted_scores: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in a sorted array."""
    if len(sorted_scores) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])


def _class_weights_by_group(
    score: np.ndarray, positive: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per tie-group positive and negative weight sums, highest score first: (B, G) each."""
    order = np.argsort(-score, kind="mergesort")
    starts = _tie_groups(score[order])
    ws = weights[:, order]
    pos = positive[order]
    pw, nw = ws * pos, ws * ~pos
    if len(starts) < len(score):  # ties: sum each run of equal scores
        pw = np.add.reduceat(pw, starts, axis=1)
        nw = np.add.reduceat(nw, starts, axis=1)
    return pw, nw


def _roc_pr_from_groups(pw: np.ndarray, nw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUROC and average precision from descending tie-group weights (B, G)."""
    tp = np.cumsum(pw, axis=1)  # positive weight with score >= each group's score
    fp = np.cumsum(nw, axis=1)
    tot_p, tot_n = tp[:, -1], fp[:, -1]
    below = tot_n[:, None] - fp  # negative weight strictly below each group
    roc_num = np.einsum("bg,bg->b", pw, below + 0.5 * nw)
    called = tp + fp
    prec = np.divide(tp, called, out=np.zeros_like(tp), where=called > 0)
    pr_num = np.einsum("bg,bg->b", pw, prec)
    roc = np.full(pw.shape[0], np.nan)
    pr = np.full(pw.shape[0], np.nan)
    ok = tot_p * tot_n > 0
    roc[ok] = roc_num[ok] / (tot_p[ok] * tot_n[ok])
    ok = tot_p > 0
    pr[ok] = pr_num[ok] / tot_p[ok]
    return roc, pr


def weighted_auroc(score: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUROC under episode weights (B, N) -> (B,); NaN where a class has zero weight."""
    return weighted_auroc_auprc(score, positive, weights)[0]


def weighted_auprc(score: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average precision under episode weights (B, N) -> (B,); NaN where no positive weight."""
    return weighted_auroc_auprc(score, positive, weights)[1]


def weighted_auroc_auprc(
    score: np.ndarray, positive: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Both :func:`weighted_auroc` and :func:`weighted_auprc`, sharing one sort."""
    if len(score) == 0:
        nan = np.full(weights.shape[0], np.nan)
        return nan, nan.copy()
    score = missing_lowest(score)
    return _roc_pr_from_groups(*_class_weights_by_group(score, positive, weights))


def weighted_threshold_at_tpr(
    score: np.ndarray, positive: np.ndarray, weights: np.ndarray, tpr: float
) -> np.ndarray:
    """Calibrated thresholds under episode weights (B, N) -> (B,); NaN without positives."""
    out = np.full(weights.shape[0], np.nan)
    ps = score[positive]
    if len(ps) == 0:
        return out
    order = np.argsort(-ps, kind="mergesort")
    ps = ps[order]
    cum = np.cumsum(weights[:, positive][:, order], axis=1)
    total = cum[:, -1]
    target = tpr * total * (1 - 1e-12)
    k = np.argmax(cum >= target[:, None], axis=1)  # first position reaching the target
    ok = total > 0
    out[ok] = ps[k[ok]]
    return out


def weighted_fpr_at_tpr(
    score: np.ndarray, positive: np.ndarray, weights: np.ndarray, tpr: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(fpr, threshold)`` at the calibrated threshold, under weights (B, N); each (B,)."""
    thr = weighted_threshold_at_tpr(score, positive, weights, tpr)
    neg = ~positive
    wn = weights[:, neg]
    tot = wn.sum(axis=1)
    with np.errstate(invalid="ignore"):
        called = score[neg][None, :] >= thr[:, None]
    fpr = np.full(weights.shape[0], np.nan)
    ok = (tot > 0) & np.isfinite(thr)
    fpr[ok] = np.sum(wn * called, axis=1)[ok] / tot[ok]
    return fpr, thr
