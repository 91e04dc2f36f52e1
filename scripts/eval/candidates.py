"""Candidate pipelines for `scripts/evaluate_nlu.py --candidates`: copies of config.yml with one change each.

Candidates that tune `C` use companion.nlu.logistic_regression.LogisticRegressionWithC
(Rasa's own classifier ignores `C`). The candidate configs are written to
build/eval/candidates/, never over config.yml.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "eval" / "candidates"
WITH_C = "companion.nlu.logistic_regression.LogisticRegressionWithC"


def _replace(pipeline: List[Dict], name: str, new: List[Dict]) -> List[Dict]:
    i = next(i for i, c in enumerate(pipeline) if c["name"] == name)
    return pipeline[:i] + new + pipeline[i + 1:]


def write_candidates(base: Path) -> List[Path]:
    """The handful of candidates: (name, change to config.yml's pipeline)."""
    config = yaml.safe_load(base.read_text(encoding="utf-8"))
    pipeline = config["pipeline"]
    lr = next(c for c in pipeline if c["name"] == "LogisticRegressionClassifier")
    variants = {
        # what config.yml asks for: C = 20 actually applied
        "lr-c20": _replace(pipeline, "LogisticRegressionClassifier", [{**lr, "name": WITH_C}]),
        "lr-c5": _replace(pipeline, "LogisticRegressionClassifier", [{**lr, "name": WITH_C, "C": 5}]),
        # word bigrams as well as words, with C = 20
        "lr-c20-word-bigrams": _replace(
            _replace(pipeline, "LogisticRegressionClassifier", [{**lr, "name": WITH_C}]),
            "CountVectorsFeaturizer", [{"name": "CountVectorsFeaturizer", "min_ngram": 1, "max_ngram": 2}],
        ),
        # a small DIET instead of logistic regression: no transformer, intents only, few epochs
        "diet-small": _replace(pipeline, "LogisticRegressionClassifier", [{
            "name": "DIETClassifier", "epochs": 40, "number_of_transformer_layers": 0, "entity_recognition": False,
            "constrain_similarities": True, "random_seed": 42,
        }]),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, new_pipeline in variants.items():
        candidate = copy.deepcopy(config)
        candidate["pipeline"] = new_pipeline
        path = OUT / f"config.{name}.yml"
        path.write_text(f"# candidate: config.yml with one change ({name}); written by scripts/eval/candidates.py\n"
                        + yaml.safe_dump(candidate, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths
