"""Curated content: loads content/*.yml into answers, sources and behaviour messages, and checks it.

The content is data that clinicians edit. Nothing here writes words of its own;
`check_content` lists every rule an edit could break, for the tests and for
`python -m companion.content` before a restart. English is the original;
another language (content/<lang>/, see companion/translation.py) gives its own
words for the same ids and keeps the English facts.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from companion import PROJECT_ROOT
from companion.readability import fernandez_huerta, reading_grade, szigriszt_pazos

CONTENT_DIR = PROJECT_ROOT / "content"
LANGUAGES = ("en", "es")  # the first is the original, and the default

SPOKEN_MAX_WORDS = 60
TEXT_MAX_WORDS = 120
MORE_MAX_WORDS = 90
CONTEXT_MAX_WORDS = 45
CATEGORY_SPOKEN_MAX_WORDS = 45
CATEGORY_TEXT_MAX_WORDS = 70
CONTEXT_KINDS = ("is_that_bad", "biopsy", "hurts", "how_long")
CREDIT_MAX_SOURCES = 2
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
    "disclosure_assault", "disclosure_abuse", "disclosure_depression", "not_heard", "about_me",
    "other_symptom", "no_answer", "birads_named", "connecting_line", "confirm_goodbye", "comfort",
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
    ("test", "tomosynthesis"): "tomosynthesis",
}

READING_GRADE_MAX = 8.0  # Flesch-Kincaid grade of spoken, text and more
# Fernández-Huerta reading ease of Spanish spoken, text and more: 70 to 80 reads as "fairly easy", about 6th grade
READING_EASE_MIN = 70.0

_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
# a phone number said digit by digit ("1 8 0 0, 2 2 7", "9 8 8"): voice only, chat shows 1-800-227-2345
_SPOKEN_DIGITS = re.compile(r"\b\d(?:,? \d){2,}\b")
# Odds-based reassurance ("most callbacks are not cancer", "4 in 5 biopsies are benign"): never said where
# the person may be at high risk (see HIGH_RISK_PLACES).
_ODDS_REASSURANCE = {
    "en": re.compile(
        r"\b(most|many|nearly all|almost all|usually|often|\w+ (in|of|out of) (every )?(\w+|\d+)|\d+ ?%|percent)\b"
        r"[^.]*\b(not (to )?be cancer|not cancer|no cancer|aren't cancer|isn't cancer|benign|harmless|nothing serious|"
        r"turns? out fine|not serious)\b",
        re.IGNORECASE,
    ),
    "es": re.compile(
        r"\b(la mayor[ií]a|muchas?|muchos|casi tod[oa]s|por lo general|suelen?|a menudo|\w+ de cada \w+|\d+ ?%|"
        r"por ciento)\b[^.]*\b(no (son|es|sea|sean|era|eran|resulta\w*|termina\w*) (un )?c[aá]ncer|sin c[aá]ncer|"
        r"no hay c[aá]ncer|benign[oa]s?|inofensiv[oa]s?|nada grave|no (es|son) grave)",
        re.IGNORECASE,
    ),
}
HIGH_RISK_CATEGORIES = ("4", "5", "6")
HIGH_RISK_ANSWERS = ("finding_distortion", "biopsy_results_timing")
_DIGIT_RUN = re.compile(r"\d{3,}")
_LIST_LINE = re.compile(r"^\s*([-*•]|\d+[.)])\s", re.MULTILINE)
_BRACKETS = re.compile(r"[()\[\]]")
# a Spanish reply that gives 988 also gives its Spanish option: press 2 on a call, AYUDA in a text
_LINE_988 = re.compile(r"\b9 ?8 ?8\b")
_SPANISH_988 = re.compile(r"\boprim\w* (el )?(2|dos)\b|\bAYUDA\b")


def word_count(text: str) -> int:
    return len(text.split())


def language(tag: Optional[str]) -> str:
    """'es' for 'es', 'es-US' or 'es_MX'; the original language for anything it does not know."""
    code = (tag or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else LANGUAGES[0]


@dataclasses.dataclass(frozen=True)
class Source:
    key: str
    publisher: str
    spoken_name: str
    title: str
    date: str
    url: str = ""
    citation: str = ""

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
    credit: Tuple[str, ...]
    reviewed_by: str
    reviewed: str

    @property
    def sources(self) -> List[Source]:
        return [c.source for c in self.citations]

    @property
    def credited_sources(self) -> List[Source]:
        """The sources the spoken credit names: those whose facts the spoken version uses."""
        return [c.source for c in self.citations if c.source.key in self.credit]

    @property
    def intent(self) -> str:
        return f"ask_{self.id}"


@dataclasses.dataclass(frozen=True)
class HelpLine:
    """A help line a safety reply gives (content/help_lines.yml)."""

    key: str
    name: str
    spoken_name: str
    number: str
    display: str
    spoken: str
    sms: str = ""
    sms_body: str = ""
    chat: str = ""
    hours: str = ""
    press: str = ""  # the key a caller presses once the line answers, for this language's counsellors

    def as_dict(self) -> Dict[str, str]:
        """The form the reply contract carries under `lines`."""
        line = {"name": self.name, "phone": self.number, "display": self.display, "tel": f"tel:{self.number}"}
        if self.sms:
            line["sms"] = f"sms:{self.sms}" + (f"?body={self.sms_body}" if self.sms_body else "")
        for field in ("chat", "hours", "press"):
            if getattr(self, field):
                line[field] = getattr(self, field)
        return line


@dataclasses.dataclass(frozen=True)
class Content:
    answers: Dict[str, Answer]
    sources: Dict[str, Source]
    behaviours: Dict[str, Spoken]
    starters: Tuple[str, ...] = ()
    voice: Dict[str, Dict[str, str]] = dataclasses.field(default_factory=dict)
    lines: Dict[str, HelpLine] = dataclasses.field(default_factory=dict)
    # safety kind -> the help lines its reply gives, the one offered on the phone first
    line_replies: Dict[str, Tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # the words around the content: buttons, "Source:", the spoken credit (content/labels.yml)
    labels: Dict[str, Any] = dataclasses.field(default_factory=dict)
    lang: str = LANGUAGES[0]
    # what a translation lacks, each as a sentence for the content check; English words stand in for it
    untranslated: Tuple[str, ...] = ()

    def label(self, key: str, **fields: str) -> str:
        return str(self.labels[key]).format(**fields)

    def credit(self, sources) -> str:
        """The spoken credit in this language: "This is from X." or "This is from X and Y."."""
        return credit_sentence(sources, self.labels)

    def lines_for(self, kind: str) -> List[HelpLine]:
        return [self.lines[key] for key in self.line_replies.get(kind, ()) if key in self.lines]

    def answer(self, answer_id: str) -> Optional[Answer]:
        return self.answers.get(answer_id)

    def required(self, answer_id: str) -> Answer:
        """An answer the dialogue relies on (REQUIRED_ANSWER_IDS, or one already looked up); KeyError if missing."""
        return self.answers[answer_id]

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


def load_content(directory: Path = CONTENT_DIR, lang: str = LANGUAGES[0]) -> Content:
    """The content in `lang`: the English files, with content/<lang>/ laid over them for another language."""
    english = _load_english(directory)
    if language(lang) == LANGUAGES[0]:
        return english
    from companion.translation import translate

    return translate(english, directory, language(lang))


def _load_english(directory: Path) -> Content:
    raw_sources = _read(directory / "sources.yml").get("sources", {})
    sources = {
        key: Source(
            key=key,
            publisher=_text(s.get("publisher")),
            spoken_name=_text(s.get("spoken_name") or s.get("publisher")),
            title=_text(s.get("title")),
            date=_text(s.get("date")),
            url=_text(s.get("url")),
            citation=_text(s.get("citation")),
        )
        for key, s in raw_sources.items()
    }
    answers: Dict[str, Answer] = {}
    raw_answers = [raw for path in sorted((directory / "answers").glob("*.yml"))
                   for raw in _read(path).get("answers") or []]
    for raw in raw_answers:
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
            credit=tuple(raw.get("credit") or ()),
            reviewed_by=_text((raw.get("reviewed") or {}).get("by")) if isinstance(raw.get("reviewed"), dict) else "",
            reviewed=_text((raw.get("reviewed") or {}).get("date")) if isinstance(raw.get("reviewed"), dict)
            else _text(raw.get("reviewed")),
        )
        if answer.id in answers:
            raise ValueError(f"answer id {answer.id!r} is used twice in content/answers/")
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
    raw_lines = _read(directory / "help_lines.yml")
    lines = {key: HelpLine(key=key, **{k: _text(v) for k, v in (line or {}).items()})
             for key, line in (raw_lines.get("lines") or {}).items()}
    line_replies = {kind: tuple(keys or ()) for kind, keys in (raw_lines.get("replies") or {}).items()}
    return Content(answers=answers, sources=sources, behaviours=behaviours, starters=starters, voice=voice,
                   lines=lines, line_replies=line_replies, labels=_read(directory / "labels.yml"))


def content(lang: Optional[str] = None) -> Content:
    """The content in a language ('en' unless asked, 'es', or a tag such as 'es-US'), as loaded when this process
    first asked for it: edits show after a restart."""
    return _cached(language(lang))


@functools.lru_cache(maxsize=None)
def _cached(lang: str) -> Content:
    return load_content(lang=lang)


def _spoken_problems(where: str, text: str) -> List[str]:
    problems = []
    if _URL.search(text):
        problems.append(f"{where}: spoken text has a web address")
    if _DIGIT_RUN.search(text):
        problems.append(f"{where}: spoken text has a run of digits; write numbers digit by digit or in words")
    if _LIST_LINE.search(text):
        problems.append(f"{where}: spoken text has a list")
    return problems


def _answer_speech_problems(where: str, text: str) -> List[str]:
    """What an answer's spoken words must not have beyond the rules for all speech: numbers in digits
    (phone numbers go digit by digit, other numbers as words), brackets, or a question at the end."""
    problems = []
    if re.search(r"\d", _SPOKEN_DIGITS.sub("", text)):
        problems.append(f"{where}: spoken text has a number in digits; say it in words (phone numbers digit by digit)")
    if _BRACKETS.search(text):
        problems.append(f"{where}: spoken text has brackets")
    if text.rstrip().endswith("?"):
        problems.append(f"{where}: spoken text ends with a question; the voice channel adds its own prompt")
    return problems


def credit_sentence(sources, labels: Optional[Dict[str, Any]] = None) -> str:
    """The spoken credit: "This is from X." or "This is from X and Y."; `labels` gives another language's words."""
    labels = labels or content().labels
    names = list(dict.fromkeys(s.spoken_name for s in sources))
    if not names:
        return ""
    joined = names[0] if len(names) == 1 else labels["credit_join"].join(names[:-1]) + labels["credit_and"] + names[-1]
    sentence = labels["credit"].format(names=joined)
    for written, said in (labels.get("contractions") or {}).items():  # Spanish "de el" is said "del"
        sentence = sentence.replace(written, said)
    return sentence


def _odds_problems(where: str, text: str, lang: str = LANGUAGES[0]) -> List[str]:
    match = _ODDS_REASSURANCE[lang].search(text or "")
    return [f"{where}: odds-based reassurance ({match.group(0)!r}) where the person may be at high risk"] if match else []


def _chat_problems(where: str, text: str) -> List[str]:
    if _SPOKEN_DIGITS.search(text or ""):
        return [f"{where}: chat text has a number digit by digit; write phone numbers as 1-800-227-2345"]
    return []


READ_FIELDS = ("spoken", "text", "more")


def grades(c: Content) -> List[Tuple[str, str, float]]:
    """(answer id, field, Flesch-Kincaid grade) for every spoken, text and more."""
    return [(a.id, field, reading_grade(getattr(a, field)))
            for a in c.answers.values() for field in READ_FIELDS if getattr(a, field)]


def reading_ease(c: Content) -> List[Tuple[str, str, float, float]]:
    """(answer id, field, Fernández-Huerta, Szigriszt-Pazos) for every Spanish spoken, text and more."""
    return [(a.id, field, fernandez_huerta(getattr(a, field)), szigriszt_pazos(getattr(a, field)))
            for a in c.answers.values() for field in READ_FIELDS if getattr(a, field)]


def _reading_problems(where: str, field: str, text: str, lang: str) -> List[str]:
    if lang == "es":
        ease = fernandez_huerta(text)
        return [f"{where}: {field} has a Fernández-Huerta reading ease of {ease:.0f} (at least {READING_EASE_MIN:g})"] \
            if ease < READING_EASE_MIN else []
    grade = reading_grade(text)
    return [f"{where}: {field} reads at grade {grade:.1f} (at most {READING_GRADE_MAX:g})"] if grade > READING_GRADE_MAX else []


def _spanish_problems(where: str, text: str) -> List[str]:
    """Spanish only: a question or exclamation opens with ¿ or ¡, and 988 comes with its Spanish option."""
    problems = []
    if text.count("?") != text.count("¿") or text.count("!") != text.count("¡"):
        problems.append(f"{where}: a question or exclamation lacks its opening ¿ or ¡")
    if _LINE_988.search(text) and not _SPANISH_988.search(text):
        problems.append(f"{where}: gives 988 without its Spanish option (press 2, or text AYUDA)")
    return problems


def _texts(c: Content):
    """(where, words) for every message a person may see or hear, for the rules that hold for all of them."""
    for a in c.answers.values():
        yield f"answer {a.id!r} title", a.title
        for field in READ_FIELDS:
            yield f"answer {a.id!r} {field}", getattr(a, field)
        for kind, words in a.context.items():
            yield f"answer {a.id!r} context {kind}", words
        for category, category_words in a.categories.items():
            yield f"answer {a.id!r} category {category} spoken", category_words.spoken
            yield f"answer {a.id!r} category {category} text", category_words.text
    for key, message in c.behaviours.items():
        yield f"behaviour {key!r} spoken", message.spoken
        yield f"behaviour {key!r} text", message.text
    for section, table in c.voice.items():
        for key, words in table.items():
            yield f"voice.yml {section} {key}", words


def check_content(c: Content, reviewers: Optional[Dict[str, str]] = None) -> List[str]:
    """Every way the content breaks the rules, as sentences an editor can act on."""
    if reviewers is None:
        from companion.settings import load_facility

        reviewers = load_facility().reviewers
    problems: List[str] = []
    for required in REQUIRED_ANSWER_IDS:
        if required not in c.answers:
            problems.append(f"answer {required!r} is missing")
    for key, source in c.sources.items():
        for field in ("publisher", "spoken_name", "title", "date"):
            if not getattr(source, field):
                problems.append(f"source {key!r} has no {field}")
        if not (source.url or source.citation):
            problems.append(f"source {key!r} names no document: give its url or a citation")
    problems += list(c.untranslated)
    for a in c.answers.values():
        where = f"answer {a.id!r}"
        for field in ("title", "topic", "spoken", "text", "reviewed"):
            if not getattr(a, field):
                problems.append(f"{where} has no {field}")
        spoken_words = word_count(a.spoken) + word_count(c.credit(a.credited_sources))
        if spoken_words > SPOKEN_MAX_WORDS:
            problems.append(f"{where}: spoken with its credit has {spoken_words} words (at most {SPOKEN_MAX_WORDS})")
        if not a.credit:
            problems.append(f"{where} has no credit (the sources its spoken version names)")
        if len(a.credit) > CREDIT_MAX_SOURCES:
            problems.append(f"{where}: credit names {len(a.credit)} sources (at most {CREDIT_MAX_SOURCES})")
        for key in a.credit:
            if key not in {s.key for s in a.sources}:
                problems.append(f"{where}: credit {key!r} is not one of its sources")
        if a.reviewed_by not in reviewers:
            problems.append(f"{where}: reviewed by {a.reviewed_by!r}, who is not a reviewer in config/facility.yml")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", a.reviewed or ""):
            problems.append(f"{where}: reviewed date {a.reviewed!r} is not YYYY-MM-DD")
        for field in READ_FIELDS:
            problems += _reading_problems(where, field, getattr(a, field), c.lang)
        problems += _chat_problems(f"{where} text", a.text)
        if a.id in HIGH_RISK_ANSWERS:
            for field in READ_FIELDS:
                problems += _odds_problems(f"{where} {field}", getattr(a, field), c.lang)
            for kind, text in a.context.items():
                problems += _odds_problems(f"{where} context {kind}", text, c.lang)
        if word_count(a.text) > TEXT_MAX_WORDS:
            problems.append(f"{where}: text has {word_count(a.text)} words (at most {TEXT_MAX_WORDS})")
        if a.more and word_count(a.more) > MORE_MAX_WORDS:
            problems.append(f"{where}: more has {word_count(a.more)} words (at most {MORE_MAX_WORDS})")
        problems += _spoken_problems(f"{where} spoken", a.spoken)
        problems += _spoken_problems(f"{where} more", a.more)
        problems += _answer_speech_problems(f"{where} spoken", a.spoken)
        problems += _answer_speech_problems(f"{where} more", a.more)
        for kind, text in a.context.items():
            if kind not in CONTEXT_KINDS:
                problems.append(f"{where}: unknown context {kind!r} (use {', '.join(CONTEXT_KINDS)})")
            if word_count(text) > CONTEXT_MAX_WORDS:
                problems.append(f"{where}: context {kind} has {word_count(text)} words (at most {CONTEXT_MAX_WORDS})")
            problems += _spoken_problems(f"{where} context {kind}", text)
            problems += _answer_speech_problems(f"{where} context {kind}", text)
        for category, spoken in a.categories.items():
            if category not in BIRADS_CATEGORIES:
                problems.append(f"{where}: unknown BI-RADS category {category!r}")
            if word_count(spoken.spoken) > CATEGORY_SPOKEN_MAX_WORDS:
                problems.append(f"{where}: category {category} spoken is too long")
            if word_count(spoken.text) > CATEGORY_TEXT_MAX_WORDS:
                problems.append(f"{where}: category {category} text is too long")
            problems += _spoken_problems(f"{where} category {category}", spoken.spoken)
            problems += _answer_speech_problems(f"{where} category {category}", spoken.spoken)
            problems += _chat_problems(f"{where} category {category} text", spoken.text)
            if category in HIGH_RISK_CATEGORIES:
                problems += _odds_problems(f"{where} category {category}", f"{spoken.spoken} {spoken.text}", c.lang)
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
    for kind, keys in c.line_replies.items():
        for key in keys:
            if key not in c.lines:
                problems.append(f"help_lines.yml: {kind} gives {key!r}, which is not a line")
    for line in c.lines.values():
        problems += _spoken_problems(f"help line {line.key!r} spoken", line.spoken)
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
        if re.search(r"\d", _SPOKEN_DIGITS.sub("", message.spoken)):
            problems.append(f"behaviour {key!r}: spoken text has a number in digits; say it in words (phone numbers digit by digit)")
        problems += _chat_problems(f"behaviour {key!r} text", message.text)
    for field in ("spoken", "text"):
        if "no_diagnosis" in c.behaviours:
            problems += _odds_problems(f"behaviour 'no_diagnosis' {field}", getattr(c.behaviours["no_diagnosis"], field), c.lang)
    for key in ("tell_more", "talk_to_person", "call", "call_911", "source", "sources", "credit", "credit_join", "credit_and"):
        if not c.labels.get(key):
            problems.append(f"labels.yml has no {key!r}")
    if c.lang == "es":
        for where, words in _texts(c):
            problems += _spanish_problems(where, words)
    return problems


def unsigned(c: Content, reviewers: Dict[str, str]) -> List[str]:
    """Answers whose reviewer the clinic has not named yet."""
    return [a.id for a in c.answers.values() if a.reviewed_by in reviewers and not reviewers[a.reviewed_by]]


def _report_reading(loaded: Content, argv: List[str]) -> None:
    import statistics

    if loaded.lang == "es":
        table = reading_ease(loaded)
        for field in READ_FIELDS:
            eases = [h for _, f, h, _ in table if f == field]
            pazos = [p for _, f, _, p in table if f == field]
            print(f"es: Fernández-Huerta of {field}: median {statistics.median(eases):.0f}, lowest {min(eases):.0f}; "
                  f"Szigriszt-Pazos median {statistics.median(pazos):.0f}, lowest {min(pazos):.0f}")
        if "--grades" in argv:
            for answer_id, field, ease, szigriszt in table:
                print(f"  {answer_id:28} {field:7} {ease:5.1f} {szigriszt:5.1f}")
        return
    graded = grades(loaded)
    for field in READ_FIELDS:
        values = [g for _, f, g in graded if f == field]
        print(f"reading grade of {field}: median {statistics.median(values):.1f}, highest {max(values):.1f}")
    if "--grades" in argv:
        for answer_id, field, grade in graded:
            print(f"  {answer_id:28} {field:7} {grade:4.1f}")


def main(argv: List[str]) -> int:
    from companion.settings import load_facility

    reviewers = load_facility().reviewers
    found: List[str] = []
    for lang in LANGUAGES:
        loaded = load_content(lang=lang)
        prefix = "" if lang == LANGUAGES[0] else f"{lang}: "
        problems = [prefix + problem for problem in check_content(loaded, reviewers)]
        for problem in problems:
            print(problem)
        found += problems
        _report_reading(loaded, argv)
    waiting = unsigned(load_content(), reviewers)
    if waiting:
        print(f"{len(waiting)} answer(s) wait for a named reviewer: fill in `reviewers` in config/facility.yml")
    print("content OK" if not found else f"{len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
