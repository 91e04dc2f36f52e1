"""The term lists in content/terms.yml: spaCy entity patterns, canonical values and speech hints."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from companion import PROJECT_ROOT

TERMS_FILE = PROJECT_ROOT / "content" / "terms.yml"
PHRASE_ENTITIES = ("finding", "test")
BIRADS = "birads"


class Terms:
    def __init__(self, raw: dict) -> None:
        self.phrases: Dict[str, Dict[str, List[str]]] = {
            entity: {canonical: [str(p).lower() for p in variants] for canonical, variants in raw[entity].items()}
            for entity in PHRASE_ENTITIES
        }
        birads = raw[BIRADS]
        self.birads_markers: List[str] = [str(m).lower() for m in birads["markers"]]
        self.birads_numbers: Dict[str, List[str]] = {
            str(value): [str(w).lower() for w in words] for value, words in birads["numbers"].items()
        }
        self._lookup = {
            entity: {variant: canonical for canonical, variants in table.items() for variant in variants}
            for entity, table in self.phrases.items()
        }
        self._number_words = {w: v for v, words in self.birads_numbers.items() for w in words}

    def canonical(self, entity: str, text: str) -> Optional[str]:
        """The canonical value for what was said, or None when it is not a known term."""
        spoken = " ".join(text.lower().split())
        if entity == BIRADS:
            last = re.split(r"[\s-]+", spoken)[-1]
            return self._number_words.get(last) or self._number_words.get(last[:1])
        return self._lookup.get(entity, {}).get(spoken)

    def spacy_patterns(self, tokenize) -> List[dict]:
        """EntityRuler patterns: every phrase as a token pattern on lower-case text.

        `tokenize` is the pipeline's tokenizer, so patterns split exactly as the text will.
        """
        patterns = []
        for entity, table in self.phrases.items():
            for canonical, variants in table.items():
                for variant in variants:
                    tokens = [{"LOWER": t.lower_} for t in tokenize(variant)]
                    patterns.append({"label": entity, "pattern": tokens, "id": canonical})
        for marker in self.birads_markers:
            marker_tokens = [{"LOWER": t.lower_} for t in tokenize(marker)]
            for value, words in self.birads_numbers.items():
                patterns.append(
                    {"label": BIRADS, "pattern": marker_tokens + [{"LOWER": {"IN": words}}], "id": value}
                )
        return patterns

    def speech_hints(self) -> List[str]:
        """Words a speech recogniser should expect, for the phone line's hints."""
        hints: List[str] = []
        for table in self.phrases.values():
            for canonical, variants in table.items():
                hints.append(variants[0])
        hints += ["BI-RADS", "mammogram", "callback", "radiologist", "screening", "benign"]
        return list(dict.fromkeys(hints))


@functools.lru_cache(maxsize=4)
def load_terms(path: Path = TERMS_FILE) -> Terms:
    return Terms(yaml.safe_load(path.read_text(encoding="utf-8")))
