"""BiradsIntent: a message that names a BI-RADS category is a question about that category.

"my report says bi rads four, what does that mean", "birads 4a meaning" and
"is a birads 3 bad" name a category the EntityRuler finds and TermNormalizer
turns into "0" to "6". Whatever the classifier made of the words around it (her
own result, a guess at another answer, a "did you mean...?"), the assistant
answers with the general meaning of that category and, when it is her own
letter, says that only her care team can say what it means for her
(actions/answers.py). Category 0 has an answer of its own.

It runs after the FallbackClassifier. Safety intents and conversation moves
("yes", "say that again", "bye") are left alone; so is worry, which gets comfort
first.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

BIRADS_ENTITY = "birads"
ZERO, CATEGORIES = "ask_birads_zero", "ask_birads_categories"
# the intents a named category overrides: questions, and not being sure what was asked
QUESTION_PREFIX = "ask_"
OVERRIDDEN = frozenset({"personal_diagnosis", "nlu_fallback", "out_of_scope", "what_about", "is_that_bad"})
ROUTED_KEY = "birads_category"


def named_category(message: Message) -> Optional[str]:
    for entity in message.get(ENTITIES) or []:
        if entity.get(ENTITY_ATTRIBUTE_TYPE) == BIRADS_ENTITY and entity.get(ENTITY_ATTRIBUTE_VALUE) is not None:
            return str(entity[ENTITY_ATTRIBUTE_VALUE])
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class BiradsIntent(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "BiradsIntent":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            category = named_category(message)
            intent = message.get(INTENT) or {}
            name = intent.get(INTENT_NAME_KEY) or ""
            if category is None or not (name.startswith(QUESTION_PREFIX) or name in OVERRIDDEN):
                continue
            message.set(INTENT, {INTENT_NAME_KEY: ZERO if category == "0" else CATEGORIES,
                                 PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
            message.set(ROUTED_KEY, {"category": category, "was": name}, add_to_output=True)
        return messages
