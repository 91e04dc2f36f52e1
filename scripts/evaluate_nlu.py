"""NLU evaluation for Callback Companion: `make eval` writes reports/nlu.md and reports/nlu.json.

1. Trains NLU-only models on data/nlu/ with config.yml (ours) and config.default.yml
   (Rasa's default pipeline) into build/eval/models/ (reused while nothing that shapes
   them changes; --retrain forces training).
2. Evaluates both on the held-out tests/nlu_test.yml: intent accuracy and macro F1
   (nlu_fallback counts as wrong; also the raw top intent before the fallback), the
   worst intents and their confusions, entity span F1.
3. 5-fold cross-validation on data/nlu/ (ours; the default only if it fits the time).
4. Fallback threshold: accuracy against coverage from the cross-validation and held-out
   confidences, and a small inline out-of-domain set.
5. Spoken robustness: held-out sentences through espeak-ng, sox and PocketSphinx, then
   our model; word error rate, and attempts to do better (in-domain language models
   built from the training data, training-data augmentation with recogniser transcripts).

    PYTHONPATH=. .venv/bin/python scripts/evaluate_nlu.py [--retrain] [--no-speech] [--default-cv] [--candidates]
"""

from __future__ import annotations

import argparse
import contextlib
import warnings
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from eval import data, independent, metrics, models, report, speech  # noqa: E402

TRAIN_DATA = ROOT / "build" / "eval" / "train-all.yml"  # data/nlu/*.yml, merged at the start
TEST_DATA = ROOT / "tests" / "nlu_test.yml"
OURS, DEFAULT = ROOT / "config.yml", ROOT / "config.default.yml"
EVAL = ROOT / "build" / "eval"
LOGS = EVAL / "logs"
REPORT_MD, REPORT_JSON = ROOT / "reports" / "nlu.md", ROOT / "reports" / "nlu.json"
FOLDS, SEED = 5, 42
THRESHOLDS = [round(0.1 + 0.05 * i, 2) for i in range(11)]  # 0.10 .. 0.60
AMBIGUITY = 0.1  # the FallbackClassifier's ambiguity_threshold (its default; config.yml does not set it)
DEFAULT_CV_BUDGET_S = 8 * 60
AUGMENT_PER_INTENT = 12  # augmentation: transcripts of up to this many training sentences of each intent,
AUGMENT_FOLDS = 3  # each recognised with a domain language model built without its third

# Out-of-domain texts written for this evaluation (none is a training example).
OUT_OF_DOMAIN = [
    "asdf qwer", "jjjj kkkk llll", "lorem ipsum dolor sit amet", "zxcvbnm", "blah blah blah",
    "purple monkey dishwasher", "what's the capital of Peru", "who wrote Pride and Prejudice",
    "how many legs does a spider have", "what year did the Titanic sink", "is a tomato a fruit or a vegetable",
    "tell me about the moon landing", "order a large pepperoni pizza", "call me a taxi to the airport",
    "what's on TV tonight", "remind me to buy milk", "how do I change a flat tire",
    "find a good Italian restaurant nearby", "what's the exchange rate for euros", "turn off the living room lights",
    "how do I treat a sunburn", "my dog ate chocolate is he ok", "what are the symptoms of the flu",
    "can I take ibuprofen with coffee", "how often should I see the dentist",
    "the quick brown fox jumps over the lazy dog", "I like turtles", "can you recommend a good book",
    "what's your favorite color", "how do I make sourdough bread",
]


class Timer:
    """Wall-clock seconds per part of the evaluation."""

    def __init__(self) -> None:
        self.parts: Dict[str, float] = {}

    @contextlib.contextmanager
    def part(self, name: str):
        started = time.monotonic()
        print(f"[eval] {name} ...", flush=True)
        try:
            yield
        finally:
            self.parts[name] = round(time.monotonic() - started, 1)
            print(f"[eval] {name}: {self.parts[name]:.0f} s", flush=True)


@contextlib.contextmanager
def quiet(log_name: str):
    """Rasa's training chatter goes to build/eval/logs/<name>.log, not the terminal."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"{log_name}.log").open("w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield


def train_quietly(name: str, config: Path, data_file: Path, retrain: bool) -> models.TrainedModel:
    with quiet(f"train-{name}"):
        return models.train(name, config, data_file, retrain)


def parse_rows(parser: models.Parser, texts: Sequence[str]) -> List[Dict]:
    """Parse summaries in the order of `texts`; an empty text (a silent transcript) counts as a fallback.

    `outcome` is what the assistant acts on: the safety assessment first, then the intent."""
    spoken = [t for t in texts if t.strip()]
    parsed = iter(parser.parse(spoken))
    rows = []
    for text in texts:
        if text.strip():
            parse = next(parsed)
            rows.append({**metrics.summarise_parse(parse), "outcome": independent.outcome(text, parse)})
        else:
            rows.append({"text": text, "intent": metrics.FALLBACK, "confidence": 0.0, "raw_intent": metrics.NO_INTENT,
                         "raw_confidence": 0.0, "second_confidence": 0.0, "entities": [], "outcome": metrics.FALLBACK})
    return rows


SAFETY_INTENTS = ("crisis", "emergency")


def safety_screen_catches(texts: Sequence[str], intents: Sequence[str]) -> Dict:
    """How many crisis/emergency texts companion.safety's phrase screen (which runs before the classifier) catches."""
    try:
        from companion.safety import screen
    except ImportError:  # the screen is not this evaluation's subject; do without it
        return {}
    pairs = [(t, i) for t, i in zip(texts, intents) if i in SAFETY_INTENTS]
    caught = [t for t, i in pairs if screen(t) is not None]
    return {"n": len(pairs), "caught": len(caught), "missed": [t for t, _ in pairs if t not in caught]}


def held_out_figures(rows: List[Dict], test: List[data.Example], unseen: List[int], canonical) -> Dict:
    gold = [e.intent for e in test]
    result = {
        "intent": metrics.intent_figures(gold, [r["intent"] for r in rows]),
        "intent_raw": metrics.intent_figures(gold, [r["raw_intent"] for r in rows]),
        "entities": metrics.entity_figures([e.entities for e in test], rows, canonical),
        "fallbacks": sum(r["intent"] == metrics.FALLBACK for r in rows),
        "errors": [{"text": e.raw, "intent": e.intent, "predicted": r["intent"], "raw_intent": r["raw_intent"],
                    "raw_confidence": r["raw_confidence"]} for e, r in zip(test, rows) if r["intent"] != e.intent],
    }
    sub_gold = [gold[i] for i in unseen]
    result["intent_unseen"] = metrics.intent_figures(sub_gold, [rows[i]["intent"] for i in unseen])
    result["intent_unseen"].pop("per_intent")
    return result


def cross_validate(name: str, config: Path, train: List[data.Example], retrain: bool) -> Dict:
    """Stratified k-fold on the training data: per-fold figures and the out-of-fold predictions."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    out_of_fold: List[Dict] = [None] * len(train)  # type: ignore[list-item]
    per_fold, train_seconds = [], []
    labels = [e.intent for e in train]
    for k, (train_idx, test_idx) in enumerate(folds.split(train, labels)):
        fold_file = EVAL / "cv" / name / f"fold{k}-train.yml"
        data.write_nlu_yaml([train[i] for i in train_idx], fold_file, f"fold {k} of {FOLDS}: training part of data/nlu/")
        model = train_quietly(f"cv-{name}-{k}", config, fold_file, retrain)
        train_seconds.append(model.train_seconds)
        rows = parse_rows(models.Parser(model.path), [train[i].text for i in test_idx])
        for i, row in zip(test_idx, rows):
            out_of_fold[i] = row
        gold = [labels[i] for i in test_idx]
        fold = metrics.intent_figures(gold, [r["intent"] for r in rows])
        per_fold.append({"accuracy": fold["accuracy"], "macro_f1": fold["macro_f1"]})
        print(f"[eval]   {name} fold {k}: accuracy {fold['accuracy']:.3f}, macro F1 {fold['macro_f1']:.3f}", flush=True)
    pooled = metrics.intent_figures(labels, [r["intent"] for r in out_of_fold])
    misclassified = [
        {"text": train[i].raw, "intent": labels[i], "predicted": r["intent"], "raw_intent": r["raw_intent"],
         "raw_confidence": r["raw_confidence"]}
        for i, r in enumerate(out_of_fold) if r["intent"] != labels[i]
    ]
    accs, f1s = [f["accuracy"] for f in per_fold], [f["macro_f1"] for f in per_fold]
    raw = metrics.intent_figures(labels, [r["raw_intent"] for r in out_of_fold])
    return {
        "folds": per_fold, "pooled_accuracy_raw": raw["accuracy"], "pooled_macro_f1_raw": raw["macro_f1"],
        "accuracy_mean": round(statistics.mean(accs), 4), "accuracy_std": round(statistics.stdev(accs), 4),
        "macro_f1_mean": round(statistics.mean(f1s), 4), "macro_f1_std": round(statistics.stdev(f1s), 4),
        "train_seconds_mean": round(statistics.mean(train_seconds), 1),
        "pooled_worst": [(n, d) for n, d in metrics.worst_intents(pooled["per_intent"], 5)],
        "misclassified": misclassified,
        "rows": out_of_fold,
    }


def recommend_threshold(cv_rows: List[Dict], cv_gold: List[str], clarify_cost: float = 0.5) -> Dict:
    """The threshold with the lowest cost on cross-validation predictions: a wrong answer costs 1,
    a correct answer turned into "did you mean ...?" costs `clarify_cost`."""
    table = metrics.threshold_table(cv_rows, cv_gold, THRESHOLDS, AMBIGUITY)
    for row in table:
        row["cost"] = round(row["answered_wrong"] + clarify_cost * row["correct_to_clarify"], 1)
    best = min(table, key=lambda r: (r["cost"], -r["threshold"]))
    return {"rule": f"lowest cost on {FOLDS}-fold cross-validation predictions of the training data "
                    f"(wrong answer = 1, needless clarification = {clarify_cost}); ties go to the higher threshold",
            "threshold": best["threshold"], "cv_table": table}


def speech_part(parser: models.Parser, train: List[data.Example], test: List[data.Example], args, timer: Timer,
                background: models.BackgroundTraining) -> Dict:
    """The held-out questions spoken by every voice, recognised, understood; then again with an augmented model.

    The recogniser is the English phone line's: its language models and the augmentation's sentences are the
    English training data only (the NLU model itself is trained on all of it, as the assistant's is)."""
    from pocketsphinx import get_model_path

    from eval import lm

    SPEECH = speech.SPEECH
    SPEECH.mkdir(parents=True, exist_ok=True)
    texts = [e.text for e in test]
    references = [data.spoken_words(t) for t in texts]
    gold = [e.intent for e in test]
    typed_accuracy = metrics.intent_figures(gold, [r["outcome"] for r in parse_rows(parser, texts)])["accuracy"]
    english = data.load_training(ROOT, "en")

    def workers() -> int:
        return 1 if background.running() else args.workers

    # the recognisers: packaged English model, then language models from the training sentences only
    train_sentences = [data.spoken_words(e.text) for e in english]
    dictionary = lm.write_dictionary(Path(get_model_path("en-us/cmudict-en-us.dict")), SPEECH / "dictionary.dict")
    pronounceable = set(lm.read_dictionary(dictionary))
    closed = lm.closed_domain_lm(train_sentences, SPEECH / "domain-closed.arpa")
    closed_description = "3-gram LM from the training sentences only (pocketsphinx.lm.ArpaBoLM) + domain pronunciations"
    recognisers = [(f"{voice.name}, domain-closed", voice, closed_description,
                    speech.Recogniser("domain-closed", closed, dictionary, voice)) for voice in speech.VOICES]
    general_unigrams = lm.general_unigrams(Path(get_model_path("en-us/en-us.lm.bin")), pronounceable)
    open_lm = lm.open_domain_lm(train_sentences, general_unigrams, pronounceable, SPEECH / "domain-open.arpa")
    recognisers.insert(1, ("espeak-ng, domain-open", speech.ESPEAK,
                           "Witten-Bell 2-gram LM from the training sentences, backing off to a 50/50 mix of training "
                           "and general-English unigrams + domain pronunciations",
                           speech.Recogniser("domain-open", open_lm, dictionary)))
    if args.general_recogniser:  # about 1.2 s an utterance on 2 cores, four times the domain models' cost
        recognisers.insert(0, ("espeak-ng, general", speech.ESPEAK,
                               "PocketSphinx en-us as packaged (general English 3-gram LM, CMU dictionary)",
                               speech.Recogniser("general")))
    attempts, transcripts = [], {}
    for name, voice, description, recogniser in recognisers:
        with timer.part(f"speech: recognise held-out ({name})"):
            heard = recogniser.transcribe(texts, workers())
        hypotheses = [heard[t] for t in texts]
        transcripts[name] = hypotheses
        rows = parse_rows(parser, hypotheses)
        figures = metrics.intent_figures(gold, [r["outcome"] for r in rows])
        attempts.append({
            "name": name, "voice": voice.name, "recogniser": description, "nlu_model": "ours",
            "wer": speech.word_error_rate(references, [h.split() for h in hypotheses]),
            "accuracy": figures["accuracy"], "macro_f1": figures["macro_f1"],
            "accuracy_raw": metrics.intent_figures(gold, [r["raw_intent"] for r in rows])["accuracy"],
            "empty_transcripts": sum(not h.strip() for h in hypotheses), "decoded_now": recogniser.decoded,
            "decode_cost": recogniser.costs(),
            "safety_screen": safety_screen_catches(hypotheses, gold),
        })
        print(f"[eval]   {name}: WER {attempts[-1]['wer']:.3f}, intent accuracy {figures['accuracy']:.3f}", flush=True)
        if name == "espeak-ng, domain-closed":
            closed_rows = rows

    # augmentation: recogniser transcripts of some training sentences of every intent, spoken by every voice and
    # added as training examples. Each third is heard through a domain model built without that third, so no
    # sentence is recognised by a language model that learned it.
    by_intent: Dict[str, List[data.Example]] = {}
    for example in english:
        by_intent.setdefault(example.intent, []).append(example)
    chosen = [e for examples in by_intent.values()
              for e in examples[::max(1, len(examples) // AUGMENT_PER_INTENT)][:AUGMENT_PER_INTENT]]
    heard_fold: Dict[str, Dict[str, str]] = {voice.name: {} for voice in speech.VOICES}
    with timer.part(f"speech: recognise {len(chosen)} training sentences in {len(speech.VOICES)} voices for "
                    f"augmentation ({AUGMENT_FOLDS} domain folds)"):
        for fold in range(AUGMENT_FOLDS):
            held = {e.text for e in chosen[fold::AUGMENT_FOLDS]}
            others = [data.spoken_words(e.text) for e in english if e.text not in held]
            fold_lm = lm.closed_domain_lm(others, SPEECH / f"domain-closed-fold{fold}.arpa")
            for voice in speech.VOICES:
                heard_fold[voice.name].update(
                    speech.Recogniser(f"domain-fold{fold}", fold_lm, dictionary, voice).transcribe(sorted(held), workers()))
    extra, added = [], set()
    for voice in speech.VOICES:
        for example in chosen:
            transcript = heard_fold[voice.name][example.text].strip()
            key = (example.intent, data.normalise(transcript))
            if transcript and data.normalise(transcript) != data.normalise(example.text) and key not in added:
                added.add(key)
                extra.append(data.Example(example.intent, transcript, transcript, ()))
    augmented_file = EVAL / "augmented" / "nlu-augmented.yml"
    data.write_nlu_yaml(list(train) + extra, augmented_file,
                        "data/nlu/ plus PocketSphinx transcripts (a domain LM without the sentence's fold) of "
                        "English training sentences of every intent, in every voice")
    with timer.part("speech: train ours on augmented data"):
        augmented = train_quietly("ours-augmented", OURS, augmented_file, args.retrain)
    augmented_parser = models.Parser(augmented.path)
    augmented_typed = metrics.intent_figures(gold, [r["outcome"] for r in parse_rows(augmented_parser, texts)])
    for name, voice, description, _ in recognisers:
        rows = parse_rows(augmented_parser, transcripts[name])
        figures = metrics.intent_figures(gold, [r["outcome"] for r in rows])
        base = next(a for a in attempts if a["name"] == name)
        attempts.append({
            "name": f"{name} + augmented NLU", "voice": voice.name, "recogniser": description,
            "nlu_model": f"ours trained on data/nlu/ + {len(extra)} recogniser transcripts of training sentences",
            "wer": base["wer"], "accuracy": figures["accuracy"], "macro_f1": figures["macro_f1"],
            "accuracy_raw": metrics.intent_figures(gold, [r["raw_intent"] for r in rows])["accuracy"],
            "empty_transcripts": base["empty_transcripts"],
        })
    # examples from the training sentences: the held-out questions' texts stay out of the report
    step = max(1, len(chosen) // 10)
    examples = [{"text": e.text, "intent": e.intent, **{v.name: heard_fold[v.name][e.text] for v in speech.VOICES}}
                for e in chosen[::step][:10]]
    return {
        "questions": len(texts),
        "typed_accuracy": typed_accuracy,
        "typed_safety_screen": safety_screen_catches(texts, gold),
        "attempts": attempts,
        "voices": [{"name": v.name, "description": v.description, "synthesis": v.synthesis()} for v in speech.VOICES],
        "augmentation": {"transcripts_added": len(extra), "sentences_recognised": len(chosen),
                         "voices": len(speech.VOICES),
                         "typed_accuracy_augmented_model": augmented_typed["accuracy"],
                         "typed_macro_f1_augmented_model": augmented_typed["macro_f1"],
                         "train_seconds": round(augmented.train_seconds, 1)},
        "examples": examples,
        "domain_closed_threshold_table": metrics.threshold_table(closed_rows, gold, THRESHOLDS, AMBIGUITY),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--retrain", action="store_true", help="train every model again, ignoring build/eval/models")
    parser.add_argument("--no-speech", action="store_true", help="skip the spoken-robustness part")
    parser.add_argument("--default-cv", action="store_true", help="cross-validate the default pipeline whatever it costs")
    parser.add_argument("--candidates", nargs="*", type=Path, default=None,
                        help="also cross-validate and evaluate candidate configs (copies, never config.yml); "
                             "without file names, the set written by scripts/eval/candidates.py")
    parser.add_argument("--workers", type=int, default=2, help="speech recognition worker processes (2 cores)")
    parser.add_argument("--general-recogniser", action="store_true",
                        help="also recognise with PocketSphinx's general English model (slow)")
    args = parser.parse_args()
    # library warnings go to build/eval/logs/stderr.log; a failure is still shown on the terminal
    warnings.filterwarnings("ignore")
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / "stderr.log").open("w") as log, contextlib.redirect_stderr(log):
        try:
            return run(args)
        except BaseException:
            import traceback

            traceback.print_exc(file=sys.__stderr__)
            return 1


def run(args: argparse.Namespace) -> int:
    os.chdir(ROOT)
    started, timer = time.monotonic(), Timer()
    import evaluate_independent

    evaluate_independent.merged_training()
    from companion.terms import load_terms

    canonical = load_terms().canonical
    train, test = data.load_examples(TRAIN_DATA), data.load_examples(TEST_DATA)
    seen = {data.normalise(e.text) for e in train}
    unseen = [i for i, e in enumerate(test) if data.normalise(e.text) not in seen]
    result: Dict = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "data_fingerprint": hashlib.sha256(TRAIN_DATA.read_bytes() + TEST_DATA.read_bytes()).hexdigest()[:12],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": {
            "train_examples": len(train), "train_intents": len({e.intent for e in train}),
            "test_examples": len(test), "test_intents": len({e.intent for e in test}),
            "test_in_training": len(test) - len(unseen), "test_unseen": len(unseen),
            "test_near_duplicates": len(data.near_duplicates(test, train)),
            "train_entities": sum(len(e.entities) for e in train), "test_entities": sum(len(e.entities) for e in test),
            "test_overlap_examples": [test[i].raw for i in range(len(test)) if i not in set(unseen)],
        },
        "commands": [],
    }
    import rasa

    result["versions"] = {"rasa": rasa.__version__}

    # 1. train: the default pipeline (slow DIET) in the background with one TensorFlow thread, ours here
    with timer.part("train"):
        background = models.BackgroundTraining("default", DEFAULT, TRAIN_DATA, LOGS / "train-default.log", args.retrain)
        ours = train_quietly("ours", OURS, TRAIN_DATA, args.retrain)
    result["commands"].append(f"rasa train nlu --config config.yml --nlu data/nlu --out {models.MODELS.relative_to(ROOT)}")
    result["commands"].append(f"rasa train nlu --config config.default.yml --nlu data/nlu --out {models.MODELS.relative_to(ROOT)}")

    # 2. held-out evaluation of ours
    with timer.part("evaluate ours on held-out"):
        ours_parser = models.Parser(ours.path)
        parse_started = time.monotonic()
        ours_rows = parse_rows(ours_parser, [e.text for e in test])
        ours_parse_ms = 1000 * (time.monotonic() - parse_started) / len(test)
        result["ours"] = held_out_figures(ours_rows, test, unseen, canonical)
        result["ours"].update(train_seconds=round(ours.train_seconds, 1), model_cached=ours.cached,
                              parse_ms=round(ours_parse_ms, 1), config="config.yml")

    # 3. cross-validation of ours
    with timer.part(f"cross-validate ours ({FOLDS} folds)"):
        result["cv_ours"] = cross_validate("ours", OURS, train, args.retrain)
        missed = [m for m in result["cv_ours"]["misclassified"] if m["intent"] in SAFETY_INTENTS]
        result["cv_ours"]["safety_missed_screen"] = safety_screen_catches(
            [data.parse_markup(m["text"])[0] for m in missed], [m["intent"] for m in missed])

    # 4. fallback threshold
    with timer.part("fallback threshold"):
        cv_gold = [e.intent for e in train]
        recommendation = recommend_threshold(result["cv_ours"]["rows"], cv_gold)
        ood_rows = parse_rows(ours_parser, OUT_OF_DOMAIN)
        held_out_table = metrics.threshold_table(ours_rows, [e.intent for e in test], THRESHOLDS, AMBIGUITY)
        for row in held_out_table:
            row["out_of_domain_caught"] = metrics.out_of_domain_rate(ood_rows, row["threshold"], AMBIGUITY)
        result["threshold"] = {
            **recommendation, "ambiguity_threshold": AMBIGUITY, "held_out_table": held_out_table,
            "out_of_domain": [{"text": r["text"], "intent": r["intent"], "raw_intent": r["raw_intent"],
                               "raw_confidence": r["raw_confidence"]} for r in ood_rows],
            "out_of_domain_caught_now": metrics.out_of_domain_rate(ood_rows, 0.3, AMBIGUITY),
        }

    # 5. spoken robustness (the default model keeps training meanwhile)
    missing = [tool for tool in ("espeak-ng", "flite", "sox") if shutil.which(tool) is None]
    if missing and not args.no_speech:
        print(f"[eval] spoken robustness skipped: {', '.join(missing)} not installed (make system-packages)", flush=True)
    elif not args.no_speech:
        with timer.part("spoken robustness"):
            spoken_test = evaluate_independent.spoken_chain_questions(train)
            result["speech"] = speech_part(ours_parser, train, spoken_test, args, timer, background)
        result["commands"].extend(v["synthesis"] + "; pocketsphinx.Decoder(lm=..., dict=...).process_raw(...)"
                                  for v in result["speech"]["voices"])

    # 5b. the independent sets: ours and the logistic-regression choice now, the default below
    independent_results: dict = {}
    with timer.part("independent sets: ours and the logistic regression"):
        evaluate_independent.evaluate_sets("ours (config.yml)", ours_parser, independent_results, ours.train_seconds)
        lr = train_quietly("logistic-regression", evaluate_independent.lr_config(), TRAIN_DATA, args.retrain)
        evaluate_independent.evaluate_sets("logistic regression C=20", models.Parser(lr.path), independent_results,
                                           lr.train_seconds)
    with timer.part("independent conversations over REST"):
        independent_results["conversations"] = evaluate_independent.play_conversations()

    # 6. the default pipeline
    with timer.part("default pipeline: finish training and evaluate"):
        default = background.wait()
        default_parser = models.Parser(default.path)
        parse_started = time.monotonic()
        default_rows = parse_rows(default_parser, [e.text for e in test])
        default_parse_ms = 1000 * (time.monotonic() - parse_started) / len(test)
        result["default"] = held_out_figures(default_rows, test, unseen, canonical)
        result["default"].update(train_seconds=round(default.train_seconds, 1), model_cached=default.cached,
                                 parse_ms=round(default_parse_ms, 1), config="config.default.yml")
        default_ood = parse_rows(default_parser, OUT_OF_DOMAIN)
        result["default"]["out_of_domain_caught"] = metrics.out_of_domain_rate(default_ood, 0.3, AMBIGUITY)
        evaluate_independent.evaluate_sets("Rasa default (DIET)", default_parser, independent_results,
                                           default.train_seconds)
    evaluate_independent.write(independent_results)
    result["independent"] = evaluate_independent.without_held_out_texts(
        independent_results, {name: shown for name, _, _, shown in evaluate_independent.QUESTION_SETS})

    estimate = FOLDS * result["default"]["train_seconds"] * (FOLDS - 1) / FOLDS
    result["cv_default"] = {"estimated_seconds": round(estimate), "budget_seconds": DEFAULT_CV_BUDGET_S}
    if args.default_cv or estimate <= DEFAULT_CV_BUDGET_S:
        with timer.part(f"cross-validate default ({FOLDS} folds)"):
            result["cv_default"].update(cross_validate("default", DEFAULT, train, args.retrain))
    else:
        result["cv_default"]["skipped"] = (
            f"not run: {FOLDS} folds of the default pipeline would take about {estimate / 60:.0f} min "
            f"(one full training took {result['default']['train_seconds'] / 60:.1f} min); "
            f"run `scripts/evaluate_nlu.py --default-cv` to include it"
        )

    # optional: candidate pipelines (copies of config.yml), cross-validated and evaluated on held-out
    if args.candidates is not None:
        from scripts.eval.candidates import write_candidates

        cv = result["cv_ours"]
        result["candidates"] = [{
            "config": "config.yml (ours, as is)", "train_seconds": result["ours"]["train_seconds"],
            "recommended_threshold": result["threshold"]["threshold"],
            "out_of_domain_caught": next(r["out_of_domain_caught"] for r in result["threshold"]["held_out_table"]
                                         if r["threshold"] == result["threshold"]["threshold"]),
            "cv_accuracy_raw": cv["pooled_accuracy_raw"],
            "cv_accuracy": cv["accuracy_mean"], "cv_accuracy_std": cv["accuracy_std"],
            "cv_macro_f1": cv["macro_f1_mean"], "cv_macro_f1_std": cv["macro_f1_std"],
            "accuracy": result["ours"]["intent"]["accuracy"], "macro_f1": result["ours"]["intent"]["macro_f1"],
            "accuracy_unseen": result["ours"]["intent_unseen"]["accuracy"], "entity_f1": result["ours"]["entities"]["f1"],
        }]
        for config in args.candidates or write_candidates(OURS):
            with timer.part(f"candidate {config.name}"):
                model = train_quietly(f"candidate-{config.stem}", config, TRAIN_DATA, args.retrain)
                rows = parse_rows(models.Parser(model.path), [e.text for e in test])
                cv = cross_validate(f"candidate-{config.stem}", config, train, args.retrain)
                figures = held_out_figures(rows, test, unseen, canonical)
                threshold = recommend_threshold(cv["rows"], cv_gold)["threshold"]
                candidate_ood = parse_rows(models.Parser(model.path), OUT_OF_DOMAIN)
                result["candidates"].append({
                    "recommended_threshold": threshold,
                    "out_of_domain_caught": metrics.out_of_domain_rate(candidate_ood, threshold, AMBIGUITY),
                    "cv_accuracy_raw": cv["pooled_accuracy_raw"],
                    "config": str(config.relative_to(ROOT) if config.is_absolute() else config), "train_seconds": round(model.train_seconds, 1),
                    "cv_accuracy": cv["accuracy_mean"], "cv_accuracy_std": cv["accuracy_std"],
                    "cv_macro_f1": cv["macro_f1_mean"], "cv_macro_f1_std": cv["macro_f1_std"],
                    "accuracy": figures["intent"]["accuracy"], "macro_f1": figures["intent"]["macro_f1"],
                    "accuracy_unseen": figures["intent_unseen"]["accuracy"], "entity_f1": figures["entities"]["f1"],
                })
        (EVAL / "candidates.json").write_text(json.dumps(
            {"date": result["date"], "data": result["data_fingerprint"], "candidates": result["candidates"]}, indent=1))
    elif (EVAL / "candidates.json").exists():
        result["candidates_previous_run"] = json.loads((EVAL / "candidates.json").read_text())

    result["timings_seconds"] = dict(timer.parts, total=round(time.monotonic() - started, 1))
    result["commands"] = ["make eval   # = PYTHONPATH=. .venv/bin/python scripts/evaluate_nlu.py"] + result["commands"]
    report.write(result, REPORT_MD, REPORT_JSON)
    print(report.summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
