"""Fitting a classifier on all its data and, side by side, on each cross-validation fold.

Both trainable classifiers (the intent classifier's temperature, the safety
classifier's threshold) need held-out scores of their own training data and
then the model fitted on all of it. scikit-learn's `cross_val_predict` fits
the folds in parallel, but the final fit then waited for them alone: on two
cores, three safety folds and the final fit took three rounds instead of two.
Here the final fit is one more job among the folds. Same splits, same fits,
same scores as `cross_val_predict` followed by `fit`.
"""

from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone


def _rows(data: Any, index: np.ndarray) -> Any:
    return [data[i] for i in index] if isinstance(data, list) else data[index]


def _fit(estimator: Any, data: Any, labels: Sequence[str]) -> Any:
    return clone(estimator).fit(data, list(labels))


def _held_out_scores(estimator: Any, data: Any, labels: Sequence[str], train: np.ndarray, held_out: np.ndarray,
                     method: str, classes: List[str]) -> np.ndarray:
    model = _fit(estimator, _rows(data, train), [labels[i] for i in train])
    if list(model.classes_) != classes:
        raise ValueError("a cross-validation fold is missing a label; use fewer folds")
    return np.asarray(getattr(model, method)(_rows(data, held_out))).reshape(len(held_out), -1)


def fit_with_held_out_scores(estimator: Any, data: Any, labels: Sequence[str], splitter: Any, method: str,
                             n_jobs: int) -> Tuple[Any, np.ndarray]:
    """(the estimator fitted on all the data, each example's `method` scores from the fold that did not see it).

    `data` is a list (texts) or a matrix with one row per example. Every fold must hold every label, as a
    stratified splitter with no more folds than the rarest label's examples makes sure.
    """
    classes = sorted(set(labels))
    folds = list(splitter.split(np.zeros(len(labels)), labels))
    jobs = [delayed(_fit)(estimator, data, labels)]
    jobs += [delayed(_held_out_scores)(estimator, data, labels, train, held_out, method, classes)
             for train, held_out in folds]
    final, *fold_scores = Parallel(n_jobs=n_jobs)(jobs)
    scores = np.zeros((len(labels), fold_scores[0].shape[1]))
    for (_, held_out), part in zip(folds, fold_scores):
        scores[held_out] = part
    return final, scores
