"""SafetyPolicy: answers a crisis, an emergency or a disclosure before any rule, story or other policy can act.

On every user turn it runs companion.safety.assess: the phrase screen on the
message text itself, the dedicated safety classifier's verdict, and a very
confident safety intent from the intent classifier. Its priority is above RulePolicy's, so no rule or
story can override it. After its action it hands back to listening.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from companion import safety

SAFETY_ACTION = "action_safety_response"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class SafetyPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "priority": 7,  # RulePolicy, the highest built-in, has 6
        }

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn: the screen is data in content/safety.yml

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        last_action = tracker.latest_action_name
        if last_action == SAFETY_ACTION:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        elif last_action == ACTION_LISTEN_NAME and self._in_danger(tracker):
            probabilities[domain.index_for_action(SAFETY_ACTION)] = 1.0
        return self._prediction(probabilities)

    def _in_danger(self, tracker: DialogueStateTracker) -> bool:
        message = tracker.latest_message
        if message is None:
            return False
        return safety.assess(message.text or "", message.parse_data) is not None
