"""Success detection and false positives: does the model call bad episodes a success?

The positive class is a clean success (see :attr:`EpisodeTable.good`); the score is the model's
success probability or, without one, its predicted final progress. An episode is *called* a
success when its score is >= the threshold.
"""

from __future__ import annotations

import numpy as np


def confusion(called: np.ndarray, positive: np.ndarray) -> tuple[int, int, int, int]:
    """``(tp, fp, tn, fn)`` counts of boolean calls against boolean labels."""
    raise NotImplementedError


def fpr_at_threshold(score: np.ndarray, positive: np.ndarray, threshold: float = 0.95) -> float:
    """False-positive rate: the fraction of negatives (bad episodes) with score >= threshold.

    Default threshold 0.95: Robo-Dopamine's success rule (progress >= 1 - delta, delta = 0.05).
    Units: fraction of bad episodes, in [0, 1]; NaN when there are no negatives.
    """
    raise NotImplementedError


def threshold_at_tpr(score: np.ndarray, positive: np.ndarray, tpr: float = 0.95) -> float:
    """The highest threshold t with TPR(t) = P(score >= t | positive) >= ``tpr``.

    With the positives' scores sorted descending s_(1) >= ... >= s_(n), t = s_(k) where
    k = ceil(tpr * n) (up to float tolerance). NaN when there are no positives.
    """
    raise NotImplementedError


def fpr_at_tpr(score: np.ndarray, positive: np.ndarray, tpr: float = 0.95) -> tuple[float, float]:
    """FPR at the threshold calibrated to ``tpr`` on positives.

    Returns:
        ``(fpr, threshold)``; fpr is NaN when there are no positives or no negatives.
    """
    raise NotImplementedError


def accuracy(called: np.ndarray, positive: np.ndarray) -> float:
    """(tp + tn) / n; NaN when empty."""
    raise NotImplementedError


def precision(called: np.ndarray, positive: np.ndarray) -> float:
    """tp / (tp + fp); NaN when nothing is called a success."""
    raise NotImplementedError


def recall(called: np.ndarray, positive: np.ndarray) -> float:
    """tp / (tp + fn) (the true-positive rate); NaN when there are no positives."""
    raise NotImplementedError


def auroc(score: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve = the Mann-Whitney probability P(s_pos > s_neg) + 0.5 P(tie).

    Computed from average ranks: (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg).
    NaN when either class is empty.
    """
    raise NotImplementedError


def auprc(score: np.ndarray, positive: np.ndarray) -> float:
    """Average precision: sum over distinct thresholds t (descending) of
    (R(t) - R(t_prev)) * P(t), tied scores forming one threshold (as scikit-learn's
    ``average_precision_score``). NaN when there are no positives.
    """
    raise NotImplementedError
