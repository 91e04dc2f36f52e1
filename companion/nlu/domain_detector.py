"""DomainDetector: tells noise and questions from outside the domain apart from the questions the content covers.

It runs after the intent classifier and before the FallbackClassifier, and
looks at the words of the message:

- **noise**: fewer than half of its words are English words (the CMU
  pronouncing dictionary that ships inside the pocketsphinx package, plus
  every word of the training data): keyboard mash, recogniser garbage; or a
  fragment: only function words that stop mid-sentence ("and then the",
  "i wanted to") or one word said over and over ("it it it"). The
  intent becomes `nlu_fallback`, so the assistant says it did not catch that
  and never acts on a guess (a guess of "goodbye" would end a phone call).
- **outside the domain**: the classifier picked a content question, but not one
  of the message's content words (words that are not stop words) was ever used
  in a content question of the training data. The intent becomes
  `out_of_scope`, which gets an honest "I don't have an answer for that".

Either way the classifier's own ranking is kept, and the reading goes into the
parse data as `domain: {verdict, english, in_domain}`.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

DOMAIN_KEY = "domain"
VOCABULARY_FILE = "domain_vocabulary.json"
NOISE, OUTSIDE, INSIDE = "noise", "out_of_domain", "in_domain"
FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
CONTENT_PREFIX = "ask_"
# a sentence does not end on these: a message that does, with no content word, was cut off
DANGLING = frozenset({"the", "a", "an", "of", "to", "and", "or", "but", "my", "your", "his", "her", "their", "our",
                      "if", "because", "than", "whether", "i"})
PREFIX = 5  # a word shares the domain when it starts like a domain word ("biopsied", "biopsies")
_WORD = re.compile(r"[a-záéíóúüñ]+(?:'[a-z]+)?")  # Spanish words whole ("qué", not "qu")


@functools.lru_cache(maxsize=1)
def english_words() -> FrozenSet[str]:
    """Every word of the CMU pronouncing dictionary shipped in the pocketsphinx package."""
    from pocketsphinx import get_model_path

    words = set()
    with Path(get_model_path("en-us/cmudict-en-us.dict")).open(encoding="utf-8", errors="replace") as dictionary:
        for line in dictionary:
            word = line.split(" ", 1)[0]
            words.add(word.split("(", 1)[0].lower())
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def stop_words() -> FrozenSet[str]:
    from spacy.lang.en.stop_words import STOP_WORDS
    from spacy.lang.es.stop_words import STOP_WORDS as SPANISH_STOP_WORDS

    return frozenset(STOP_WORDS) | frozenset(SPANISH_STOP_WORDS) | {"um", "uh", "hmm", "like", "okay", "ok", "so", "yeah", "please", "hi", "hello",
                                    "know", "want", "wanna", "tell", "question", "ask", "mean", "thing", "things"}


def words_of(text: str) -> List[str]:
    return _WORD.findall((text or "").lower().replace("\u2019", "'"))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DomainDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # below this share of English words a message is noise
        return {"min_english_share": 0.5}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 known: FrozenSet[str] = frozenset(), domain: FrozenSet[str] = frozenset()) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage, self._resource = model_storage, resource
        self._use(known, domain)

    def _use(self, known: FrozenSet[str], domain: FrozenSet[str]) -> None:
        self.known = known  # every word of the training data
        self.domain = domain  # content words of the content questions
        self.prefixes = frozenset(w[:PREFIX] for w in domain if len(w) >= PREFIX)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "DomainDetector":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        known, domain = set(), set()
        for example in training_data.intent_examples:
            words = words_of(example.get(TEXT))
            known.update(words)
            if str(example.get(INTENT) or "").startswith(CONTENT_PREFIX):
                domain.update(w for w in words if w not in stop_words())
        with self._storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps({"known": sorted(known), "domain": sorted(domain)}))
        self._use(frozenset(known), frozenset(domain))
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "DomainDetector":
        try:
            with model_storage.read_from(resource) as directory:
                saved = json.loads((directory / VOCABULARY_FILE).read_text())
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        english_words()  # read the dictionary at load time, not on the first message
        return cls(config, model_storage, resource, frozenset(saved["known"]), frozenset(saved["domain"]))

    def in_domain(self, word: str) -> bool:
        return word in self.domain or (len(word) >= PREFIX and word[:PREFIX] in self.prefixes)

    def reading(self, text: str) -> Dict[str, Any]:
        words = words_of(text)
        if not words:
            return {"verdict": NOISE if (text or "").strip() else INSIDE, "english": 0.0, "in_domain": 0.0}
        english = sum(w in self.known or w in english_words() for w in words) / len(words)
        content = [w for w in words if w not in stop_words()]
        in_domain = sum(self.in_domain(w) for w in content) / len(content) if content else 0.0
        fragment = not content and (words[-1] in DANGLING or (len(words) >= 3 and len(set(words)) == 1))
        if english < float(self.config["min_english_share"]) or fragment:
            verdict = NOISE
        elif content and in_domain == 0.0:
            verdict = OUTSIDE
        else:
            verdict = INSIDE
        return {"verdict": verdict, "english": round(english, 3), "in_domain": round(in_domain, 3)}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            reading = self.reading(message.get(TEXT) or "")
            message.set(DOMAIN_KEY, reading, add_to_output=True)
            intent: Optional[Dict[str, Any]] = message.get(INTENT)
            if not intent or not self.known:
                continue
            name = intent.get(INTENT_NAME_KEY) or ""
            if reading["verdict"] == NOISE:
                message.set(INTENT, {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0 - reading["english"]},
                            add_to_output=True)
            elif reading["verdict"] == OUTSIDE and name.startswith(CONTENT_PREFIX):
                message.set(INTENT, {INTENT_NAME_KEY: OUT_OF_SCOPE_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0},
                            add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
