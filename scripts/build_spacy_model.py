"""Build the project's spaCy pipeline from spaCy's blank English one.

The pipeline is blank English (tokenizer), a lemmatizer using spaCy's
official lookup tables (from the spacy-lookups-data package, baked into the
saved pipeline so nothing is fetched at run time) and an EntityRuler whose
patterns come from content/terms.yml. Rasa's SpacyNLP loads it from disk.

    python scripts/build_spacy_model.py build/spacy-en-callback
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from companion.terms import load_terms  # noqa: E402


def build(output: Path) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True})
    nlp.initialize()  # loads the lemma lookup table from spacy-lookups-data
    ruler.add_patterns(load_terms().spacy_patterns(nlp.make_doc))
    nlp.meta["name"] = "en_callback"
    nlp.meta["description"] = "Blank English, lookup lemmas and the assistant's medical terms."
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    print(f"spaCy pipeline with {len(ruler.patterns)} term patterns written to {output}")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "build/spacy-en-callback"))
