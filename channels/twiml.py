"""TwiML's rules: checks a Twilio voice document against what Twilio documents, and reads back what it says.

The phone line builds its documents with twilio.twiml (channels/phone/render.py).
`problems` checks any TwiML document against a whitelist of documented verbs,
attributes, attribute values and the SSML tags Twilio accepts inside <Say>,
and also that the call never stalls: the last verb must gather input, dial,
redirect or hang up. The library builds any attribute it is given, so the
channel checks every response it sends with it (a bug is answered with the
support line, never silence) and the tests check every response they get.
`spoken_text` reads a document back for the call simulator and the tests.
"""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, Iterable, List, Optional
from xml.etree import ElementTree as ET


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# What may follow a response's last verb: anything else ends the call in silence.
CALL_CONTINUES = frozenset({"Gather", "Dial", "Hangup", "Redirect"})
# Nothing after these runs (a Gather that always posts its result, or a Dial with an action, never falls through).
_ENDS_DOCUMENT = frozenset({"Hangup", "Redirect"})

_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Dial", "Hangup", "Redirect", "Reject"})
_SSML_CONTAINERS = frozenset({"p", "s", "prosody", "emphasis", "lang"})
_SSML_TEXT_ONLY = frozenset({"say-as", "sub", "phoneme", "w"})
_SSML = _SSML_CONTAINERS | _SSML_TEXT_ONLY | {"break"}


class Rule:
    """What one element may carry: attributes, children, and whether it holds text."""

    def __init__(self, attributes: Iterable[str] = (), children: Iterable[str] = (), text: bool = False) -> None:
        self.attributes: FrozenSet[str] = frozenset(attributes)
        self.children: FrozenSet[str] = frozenset(children)
        self.text = text


# Twilio's TwiML reference for <Response>, <Say> (with its SSML tags), <Gather>, <Dial>, <Number>,
# <Hangup>, <Pause>, <Play>, <Redirect> and <Reject>.
RULES: Dict[str, Rule] = {
    "Response": Rule(children=_VERBS),
    "Say": Rule({"voice", "language", "loop"}, _SSML, text=True),
    "Play": Rule({"loop", "digits"}, text=True),
    "Pause": Rule({"length"}),
    "Gather": Rule(
        {
            "action", "method", "input", "timeout", "speechTimeout", "speechModel", "hints", "language",
            "numDigits", "actionOnEmptyResult", "finishOnKey", "enhanced", "profanityFilter",
            "partialResultCallback", "partialResultCallbackMethod",
        },
        {"Say", "Play", "Pause"},
    ),
    "Dial": Rule(
        {"action", "method", "timeout", "callerId", "answerOnBridge", "hangupOnStar", "timeLimit", "record", "ringTone"},
        {"Number"},
        text=True,
    ),
    "Number": Rule(
        {"sendDigits", "url", "method", "statusCallback", "statusCallbackEvent", "statusCallbackMethod"}, text=True
    ),
    "Hangup": Rule(),
    "Reject": Rule({"reason"}),
    "Redirect": Rule({"method"}, text=True),
    # SSML inside <Say>
    "break": Rule({"strength", "time"}),
    "emphasis": Rule({"level"}, _SSML, text=True),
    "lang": Rule({XML_LANG}, _SSML, text=True),
    "p": Rule((), _SSML, text=True),
    "s": Rule((), _SSML, text=True),
    "prosody": Rule({"pitch", "rate", "volume"}, _SSML, text=True),
    "say-as": Rule({"interpret-as", "format"}, text=True),
    "sub": Rule({"alias"}, text=True),
    "phoneme": Rule({"alphabet", "ph"}, text=True),
    "w": Rule({"role"}, text=True),
}

_TRUE_FALSE = {"true", "false"}
_METHODS = {"GET", "POST"}
_POSITIVE_INT = re.compile(r"^[1-9]\d*$")
_SPEECH_MODELS = {
    "default", "numbers_and_commands", "phone_call", "experimental_conversations", "experimental_utterances",
}
_INTERPRET_AS = {
    "character", "spell-out", "cardinal", "number", "ordinal", "digits", "fraction", "unit", "date", "time",
    "address", "expletive", "telephone",
}
_BREAK_TIME = re.compile(r"^\d+(ms|s)$")
_DIALLABLE = re.compile(r"^\+?\d{3,15}$")
HINTS_MAX = 500
HINT_MAX_CHARS = 100

# attribute -> check(value) -> problem or None
# Amazon Polly neural voices Twilio offers for the languages the line speaks, and each one's language:
# a <Say> in one of them must name its language, or Twilio reads the words with the wrong accent.
POLLY_VOICES = {
    "Polly.Joanna-Neural": "en-US", "Polly.Matthew-Neural": "en-US", "Polly.Kendra-Neural": "en-US",
    "Polly.Salli-Neural": "en-US", "Polly.Kimberly-Neural": "en-US", "Polly.Ruth-Neural": "en-US",
    "Polly.Lupe-Neural": "es-US", "Polly.Pedro-Neural": "es-US", "Polly.Mia-Neural": "es-MX",
    "Polly.Andres-Neural": "es-MX", "Polly.Lucia-Neural": "es-ES", "Polly.Sergio-Neural": "es-ES",
}
# the speech recognition languages of <Gather> the line may listen in (Twilio's list has many more)
GATHER_LANGUAGES = frozenset({"en-US", "en-GB", "en-AU", "en-CA", "en-IN", "es-US", "es-MX", "es-ES"})


def _say_voice_problem(say: ET.Element) -> Optional[str]:
    voice, language = say.get("voice"), say.get("language")
    if voice in POLLY_VOICES and language and language != POLLY_VOICES[voice]:
        return f"<Say> voice {voice} speaks {POLLY_VOICES[voice]}, not {language}"
    return None


_VALUE_CHECKS = {
    ("Gather", "language"): lambda v: None if v in GATHER_LANGUAGES else f"unknown Gather language {v!r}",
    ("Say", "language"): lambda v: None if v in GATHER_LANGUAGES else f"unknown Say language {v!r}",
    ("Gather", "input"): lambda v: None if set(v.split()) <= {"speech", "dtmf"} and v.split() else "input must be speech and/or dtmf",
    ("Gather", "method"): lambda v: None if v in _METHODS else "method must be GET or POST",
    ("Gather", "timeout"): lambda v: None if _POSITIVE_INT.match(v) else "timeout must be a positive whole number",
    ("Gather", "speechTimeout"): lambda v: None if v == "auto" or _POSITIVE_INT.match(v) else "speechTimeout must be auto or seconds",
    ("Gather", "speechModel"): lambda v: None if v in _SPEECH_MODELS else f"unknown speechModel {v!r}",
    ("Gather", "numDigits"): lambda v: None if _POSITIVE_INT.match(v) else "numDigits must be a positive whole number",
    ("Gather", "actionOnEmptyResult"): lambda v: None if v in _TRUE_FALSE else "actionOnEmptyResult must be true or false",
    ("Gather", "enhanced"): lambda v: None if v in _TRUE_FALSE else "enhanced must be true or false",
    ("Gather", "hints"): lambda v: _hint_problem(v),
    ("Dial", "method"): lambda v: None if v in _METHODS else "method must be GET or POST",
    ("Dial", "timeout"): lambda v: None if _POSITIVE_INT.match(v) else "timeout must be a positive whole number",
    ("Dial", "answerOnBridge"): lambda v: None if v in _TRUE_FALSE else "answerOnBridge must be true or false",
    ("Pause", "length"): lambda v: None if _POSITIVE_INT.match(v) else "length must be a positive whole number",
    ("Redirect", "method"): lambda v: None if v in _METHODS else "method must be GET or POST",
    ("say-as", "interpret-as"): lambda v: None if v in _INTERPRET_AS else f"unknown interpret-as {v!r}",
    ("break", "time"): lambda v: None if _BREAK_TIME.match(v) else "break time must look like 350ms or 1s",
}


def _hint_problem(value: str) -> Optional[str]:
    hints = [h.strip() for h in value.split(",")]
    if len(hints) > HINTS_MAX:
        return f"{len(hints)} hints (Twilio takes at most {HINTS_MAX})"
    if any(not h or len(h) > HINT_MAX_CHARS for h in hints):
        return f"each hint must be 1 to {HINT_MAX_CHARS} characters"
    return None


# --- checking ----------------------------------------------------------------

def problems(document, whisper: bool = False) -> List[str]:
    """Everything in a TwiML document (text, bytes or Element) that Twilio does not document or that leaves a caller stuck.

    A `whisper` (the <Number url> document played to the person answering a
    transfer) may end after its words: the call connects when it ends.
    """
    if isinstance(document, ET.Element):
        root = document
    else:
        try:
            root = ET.fromstring(document)
        except ET.ParseError as error:
            return [f"not well-formed XML: {error}"]
    if root.tag != "Response":
        return [f"the root element is <{root.tag}>, not <Response>"]
    found: List[str] = []
    _check(root, "Response", found)
    verbs = list(root)
    for position, verb in enumerate(verbs[:-1]):
        if verb.tag in _ENDS_DOCUMENT or _always_posts(verb):
            found.append(f"<{verbs[position + 1].tag}> after <{verb.tag}> is never reached")
            break
    if whisper:
        if not verbs:
            found.append("the whisper says nothing")
    elif not verbs or verbs[-1].tag not in CALL_CONTINUES:
        found.append("the response ends without a Gather, Dial, Redirect or Hangup: the call would end in silence")
    return found


def _always_posts(verb: ET.Element) -> bool:
    return (verb.tag == "Gather" and verb.get("actionOnEmptyResult") == "true") or (
        verb.tag == "Dial" and bool(verb.get("action"))
    )


def _check(element: ET.Element, path: str, found: List[str]) -> None:
    rule = RULES.get(element.tag)
    if rule is None:
        found.append(f"{path}: <{element.tag}> is not a documented TwiML verb or SSML tag")
        return
    for name, value in element.attrib.items():
        if name not in rule.attributes:
            found.append(f"{path}: <{element.tag}> has no attribute {name!r}")
            continue
        check = _VALUE_CHECKS.get((element.tag, name))
        problem = check(value) if check else None
        if problem:
            found.append(f"{path}: {problem}")
    if element.tag == "Say" and _say_voice_problem(element):
        found.append(f"{path}: {_say_voice_problem(element)}")
    has_text = bool((element.text or "").strip()) or any((c.tail or "").strip() for c in element)
    if has_text and not rule.text:
        found.append(f"{path}: <{element.tag}> cannot hold text")
    if element.tag in ("Number", "Dial") and has_text and not _DIALLABLE.match((element.text or "").strip()):
        found.append(f"{path}: {element.text!r} is not a number Twilio can dial")
    if element.tag == "Dial" and not has_text and not len(element):
        found.append(f"{path}: <Dial> has nothing to dial")
    for child in element:
        if child.tag not in rule.children:
            found.append(f"{path}: <{child.tag}> is not allowed inside <{element.tag}>")
            continue
        _check(child, f"{path}/{child.tag}", found)


# --- reading (for the call simulator and the tests) -----------------------------

def spoken_text(element: ET.Element) -> str:
    """The words a <Say> (or anything holding Says) would speak, SSML tags dropped, a pause read as a space."""
    parts: List[str] = []

    def walk(node: ET.Element) -> None:
        if node.tag in ("Say", "break"):
            parts.append(" ")
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")

    walk(element)
    return " ".join("".join(parts).split())
