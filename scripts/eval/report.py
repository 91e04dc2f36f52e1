"""reports/nlu.md (for people) and reports/nlu.json (for machines) from the evaluation's results, plus a stdout summary."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Dict, List

TARGETS = {"accuracy": 0.95, "macro_f1": 0.95, "entity_f1": 0.90}


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def fmt_counts(counts: Dict[str, int]) -> str:
    return ", ".join(f"{k} ×{v}" for k, v in counts.items()) or "—"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def targets(result: Dict) -> List[Dict]:
    ours, default = result["ours"], result["default"]
    checks = [
        ("intent accuracy ≥ 95%", ours["intent"]["accuracy"] >= TARGETS["accuracy"], pct(ours["intent"]["accuracy"])),
        ("macro F1 ≥ 0.95", ours["intent"]["macro_f1"] >= TARGETS["macro_f1"], f"{ours['intent']['macro_f1']:.3f}"),
        ("entity F1 ≥ 0.90", ours["entities"]["f1"] >= TARGETS["entity_f1"], f"{ours['entities']['f1']:.3f}"),
        ("accuracy above the default pipeline", ours["intent"]["accuracy"] > default["intent"]["accuracy"],
         f"{pct(ours['intent']['accuracy'])} vs {pct(default['intent']['accuracy'])}"),
        ("macro F1 above the default pipeline", ours["intent"]["macro_f1"] > default["intent"]["macro_f1"],
         f"{ours['intent']['macro_f1']:.3f} vs {default['intent']['macro_f1']:.3f}"),
        ("entity F1 above the default pipeline", ours["entities"]["f1"] > default["entities"]["f1"],
         f"{ours['entities']['f1']:.3f} vs {default['entities']['f1']:.3f}"),
    ]
    return [{"target": t, "met": bool(m), "value": v} for t, m, v in checks]


def ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b else "—"


def speech_markdown(sp: Dict) -> List[str]:
    """The spoken-robustness section (reports/nlu.md, and reports/nlu-speech.md from `make eval-speech`)."""
    lines: List[str] = []
    add = lines.append
    add("## Spoken robustness")
    add("")
    voices = sp["voices"]
    add(f"Each of the {sp.get('questions', 'held-out')} questions of the independent held-out set that have an intent "
        f"(not noise, out of scope or figurative worry; none of them a training sentence, none used for augmentation) "
        f"was spoken by {len(voices)} synthetic callers, transcribed by PocketSphinx 5 and understood by our model, the "
        "safety screen included. The language models are built from the English training data only, never from "
        "evaluation text.")
    add("")
    add("| voice | how it was made | command |")
    add("|---|---|---|")
    for v in voices:
        add(f"| {v['name']} | {v['description']} | `{v['synthesis']}` |")
    add("")
    add(f"Typed accuracy on the same questions (same model): **{pct(sp['typed_accuracy'])}**.")
    add("")
    add("| attempt | recogniser | NLU model | WER | intent accuracy | macro F1 | raw accuracy | empty transcripts |")
    add("|---|---|---|---|---|---|---|---|")
    for a in sp["attempts"]:
        add(f"| {a['name']} | {a['recogniser']} | {a['nlu_model']} | {pct(a['wer'])} | {pct(a['accuracy'])} | "
            f"{a['macro_f1']:.3f} | {pct(a['accuracy_raw'])} | {a['empty_transcripts']} |")
    add("")
    add("By voice, with the domain-closed recogniser (target ≥ 80%):")
    add("")
    add("| voice | WER | our model | augmented model |")
    add("|---|---|---|---|")
    by_name = {a["name"]: a for a in sp["attempts"]}
    for v in voices:
        plain, augmented = by_name[f"{v['name']}, domain-closed"], by_name[f"{v['name']}, domain-closed + augmented NLU"]
        add(f"| {v['name']} | {pct(plain['wer'])} | {pct(plain['accuracy'])} | {pct(augmented['accuracy'])} |")
    add("")
    add("espeak-ng's formant voice was made by rule, not from anyone's recordings, and is far from the human speech "
        "PocketSphinx's acoustic model learned; Flite's voices are built from recorded speakers, so they are nearer a "
        "real caller, though still synthetic, read aloud without hesitations, and not heard over a phone line. Neither "
        "forecasts a real caller on a cloud recogniser; the figures compare attempts.")
    typed_safety = sp.get("typed_safety_screen") or {}
    if typed_safety.get("n"):
        cells = ", ".join(f"{a['name']} {a['safety_screen']['caught']}/{a['safety_screen']['n']}"
                          for a in sp["attempts"] if a.get("safety_screen") and "augmented" not in a["name"])
        add("")
        add(f"Safety phrase screen (companion/safety.py) on the held-out crisis and emergency examples: typed "
            f"{typed_safety['caught']}/{typed_safety['n']}; transcripts: {cells}.")
    aug = sp["augmentation"]
    add("")
    add(f"Augmentation: {aug['sentences_recognised']} English training sentences (up to 12 of each intent) were spoken "
        f"by every voice and recognised with a domain model built without the "
        f"sentence's third; "
        f"{aug['transcripts_added']} transcripts that differ from the text were added with the sentence's intent. "
        f"The augmented model's typed accuracy is {pct(aug['typed_accuracy_augmented_model'])} "
        f"(macro F1 {aug['typed_macro_f1_augmented_model']:.3f}); training took {minutes(aug['train_seconds'])}.")
    add("")
    add("Recogniser hints: PocketSphinx takes none (only a language model, grammar or keyword list, as tried above). "
        "Phone platforms do: Twilio `<Gather input=\"speech\" hints=\"...\">` (up to 500 comma-separated words or phrases, "
        "with `speechModel` such as `phone_call` or `experimental_conversations`), Google Speech-to-Text speech "
        "adaptation (phrase sets with boost, custom classes), Amazon Transcribe custom vocabularies and Alexa slot types. "
        "`companion.terms.Terms.speech_hints()` already builds such a list from content/terms.yml; the domain "
        "pronunciations used here (scripts/eval/lm.py) show which terms a generic recogniser cannot even spell "
        "(calcifications, BI-RADS, fibroadenoma, mammo, ...).")
    add("")
    add("Ten training sentences and what the recognisers heard (the held-out questions' texts stay out of the report):")
    add("")
    names = [v["name"] for v in voices]
    add("| text (intent) | " + " | ".join(names) + " (each a domain model without the text's third) |")
    add("|---" * (len(names) + 1) + "|")
    for x in sp["examples"]:
        add(f"| {x['text']} ({x['intent']}) | " + " | ".join(x[n] for n in names) + " |")
    add("")
    add("Fallback on the domain-closed recogniser's transcripts of espeak-ng (our model):")
    add("")
    add("| threshold | answered right | answered wrong | right turned into \"did you mean\" | wrong caught | accuracy of answers |")
    add("|---|---|---|---|---|---|")
    for r in sp["domain_closed_threshold_table"]:
        add(f"| {r['threshold']:.2f} | {r['answered_correct']} | {r['answered_wrong']} | {r['correct_to_clarify']} | "
            f"{r['wrong_caught']} | {pct(r['accuracy_answered'])} |")
    add("")
    return lines


def markdown(result: Dict) -> str:
    d, ours, default = result["data"], result["ours"], result["default"]
    lines: List[str] = []
    add = lines.append
    add("# NLU evaluation — Callback Companion")
    add("")
    add(f"Generated by `make eval` (scripts/evaluate_nlu.py) on {result['date']}, Rasa {result['versions']['rasa']}, "
        f"{result['machine']['cpus']} CPUs, Python {result['machine']['python']}. Total time {minutes(result['timings_seconds']['total'])}.")
    add("")
    add("## Data")
    add("")
    add(f"- Training: data/nlu/*.yml, {d['train_examples']} examples, {d['train_intents']} intents, {d['train_entities']} entity annotations.")
    add(f"- Held-out: tests/nlu_test.yml, {d['test_examples']} examples, {d['test_intents']} intents, {d['test_entities']} entity annotations. "
        "It was used to choose settings in earlier rounds, so it is a development set now; the measurement that no one tuned "
        "against is the independent held-out set, below and in [nlu-independent.md](nlu-independent.md).")
    if d["test_in_training"]:
        add(f"- **{d['test_in_training']} held-out examples also occur in the training data** (same text once lower-cased and "
            f"stripped of markup and punctuation; tests/test_nlu_data.py flags them). Figures are given on the whole "
            f"held-out set and on the {d['test_unseen']} unseen examples.")
    else:
        add("- No held-out example occurs in the training data (compared lower-cased, without markup and punctuation; "
            "tests/test_nlu_data.py checks it).")
    add(f"- {d['test_near_duplicates']} held-out examples share at least 80% of their words with some training example.")
    add("")
    held_out = (result.get("independent") or {}).get("held-out")
    if held_out:
        from eval import independent

        add("## The independent held-out set (the measurement nobody tuned against)")
        add("")
        add("Accuracy, macro F1, the wrong-confident rate, safety recall and false alarms, reliability and per-intent "
            "confusions for every model choice; the development set and the conversations are in "
            "[nlu-independent.md](nlu-independent.md).")
        add("")
        section = independent.markdown(held_out, "held-out", list_texts=False).split("\n", 2)[2]
        lines.extend(section.replace("### ", "#### ").rstrip("\n").split("\n"))
        add("")
    add("## Ours vs Rasa's default pipeline (tests/nlu_test.yml)")
    add("")
    add("`nlu_fallback` counts as wrong. \"Raw\" is the best intent before the FallbackClassifier replaced it.")
    add("")
    add("| | ours (config.yml) | default (config.default.yml) | ours / default |")
    add("|---|---|---|---|")
    rows = [
        ("intent accuracy", ours["intent"]["accuracy"], default["intent"]["accuracy"], pct),
        ("intent macro F1", ours["intent"]["macro_f1"], default["intent"]["macro_f1"], lambda x: f"{x:.3f}"),
        ("raw top-intent accuracy (before fallback)", ours["intent_raw"]["accuracy"], default["intent_raw"]["accuracy"], pct),
        ("raw macro F1", ours["intent_raw"]["macro_f1"], default["intent_raw"]["macro_f1"], lambda x: f"{x:.3f}"),
        (f"accuracy on the {d['test_unseen']} unseen examples", ours["intent_unseen"]["accuracy"], default["intent_unseen"]["accuracy"], pct),
        (f"macro F1 on the {d['test_unseen']} unseen examples", ours["intent_unseen"]["macro_f1"], default["intent_unseen"]["macro_f1"], lambda x: f"{x:.3f}"),
        ("entity F1 (micro, exact spans)", ours["entities"]["f1"], default["entities"]["f1"], lambda x: f"{x:.3f}"),
        ("entity precision", ours["entities"]["precision"], default["entities"]["precision"], lambda x: f"{x:.3f}"),
        ("entity recall", ours["entities"]["recall"], default["entities"]["recall"], lambda x: f"{x:.3f}"),
    ]
    for label, a, b, f in rows:
        if "unseen" in label and not d["test_in_training"]:
            continue
        add(f"| {label} | {f(a)} | {f(b)} | {ratio(a, b)} |")
    add(f"| predictions turned into nlu_fallback | {ours['fallbacks']} | {default['fallbacks']} | |")
    if "out_of_domain_caught" in default:
        add(f"| out-of-domain texts caught (fallback or out_of_scope, threshold 0.3) | "
            f"{pct(result['threshold']['out_of_domain_caught_now'])} | {pct(default['out_of_domain_caught'])} | |")
    def cached(m: Dict) -> str:
        return " (model reused from build/eval/models)" if m["model_cached"] else ""

    add(f"| training time | {minutes(ours['train_seconds'])}{cached(ours)} | {minutes(default['train_seconds'])}{cached(default)}, "
        "one TensorFlow thread while other parts ran | |")
    add(f"| parse time per message | {ours['parse_ms']:.0f} ms | {default['parse_ms']:.0f} ms | |")
    add("")
    add("The default pipeline's DIETClassifier has no fixed random seed (as `rasa init` writes it), so its figures move "
        "by about a percentage point from one training to the next; one training is measured here.")
    add("")
    add("Targets (from the issue):")
    add("")
    for t in targets(result):
        add(f"- {'met' if t['met'] else '**not met**'}: {t['target']} ({t['value']})")
    add("")
    for name, figures in (("ours", ours), ("default", default)):
        add(f"### Worst five intents by F1 — {name}")
        add("")
        add("| intent | F1 | precision | recall | misread as | predicted instead of |")
        add("|---|---|---|---|---|---|")
        for intent, fig in sorted(figures["intent"]["per_intent"].items(), key=lambda kv: (kv[1]["f1"], kv[0]))[:5]:
            add(f"| {intent} | {fig['f1']:.3f} | {fig['precision']:.3f} | {fig['recall']:.3f} | "
                f"{fmt_counts(fig['misread_as'])} | {fmt_counts(fig['predicted_for'])} |")
        add("")
        add(f"<details><summary>All {len(figures['errors'])} held-out errors — {name}</summary>")
        add("")
        for e in figures["errors"]:
            add(f"- `{e['text']}` — {e['intent']} → {e['predicted']} (raw {e['raw_intent']} {e['raw_confidence']:.2f})")
        add("")
        add("</details>")
        add("")
    add("### Entities")
    add("")
    for name, figures in (("ours", ours), ("default", default)):
        e = figures["entities"]
        per_type = "; ".join(f"{t} F1 {v['f1']:.3f} ({v['correct']}/{v['gold']} found, {v['predicted']} predicted)"
                             for t, v in e["per_type"].items())
        add(f"- **{name}**: F1 {e['f1']:.3f} (P {e['precision']:.3f}, R {e['recall']:.3f}; {e['correct']} of {e['gold']} "
            f"annotated spans, {e['predicted']} predicted). Per type: {per_type}. Extractors: {fmt_counts(e['extractors'])}.")
        if "values_correct" in e:
            v = e["values_correct"]
            add(f"  Canonical values (content/terms.yml) right for {v['correct']} of {v['of_matched_spans']} found spans.")
    add("")
    add("## Cross-validation (5-fold, stratified, on data/nlu/)")
    add("")
    cv = result["cv_ours"]
    add("| pipeline | intent accuracy | macro F1 | training time per fold |")
    add("|---|---|---|---|")
    add(f"| ours | {pct(cv['accuracy_mean'])} ± {pct(cv['accuracy_std'])} | {cv['macro_f1_mean']:.3f} ± {cv['macro_f1_std']:.3f} | "
        f"{minutes(cv['train_seconds_mean'])} |")
    cvd = result["cv_default"]
    if "skipped" in cvd:
        add(f"| default | {cvd['skipped']} | | |")
    else:
        add(f"| default | {pct(cvd['accuracy_mean'])} ± {pct(cvd['accuracy_std'])} | {cvd['macro_f1_mean']:.3f} ± "
            f"{cvd['macro_f1_std']:.3f} | {minutes(cvd['train_seconds_mean'])} |")
    add("")
    add(f"Raw top intent before the fallback (ours, pooled): accuracy {pct(cv['pooled_accuracy_raw'])}, macro F1 {cv['pooled_macro_f1_raw']:.3f}.")
    add("")
    add("Per fold (ours): " + ", ".join(f"{pct(f['accuracy'])} / {f['macro_f1']:.3f}" for f in cv["folds"]) + ".")
    add("")
    add("Weakest intents across the folds (ours, out-of-fold predictions pooled):")
    add("")
    for intent, fig in cv["pooled_worst"]:
        add(f"- {intent}: F1 {fig['f1']:.3f}; misread as {fmt_counts(fig['misread_as'])}")
    add("")
    add(f"<details><summary>The {len(cv['misclassified'])} training examples misclassified out-of-fold (ours)</summary>")
    add("")
    for m in cv["misclassified"]:
        add(f"- `{m['text']}` — {m['intent']} → {m['predicted']} (raw {m['raw_intent']} {m['raw_confidence']:.2f})")
    add("")
    add("</details>")
    add("")
    th = result["threshold"]
    add("## Fallback threshold")
    add("")
    add(f"The FallbackClassifier answers \"did you mean ...?\" when the top confidence is below the threshold or the top "
        f"two are closer than the ambiguity threshold ({th['ambiguity_threshold']}, its default). Held-out set, our model:")
    add("")
    add("| threshold | answered right | answered wrong | right answers turned into \"did you mean\" | wrong answers caught | "
        "coverage | accuracy of answers | out-of-domain caught |")
    add("|---|---|---|---|---|---|---|---|")
    for r in th["held_out_table"]:
        mark = " **(recommended)**" if r["threshold"] == th["threshold"] else (" (now)" if r["threshold"] == 0.3 else "")
        add(f"| {r['threshold']:.2f}{mark} | {r['answered_correct']} | {r['answered_wrong']} | {r['correct_to_clarify']} | "
            f"{r['wrong_caught']} | {pct(r['coverage'])} | {pct(r['accuracy_answered'])} | {pct(r['out_of_domain_caught'])} |")
    add("")
    add(f"**Recommended threshold: {th['threshold']:.2f}** — rule: {th['rule']}. Cross-validation table:")
    add("")
    add("| threshold | answered wrong | right turned into \"did you mean\" | cost |")
    add("|---|---|---|---|")
    for r in th["cv_table"]:
        add(f"| {r['threshold']:.2f} | {r['answered_wrong']} | {r['correct_to_clarify']} | {r['cost']} |")
    add("")
    ood = th["out_of_domain"]
    add(f"Out-of-domain set ({len(ood)} texts written for this evaluation, none in the training data): "
        f"{pct(th['out_of_domain_caught_now'])} end as nlu_fallback or out_of_scope at the current threshold 0.3. "
        "Those answered as something else:")
    add("")
    for r in ood:
        if r["intent"] not in ("nlu_fallback", "out_of_scope"):
            add(f"- `{r['text']}` → {r['intent']} ({r['raw_confidence']:.2f})")
    add("")
    if "speech" in result:
        lines.extend(speech_markdown(result["speech"]))
    candidates = result.get("candidates") or (result.get("candidates_previous_run") or {}).get("candidates")
    if candidates:
        when = "this run" if result.get("candidates") else f"a previous run ({result['candidates_previous_run']['date']})"
        if not result.get("candidates") and result["candidates_previous_run"].get("data") != result.get("data_fingerprint"):
            when += (" — **the training or held-out data have changed since; rerun "
                     "`scripts/evaluate_nlu.py --candidates` before relying on these figures**")
        add("## Candidate pipelines (copies, not config.yml)")
        add("")
        add(f"From {when} (`scripts/evaluate_nlu.py --candidates`, configs written by scripts/eval/candidates.py to "
            f"build/eval/candidates/). {len(candidates) - 1} candidates were tried besides config.yml as is, each one change; "
            "compare them by cross-validation on the training data, the held-out columns only confirm.")
        add("")
        add("Note: Rasa 3.6's `LogisticRegressionClassifier` never passes `C` to scikit-learn, so config.yml's `C: 20` has no "
            "effect (it trains with C = 1.0). The `lr-c*` candidates use `scripts.eval.candidates.LogisticRegressionWithC`, "
            "the same classifier with `C` honoured; adopting one means moving that small subclass into companion/nlu/.")
        add("")
        add("| config | CV accuracy | CV macro F1 | CV raw accuracy | held-out accuracy | held-out macro F1 | unseen accuracy | "
            "entity F1 | threshold by CV rule | out-of-domain caught at it | training time |")
        add("|---|---|---|---|---|---|---|---|---|---|---|")
        for c in candidates:
            add(f"| {c['config']} | {pct(c['cv_accuracy'])} ± {pct(c['cv_accuracy_std'])} | {c['cv_macro_f1']:.3f} ± {c['cv_macro_f1_std']:.3f} | "
                f"{pct(c['cv_accuracy_raw'])} | {pct(c['accuracy'])} | {c['macro_f1']:.3f} | {pct(c['accuracy_unseen'])} | {c['entity_f1']:.3f} | "
                f"{c['recommended_threshold']:.2f} | {pct(c['out_of_domain_caught'])} | {minutes(c['train_seconds'])} |")
        add("")
    add("## Data problems seen")
    add("")
    add(f"- {d['test_in_training']} held-out examples repeat training examples and {d['test_near_duplicates']} share at least "
        "80% of their words with one: the held-out figures are optimistic. Cross-validation, where every test sentence is "
        f"new, gives {pct(cv['accuracy_mean'])} instead of {pct(ours['intent']['accuracy'])}.")
    weak = ", ".join(f"{i} (F1 {f['f1']:.2f})" for i, f in cv["pooled_worst"])
    behaviour_only = all(not i.startswith("ask_") for i, _ in cv["pooled_worst"])
    misses = sum(sum(f["misread_as"].values()) for _, f in cv["pooled_worst"])
    fallbacks = sum(f["misread_as"].get("nlu_fallback", 0) for _, f in cv["pooled_worst"])
    add(f"- Weakest intents in cross-validation: {weak}; {fallbacks} of their {misses} misses are nlu_fallback." + (
        " All behaviour intents, whose training examples are short one-offs (\"quit\", \"cheers\", \"menu\"): a held-out "
        "one is often unlike any other. They need more examples per way of saying it." if behaviour_only else ""))
    by_intent = {}
    for m in cv["misclassified"]:
        by_intent.setdefault(m["intent"], []).append(m)
    for intent in ("crisis", "emergency"):
        missed = by_intent.get(intent, [])
        if missed:
            add(f"- Safety intent **{intent}**: {len(missed)} training examples misread out-of-fold: "
                + "; ".join(f"`{m['text']}` → {m['predicted']}" for m in missed) + ".")
    screened = cv.get("safety_missed_screen") or {}
    if screened.get("n"):
        add(f"  The phrase screen in companion/safety.py, which runs before the classifier, catches {screened['caught']} of "
            f"these {screened['n']} (its phrases overlap these training sentences, so this is no independent test).")
    confident = sorted((m for m in cv["misclassified"] if m["raw_intent"] != m["intent"] and m["raw_confidence"] >= 0.8),
                       key=lambda m: -m["raw_confidence"])
    if confident:
        add(f"- {len(confident)} training examples are confidently (≥ 0.80) given another intent when held out — mislabelled, "
            "or intents that overlap (finding questions vs personal_diagnosis, followup vs results timing, help vs "
            "questions_to_ask):")
        add("")
        for m in confident:
            add(f"  - `{m['text']}` — labelled {m['intent']}, predicted {m['raw_intent']} ({m['raw_confidence']:.2f})")
    add("")
    add("## Time taken")
    add("")
    add("| part | wall time |")
    add("|---|---|")
    for part, seconds in result["timings_seconds"].items():
        add(f"| {part} | {minutes(seconds)} |")
    add("")
    reused = []
    for name, figures in (("ours", ours), ("default", default)):
        if figures["model_cached"]:
            reused.append(f"{name} model (training took {minutes(figures['train_seconds'])} when trained)")
    if "speech" in result:
        for a in result["speech"]["attempts"]:
            cost = a.get("decode_cost")
            if cost and cost["utterances"] and not a.get("decoded_now"):
                reused.append(f"{a['name']} transcripts ({cost['utterances']} utterances took {minutes(cost['seconds'])} "
                              "to synthesise and decode)")
    if reused:
        add("Reused from build/eval/ this run: " + "; ".join(reused) + ".")
        add("")
    add("Parts overlap: the default pipeline trains in a background process (one TensorFlow thread) while the other parts run. "
        "Models and speech transcripts are cached under build/eval/, so a rerun with nothing changed is much faster; "
        "`--retrain` trains every model again.")
    add("")
    add("## Commands")
    add("")
    add("```")
    add("\n".join(result["commands"] + [
        "PYTHONPATH=. .venv/bin/python scripts/evaluate_nlu.py --candidates   # + candidate pipelines (build/eval/candidates/)",
        "PYTHONPATH=. .venv/bin/python scripts/evaluate_nlu.py --default-cv   # + cross-validation of the default pipeline",
        ".venv/bin/python -m pytest tests/test_nlu_data.py                    # the data checks (no training)",
    ]))
    add("```")
    add("")
    return "\n".join(lines)


def write(result: Dict, md_path: Path, json_path: Path) -> None:
    machine = copy.deepcopy(result)
    for key in ("cv_ours", "cv_default"):
        machine.get(key, {}).pop("rows", None)
    machine["targets"] = targets(result)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(machine, indent=1, default=str) + "\n", encoding="utf-8")
    md_path.write_text(markdown(result), encoding="utf-8")


def summary(result: Dict) -> str:
    ours, default = result["ours"], result["default"]
    out = [
        "",
        f"NLU evaluation ({result['data']['test_examples']} held-out examples; reports/nlu.md)",
        f"  intent accuracy  ours {pct(ours['intent']['accuracy'])}  default {pct(default['intent']['accuracy'])}",
        f"  macro F1         ours {ours['intent']['macro_f1']:.3f}  default {default['intent']['macro_f1']:.3f}",
        f"  entity F1        ours {ours['entities']['f1']:.3f}  default {default['entities']['f1']:.3f}",
        f"  5-fold CV (ours) accuracy {pct(result['cv_ours']['accuracy_mean'])} ± {pct(result['cv_ours']['accuracy_std'])}, "
        f"macro F1 {result['cv_ours']['macro_f1_mean']:.3f} ± {result['cv_ours']['macro_f1_std']:.3f}",
        f"  recommended fallback threshold {result['threshold']['threshold']:.2f}",
    ]
    if "speech" in result:
        for a in result["speech"]["attempts"]:
            out.append(f"  spoken: {a['name']:<32} WER {pct(a['wer']):>6}  accuracy {pct(a['accuracy'])}")
    candidates = result.get("candidates") or (result.get("candidates_previous_run") or {}).get("candidates")
    if candidates and len(candidates) > 1 and (result.get("candidates") or result["candidates_previous_run"].get("data") == result.get("data_fingerprint")):
        best = max(candidates[1:], key=lambda c: c["cv_accuracy"])
        out.append(f"  best candidate by CV: {best['config']}: CV accuracy {pct(best['cv_accuracy'])}, held-out "
                   f"{pct(best['accuracy'])} / F1 {best['macro_f1']:.3f}")
    for set_name, name, r in ((s, n, r) for s, by_model in (result.get("independent") or {}).items()
                              if s != "conversations" for n, r in by_model.items()):
        safety = r["safety"]
        out.append(f"  {set_name} set, {name}: in-domain {pct(r['in_domain']['accuracy'])}, macro F1 "
                   f"{r['in_domain']['macro_f1']:.3f}, out-of-domain wrong-confident "
                   f"{pct(r['out_of_domain']['wrong_confident_rate'])}, safety caught "
                   f"{sum(v['caught'] for v in safety.values())}/{sum(v['n'] for v in safety.values())}, "
                   f"figurative false alarms {r['worry']['false_alarms']}/{r['worry']['n']} (reports/nlu-independent.md)")
    out.append("  targets: " + "; ".join(f"{t['target']}: {'met' if t['met'] else 'NOT met'}" for t in targets(result)))
    out.append("  time: " + ", ".join(f"{k} {minutes(v)}" for k, v in result["timings_seconds"].items()))
    return "\n".join(out)
