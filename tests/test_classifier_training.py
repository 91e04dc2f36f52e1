"""Training the two classifiers faster gives the same model: the intent classifier's training matrix and the
folds fitted beside the final fit (companion/nlu/cross_validation.py) match what scikit-learn and Rasa compute."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from companion.nlu import safety_classifier
from companion.nlu.cross_validation import fit_with_held_out_scores
from companion.nlu.linear_svm import CalibratedLinearSVC

TEXTS = [
    "what does calcifications mean", "are calcifications cancer", "why do i have calcifications",
    "what is a cyst", "is a cyst dangerous", "do cysts go away", "i want to die", "i don't want to live anymore",
    "i can't go on", "my chest hurts and i can't breathe", "call an ambulance i am bleeding a lot",
    "i think i'm having a heart attack right now", "when will i get my results", "how long do results take",
    "who calls me with my results", "hello", "hi there", "good morning",
]
LABELS = ["calcifications"] * 3 + ["cyst"] * 3 + ["crisis"] * 3 + ["emergency"] * 3 + ["results"] * 3 + ["greet"] * 3


def messages_with_features(rng: np.random.Generator, count: int = 40):
    """Messages as two featurizers leave them: a sequence and a sentence block from each, of different widths."""
    messages = []
    for _ in range(count):
        message = Message(data={TEXT: "x", "intent": "i"})
        tokens = int(rng.integers(1, 6))
        for origin, width in (("words", 7), ("chars", 11)):
            sequence = scipy.sparse.random(tokens, width, density=0.3, format="coo", random_state=rng)
            sentence = scipy.sparse.random(1, width, density=0.4, format="coo", random_state=rng)
            message.features.append(Features(sequence, FEATURE_TYPE_SEQUENCE, TEXT, origin))
            message.features.append(Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, origin))
        messages.append(message)
    return messages


def test_the_intent_classifiers_training_matrix_is_the_one_rasa_builds(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    ours = CalibratedLinearSVC.create(CalibratedLinearSVC.get_default_config(), storage, Resource("ours"), context)
    rasas = LogisticRegressionClassifier.create(LogisticRegressionClassifier.get_default_config(), storage,
                                                Resource("rasa"), context)
    messages = messages_with_features(np.random.default_rng(3))
    fast, expected = ours._create_X(messages), rasas._create_X(messages)
    assert fast.shape == expected.shape == (40, 18) and fast.dtype == expected.dtype
    assert (fast != expected).nnz == 0
    one = ours._create_X(messages[:1])
    assert (one != rasas._create_X(messages[:1])).nnz == 0


@pytest.mark.parametrize("estimator, data, method", [
    (LinearSVC(C=0.3, class_weight="balanced", random_state=0, max_iter=5000), "matrix", "decision_function"),
    (safety_classifier.build(10.0), "texts", "predict_proba"),
])
def test_the_folds_fitted_beside_the_final_fit_score_and_fit_as_scikit_learn_does(estimator, data, method):
    from sklearn.feature_extraction.text import CountVectorizer

    X = CountVectorizer().fit_transform(TEXTS) if data == "matrix" else TEXTS
    splitter = StratifiedKFold(n_splits=3, shuffle=True, random_state=7)
    final, scores = fit_with_held_out_scores(estimator, X, LABELS, splitter, method, n_jobs=2)
    expected = cross_val_predict(estimator, X, LABELS, cv=splitter, method=method)
    assert np.allclose(scores, expected)
    fitted = estimator.fit(X, LABELS)
    assert list(final.predict(X)) == list(fitted.predict(X))
    assert np.allclose(getattr(final, method)(X), getattr(fitted, method)(X))


@pytest.mark.filterwarnings("ignore:The least populated class")
def test_a_fold_without_every_label_is_refused():
    splitter = StratifiedKFold(n_splits=3, shuffle=True, random_state=7)
    labels = LABELS[:-1] + ["rare"]  # the fold that holds out the one "rare" example trains without it
    with pytest.raises(ValueError, match="missing a label"):
        fit_with_held_out_scores(safety_classifier.build(10.0), TEXTS, labels, splitter, "predict_proba", n_jobs=1)
