"""Safety screening: crisis, emergency and disclosure statements, and requests to interpret a person's own result.

Three nets, all run by SafetyPolicy on every turn before anything else:
1. the phrase screen (content/safety.yml), which needs no model; figurative
   worry ("I nearly had a heart attack when the phone rang") is taken out of
   the message before it is screened;
2. the dedicated safety classifier (companion/nlu/safety_classifier.py),
   trained for recall on data/nlu/safety.yml, whose verdict rides in the
   parse data under "safety";
3. a very confident crisis, emergency or disclosure intent from the intent classifier.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from companion import PROJECT_ROOT

SAFETY_FILE = PROJECT_ROOT / "content" / "safety.yml"
CRISIS = "crisis"
EMERGENCY = "emergency"
DISCLOSURE_ASSAULT = "disclosure_assault"
DISCLOSURE_ABUSE = "disclosure_abuse"
DISCLOSURE_DEPRESSION = "disclosure_depression"
DISCLOSURES = (DISCLOSURE_ASSAULT, DISCLOSURE_ABUSE, DISCLOSURE_DEPRESSION)
# Most urgent first: "I took too many pills" needs 911 before 988, and a
# suicidal statement inside a disclosure needs 988 before anything else.
ORDER = (EMERGENCY, CRISIS, DISCLOSURE_ASSAULT, DISCLOSURE_ABUSE, DISCLOSURE_DEPRESSION)
KINDS = frozenset(ORDER)
# How sure the intent classifier must be, on its own, to count as a crisis or
# emergency. Worried people use dramatic words: the classifier gave "my husband
# says im worrying myself to death" 0.97 crisis and "my stomach is in knots"
# 0.90 emergency. Below this the assistant answers the worry and adds a gentle
# check-in with the 988 and 911 lines; the phrase screen is the first net.
CLASSIFIER_THRESHOLD = 0.99

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_NOT_WORD = re.compile(r"[^\w']+")

_DIAGNOSIS = [
    re.compile(p)
    for p in (
        r"\b(do|does|did) i (have|got) (breast )?cancer\b",
        r"\bam i (going to be )?(ok|okay|fine|sick|dying|going to die)\b",
        r"\b(is|are) (my|this|these) (\w+ ){0,3}(cancer|cancerous|malignant|benign|bad|serious|dangerous|normal)\b",
        r"\b(read|interpret|look at|check|review|analy[sz]e|explain|tell me about) my (\w+ )?"
        r"(report|results?|images?|mammogram|letter|scan|pictures|films|findings?)\b",
        r"\bwhat (does|do|did) my (\w+ )?(report|results?|images?|mammogram|letter|scan|pictures|radiologist|findings?) (say|show|mean|find|see)\b",
        r"\bmy (report|results?|letter|mammogram|scan) (says|said|shows|showed)\b.*\b(cancer|mean|bad|worried|worry|serious|die)\b",
        r"\b(based on|from|given) my (results?|report|images?|mammogram|letter)\b",
    )
]


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, punctuation as spaces, single spaces."""
    text = (text or "").translate(_APOSTROPHES).lower()
    return " ".join(_NOT_WORD.sub(" ", text).split())


FIGURATIVE = "figurative"


@functools.lru_cache(maxsize=1)
def _patterns(path: Path = SAFETY_FILE) -> Dict[str, List[re.Pattern]]:
    """Every language's phrases at once (content/safety.yml, content/<lang>/safety.yml): a person may mix them."""
    files = [path, *sorted(path.parent.glob("*/safety.yml"))]
    patterns: Dict[str, List[re.Pattern]] = {kind: [] for kind in (*ORDER, FIGURATIVE)}
    for file in files:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for kind in patterns:
            patterns[kind] += [re.compile(p) for p in raw.get(kind) or []]
    return patterns


def without_figures(said: str) -> str:
    """The normalised message with each figure of speech ("almost had a heart attack", "scared to death") said
    plainly, as "worried": what is left still reads as a sentence, and what it says is the worry."""
    for pattern in _patterns()[FIGURATIVE]:
        said = pattern.sub(" worried ", said)
    return " ".join(said.split())


def screen(text: str) -> Optional[str]:
    """The most urgent kind in ORDER the phrase screen finds, or None."""
    said = without_figures(normalise(text))
    if not said:
        return None
    patterns = _patterns()
    for kind in ORDER:
        if any(p.search(said) for p in patterns[kind]):
            return kind
    return None


def classifier_alarm(parse_data: dict) -> Optional[str]:
    """A safety kind when the intent classifier alone is sure enough, else None."""
    top = _top(parse_data)  # nlu_fallback left out: it is present only when no intent reaches 0.55
    if top.get("name") in KINDS and (top.get("confidence") or 0.0) >= CLASSIFIER_THRESHOLD:
        return top["name"]
    return None


def safety_classifier_alarm(parse_data: dict) -> Optional[str]:
    """The dedicated safety classifier's verdict, carried in the parse data (None when it saw no danger)."""
    verdict = (parse_data or {}).get("safety") or {}
    kind = verdict.get("kind")
    return kind if kind in KINDS else None


# The two classifiers check each other. Chosen on the development sets (tests/eval/dev_questions.yml and
# tests/eval/safety_dev_questions.yml, 1,147 messages, 291 of them safety statements), never on the held-out set:
# - when the intent classifier is this sure the message is something else, the safety classifier must be surer
#   than usual to raise an alarm on its own;
OTHER_INTENT_CONFIDENCE = 0.7
SAFETY_CONFIDENCE_AGAINST_IT = 0.95
# - a hesitant safety verdict (below SAFETY_CONFIDENCE_ALONE) counts only when the intent classifier gives some
#   weight to a safety kind too ("I feel like a deer in the headlights" is nobody's depression);
SAFETY_CONFIDENCE_ALONE = 0.6
INTENT_SUPPORT = 0.3
# - and when both lean the same way without either being sure ("I looked up how to tie a noose"), that is an alarm.
BOTH_LEAN_INTENT, BOTH_LEAN_SAFETY = 0.5, 0.4


def _ranking(parse_data: dict) -> list:
    return [i for i in parse_data.get("intent_ranking") or [parse_data.get("intent") or {}]
            if i.get("name") != "nlu_fallback"]


def _top(parse_data: dict) -> dict:
    ranking = _ranking(parse_data)
    return max(ranking, key=lambda i: i.get("confidence") or 0.0) if ranking else {}


def _other_intent_sure(parse_data: dict) -> bool:
    top = _top(parse_data)
    name = top.get("name") or ""
    return bool(name) and name not in KINDS and (top.get("confidence") or 0.0) >= OTHER_INTENT_CONFIDENCE


def _intent_weight_on_safety(parse_data: dict) -> float:
    return max([i.get("confidence") or 0.0 for i in _ranking(parse_data) if i.get("name") in KINDS] or [0.0])


def _both_lean(parse_data: dict) -> Optional[str]:
    top, verdict = _top(parse_data), parse_data.get("safety") or {}
    if top.get("name") in KINDS and (top.get("confidence") or 0.0) >= BOTH_LEAN_INTENT \
            and (verdict.get("confidence") or 0.0) >= BOTH_LEAN_SAFETY:
        return top["name"]
    return None


def assess(text: str, parse_data: Optional[dict]) -> Optional[str]:
    """What kind of safety reply this message needs, if any (see `assessment`)."""
    return assessment(text, parse_data)[0]


def assessment(text: str, parse_data: Optional[dict]) -> Tuple[Optional[str], Optional[str]]:
    """(kind, which net caught it): the phrase screen first, then the classifiers.

    The phrase screen ("screen") wins when it fires; otherwise the safety
    classifier ("safety classifier"), checked against the intent classifier,
    then the two leaning the same way ("both classifiers"), then a confident
    intent ("intent classifier").
    """
    parse_data = parse_data or {}
    screened = screen(text)
    if screened:
        return screened, "screen"
    kind = safety_classifier_alarm(parse_data)
    confidence = (parse_data.get("safety") or {}).get("confidence", 0.0)
    if kind and _other_intent_sure(parse_data) and confidence < SAFETY_CONFIDENCE_AGAINST_IT:
        kind = None
    elif kind and confidence < SAFETY_CONFIDENCE_ALONE and _intent_weight_on_safety(parse_data) < INTENT_SUPPORT:
        kind = None
    if kind:
        return kind, "safety classifier"
    leaning = _both_lean(parse_data)
    if leaning:
        return leaning, "both classifiers"
    intent = classifier_alarm(parse_data)
    return (intent, "intent classifier") if intent else (None, None)


def asks_for_diagnosis(text: str) -> bool:
    """True when a message asks to interpret the person's own result, report or images."""
    said = normalise(text)
    return any(p.search(said) for p in _DIAGNOSIS)
