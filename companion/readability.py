"""How hard the content is to read: the Flesch-Kincaid grade for English, Fernández-Huerta and Szigriszt-Pazos for Spanish.

Every score reads a chat list the way a reader sees it: each list line counts
as a sentence. Spanish syllables come from pyphen's Spanish dictionary, which
textstat uses once its language is set to 'es'.
"""

from __future__ import annotations

import functools


def _as_sentences(text: str) -> str:
    lines = [line.strip().lstrip("-*• ").strip() for line in (text or "").splitlines()]
    return " ".join(line if line[-1:] in ".?!:" else line + "." for line in lines if line)


@functools.lru_cache(maxsize=None)
def _statistics(lang: str):
    """A textstat instance of its own per language, so setting Spanish never changes the English figures."""
    from textstat.textstat import textstatistics

    stats = textstatistics()
    stats.set_lang(lang)
    return stats


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade of English text."""
    sentences = _as_sentences(text)
    return float(_statistics("en").flesch_kincaid_grade(sentences)) if sentences else 0.0


def fernandez_huerta(text: str) -> float:
    """Fernández-Huerta reading ease of Spanish text: 100 very easy, 70 to 80 about 6th grade, below 60 hard."""
    sentences = _as_sentences(text)
    return float(_statistics("es").fernandez_huerta(sentences)) if sentences else 100.0


def szigriszt_pazos(text: str) -> float:
    """Szigriszt-Pazos perspicuity of Spanish text (INFLESZ scale: 65 to 80 fairly easy, above 80 very easy)."""
    sentences = _as_sentences(text)
    return float(_statistics("es").szigriszt_pazos(sentences)) if sentences else 100.0
