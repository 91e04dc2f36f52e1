"""NLU examples from Rasa YAML files, read without Rasa: text, intent and entity spans.

Only the `[text](entity)` markup is used in this project; other markup forms are
rejected so that nothing is silently mis-read. Also: text normalisation for
duplicate checks and word error rates, and writing example subsets back to YAML
(cross-validation folds, augmented training data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import yaml

MARKUP = re.compile(r"\[([^\]]+)\]\(([A-Za-z_]+)\)")
OTHER_MARKUP = re.compile(r"\]\{|\]\([^)]*[:=][^)]*\)")


@dataclass(frozen=True)
class Example:
    intent: str
    raw: str  # as written in the file, with markup
    text: str = field(compare=False)  # markup stripped
    entities: Tuple[Tuple[str, int, int, str], ...] = field(compare=False)  # (type, start, end, surface)


def parse_markup(raw: str) -> Tuple[str, Tuple[Tuple[str, int, int, str], ...]]:
    """`What are [calcs](finding)?` -> text and [(finding, 9, 14, "calcs")]."""
    if OTHER_MARKUP.search(raw):
        raise ValueError(f"unsupported entity markup in {raw!r}")
    text, entities, last = "", [], 0
    for match in MARKUP.finditer(raw):
        text += raw[last:match.start()]
        start = len(text)
        text += match.group(1)
        entities.append((match.group(2), start, len(text), match.group(1)))
        last = match.end()
    text += raw[last:]
    return text, tuple(entities)


def load_examples(path: Path) -> List[Example]:
    """Every intent example in an NLU YAML file, in file order."""
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    examples = []
    for block in document.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            raw = line[2:].strip()
            text, entities = parse_markup(raw)
            examples.append(Example(block["intent"], raw, text, entities))
    return examples


def normalise(text: str) -> str:
    """Lower case, markup stripped, punctuation removed, spaces collapsed (for duplicate checks)."""
    text = parse_markup(text)[0] if MARKUP.search(text) else text
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(text.split())


def near_duplicates(test: Iterable[Example], train: Iterable[Example], min_jaccard: float = 0.8) -> List[int]:
    """Indices of test examples whose word set overlaps some training example's by >= min_jaccard."""
    train_sets = [set(normalise(e.text).split()) for e in train]
    found = []
    for i, example in enumerate(test):
        words = set(normalise(example.text).split())
        if words and any(len(words & t) / len(words | t) >= min_jaccard for t in train_sets if t):
            found.append(i)
    return found


def is_spoken_style(raw: str) -> bool:
    """Written as a recogniser would give it: lower case, no punctuation (apostrophes allowed)."""
    text = parse_markup(raw)[0]
    return text == text.lower() and not re.search(r"[^\w\s']", text)


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINALS = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "5th": "fifth", "6th": "sixth"}


def _number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + _number_words(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def spoken_words(text: str) -> List[str]:
    """The words a listener hears: for word error rates (digits spelled out, punctuation dropped)."""
    text = parse_markup(text)[0].lower()
    for ordinal, word in _ORDINALS.items():
        text = re.sub(rf"\b{ordinal}\b", word, text)
    text = text.replace("%", " percent ").replace("=", " equals ").replace("&", " and ")
    text = re.sub(r"(\d+)([a-z])\b", r"\1 \2", text)  # 4b -> 4 b
    text = re.sub(r"\d+", lambda m: " " + _number_words(int(m.group())) + " ", text)
    text = re.sub(r"[^a-z0-9'\s]", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def write_nlu_yaml(examples: Iterable[Example], path: Path, header: str = "") -> None:
    """Examples back to Rasa NLU YAML, grouped by intent (first-seen order)."""
    by_intent: Dict[str, List[str]] = {}
    for example in examples:
        by_intent.setdefault(example.intent, []).append(example.raw)
    lines = [f"# {line}" for line in header.splitlines()] + ['version: "3.1"', "", "nlu:"]
    for intent, raws in by_intent.items():
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {raw}" for raw in raws] + [""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def training_files(root: Path, language: str = "") -> List[Path]:
    """Rasa's NLU training data: the topic files in data/nlu/ and, in Spanish, data/nlu/es/.

    `language` "en" or "es" keeps one language's files (and data/nlu/language.yml, which is both)."""
    files = sorted((root / "data" / "nlu").rglob("*.yml"))
    if language == "en":
        return [f for f in files if f.parent.name != "es"]
    if language == "es":
        return [f for f in files if f.parent.name == "es" or f.name == "language.yml"]
    return files


def load_training(root: Path, language: str = "") -> List[Example]:
    return [example for path in training_files(root, language) for example in load_examples(path)]


@dataclass(frozen=True)
class Labelled:
    """One example of an evaluation set that is not Rasa training data (tests/eval/)."""

    text: str
    label: str
    style: str


def load_labelled(path: Path) -> List[Labelled]:
    """A question set's examples, or a label-scored conversation set's turns (each turn with its `label`)."""
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    turns = [t for c in document.get("conversations") or [] for t in c.get("turns") or [] if "label" in t]
    return ([Labelled(str(e["text"]), str(e["intent"]), str(e.get("style", "typed"))) for e in document.get("examples", [])]
            + [Labelled(str(t["text"]), str(t["label"]), "conversation") for t in turns])


def split_unseen(examples: List[Labelled], training: List[Example]) -> Tuple[List[Labelled], List[Labelled]]:
    """(examples that are not training examples, those that are), compared as `normalise` does."""
    seen = {normalise(e.text) for e in training}
    return [e for e in examples if normalise(e.text) not in seen], [e for e in examples if normalise(e.text) in seen]
