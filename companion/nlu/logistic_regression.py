"""LogisticRegressionWithC: Rasa's LogisticRegressionClassifier with its `C` setting honoured.

Rasa 3.6 accepts `C` in the component's config but never passes it to
scikit-learn, so it always trains with C = 1.0. Cross-validation on the
training data chose C = 20 (reports/nlu.md).
"""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LogisticRegressionWithC(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(self, config: Dict[Text, Any], *args: Any) -> None:
        super().__init__(config, *args)
        self.clf.set_params(C=float(self.config["C"]))
