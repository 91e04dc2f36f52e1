"""Safety screening: crisis and emergency statements, and requests to interpret a person's own result.

The crisis/emergency screen is a phrase screen (content/safety.yml) that does
not depend on the intent classifier; SafetyPolicy runs it on every turn and
also honours a confident crisis or emergency intent as a second net.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from companion import PROJECT_ROOT

SAFETY_FILE = PROJECT_ROOT / "content" / "safety.yml"
CRISIS = "crisis"
EMERGENCY = "emergency"
# Emergency is checked first: "I took too many pills" needs 911 before 988.
ORDER = (EMERGENCY, CRISIS)
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
        r"\b(read|interpret|look at|check|review|analy[sz]e|explain|tell me about) my (\w+ )?(report|results?|images?|mammogram|letter|scan|pictures|films|findings?)\b",
        r"\bwhat (does|do|did) my (\w+ )?(report|results?|images?|mammogram|letter|scan|pictures|radiologist|findings?) (say|show|mean|find|see)\b",
        r"\bmy (report|results?|letter|mammogram|scan) (says|said|shows|showed)\b.*\b(cancer|mean|bad|worried|worry|serious|die)\b",
        r"\b(based on|from|given) my (results?|report|images?|mammogram|letter)\b",
    )
]


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, punctuation as spaces, single spaces."""
    text = (text or "").translate(_APOSTROPHES).lower()
    return " ".join(_NOT_WORD.sub(" ", text).split())


@functools.lru_cache(maxsize=1)
def _patterns(path: Path = SAFETY_FILE) -> Dict[str, List[re.Pattern]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {kind: [re.compile(p) for p in raw.get(kind) or []] for kind in ORDER}


def screen(text: str) -> Optional[str]:
    """'emergency', 'crisis', or None for a message that shows neither."""
    said = normalise(text)
    if not said:
        return None
    patterns = _patterns()
    for kind in ORDER:
        if any(p.search(said) for p in patterns[kind]):
            return kind
    return None


def classifier_alarm(parse_data: dict) -> Optional[str]:
    """'crisis' or 'emergency' when the classifier alone is sure enough, else None."""
    ranking = parse_data.get("intent_ranking") or [parse_data.get("intent") or {}]
    top = max(ranking, key=lambda i: i.get("confidence") or 0.0)
    if top.get("name") in ORDER and (top.get("confidence") or 0.0) >= CLASSIFIER_THRESHOLD:
        return top["name"]
    return None


def asks_for_diagnosis(text: str) -> bool:
    """True when a message asks to interpret the person's own result, report or images."""
    said = normalise(text)
    return any(p.search(said) for p in _DIAGNOSIS)
