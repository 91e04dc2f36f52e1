"""The redactor: Presidio's analyzer with pattern recognisers and ours, and its anonymizer putting a label in each place.

Presidio finds phone numbers (with Google's phonenumbers), e-mail addresses,
SSNs, card numbers, IP and web addresses; companion.redaction's own
recognisers find names, street addresses, towns, ZIP codes, dates, ages over
89 and the identifiers a cue names. No NER model is loaded: Presidio gets a
blank spaCy tokenizer as its NLP engine. The clinic's own names
(config/facility.yml: name, support_name, places) are never redacted.
"""

from __future__ import annotations

import re
import threading
from typing import Iterable, List, Optional, Sequence, Tuple

import spacy
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from companion.redaction import lexicon, names, numbers, places
from companion.redaction.tokens import tokenize

LABELS = {
    "PERSON": "[name]",
    "STREET_ADDRESS": "[address]",
    "LOCATION": "[place]",
    "ZIP_CODE": "[zip]",
    "DATE_TIME": "[date]",
    "AGE": "[age]",
    "PHONE_NUMBER": "[phone]",
    "EMAIL_ADDRESS": "[email]",
    "US_SSN": "[id number]",
    "MEDICAL_RECORD": "[record number]",
    "MEMBER_ID": "[member number]",
    "ACCOUNT_NUMBER": "[account number]",
    "CREDIT_CARD": "[account number]",
    "LICENSE_NUMBER": "[license number]",
    "VEHICLE_ID": "[vehicle number]",
    "DEVICE_ID": "[device number]",
    "URL": "[web address]",
    "IP_ADDRESS": "[ip address]",
    "ID_NUMBER": "[number]",
}
OUR_ENTITIES = ["PERSON", "STREET_ADDRESS", "LOCATION", "ZIP_CODE", "DATE_TIME", "AGE", "EMAIL_ADDRESS",
                "MEDICAL_RECORD", "MEMBER_ID", "ACCOUNT_NUMBER", "LICENSE_NUMBER", "VEHICLE_ID", "DEVICE_ID",
                "US_SSN", "ID_NUMBER", "PHONE_NUMBER"]
Span = Tuple[int, int, str]


class TokenizerOnlyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine on a blank English pipeline: tokens for its recognisers, no model to load."""

    def load(self) -> None:
        self.nlp = {"en": spacy.blank("en")}


# "jane dot doe at gmail dot com", "maria lopez at yahoo dot com"
_SPOKEN_EMAIL = re.compile(
    r"\b(?:[a-z0-9]+(?: dot | underscore | dash |[ ._-])){0,3}[a-z0-9]+ at [a-z0-9-]+(?: dot [a-z0-9-]+)*"
    r" dot (?:com|org|net|edu|gov|us|info|biz|co)\b", re.IGNORECASE)
_TYPED_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TYPED_PHONE = [
    re.compile(r"(?<![\w-])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?:\s*(?:ext|x)\.?\s*\d{1,5})?(?![\w-])", re.I),
    re.compile(r"(?<![\w-])\d{3}-\d{4}(?![\w-])"),
]
_SSN = re.compile(r"(?<![\w-])\d{3}[ -]\d{2}[ -]\d{4}(?![\w-])")


class CompanionRecognizer(EntityRecognizer):
    """The recognisers of companion.redaction as one Presidio recogniser (one tokenization per message)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=OUR_ENTITIES, name="CompanionRecognizer", supported_language="en")

    def load(self) -> None:
        lexicon.load()

    def analyze(self, text: str, entities: List[str], nlp_artifacts=None) -> List[RecognizerResult]:
        return [RecognizerResult(entity, start, end, 0.85) for start, end, entity in find_ours(text)]


def find_ours(text: str) -> List[Span]:
    tokens = tokenize(text)
    found: List[Span] = []
    found += [(m.start(), m.end(), "EMAIL_ADDRESS") for m in _TYPED_EMAIL.finditer(text)]
    found += [(m.start(), m.end(), "EMAIL_ADDRESS") for m in _SPOKEN_EMAIL.finditer(text)]
    found += [(m.start(), m.end(), "PHONE_NUMBER") for p in _TYPED_PHONE for m in p.finditer(text)]
    found += [(m.start(), m.end(), "US_SSN") for m in _SSN.finditer(text)]
    found += numbers.dates(text, tokens)
    found += numbers.ages_over_89(tokens)
    found += numbers.cued_identifiers(tokens)
    found += numbers.spoken_number_runs(tokens)
    found += numbers.zip_codes(text, tokens)
    found += numbers.digit_groups(text)
    addresses = places.street_addresses(tokens)
    people = names.person_names(tokens)
    found += addresses + people
    found += places.towns(tokens, addresses, people)
    return found


_SCHEME = re.compile(r"(?i)^(https?://|www\.)")
_SOURCE_FILE = re.compile(r"(?i)^[\w.-]+\.(py|pyc|pyx|yml|yaml|json|js|css|html|md|txt|gz|log|db|so|toml|cfg|ini|sh)$")


def code_not_address(text: str, start: int, end: int) -> bool:
    """A "web address" that is a file or a dotted name in a log line or traceback: "actions/answers.py",
    "aiohttp.ClientResponseError" (.py and .cl are country domains too)."""
    said = text[start:end]
    if _SCHEME.match(said):
        return False
    cut_in_a_word = end < len(text) and (text[end].isalnum() or text[end] == "_")
    in_a_path = start > 0 and text[start - 1] in "/\\"
    return cut_in_a_word or in_a_path or bool(_SOURCE_FILE.match(said))


# which label a span gets when two recognisers found exactly the same words (the more specific one)
_TIE_ORDER = {"ID_NUMBER": 0, "PERSON": 1, "STREET_ADDRESS": 2, "LOCATION": 3}


def merge(spans: Iterable[Span]) -> List[Span]:
    """Overlapping spans as one, labelled by the longest of them (a record number inside an address stays one place)."""
    merged: List[List] = []
    for start, end, entity in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            if end - start > last[3] or (end - start == last[3] and _TIE_ORDER.get(entity, 9) > _TIE_ORDER.get(last[2], 9)):
                last[2], last[3] = entity, end - start
            last[1] = max(last[1], end)
        else:
            merged.append([start, end, entity, end - start])
    return [(s, e, entity) for s, e, entity, _ in merged]


def protected_ranges(text: str, keep: Sequence[str]) -> List[Tuple[int, int]]:
    ranges = []
    for phrase in keep:
        phrase = re.sub(r"^the\s+", "", phrase.strip(), flags=re.IGNORECASE)
        if not phrase:
            continue
        pattern = r"\b" + r"\s+".join(re.escape(w) for w in phrase.split()) + r"\b"
        pattern = pattern.replace(r"'", r"['’]?").replace(r"\.", r"\.?")
        ranges += [(m.start(), m.end()) for m in re.finditer(pattern, text, re.IGNORECASE)]
    return ranges


class Redactor:
    """Finds the personal details in a text and replaces each with a label such as [name] or [phone]."""

    def __init__(self, keep: Sequence[str] = (), presidio_recognizers: Optional[Sequence[EntityRecognizer]] = None,
                 ours: bool = True) -> None:
        self.keep = [k for k in keep if k]
        registry = RecognizerRegistry(supported_languages=["en"])
        for recognizer in presidio_recognizers if presidio_recognizers is not None else default_presidio_recognizers():
            registry.add_recognizer(recognizer)
        if ours:
            registry.add_recognizer(CompanionRecognizer())
        self.analyzer = AnalyzerEngine(registry=registry, nlp_engine=TokenizerOnlyNlpEngine(),
                                       supported_languages=["en"], default_score_threshold=0.3)
        self.anonymizer = AnonymizerEngine()
        self._operators = {entity: OperatorConfig("replace", {"new_value": label}) for entity, label in LABELS.items()}
        self._operators["DEFAULT"] = OperatorConfig("replace", {"new_value": "[redacted]"})

    def find(self, text: str) -> List[Span]:
        results = self.analyzer.analyze(text, language="en")
        protected = protected_ranges(text, self.keep)
        spans = [(r.start, r.end, r.entity_type) for r in results
                 if not any(r.start < end and start < r.end for start, end in protected)
                 and not (r.entity_type == "URL" and code_not_address(text, r.start, r.end))]
        return merge(spans)

    def redact(self, text: str) -> str:
        spans = self.find(text)
        if not spans:
            return text
        results = [RecognizerResult(entity, start, end, 1.0) for start, end, entity in spans]
        return self.anonymizer.anonymize(text, results, self._operators).text


def default_presidio_recognizers() -> List[EntityRecognizer]:
    """Presidio's own recognisers for what has a fixed shape: phone, e-mail, SSN, card, IP and web addresses."""
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UrlRecognizer,
        UsSsnRecognizer,
    )

    return [PhoneRecognizer(supported_regions=("US",)), UsSsnRecognizer(), CreditCardRecognizer(),
            IpRecognizer(), UrlRecognizer()]


PLATFORMS = ("Alexa", "Twilio", "Amazon")
# the servers' own addresses in their start-up lines name no one
OWN_ADDRESSES = ("127.0.0.1", "0.0.0.0", "localhost")
_lock = threading.RLock()
_shared: Optional[Redactor] = None
_building = threading.local()


def building() -> bool:
    """True while this thread builds the redactor: what the libraries log meanwhile is their own chatter."""
    return getattr(_building, "on", False)


def shared_redactor() -> Redactor:
    """One redactor per process, keeping this clinic's names readable."""
    global _shared
    with _lock:
        if _shared is None:
            _building.on = True
            try:
                from companion.settings import load_facility

                facility = load_facility()
                # the platforms the assistant speaks through are named in its own log lines
                _shared = Redactor(keep=[facility.name, facility.support_name, facility.support_name_es, *facility.places, *PLATFORMS,
                                         *OWN_ADDRESSES])
            finally:
                _building.on = False
        return _shared
