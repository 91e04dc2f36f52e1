"""LogisticRegressionWithC: Rasa's LogisticRegressionClassifier with its `C` honoured and its confidence calibrated.

Rasa 3.6 accepts `C` in the component's config but never passes it to
scikit-learn, so it always trains with C = 1.0.

A logistic regression with a large C is overconfident: it gave garbage such as
"blorf snak quizzle" 0.9 for `goodbye`. At training time this component fits
one temperature on cross-validated scores of the training data (the value
that makes those probabilities most likely), and divides its scores by it
before the softmax. The ranking is unchanged; the confidence means what it says.

Its weights are also kept in column order for prediction: scikit-learn
multiplies a message by the transposed weights, and scipy copied the whole
row-ordered matrix to do so on every message (0.28 ms against 0.04 ms).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Text

import numpy as np
import scipy.sparse
from scipy.sparse import csr_matrix
from scipy.special import log_softmax, softmax

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from companion.nlu.cross_validation import fit_with_held_out_scores

logger = logging.getLogger(__name__)

CALIBRATION_FILE = "calibration.json"
TEMPERATURES = np.exp(np.linspace(np.log(0.2), np.log(5.0), 61))


def fit_temperature(scores: np.ndarray, gold: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of the gold labels."""
    rows = np.arange(len(gold))
    losses = [-log_softmax(scores / t, axis=1)[rows, gold].mean() for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LogisticRegressionWithC(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0, "calibration_folds": 3,
                # the folds are fitted side by side (training time; the temperature is the same)
                "calibration_jobs": 2}

    def __init__(self, config: Dict[Text, Any], *args: Any) -> None:
        super().__init__(config, *args)
        self.clf.set_params(C=float(self.config["C"]))
        self.temperature = 1.0

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.model_selection import StratifiedKFold

        X, y = self._create_training_matrix(training_data)
        if X.shape[0] == 0:
            return super().train(training_data)
        folds = int(self.config["calibration_folds"])
        if folds >= 2 and min(y.count(label) for label in set(y)) >= folds:
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=42)
            self.clf, scores = fit_with_held_out_scores(self.clf, X, y, splitter, "decision_function",
                                                        int(self.config["calibration_jobs"]))
            classes = sorted(set(y))
            self.temperature = fit_temperature(scores, np.array([classes.index(label) for label in y]))
            logger.debug("intent classifier temperature %.2f", self.temperature)
        else:
            # the parent's train would build the same matrix again (a sixth of the training time)
            self.clf.fit(X, y)
        self.persist()
        return self._resource

    def persist(self) -> None:
        super().persist()
        with self._model_storage.write_to(self._resource) as model_dir:
            (model_dir / CALIBRATION_FILE).write_text(json.dumps({"temperature": self.temperature}))

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LogisticRegressionWithC":
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        try:
            with model_storage.read_from(resource) as model_dir:
                component.temperature = json.loads((model_dir / CALIBRATION_FILE).read_text())["temperature"]
        except (ValueError, FileNotFoundError, KeyError):
            component.temperature = 1.0
        return component

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """The same matrix as Rasa's (each message's sentence features, one block per featurizer), stacked a
        featurizer at a time. Rasa combined every message's features, sequences included, and built three
        matrices for each (16 s of training on 13,000 examples)."""
        blocks = [[f for f in m.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE] for m in messages]
        if (not blocks or not blocks[0] or len({len(b) for b in blocks}) != 1
                or any(f.is_dense() for b in blocks for f in b)):
            return super()._create_X(messages)
        columns = [scipy.sparse.vstack([b[k].features for b in blocks]) for k in range(len(blocks[0]))]
        matrix = scipy.sparse.hstack(columns, format="csr")
        return matrix.astype(np.result_type(matrix.dtype, np.float64), copy=False)

    def process(self, messages: List[Message]) -> List[Message]:
        weights = getattr(self.clf, "coef_", None)
        if weights is None:
            return super().process(messages)
        if not weights.flags.f_contiguous:
            self.clf.coef_ = np.asfortranarray(weights)
        probabilities = softmax(self.clf.decision_function(self._create_X(messages)) / self.temperature, axis=1)
        intents = self.clf.classes_
        length = self.config.get("ranking_length") or len(intents)
        for message, row in zip(messages, probabilities):
            order = np.argsort(-row)
            ranking = [{"name": str(intents[i]), "confidence": float(row[i])} for i in order[:length]]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
