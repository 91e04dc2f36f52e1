"""Content in another language: content/<lang>/ laid over the English content.

A translation gives its own words for every answer, behaviour message, voice
prompt, help line, label and source name, under the English ids and keys.
Facts, sources, credits, follow-ups, the menu and the reviews stay those of the
English answer, so a fact cannot drift between languages; sources.yml may name
a source's page in the language (`es: {url: ...}`).

Where a translation lacks an entry, the English words stand in, so a reply is
never empty, and `Content.untranslated` names the gap: the content check
reports each one as a problem rather than letting the fallback pass unseen.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Dict, List

from companion.content import Answer, Citation, Content, HelpLine, Source, Spoken, _block, _text
from companion.content import _read as _read_file

ANSWER_WORDS = ("title", "topic", "spoken", "text", "more")
SOURCE_WORDS = ("publisher", "spoken_name", "url")
LINE_WORDS = ("name", "spoken_name", "spoken", "hours", "sms_body", "chat", "press")


def _read(path: Path) -> dict:
    """A translation file; one not written yet is read as empty, so each of its entries is reported missing."""
    return _read_file(path) if path.exists() else {}


class _Gaps:
    """Collects what the translation lacks, as sentences an editor can act on."""

    def __init__(self, lang: str):
        self.lang = lang
        self.found: List[str] = []

    def missing(self, what: str) -> None:
        self.found.append(f"{what} has no {self.lang} words (the English stand in)")

    def unknown(self, what: str) -> None:
        self.found.append(f"{what} is in content/{self.lang}/ but not in the English content")


def _words(english: str, raw: dict, field: str, what: str, gaps: _Gaps, block: bool = False) -> str:
    value = (_block if block else _text)(raw.get(field))
    if english and not value:
        gaps.missing(f"{what} {field}")
        return english
    return value


def _sources(english: Content, directory: Path, lang: str, gaps: _Gaps) -> Dict[str, Source]:
    raw = _read_file(directory / "sources.yml").get("sources", {})
    sources = {}
    for key, source in english.sources.items():
        words = (raw.get(key) or {}).get(lang) or {}
        if not words.get("spoken_name"):
            gaps.missing(f"source {key!r} spoken_name")
        sources[key] = dataclasses.replace(
            source, **{field: _text(words.get(field)) or getattr(source, field) for field in SOURCE_WORDS})
    return sources


def _answer(a: Answer, raw: dict, sources: Dict[str, Source], gaps: _Gaps) -> Answer:
    where = f"answer {a.id!r}"
    words = {field: _words(getattr(a, field), raw, field, where, gaps, block=field == "text") for field in ANSWER_WORDS}
    raw_context = raw.get("context") or {}
    context = {kind: _words(text, raw_context, kind, f"{where} context", gaps) for kind, text in a.context.items()}
    raw_categories = raw.get("categories") or {}
    categories = {}
    for number, english in a.categories.items():
        raw_category = raw_categories.get(number) or raw_categories.get(int(number)) or {}
        categories[number] = Spoken(_words(english.spoken, raw_category, "spoken", f"{where} category {number}", gaps),
                                    _words(english.text, raw_category, "text", f"{where} category {number}", gaps, True))
    for kind in set(raw_context) - set(a.context):
        gaps.unknown(f"{where} context {kind!r}")
    for number in {str(n) for n in raw_categories} - set(a.categories):
        gaps.unknown(f"{where} category {number!r}")
    citations = tuple(Citation(sources.get(c.source.key, c.source), c.facts) for c in a.citations)
    return dataclasses.replace(a, context=context, categories=categories, citations=citations, **words)


def _answers(english: Content, directory: Path, sources: Dict[str, Source], gaps: _Gaps) -> Dict[str, Answer]:
    raw = {}
    for path in sorted((directory / gaps.lang / "answers").glob("*.yml")):
        for entry in _read(path).get("answers") or []:
            if str(entry.get("id")) in raw:
                raise ValueError(f"answer id {entry.get('id')!r} is used twice in content/{gaps.lang}/answers/")
            raw[str(entry.get("id"))] = entry
    for answer_id in set(raw) - set(english.answers):
        gaps.unknown(f"answer {answer_id!r}")
    answers = {}
    for answer_id, a in english.answers.items():
        if answer_id not in raw:
            gaps.missing(f"answer {answer_id!r}")
        answers[answer_id] = _answer(a, raw.get(answer_id) or {}, sources, gaps)
    return answers


def _behaviours(english: Content, directory: Path, gaps: _Gaps) -> Dict[str, Spoken]:
    raw = _read(directory / gaps.lang / "behaviours.yml")
    for key in set(raw) - set(english.behaviours):
        gaps.unknown(f"behaviour message {key!r}")
    return {key: Spoken(_words(m.spoken, raw.get(key) or {}, "spoken", f"behaviour message {key!r}", gaps),
                        _words(m.text, raw.get(key) or {}, "text", f"behaviour message {key!r}", gaps, block=True))
            for key, m in english.behaviours.items()}


def _voice(english: Content, directory: Path, gaps: _Gaps) -> Dict[str, Dict[str, str]]:
    raw = _read(directory / gaps.lang / "voice.yml")
    voice = {}
    for section, table in english.voice.items():
        words = raw.get(section) or {}
        for key in set(words) - set(table):
            gaps.unknown(f"voice.yml {section} {key!r}")
        voice[section] = {key: _words(english_words, words, key, f"voice.yml {section}", gaps)
                          for key, english_words in table.items()}
    return voice


def _lines(english: Content, directory: Path, gaps: _Gaps) -> Dict[str, HelpLine]:
    raw = _read(directory / gaps.lang / "help_lines.yml").get("lines") or {}
    for key in set(raw) - set(english.lines):
        gaps.unknown(f"help line {key!r}")
    lines = {}
    for key, line in english.lines.items():
        words = raw.get(key) or {}
        for field in ("name", "spoken_name"):
            if not words.get(field):
                gaps.missing(f"help line {key!r} {field}")
        lines[key] = dataclasses.replace(line, **{f: _text(words[f]) for f in LINE_WORDS if words.get(f)})
    return lines


def _labels(english: Content, directory: Path, gaps: _Gaps) -> Dict[str, object]:
    raw = _read(directory / gaps.lang / "labels.yml")
    labels = dict(english.labels)
    for key in english.labels:
        if key in raw:
            labels[key] = raw[key]
        else:
            gaps.missing(f"labels.yml {key!r}")
    labels.update({key: value for key, value in raw.items() if key not in english.labels})  # e.g. contractions
    return labels


def translate(english: Content, directory: Path, lang: str) -> Content:
    """The English content with content/<lang>/'s words, and the list of what those lack."""
    gaps = _Gaps(lang)
    sources = _sources(english, directory, lang, gaps)
    return dataclasses.replace(
        english,
        answers=_answers(english, directory, sources, gaps),
        sources=sources,
        behaviours=_behaviours(english, directory, gaps),
        voice=_voice(english, directory, gaps),
        lines=_lines(english, directory, gaps),
        labels=_labels(english, directory, gaps),
        lang=lang,
        untranslated=tuple(gaps.found),
    )
