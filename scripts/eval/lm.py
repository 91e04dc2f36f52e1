"""Small n-gram language models for PocketSphinx, built from the training sentences only.

- `closed_domain_lm`: PocketSphinx's own ARPA builder (pocketsphinx.lm.ArpaBoLM,
  trigrams with a fixed discount): only words seen in training can be recognised.
- `open_domain_lm`: Witten-Bell bigrams from the training sentences, backing off to a
  unigram that mixes the training unigram with the general English model's
  unigrams (pocketsphinx's en-us.lm.bin, its 20,000 likeliest words), so common words
  outside the training data stay possible.
Also the pronunciations of domain words missing from the CMU dictionary.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Sequence

# Domain words the CMU dictionary lacks (ARPAbet, written by hand from content/terms.yml's
# vocabulary), so the recogniser can output them at all.
EXTRA_PRONUNCIATIONS: Dict[str, str] = {
    "calcification": "K AE L S AH F AH K EY SH AH N",
    "calcifications": "K AE L S AH F AH K EY SH AH N Z",
    "microcalcification": "M AY K R OW K AE L S AH F AH K EY SH AH N",
    "microcalcifications": "M AY K R OW K AE L S AH F AH K EY SH AH N Z",
    "calc": "K AE L K",
    "calcs": "K AE L K S",
    "callbacks": "K AO L B AE K S",
    "birads": "B AY R AE D Z",
    "birad": "B AY R AE D",
    "rads": "R AE D Z",
    "mammo": "M AE M OW",
    "mammos": "M AE M OW Z",
    "fibro": "F AY B R OW",
    "fibrocystic": "F AY B R OW S IH S T IH K",
    "fibroadenoma": "F AY B R OW AE D AH N OW M AH",
    "fibroadenomas": "F AY B R OW AE D AH N OW M AH Z",
    "adenoma": "AE D AH N OW M AH",
    "tumour": "T UW M ER",
    "heterogeneously": "HH EH T ER AH JH IY N IY AH S L IY",
    "fibroglandular": "F AY B R OW G L AE N JH AH L ER",
    "helpline": "HH EH L P L AY N",
    "sono": "S OW N OW",
    "ultrasonography": "AH L T R AH S AH N AA G R AH F IY",
}


def read_dictionary(path: Path) -> Dict[str, str]:
    words: Dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if parts and "(" not in parts[0]:
            words.setdefault(parts[0], " ".join(parts[1:]))
    return words


def write_dictionary(base: Path, out: Path) -> Path:
    """The CMU dictionary plus EXTRA_PRONUNCIATIONS."""
    known = read_dictionary(base)
    extra = [f"{w} {p}" for w, p in EXTRA_PRONUNCIATIONS.items() if w not in known]
    out.write_text(base.read_text(encoding="utf-8", errors="replace").rstrip("\n") + "\n" + "\n".join(extra) + "\n")
    return out


def closed_domain_lm(sentences: Sequence[List[str]], out: Path) -> Path:
    from pocketsphinx.lm import ArpaBoLM

    lm = ArpaBoLM(text="\n".join(" ".join(s) for s in sentences if s), add_start=True)
    lm.compute()
    lm.write_file(str(out))
    return out


def general_unigrams(lm_path: Path, vocabulary: Iterable[str], top: int = 20000) -> Dict[str, float]:
    """P(word) in the general model for its `top` most likely words in `vocabulary`, renormalised.

    (All 72,000 words make decoding about three times slower for little gain.)"""
    from pocketsphinx import LogMath, NGramModel

    model, logmath = NGramModel.readfile(str(lm_path)), LogMath()
    probs = {}
    for word in vocabulary:
        score = model.prob([word])
        if score > -500_000_000:  # unknown words score about -2**29
            probs[word] = 10 ** logmath.log_to_log10(score)
    probs = dict(sorted(probs.items(), key=lambda kv: -kv[1])[:top])
    total = sum(probs.values())
    return {w: p / total for w, p in probs.items()}


def open_domain_lm(
    sentences: Sequence[List[str]], general: Dict[str, float], pronounceable: Iterable[str], out: Path, mix: float = 0.5
) -> Path:
    """Witten-Bell bigrams over the training sentences; unigrams = mix * training + (1 - mix) * general.

    The vocabulary is the general model's plus the training words in the dictionary (`pronounceable`).
    """
    pronounceable = set(pronounceable)
    vocabulary = set(general) | {w for words in sentences for w in words if w in pronounceable}
    unigram, bigram = Counter(), defaultdict(Counter)
    for words in sentences:
        words = ["<s>"] + [w if w in vocabulary else "<unk>" for w in words] + ["</s>"]
        for w in words[1:]:
            unigram[w] += 1
        for v, w in zip(words, words[1:]):
            if "<unk>" not in (v, w):
                bigram[v][w] += 1
    unigram.pop("<unk>", None)
    total = sum(unigram.values())
    p_low = {w: (1 - mix) * general.get(w, 0.0) + mix * unigram.get(w, 0) / total for w in vocabulary | {"</s>"}}
    p_low["</s>"] = max(p_low["</s>"], 1e-6)
    norm = sum(p_low.values())
    p_low = {w: p / norm for w, p in p_low.items() if p > 0}
    lines_1, lines_2 = [], []
    backoff: Dict[str, float] = {}
    for v, followers in bigram.items():
        count, types = sum(followers.values()), len(followers)
        seen_prob, seen_low = 0.0, 0.0
        for w, c in sorted(followers.items()):
            p = (c + types * p_low[w]) / (count + types)
            seen_prob, seen_low = seen_prob + p, seen_low + p_low[w]
            lines_2.append(f"{math.log10(p):.4f} {v} {w}")
        backoff[v] = (1 - seen_prob) / (1 - seen_low)
    for w in sorted(p_low):
        lines_1.append(f"{math.log10(p_low[w]):.4f} {w} {math.log10(backoff[w]) if w in backoff else 0.0:.4f}")
    lines_1.append(f"-99.0000 <s> {math.log10(backoff['<s>']):.4f}")
    text = ["\\data\\", f"ngram 1={len(lines_1)}", f"ngram 2={len(lines_2)}", "", "\\1-grams:"] + lines_1
    text += ["", "\\2-grams:"] + lines_2 + ["", "\\end\\", ""]
    out.write_text("\n".join(text))
    return out
