"""Figures from Rasa parse results: intent accuracy and F1, confusions, entity span F1, fallback thresholds.

A prediction of `nlu_fallback` counts as wrong; the "raw" intent is the best
intent in `intent_ranking` other than `nlu_fallback`, i.e. what the classifier
said before the FallbackClassifier replaced it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from sklearn.metrics import f1_score, precision_recall_fscore_support

FALLBACK = "nlu_fallback"
NO_INTENT = "(none)"  # no intent at all, e.g. for an empty transcript


def raw_ranking(parse: Dict) -> List[Tuple[str, float]]:
    ranking = [(r["name"], float(r["confidence"])) for r in parse.get("intent_ranking", []) if r["name"] != FALLBACK]
    if not ranking and parse.get("intent", {}).get("name") not in (None, FALLBACK):
        ranking = [(parse["intent"]["name"], float(parse["intent"]["confidence"]))]
    return ranking


def summarise_parse(parse: Dict) -> Dict:
    """The parts of a parse result the figures need (also what reports/nlu.json keeps per example)."""
    ranking = raw_ranking(parse)
    return {
        "text": parse.get("text", ""),
        "intent": (parse.get("intent") or {}).get("name") or NO_INTENT,
        "confidence": round(float((parse.get("intent") or {}).get("confidence") or 0.0), 4),
        "raw_intent": ranking[0][0] if ranking else NO_INTENT,
        "raw_confidence": round(ranking[0][1], 4) if ranking else 0.0,
        "second_confidence": round(ranking[1][1], 4) if len(ranking) > 1 else 0.0,
        "entities": [
            {"entity": e["entity"], "start": e["start"], "end": e["end"], "value": e.get("value"), "extractor": e.get("extractor")}
            for e in parse.get("entities", [])
        ],
    }


def intent_figures(gold: Sequence[str], predicted: Sequence[str]) -> Dict:
    """Accuracy, macro F1 over the intents present in `gold`, and per-intent figures with confusions."""
    labels = sorted(set(gold))
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else 0.0
    macro = f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    misread, taken = defaultdict(Counter), defaultdict(Counter)
    for g, p in zip(gold, predicted):
        if g != p:
            misread[g][p] += 1
            taken[p][g] += 1
    per_intent = {
        label: {
            "precision": round(float(precision[i]), 4), "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4), "support": int(support[i]),
            "misread_as": dict(misread[label].most_common()), "predicted_for": dict(taken[label].most_common()),
        }
        for i, label in enumerate(labels)
    }
    return {"n": len(gold), "accuracy": round(accuracy, 4), "macro_f1": round(float(macro), 4), "per_intent": per_intent}


def worst_intents(per_intent: Dict[str, Dict], k: int = 5) -> List[Tuple[str, Dict]]:
    return sorted(per_intent.items(), key=lambda item: (item[1]["f1"], item[0]))[:k]


def entity_figures(gold: Sequence[Iterable[Tuple[str, int, int, str]]], parses: Sequence[Dict], canonical=None) -> Dict:
    """Micro P/R/F1 over (example, type, start, end) spans; per type; which extractors produced them.

    `canonical(type, surface)` (optional) gives the expected value of a gold span, to
    check the values of correctly found spans.
    """
    gold_spans, predicted_spans, extractors, values = set(), set(), Counter(), {}
    for i, (spans, parse) in enumerate(zip(gold, parses)):
        for entity, start, end, surface in spans:
            gold_spans.add((i, entity, start, end))
            if canonical:
                values[(i, entity, start, end)] = canonical(entity, surface)
        for e in parse["entities"]:
            predicted_spans.add((i, e["entity"], e["start"], e["end"]))
            extractors[e.get("extractor") or "?"] += 1
            values.setdefault(("predicted", i, e["entity"], e["start"], e["end"]), e.get("value"))

    def prf(g: set, p: set) -> Dict:
        tp = len(g & p)
        precision = tp / len(p) if p else 0.0
        recall = tp / len(g) if g else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                "gold": len(g), "predicted": len(p), "correct": tp}

    result = prf(gold_spans, predicted_spans)
    result["per_type"] = {
        t: prf({s for s in gold_spans if s[1] == t}, {s for s in predicted_spans if s[1] == t})
        for t in sorted({s[1] for s in gold_spans | predicted_spans})
    }
    result["extractors"] = dict(extractors)
    if canonical:
        matched = gold_spans & predicted_spans
        right = sum(values[("predicted",) + s] == values[s] for s in matched)
        result["values_correct"] = {"correct": right, "of_matched_spans": len(matched)}
    result["missed"] = sorted(gold_spans - predicted_spans)
    result["spurious"] = sorted(predicted_spans - gold_spans)
    return result


def fallback_outcome(row: Dict, threshold: float, ambiguity: Optional[float]) -> bool:
    """Would the FallbackClassifier turn this prediction into nlu_fallback?"""
    if row["raw_confidence"] < threshold:
        return True
    return ambiguity is not None and row["raw_confidence"] - row["second_confidence"] < ambiguity


def threshold_table(rows: Sequence[Dict], gold: Sequence[str], thresholds: Sequence[float], ambiguity: Optional[float]) -> List[Dict]:
    """For each threshold: correct answers kept, correct answers sent to "did you mean", wrong answers caught or let through."""
    table = []
    for t in thresholds:
        counts = Counter()
        for row, g in zip(rows, gold):
            right = row["raw_intent"] == g
            falls = fallback_outcome(row, t, ambiguity)
            counts[("clarified" if falls else "answered", right)] += 1
        n = len(rows)
        answered = counts[("answered", True)] + counts[("answered", False)]
        table.append({
            "threshold": round(t, 2),
            "answered_correct": counts[("answered", True)],
            "answered_wrong": counts[("answered", False)],
            "correct_to_clarify": counts[("clarified", True)],
            "wrong_caught": counts[("clarified", False)],
            "coverage": round(answered / n, 4) if n else 0.0,
            "accuracy_answered": round(counts[("answered", True)] / answered, 4) if answered else 0.0,
            "accuracy_fallback_wrong": round(counts[("answered", True)] / n, 4) if n else 0.0,
        })
    return table


def out_of_domain_rate(rows: Sequence[Dict], threshold: float, ambiguity: Optional[float], out_of_scope: str = "out_of_scope") -> float:
    """Fraction of out-of-domain texts that end as nlu_fallback or out_of_scope."""
    caught = sum(fallback_outcome(r, threshold, ambiguity) or r["raw_intent"] == out_of_scope for r in rows)
    return round(caught / len(rows), 4) if rows else 0.0
