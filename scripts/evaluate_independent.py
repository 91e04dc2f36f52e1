"""`make eval-independent`: the independent sets alone (reports/nlu-independent.md), for quick runs.

Two question sets, both written from the answer titles alone by writers who
never saw the training data, and never trained on:

- the held-out set (tests/eval/heldout_questions.yml): only its figures and
  per-intent confusion counts are reported, never its texts, so nobody tunes
  against it by reading its errors;
- the development set (tests/eval/dev_questions.yml): its errors are listed and
  read to find weaknesses, so its figures are optimistic.

The conversation sets beside them are played over REST against our model
(scripts/eval/conversations.py). `make eval` runs the same evaluation as one of
its parts, together with the default pipeline. Here it compares our pipeline
with one model choice: the same pipeline with a calibrated logistic regression
(C = 20) instead of the linear support vector classifier.

    PYTHONPATH=. .venv/bin/python scripts/evaluate_independent.py [--retrain]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from eval import conversations, data, independent, models  # noqa: E402

SETS = ROOT / "tests" / "eval"
# name, questions, conversations, whether the report lists its errors
QUESTION_SETS = [
    ("held-out", SETS / "heldout_questions.yml", SETS / "heldout_conversations.yml", False),
    ("development", SETS / "dev_questions.yml", SETS / "dev_conversations.yml", True),
    ("second development", SETS / "dev2_questions.yml", None, True),
    ("safety development", SETS / "safety_dev_questions.yml", None, True),
    # written in Spanish from the answer titles and label descriptions only, like the English held-out set
    ("Spanish held-out", SETS / "es_heldout_questions.yml", None, False),
    ("Spanish held-out conversation turns", SETS / "es_heldout_conversations.yml", None, False),
    ("Spanish development", SETS / "es_dev_questions.yml", None, True),
]
REPORT_MD, REPORT_JSON = ROOT / "reports" / "nlu-independent.md", ROOT / "reports" / "nlu-independent.json"
EVAL = ROOT / "build" / "eval"
DESCRIPTION = (
    "Both question sets were written for this evaluation by writers who were given only the answer titles, the labels "
    "and what each label means, and never saw the training data or the content. Neither is trained on "
    "(`tests/test_nlu_data.py` checks that no scored example is also a training example). "
    "**The held-out set** (`tests/eval/heldout_questions.yml`) is the measurement: this report gives its figures and "
    "per-intent confusion counts but never its texts, so nobody tunes against it by reading its errors. "
    "**The development set** (`tests/eval/dev_questions.yml`) was written first; its errors, listed below, were read "
    "to find weaknesses, so its figures are optimistic. "
    "**The second development set** (`tests/eval/dev2_questions.yml`, written the same way later) stresses messy "
    "typing, long messages and indirect phrasings; its errors are read too. "
    "**The safety development set** (`tests/eval/safety_dev_questions.yml`, written the same way) probes figurative "
    "worry and indirect crisis statements; its errors are read too. "
    "**The Spanish held-out set** (`tests/eval/es_heldout_questions.yml`, 546 questions) and **its conversations** "
    "(`tests/eval/es_heldout_conversations.yml`, 20 conversations, each turn scored by its label) were written in "
    "Spanish the same way, from the answer titles and label descriptions only; like the English held-out set, only "
    "their figures are reported. **The Spanish development set** (`tests/eval/es_dev_questions.yml`, 402 questions, "
    "written later from the label list only) is read for its errors. "
    "`make eval-languages` compares one bilingual model with one model per language "
    "(reports/nlu-languages.md)."
)
SET_DESCRIPTIONS = {
    "held-out": "Held-out conversations (`tests/eval/heldout_conversations.yml`, written from the answer titles only; "
                "misses are not listed).",
    "development": "Development conversations (`tests/eval/dev_conversations.yml`, written from the answer titles only, "
                   "read to find weaknesses).",
}


def merged_training() -> Path:
    path = EVAL / "train-all.yml"
    data.write_nlu_yaml(data.load_training(ROOT), path, "all NLU training data: data/nlu/*.yml")
    return path


def lr_config() -> Path:
    """config.yml with the calibrated logistic regression (C = 20) in place of the linear SVC."""
    text = (ROOT / "config.yml").read_text()
    text = text.replace("companion.nlu.linear_svm.CalibratedLinearSVC\n    C: 0.3",
                        "companion.nlu.logistic_regression.LogisticRegressionWithC\n    max_iter: 300\n    C: 20")
    path = EVAL / "config-logistic-regression.yml"
    path.write_text(text)
    return path


def spoken_chain_questions(training) -> list:
    """The held-out set's questions with an intent (not noise, out of scope or figurative worry), unseen in training,
    as examples for the spoken chain: synthesised, recognised, then understood."""
    name, questions, _, _ = QUESTION_SETS[0]
    examples, _ = data.split_unseen(data.load_labelled(questions), training)
    return [data.Example(e.label, e.text, e.text, ()) for e in examples
            if e.label not in ("noise", "out_of_scope", "worry")]


def available_sets():
    return [(name, questions, talks, listed) for name, questions, talks, listed in QUESTION_SETS if questions.exists()]


def evaluate_sets(name: str, parser: "models.Parser", results: dict, train_seconds: float = 0.0) -> None:
    """Scores one model on every question set, into results[set][model]."""
    training = data.load_training(ROOT)
    for set_name, questions, _, _ in available_sets():
        examples, shared = data.split_unseen(data.load_labelled(questions), training)
        result = independent.evaluate(examples, parser.parse([e.text for e in examples]))
        result.update(train_seconds=round(train_seconds, 1), left_out_as_training_examples=len(shared))
        results.setdefault(set_name, {})[name] = result


def full_model() -> Path:
    """The assistant's model (NLU and dialogue) from config.yml, trained into build/eval/full/ when anything changed."""
    import subprocess

    from scripts.processes import RASA, rasa_env

    out = EVAL / "full"
    subprocess.run([RASA, "train", "--out", str(out), "--fixed-model-name", "callback-companion", "--quiet"],
                   cwd=ROOT, env=rasa_env(), check=True, stdout=subprocess.DEVNULL)
    return out / "callback-companion.tar.gz"


def play_conversations() -> dict:
    """Every conversation set played over REST against the assistant, with its own action server."""
    from bench.servers import Servers

    model = full_model()
    workdir = EVAL / "conversations"
    workdir.mkdir(parents=True, exist_ok=True)
    servers = Servers(workdir, model)
    try:
        servers.wait_ready()
        return {name: conversations.play(servers.url, conversations.load(talks))
                for name, _, talks, _ in available_sets() if talks and talks.exists()}
    finally:
        servers.stop()


def run(choices, retrain: bool = False) -> dict:
    training = merged_training()
    results: dict = {}
    for position, (name, config) in enumerate(choices):
        model = models.train(name, config, training, retrain)
        evaluate_sets(name, models.Parser(model.path), results, model.train_seconds)
        if position == 0:
            results["conversations"] = play_conversations()
    return results


def write(results: dict) -> None:
    listed = {name: shown for name, _, _, shown in QUESTION_SETS}
    parts = [independent.markdown(results[name], name, listed[name]) for name, *_ in available_sets()]
    talks = conversations.markdown(results.get("conversations") or {}, SET_DESCRIPTIONS, listed)
    REPORT_MD.write_text("# Independent evaluation — Callback Companion\n\n" + DESCRIPTION + "\n\n"
                         + "\n".join(parts) + "\n" + talks)
    REPORT_JSON.write_text(json.dumps(without_held_out_texts(results, listed), indent=1))


def without_held_out_texts(results: dict, listed: dict) -> dict:
    """The results with the held-out set's example texts taken out (counts stay)."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("text", "left_out")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return {name: (strip(r) if name in listed and not listed[name] else r) for name, r in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--retrain", action="store_true")
    parser.add_argument("--ours-only", action="store_true")
    args = parser.parse_args()
    EVAL.mkdir(parents=True, exist_ok=True)
    choices = [("ours (config.yml)", ROOT / "config.yml")]
    if not args.ours_only:
        choices.append(("logistic regression C=20", lr_config()))
    results = run(choices, args.retrain)
    write(results)
    for set_name, name, r in ((s, n, r) for s, by_model in results.items() if s != "conversations"
                              for n, r in by_model.items()):
        print(f"{set_name}, {name}: in-domain {r['in_domain']['accuracy']:.3f}, macro F1 {r['in_domain']['macro_f1']:.3f}, "
              f"OOD wrong-confident {r['out_of_domain']['wrong_confident_rate']:.3f}, "
              f"safety caught {sum(s['caught'] for s in r['safety'].values())}/{sum(s['n'] for s in r['safety'].values())}, "
              f"worry false alarms {r['worry']['false_alarms']}/{r['worry']['n']}, noise ok {r['noise']['not_understood']}/{r['noise']['n']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
