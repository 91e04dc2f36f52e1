"""TermNormalizer: gives each entity found by the spaCy EntityRuler its canonical value from content/terms.yml.

"calcs", "micro calcifications" and "cal suffocations" all become
`finding: calcifications`; "bi rads four" becomes `birads: 4`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from companion.terms import load_terms


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TermNormalizer(GraphComponent):
    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "TermNormalizer":
        return cls()

    def __init__(self) -> None:
        self._terms = load_terms()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            for entity in message.get(ENTITIES, []):
                value = self._terms.canonical(entity.get(ENTITY_ATTRIBUTE_TYPE, ""), str(entity.get(ENTITY_ATTRIBUTE_VALUE, "")))
                if value is not None:
                    entity[ENTITY_ATTRIBUTE_VALUE] = value
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
