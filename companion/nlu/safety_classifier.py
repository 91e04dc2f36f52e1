"""SafetyClassifier: a dedicated, recall-tuned classifier for crisis, emergency and disclosures.

It learns from the same training data as the intent classifier (mostly
data/nlu/safety.yml), but with one question only: which safety kind, if any,
does this message show? Everything that is not a safety intent counts as
"none", including the figurative and ordinary worry written for it. Its own
word and character n-grams are built on the message as the phrase screen
sees it, with figures of speech taken out (companion.safety.without_figures).

Its threshold is picked at training time on cross-validated predictions of
the training data: the lowest one at which no more than `max_false_alarms` of
the examples that are not about safety would be flagged. The phrase screen,
which runs first, is the floor for recall; the classifier adds what the screen
cannot list. A message with no content word at all ("to the to", "um") is
never flagged by it. The verdict goes into the parse data as
`safety: {kind, confidence, threshold}`, where SafetyPolicy and the safety
action read it.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import joblib
import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline, make_union

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from companion import safety
from companion.nlu.cross_validation import fit_with_held_out_scores

logger = logging.getLogger(__name__)

NONE = "none"
SAFETY_KEY = "safety"
MODEL_FILE = "safety_classifier.joblib"


def prepare(text: str) -> str:
    """The message as the classifier sees it: normalised, figures of speech taken out."""
    return safety.without_figures(safety.normalise(text))


def build(c: float) -> Any:
    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    return make_pipeline(features, LogisticRegression(C=c, class_weight="balanced", max_iter=2000))


def pick_threshold(probabilities: np.ndarray, classes: List[str], labels: List[str], floor: float, ceiling: float,
                   max_false_alarms: float) -> float:
    """The lowest threshold (between floor and ceiling) whose false-alarm rate on non-safety examples is in budget."""
    none = classes.index(NONE)
    danger = np.delete(probabilities, none, axis=1).max(axis=1)
    calm = np.array([label == NONE for label in labels])
    for threshold in np.arange(floor, ceiling + 1e-9, 0.01):
        if not calm.any() or float((danger[calm] >= threshold).mean()) <= max_false_alarms:
            return round(float(threshold), 2)
    return ceiling


def has_content(prepared: str) -> bool:
    from spacy.lang.en.stop_words import STOP_WORDS

    return any(word not in STOP_WORDS and word not in FILLERS for word in prepared.split())


FILLERS = frozenset({"um", "uh", "umm", "uhh", "hmm", "mm", "er", "erm", "ah", "oh", "okay", "ok", "so", "like", "yeah"})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SafetyClassifier(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 10.0,
            "folds": 3,
            # the folds are fitted side by side (training time; the model is the same)
            "n_jobs": 2,
            # the threshold is chosen between these on cross-validated training predictions
            "threshold_floor": 0.2,
            "threshold_ceiling": 0.8,
            # at most this share of the non-safety training examples flagged, cross-validated
            "max_false_alarms": 0.02,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[Any] = None, threshold: float = 0.5) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.model = model
        self.threshold = threshold
        self._prepare_for_prediction()

    def _prepare_for_prediction(self) -> None:
        """Keep the weights in column order and call the two vectorisers directly.

        scikit-learn multiplies a message by the transposed weights, and scipy
        copied the whole row-ordered matrix to do so; the feature union also
        ran its vectorisers through joblib. Together they were half of this
        component's time on each message (3.2 ms against 1.6 ms).
        """
        if self.model is None:
            self._vectorisers, self._classifier = [], None
            return
        union, classifier = self.model.steps[0][1], self.model.steps[-1][1]
        classifier.coef_ = np.asfortranarray(classifier.coef_)
        self._vectorisers = [vectoriser for _, vectoriser in union.transformer_list]
        self._classifier = classifier

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SafetyClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        texts = [prepare(m.get(TEXT)) for m in examples]
        labels = [m.get(INTENT) if m.get(INTENT) in safety.KINDS else NONE for m in examples]
        if len(set(labels)) < 2:
            logger.warning("SafetyClassifier: no safety examples in the training data; it will flag nothing")
            self.model, self.threshold = None, 1.0
            self._prepare_for_prediction()
        else:
            model = build(float(self.config["C"]))
            smallest = min(labels.count(label) for label in set(labels))
            folds = max(2, min(int(self.config["folds"]), smallest))
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=7)
            self.model, probabilities = fit_with_held_out_scores(model, texts, labels, splitter, "predict_proba",
                                                                 int(self.config["n_jobs"]))
            classes = sorted(set(labels))
            self.threshold = pick_threshold(probabilities, classes, labels, float(self.config["threshold_floor"]),
                                            float(self.config["threshold_ceiling"]), float(self.config["max_false_alarms"]))
            self._prepare_for_prediction()
        with self._storage.write_to(self._resource) as directory:
            joblib.dump({"model": self.model, "threshold": self.threshold}, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SafetyClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                saved = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("SafetyClassifier: no trained model found; it will flag nothing")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, saved["model"], saved["threshold"])

    def verdict(self, text: str) -> Dict[str, Any]:
        prepared = prepare(text)
        if self.model is None or not has_content(prepared):
            return {"kind": None, "confidence": 0.0, "threshold": self.threshold}
        features = scipy.sparse.hstack([v.transform([prepared]) for v in self._vectorisers], format="csr")
        probabilities = self._classifier.predict_proba(features)[0]
        classes = list(self._classifier.classes_)
        ranked = sorted((p, c) for c, p in zip(classes, probabilities) if c != NONE)
        confidence, kind = ranked[-1]
        return {"kind": kind if confidence >= self.threshold else None,
                "confidence": round(float(confidence), 4), "threshold": self.threshold}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            message.set(SAFETY_KEY, self.verdict(message.get(TEXT) or ""), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
