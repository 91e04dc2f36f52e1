"""`make eval-independent`: the independent set alone (reports/nlu-independent.md), for quick runs.

`make eval` runs the same evaluation as one of its parts, together with the
default pipeline. Here it compares our pipeline with one model choice:
the same pipeline with a calibrated logistic regression (C = 20) instead of the
linear support vector classifier.

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

from eval import data, independent, models  # noqa: E402

SET = ROOT / "tests" / "eval" / "independent_questions.yml"
REPORT_MD, REPORT_JSON = ROOT / "reports" / "nlu-independent.md", ROOT / "reports" / "nlu-independent.json"
EVAL = ROOT / "build" / "eval"
DESCRIPTION = (
    "The set (`tests/eval/independent_questions.yml`) was written for this evaluation by a writer who was given only "
    "the answer titles, the labels and what each label means, and never saw the training data or the content. It is "
    "kept out of training (`tests/test_nlu_data.py` checks that no example is also a training example)."
)


def merged_training() -> Path:
    path = EVAL / "train-all.yml"
    data.write_nlu_yaml(data.load_training(ROOT), path, "all NLU training data: data/nlu.yml and data/nlu/*.yml")
    return path


def lr_config() -> Path:
    """config.yml with the calibrated logistic regression (C = 20) in place of the linear SVC."""
    text = (ROOT / "config.yml").read_text()
    text = text.replace("companion.nlu.linear_svm.CalibratedLinearSVC\n    C: 0.3",
                        "companion.nlu.logistic_regression.LogisticRegressionWithC\n    max_iter: 300\n    C: 20")
    path = EVAL / "config-logistic-regression.yml"
    path.write_text(text)
    return path


def run(choices, retrain: bool = False) -> dict:
    examples, shared = data.split_unseen(data.load_labelled(SET), data.load_training(ROOT))
    training = merged_training()
    results = {}
    for name, config in choices:
        model = models.train(name, config, training, retrain)
        parses = models.Parser(model.path).parse([e.text for e in examples])
        results[name] = independent.evaluate(examples, parses)
        results[name].update(train_seconds=round(model.train_seconds, 1), left_out_as_training_examples=len(shared),
                             left_out=[e.text for e in shared])
    return results


def write(results: dict) -> None:
    REPORT_MD.write_text(independent.markdown(results, DESCRIPTION))
    REPORT_JSON.write_text(json.dumps(results, indent=1))


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
    for name, r in results.items():
        print(f"{name}: in-domain {r['in_domain']['accuracy']:.3f}, macro F1 {r['in_domain']['macro_f1']:.3f}, "
              f"OOD wrong-confident {r['out_of_domain']['wrong_confident_rate']:.3f}, "
              f"safety caught {sum(s['caught'] for s in r['safety'].values())}/{sum(s['n'] for s in r['safety'].values())}, "
              f"worry false alarms {r['worry']['false_alarms']}/{r['worry']['n']}, noise ok {r['noise']['not_understood']}/{r['noise']['n']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
