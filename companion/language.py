"""Which language a message is written in: English, Spanish, or too short to tell.

A message counts its words that only one of the two languages uses: spaCy's
English and Spanish stop words less the words both share ("no", "me", "a"),
plus everyday words of this subject that are not stop words ("hola",
"mamografía", "biopsia"). Accents, "ñ", "¿" and "¡" count for Spanish. The
language with clearly more wins; "ok", "BI-RADS 4" or "ultrasound" decide
nothing, and the conversation keeps the language it has. Chosen over
py3langid and lingua by measurement (reports/nlu-languages.md): on one-word and
two-word messages both libraries called English phrasings Spanish (and the
reverse) far more often, and this reading needs no model.

`detect()` is used by the assistant (actions/base.py), not by the channels.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import FrozenSet, Optional, Tuple

ENGLISH, SPANISH = "en", "es"
_WORD = re.compile(r"[a-záéíóúüñ']+", re.IGNORECASE)
_SPANISH_MARKS = re.compile(r"[áéíóúñ¿¡]", re.IGNORECASE)

# everyday words of a callback conversation that spaCy does not list as stop words (not the English words
# Spanish speakers use as they are: "callback", "el ultrasound", "la biopsy", "el mammogram")
_SPANISH_WORDS = """
hola gracias buenas buenos días dias tardes noches adiós adios oiga mire bueno pues
tengo tiene tienen quiero quiere necesito necesita puedo puede estoy está estan están
dijeron llamaron hicieron mandaron salió salio dice dicen significa pasa hago
seno senos pecho pechos busto mamografía mamografia mamograma biopsia resonancia
ultrasonido ecografía ecografia quiste bolita bulto masa calcificaciones asimetría
resultado resultados cita carta doctora médico medico clínica clinica seguro cuesta
miedo nerviosa preocupada ayuda hablar persona alguien español espanol inglés ingles
sí
""".split()
_ENGLISH_WORDS = """
hi hello hey thanks thank please yes yeah okay what's i'm don't can't it's
called breast breasts results letter scared
worried help talk someone english spanish mean means need want does
""".split()


@functools.lru_cache(maxsize=1)
def _markers() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.es.stop_words import STOP_WORDS as ES

    english = {_fold(w) for w in EN}
    spanish = {_fold(w) for w in ES}
    shared = english & spanish
    spanish_only = (spanish - shared) | {_fold(w) for w in _SPANISH_WORDS}
    english_only = (english - shared) | {_fold(w) for w in _ENGLISH_WORDS}
    both = spanish_only & english_only  # words either language uses ("cancer", "doctor") decide nothing
    return frozenset(english_only - both), frozenset(spanish_only - both)


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def scores(text: str) -> Tuple[int, int]:
    """(English, Spanish): how many of the message's words only that language uses."""
    english, spanish = _markers()
    words = [_fold(w) for w in _WORD.findall(text or "")]
    en = sum(w in english for w in words)
    es = sum(w in spanish for w in words) + (1 if _SPANISH_MARKS.search(text or "") else 0)
    return en, es


def detect(text: str) -> Optional[str]:
    """'en' or 'es' when the message says clearly which; None when it does not (keep the conversation's)."""
    en, es = scores(text)
    if es > en:
        return SPANISH
    if en > es:
        return ENGLISH
    return None
