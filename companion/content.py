"""Curated content: loads content/*.yml into answers, sources and behaviour messages, and checks it.

The content is data that clinicians edit. Nothing here writes words of its own;
`check_content` lists every rule an edit could break, for the tests and for
`python -m companion.content` before a restart.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from companion import PROJECT_ROOT

CONTENT_DIR = PROJECT_ROOT / "content"

SPOKEN_MAX_WORDS = 60
TEXT_MAX_WORDS = 120
MORE_MAX_WORDS = 90
CONTEXT_MAX_WORDS = 45
CATEGORY_SPOKEN_MAX_WORDS = 45
CATEGORY_TEXT_MAX_WORDS = 70
CONTEXT_KINDS = ("is_that_bad", "biopsy")
BIRADS_CATEGORIES = tuple(str(n) for n in range(7))
VOICE_SECTIONS = ("phone", "speaker")

REQUIRED_ANSWER_IDS = (
    "callback_common", "callback_cancer_odds", "callback_reasons", "technical_recall",
    "finding_calcifications", "finding_mass", "finding_cyst", "finding_asymmetry",
    "finding_distortion", "dense_breasts", "first_mammogram", "followup_appointment",
    "diagnostic_mammogram", "breast_ultrasound", "breast_mri", "possible_results",
    "short_interval_followup", "results_timing", "biopsy_likelihood", "biopsy_explained",
    "schedule_soon", "what_to_bring", "prior_images", "questions_to_ask",
    "coping_while_waiting", "if_cancer", "birads_categories", "support_line",
)
REQUIRED_BEHAVIOURS = (
    "disclaimer", "greeting", "help", "goodbye", "thanks", "anything_else", "handoff_open",
    "handoff_support_only", "crisis", "emergency", "no_diagnosis", "out_of_scope",
    "did_you_mean", "did_you_mean_none", "not_understood_handoff", "nothing_to_repeat",
    "nothing_more", "no_topic", "deny", "service_trouble", "connecting_crisis_line", "check_in",
)

# The answer that a finding or test entity is about, for "is that bad?" and "what about a biopsy for that?".
TOPIC_ANSWERS = {
    ("finding", "calcifications"): "finding_calcifications",
    ("finding", "mass"): "finding_mass",
    ("finding", "cyst"): "finding_cyst",
    ("finding", "asymmetry"): "finding_asymmetry",
    ("finding", "distortion"): "finding_distortion",
    ("finding", "density"): "dense_breasts",
    ("test", "diagnostic_mammogram"): "diagnostic_mammogram",
    ("test", "ultrasound"): "breast_ultrasound",
    ("test", "mri"): "breast_mri",
    ("test", "biopsy"): "biopsy_explained",
}

_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"\d{3,}")
_LIST_LINE = re.compile(r"^\s*([-*•]|\d+[.)])\s", re.MULTILINE)


def word_count(text: str) -> int:
    return len(text.split())


@dataclasses.dataclass(frozen=True)
class Source:
    key: str
    publisher: str
    spoken_name: str
    title: str
    date: str
    url: str = ""

    def reference(self) -> Dict[str, str]:
        """The form the reply contract carries: publisher and title."""
        return {"publisher": self.publisher, "title": self.title}


@dataclasses.dataclass(frozen=True)
class Citation:
    source: Source
    facts: Tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Spoken:
    spoken: str
    text: str


@dataclasses.dataclass(frozen=True)
class Answer:
    id: str
    title: str
    topic: str
    spoken: str
    text: str
    more: str
    follow_ups: Tuple[str, ...]
    next: str
    context: Dict[str, str]
    categories: Dict[str, Spoken]
    citations: Tuple[Citation, ...]
    reviewed: str

    @property
    def sources(self) -> List[Source]:
        return [c.source for c in self.citations]

    @property
    def intent(self) -> str:
        return f"ask_{self.id}"


@dataclasses.dataclass(frozen=True)
class Content:
    answers: Dict[str, Answer]
    sources: Dict[str, Source]
    behaviours: Dict[str, Spoken]
    starters: Tuple[str, ...] = ()
    voice: Dict[str, Dict[str, str]] = dataclasses.field(default_factory=dict)

    def answer(self, answer_id: str) -> Optional[Answer]:
        return self.answers.get(answer_id)

    def answer_for_intent(self, intent: str) -> Optional[Answer]:
        if intent and intent.startswith("ask_"):
            return self.answers.get(intent[len("ask_"):])
        return None

    def behaviour(self, key: str) -> Spoken:
        return self.behaviours[key]


def _read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _text(value) -> str:
    return " ".join(str(value or "").split()) if value is not None else ""


def _block(value) -> str:
    """Keeps line breaks (chat lists) but tidies trailing spaces."""
    return "\n".join(line.rstrip() for line in str(value or "").strip().splitlines())


def load_content(directory: Path = CONTENT_DIR) -> Content:
    raw_sources = _read(directory / "sources.yml").get("sources", {})
    sources = {
        key: Source(
            key=key,
            publisher=_text(s.get("publisher")),
            spoken_name=_text(s.get("spoken_name") or s.get("publisher")),
            title=_text(s.get("title")),
            date=_text(s.get("date")),
            url=_text(s.get("url")),
        )
        for key, s in raw_sources.items()
    }
    answers: Dict[str, Answer] = {}
    for raw in _read(directory / "answers.yml").get("answers", []):
        citations = tuple(
            Citation(
                source=sources.get(c.get("source"))
                or Source(c.get("source", "?"), "", "", "", ""),
                facts=tuple(_text(f) for f in c.get("facts") or ()),
            )
            for c in raw.get("sources") or ()
        )
        answer = Answer(
            id=str(raw.get("id")),
            title=_text(raw.get("title")),
            topic=_text(raw.get("topic")),
            spoken=_text(raw.get("spoken")),
            text=_block(raw.get("text")),
            more=_text(raw.get("more")),
            follow_ups=tuple(raw.get("follow_ups") or ()),
            next=_text(raw.get("next")),
            context={k: _text(v) for k, v in (raw.get("context") or {}).items()},
            categories={
                str(k): Spoken(_text(v.get("spoken")), _block(v.get("text")))
                for k, v in (raw.get("categories") or {}).items()
            },
            citations=citations,
            reviewed=_text(raw.get("reviewed")),
        )
        if answer.id in answers:
            raise ValueError(f"answer id {answer.id!r} is used twice in answers.yml")
        answers[answer.id] = answer
    behaviours = {
        key: Spoken(_text(v.get("spoken")), _block(v.get("text")))
        for key, v in _read(directory / "behaviours.yml").items()
    }
    starters = tuple(_read(directory / "menu.yml").get("starters") or ())
    voice = {
        section: {key: _text(words) for key, words in (table or {}).items()}
        for section, table in _read(directory / "voice.yml").items()
    }
    return Content(answers=answers, sources=sources, behaviours=behaviours, starters=starters, voice=voice)


@functools.lru_cache(maxsize=1)
def content() -> Content:
    """The content as loaded when this process first asked: edits show after a restart."""
    return load_content()


def _spoken_problems(where: str, text: str) -> List[str]:
    problems = []
    if _URL.search(text):
        problems.append(f"{where}: spoken text has a web address")
    if _DIGIT_RUN.search(text):
        problems.append(f"{where}: spoken text has a run of digits; write numbers digit by digit or in words")
    if _LIST_LINE.search(text):
        problems.append(f"{where}: spoken text has a list")
    return problems


def check_content(c: Content) -> List[str]:
    """Every way the content breaks the rules, as sentences an editor can act on."""
    problems: List[str] = []
    for required in REQUIRED_ANSWER_IDS:
        if required not in c.answers:
            problems.append(f"answer {required!r} is missing")
    for key, source in c.sources.items():
        for field in ("publisher", "spoken_name", "title", "date"):
            if not getattr(source, field):
                problems.append(f"source {key!r} has no {field}")
    for a in c.answers.values():
        where = f"answer {a.id!r}"
        for field in ("title", "topic", "spoken", "text", "reviewed"):
            if not getattr(a, field):
                problems.append(f"{where} has no {field}")
        if word_count(a.spoken) > SPOKEN_MAX_WORDS:
            problems.append(f"{where}: spoken has {word_count(a.spoken)} words (at most {SPOKEN_MAX_WORDS})")
        if word_count(a.text) > TEXT_MAX_WORDS:
            problems.append(f"{where}: text has {word_count(a.text)} words (at most {TEXT_MAX_WORDS})")
        if a.more and word_count(a.more) > MORE_MAX_WORDS:
            problems.append(f"{where}: more has {word_count(a.more)} words (at most {MORE_MAX_WORDS})")
        problems += _spoken_problems(f"{where} spoken", a.spoken)
        problems += _spoken_problems(f"{where} more", a.more)
        for kind, text in a.context.items():
            if kind not in CONTEXT_KINDS:
                problems.append(f"{where}: unknown context {kind!r} (use {', '.join(CONTEXT_KINDS)})")
            if word_count(text) > CONTEXT_MAX_WORDS:
                problems.append(f"{where}: context {kind} has {word_count(text)} words (at most {CONTEXT_MAX_WORDS})")
            problems += _spoken_problems(f"{where} context {kind}", text)
        for category, spoken in a.categories.items():
            if category not in BIRADS_CATEGORIES:
                problems.append(f"{where}: unknown BI-RADS category {category!r}")
            if word_count(spoken.spoken) > CATEGORY_SPOKEN_MAX_WORDS:
                problems.append(f"{where}: category {category} spoken is too long")
            if word_count(spoken.text) > CATEGORY_TEXT_MAX_WORDS:
                problems.append(f"{where}: category {category} text is too long")
            problems += _spoken_problems(f"{where} category {category}", spoken.spoken)
        if not a.follow_ups:
            problems.append(f"{where} offers no follow-ups")
        for other in list(a.follow_ups) + ([a.next] if a.next else []):
            if other not in c.answers:
                problems.append(f"{where} points to {other!r}, which does not exist")
        if not a.citations:
            problems.append(f"{where} names no source")
        for citation in a.citations:
            if citation.source.key not in c.sources:
                problems.append(f"{where} cites {citation.source.key!r}, which is not in sources.yml")
            if not citation.facts:
                problems.append(f"{where} cites {citation.source.key!r} without saying which facts")
    birads = c.answers.get("birads_categories")
    if birads and set(birads.categories) != set(BIRADS_CATEGORIES):
        problems.append("answer 'birads_categories' must describe each category 0 to 6")
    if not 1 <= len(c.starters) <= 4:
        problems.append("menu.yml must list one to four starter questions")
    for starter in c.starters:
        if starter not in c.answers:
            problems.append(f"menu.yml starter {starter!r} is not an answer id")
    for key in REQUIRED_BEHAVIOURS:
        if key not in c.behaviours:
            problems.append(f"behaviour message {key!r} is missing")
    for section in VOICE_SECTIONS:
        for key, words in (c.voice.get(section) or {}).items():
            problems += _spoken_problems(f"voice.yml {section} {key}", words)
        if not c.voice.get(section):
            problems.append(f"voice.yml has no {section!r} section")
    for key, message in c.behaviours.items():
        if not message.spoken or not message.text:
            problems.append(f"behaviour message {key!r} needs both spoken and text")
        problems += _spoken_problems(f"behaviour {key!r}", message.spoken)
    return problems


if __name__ == "__main__":
    found = check_content(load_content())
    for problem in found:
        print(problem)
    print("content OK" if not found else f"{len(found)} problem(s)")
    sys.exit(1 if found else 0)
