"""Speech markup for voice channels: pauses between sentences, phone numbers read as telephone numbers, and BI-RADS said right.

Spoken content writes numbers digit by digit ("1 8 0 0, 2 2 7, 2 3 4 5",
"9 8 8"), so plain text-to-speech reads them right. Here they become
`<say-as interpret-as="telephone">`, and sentences get short breaks.
"BI-RADS" becomes `<sub alias="bye rads">`, as radiologists say it; speech
engines otherwise spell it out ("B I rads").
`segments` gives the pieces; `alexa_ssml` and `add_to_twiml_say` write them
in each platform's form.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, List, Tuple
from xml.sax.saxutils import escape

from companion import phone

if TYPE_CHECKING:
    from twilio.twiml.voice_response import Say

SENTENCE_BREAK = "350ms"
# single digits separated by spaces or ", ", at least three of them: a number read out
_SPOKEN_NUMBER = re.compile(r"(?<![\w])\d(?:(?:,\s*|\s+)\d){2,}(?![\w])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")
# characters XML 1.0 cannot carry
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Segment = Tuple[str, str]  # ("text", words) | ("telephone", digits) | ("break", duration) | ("birads", written)
BIRADS_ALIAS = "bye rads"
_BIRADS = re.compile(r"\bBI-?RADS\b", re.IGNORECASE)


def _telephone(spoken_number: str) -> str:
    digits = re.sub(r"\D", "", spoken_number)
    return phone.display(digits) if len(digits) in (10, 11) else digits


def segments(spoken: str) -> List[Segment]:
    spoken = _INVALID_XML.sub(" ", spoken or "").strip()
    result: List[Segment] = []
    sentences = [s for s in _SENTENCE_END.split(spoken) if s.strip()]
    for index, sentence in enumerate(sentences):
        if index:
            result.append(("break", SENTENCE_BREAK))
        position = 0
        marks = sorted([(m.start(), m.end(), "telephone", _telephone(m.group(0))) for m in _SPOKEN_NUMBER.finditer(sentence)]
                       + [(m.start(), m.end(), "birads", m.group(0)) for m in _BIRADS.finditer(sentence)])
        for start, end, kind, value in marks:
            if start > position:
                result.append(("text", sentence[position:start]))
            result.append((kind, value))
            position = end
        if position < len(sentence):
            result.append(("text", sentence[position:]))
    return result


def alexa_ssml(spoken: str) -> str:
    """`<speak>...</speak>` for an Alexa outputSpeech or reprompt."""
    parts = []
    for kind, value in segments(spoken):
        if kind == "text":
            parts.append(escape(value))
        elif kind == "telephone":
            parts.append(f'<say-as interpret-as="telephone">{escape(value)}</say-as>')
        elif kind == "birads":
            parts.append(f'<sub alias="{BIRADS_ALIAS}">{escape(value)}</sub>')
        else:
            parts.append(f'<break time="{value}"/>')
    return "<speak>" + "".join(parts) + "</speak>"


def add_to_twiml_say(say: "Say", spoken: str) -> "Say":
    """Fills a TwiML `<Say>` (twilio.twiml's builder) with text and the SSML tags Twilio accepts inside it."""
    text = ""
    for kind, value in segments(spoken):
        if kind == "text":
            text += value  # the builder keeps one text run between two tags
            continue
        if text:
            say.append(text)
            text = ""
        if kind == "telephone":
            say.say_as(value, interpret_as="telephone")
        elif kind == "birads":
            say.sub(value, alias=BIRADS_ALIAS)
        else:
            say.break_(time=value)
    if text:
        say.append(text)
    return say
