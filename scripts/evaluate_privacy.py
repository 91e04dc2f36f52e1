"""`make eval-privacy`: recall and precision of redaction per identifier kind, for three approaches (reports/privacy.md).

- previous patterns: the regular expressions the project had before (scripts/eval/privacy_baseline.py);
- Presidio alone: Presidio's analyzer with its predefined pattern recognisers, no NER model;
- Presidio + companion.redaction: what the assistant uses (Presidio's recognisers for fixed shapes,
  ours for names, addresses, towns, ZIP codes, dates, ages and cued numbers, with probablepeople's
  name lists, english-words and usaddress's street types).

The labelled set is tests/eval/redaction_set.yml (written before the recognisers). Also measured:
how many ordinary questions lose words (tests/nlu_test.yml, the development sets in tests/eval/,
data/nlu/*.yml), and the time per message.

    PYTHONPATH=. .venv/bin/python scripts/evaluate_privacy.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from eval import data, privacy_baseline  # noqa: E402

SET = ROOT / "tests" / "eval" / "redaction_set.yml"
HOLDOUT = ROOT / "tests" / "eval" / "redaction_holdout.yml"
FACILITY = ROOT / "tests" / "eval" / "redaction_facility.yml"
REPORT_MD, REPORT_JSON = ROOT / "reports" / "privacy.md", ROOT / "reports" / "privacy.json"

KIND_OF = {
    "PERSON": "name", "STREET_ADDRESS": "address", "LOCATION": "city", "ZIP_CODE": "zip", "DATE_TIME": "date",
    "AGE": "age", "PHONE_NUMBER": "phone", "EMAIL_ADDRESS": "email", "US_SSN": "ssn", "MEDICAL_RECORD": "record",
    "MEMBER_ID": "member", "ACCOUNT_NUMBER": "account", "CREDIT_CARD": "account", "US_BANK_NUMBER": "account",
    "LICENSE_NUMBER": "license", "US_DRIVER_LICENSE": "license", "MEDICAL_LICENSE": "license",
    "US_PASSPORT": "license", "VEHICLE_ID": "vehicle", "DEVICE_ID": "device", "URL": "url", "IP_ADDRESS": "ip",
    "ID_NUMBER": "number", "US_ITIN": "number",
}
NAMES_AND_ADDRESSES = ("name", "address", "city")
STRUCTURED = ("zip", "date", "age", "phone", "email", "ssn", "record", "member", "account", "license", "vehicle",
              "device", "url", "ip")
Span = Tuple[int, int, str]


def load_set(path: Path = SET) -> List[Dict]:
    messages = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
        text, entities = data.parse_markup(item["text"])
        messages.append({"text": text, "style": item["style"],
                         "gold": [(start, end, kind) for kind, start, end, _ in entities]})
    return messages


def keep_names() -> List[str]:
    facility = yaml.safe_load(FACILITY.read_text(encoding="utf-8"))
    return [facility["name"], *facility.get("places", [])]


def approaches() -> Dict[str, Callable[[str], List[Span]]]:
    from companion.redaction.engine import Redactor

    return {
        "previous patterns": privacy_baseline.find,
        "Presidio alone": Redactor(keep=keep_names(), presidio_recognizers=presidio_predefined(), ours=False).find,
        "Presidio + companion.redaction": Redactor(keep=keep_names()).find,
    }


def presidio_predefined():
    """Presidio's predefined pattern recognisers for US identifiers, as it ships them."""
    import tldextract.tldextract
    from presidio_analyzer import predefined_recognizers as p

    # the e-mail recogniser checks the domain with tldextract: its bundled suffix list, nothing fetched
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    return [p.PhoneRecognizer(supported_regions=("US",)), p.EmailRecognizer(), p.UsSsnRecognizer(),
            p.CreditCardRecognizer(), p.IpRecognizer(), p.UrlRecognizer(), p.DateRecognizer(), p.UsLicenseRecognizer(),
            p.UsBankRecognizer(), p.UsPassportRecognizer(), p.MedicalLicenseRecognizer(), p.UsItinRecognizer()]


def covered(spans: Sequence[Span]) -> set:
    return {i for start, end, _ in spans for i in range(start, end)}


def score(messages: List[Dict], find: Callable[[str], List[Span]]) -> Dict:
    recall = defaultdict(lambda: [0, 0])  # kind -> [recalled, total]
    by_style = defaultdict(lambda: [0, 0])
    precision = defaultdict(lambda: [0, 0])  # predicted kind -> [correct, total]
    missed: List[str] = []
    false_alarms: List[str] = []
    negatives_changed = 0
    seconds: List[float] = []
    for message in messages:
        text = message["text"]
        started = time.perf_counter()
        predicted = find(text)
        seconds.append(time.perf_counter() - started)
        hidden = covered(predicted)
        for start, end, kind in message["gold"]:
            needed = {i for i in range(start, end) if text[i].isalnum()}
            hit = needed <= hidden
            recall[kind][0] += hit
            recall[kind][1] += 1
            group = "names and addresses" if kind in NAMES_AND_ADDRESSES else "structured"
            by_style[(group, message["style"])][0] += hit
            by_style[(group, message["style"])][1] += 1
            if not hit:
                missed.append(f"{kind}: {text[start:end]!r} in {text!r}")
        for start, end, entity in predicted:
            kind = KIND_OF.get(entity, entity.lower())
            correct = any(start < g_end and g_start < end for g_start, g_end, _ in message["gold"])
            precision[kind][0] += correct
            precision[kind][1] += 1
            if not correct:
                false_alarms.append(f"{kind}: {text[start:end]!r} in {text!r}")
        if not message["gold"] and predicted:
            negatives_changed += 1

    def group(kinds):
        hits = sum(recall[k][0] for k in kinds)
        total = sum(recall[k][1] for k in kinds)
        return {"recalled": hits, "total": total, "recall": hits / total if total else None}

    correct = sum(v[0] for v in precision.values())
    total_predicted = sum(v[1] for v in precision.values())
    return {
        "recall": {k: {"recalled": v[0], "total": v[1], "recall": v[0] / v[1]} for k, v in sorted(recall.items())},
        "precision": {k: {"correct": v[0], "predicted": v[1], "precision": v[0] / v[1]} for k, v in sorted(precision.items())},
        "structured": group(STRUCTURED),
        "names_and_addresses": group(NAMES_AND_ADDRESSES),
        "by_style": {f"{g}, {s}": {"recalled": v[0], "total": v[1], "recall": v[0] / v[1]} for (g, s), v in sorted(by_style.items())},
        "precision_overall": correct / total_predicted if total_predicted else None,
        "negatives": sum(1 for m in messages if not m["gold"]),
        "negatives_changed": negatives_changed,
        "ms_per_message": {"mean": 1000 * statistics.mean(seconds),
                           "p95": 1000 * sorted(seconds)[int(0.95 * (len(seconds) - 1))]},
        "missed": missed,
        "false_alarms": false_alarms,
    }


def ordinary_questions() -> Dict[str, List[str]]:
    sets = {
        "tests/nlu_test.yml": [e.text for e in data.load_examples(ROOT / "tests" / "nlu_test.yml")],
        **{f"tests/eval/{name}": [item["text"] for item in yaml.safe_load((ROOT / "tests/eval" / name).read_text())["examples"]]
           for name in ("dev_questions.yml", "dev2_questions.yml")},
        # introductions.yml says names on purpose ("my name is Denise, why ...")
        "data/nlu/*.yml (training, without introductions.yml)": [
            e.text for path in data.training_files(ROOT) if path.name != "introductions.yml"
            for e in data.load_examples(path)],
    }
    return sets


def changed_questions(find: Callable[[str], List[Span]]) -> Dict[str, Dict]:
    result = {}
    for name, texts in ordinary_questions().items():
        changed = [f"{t!r} -> {[t[s:e] for s, e, _ in spans]}" for t in texts if (spans := find(t))]
        result[name] = {"questions": len(texts), "changed": len(changed), "share": len(changed) / len(texts),
                        "examples": changed}
    return result


def percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def markdown(messages: List[Dict], results: Dict[str, Dict], questions: Dict[str, Dict], holdout: Dict[str, Dict]) -> str:
    names = list(results)
    kinds = Counter(kind for m in messages for _, _, kind in m["gold"])
    styles = Counter(m["style"] for m in messages)
    lines = [
        "# Redaction: recall and precision per identifier kind",
        "",
        f"Generated by `make eval-privacy` (scripts/evaluate_privacy.py) on {time.strftime('%Y-%m-%d')}.",
        "",
        f"The labelled set (`tests/eval/redaction_set.yml`) has {len(messages)} messages ({styles['typed']} typed, "
        f"{styles['spoken']} spoken-style: lower case, no punctuation, numbers as words), "
        f"{sum(kinds.values())} marked identifiers and {results[names[0]]['negatives']} messages without any. It was written "
        "before the recognisers, with names that are also ordinary words (Hope, Will, Mark, Grace, Rose, Joy, Baker, "
        "Young, Brown) and the clinic's own place names (`tests/eval/redaction_facility.yml`), which must stay readable. "
        "It is kept out of all training data.",
        "",
        "An identifier counts as recalled when every letter and digit of it is redacted (a name half redacted is a "
        "miss); a redaction counts as correct when it touches a marked identifier. Precision is given per kind the "
        "approach said it found.",
        "",
        "Approaches:",
        "- **previous patterns**: the regular expressions the project had before (`scripts/eval/privacy_baseline.py`).",
        "- **Presidio alone**: Presidio's analyzer with its predefined US pattern recognisers (phone via phonenumbers, "
        "e-mail, SSN, card, IP, URL, date, driver's licence, bank number, passport, medical licence, ITIN) and no NER "
        "model.",
        "- **Presidio + companion.redaction** (used by the assistant): Presidio's phone, SSN, card, IP and URL "
        "recognisers, and companion.redaction's recognisers for names (cues, probablepeople's census name lists, "
        "english-words for ordinary words), street addresses (usaddress's street types), towns, ZIP codes, dates, "
        "ages over 89 and numbers named by a cue; Presidio's anonymizer puts the labels in.",
        "",
        "## Summary",
        "",
        "| | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    rows = [
        ("recall, structured identifiers (goal ≥ 98%)", lambda r: percent(r["structured"]["recall"])),
        ("recall, names and addresses (goal ≥ 95%)", lambda r: percent(r["names_and_addresses"]["recall"])),
        ("precision, all redactions", lambda r: percent(r["precision_overall"])),
        ("messages without identifiers that were changed", lambda r: f"{r['negatives_changed']} of {r['negatives']}"),
        ("time per message, mean / p95", lambda r: f"{r['ms_per_message']['mean']:.1f} / {r['ms_per_message']['p95']:.1f} ms"),
    ]
    for group in results[names[-1]]["by_style"]:
        rows.append((f"recall, {group}", lambda r, g=group: percent(r["by_style"].get(g, {}).get("recall", 0.0))))
    for label, value in rows:
        lines.append(f"| {label} | " + " | ".join(value(results[n]) for n in names) + " |")
    lines += ["", "## How far to trust these figures", "",
              "The recognisers were written after the labelled set, then corrected where the set's first run showed "
              "mistakes of a general kind (a state abbreviation that is also a word, \"the doctor said\", spelled "
              "letters such as \"m r i\"); the first run of the finished recognisers gave structured recall 99.2%, "
              "names and addresses 93.4%, precision 97.2%, and changed 7 of tests/nlu_test.yml's 426 questions. "
              f"The figures above are therefore optimistic. A second set (`tests/eval/redaction_holdout.yml`, "
              f"{holdout['messages']} messages, {holdout['negatives']} without identifiers) was written after that "
              "and has never been used to change anything; on it:", "",
              "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, value in rows[:4]:
        lines.append(f"| {label} | " + " | ".join(value(holdout['results'][n]) for n in names) + " |")
    misses = holdout["results"][names[-1]]["missed"] + holdout["results"][names[-1]]["false_alarms"]
    lines += ["", "Missed or wrongly redacted there:", ""] + [f"- {m}" for m in misses] if misses else ["", "Nothing missed there."]
    lines += ["", "## Recall per kind", "", "| kind | marked | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for kind in sorted(kinds, key=lambda k: (k not in NAMES_AND_ADDRESSES, k)):
        cells = [f"{percent(results[n]['recall'][kind]['recall'])} ({results[n]['recall'][kind]['recalled']})" for n in names]
        lines.append(f"| {kind} | {kinds[kind]} | " + " | ".join(cells) + " |")
    lines += ["", "## Precision per kind found", "", "| kind | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    found_kinds = sorted({k for n in names for k in results[n]["precision"]})
    for kind in found_kinds:
        cells = []
        for n in names:
            p = results[n]["precision"].get(kind)
            cells.append(f"{percent(p['precision'])} ({p['correct']} of {p['predicted']})" if p else "—")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines += ["", "`number` is a long number or code that no cue named: redacted as `[number]` (Safe Harbor's "
              "\"any other unique identifying number\")."]
    lines += ["", "## Ordinary questions changed by redaction", "",
              "Questions with no identifiers in them; any redaction is a loss. Goal: at most 1% of tests/nlu_test.yml.", "",
              "| set | questions | changed (Presidio + companion.redaction) |", "|---|---|---|"]
    for name, q in questions.items():
        lines.append(f"| {name} | {q['questions']} | {q['changed']} ({percent(q['share'])}) |")
    for name, q in questions.items():
        if q["examples"]:
            lines += ["", f"Changed in {name}:", ""] + [f"- {e}" for e in q["examples"][:40]]
    ours = results[names[-1]]
    lines += ["", f"## What Presidio + companion.redaction missed ({len(ours['missed'])})", ""]
    lines += [f"- {m}" for m in ours["missed"]] or ["- nothing"]
    lines += ["", f"## What it redacted that was no identifier ({len(ours['false_alarms'])})", ""]
    lines += [f"- {m}" for m in ours["false_alarms"]] or ["- nothing"]
    return "\n".join(lines) + "\n"


def main() -> int:
    messages = load_set()
    found = approaches()
    results = {name: score(messages, find) for name, find in found.items()}
    questions = changed_questions(found["Presidio + companion.redaction"])
    unseen = load_set(HOLDOUT)
    holdout = {"messages": len(unseen), "negatives": sum(1 for m in unseen if not m["gold"]),
               "results": {name: score(unseen, find) for name, find in found.items()}}
    REPORT_JSON.write_text(json.dumps({"results": results, "holdout": holdout, "ordinary_questions": questions}, indent=1))
    REPORT_MD.write_text(markdown(messages, results, questions, holdout))
    ours = results["Presidio + companion.redaction"]
    print(f"structured recall {percent(ours['structured']['recall'])}, names and addresses "
          f"{percent(ours['names_and_addresses']['recall'])}, precision {percent(ours['precision_overall'])}; "
          + ", ".join(f"{n}: {q['changed']}/{q['questions']} changed" for n, q in questions.items()))
    unseen_ours = holdout["results"]["Presidio + companion.redaction"]
    print(f"held-out set: structured {percent(unseen_ours['structured']['recall'])}, names and addresses "
          f"{percent(unseen_ours['names_and_addresses']['recall'])}, precision {percent(unseen_ours['precision_overall'])}")
    print(f"written {REPORT_MD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
