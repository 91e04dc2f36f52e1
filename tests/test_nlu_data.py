"""The NLU training and held-out data keep their rules (fast: no training).

- no held-out set (tests/nlu_test.yml, and the independent sets in tests/eval/)
  shares a scored example with the training data (data/nlu/);
- every content intent has enough training examples, and enough examples in
  each independent set, half of them written as a speech recogniser would give them;
- training, held-out set and domain agree on the intents;
- every entity annotation is a phrase from content/terms.yml, the one place for terms.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest
import yaml

from actions.phone_call import CALL_EVENTS

from companion import PROJECT_ROOT
from companion.content import REQUIRED_ANSWER_IDS
from companion.terms import BIRADS, load_terms
from scripts.eval.data import is_spoken_style, load_examples, load_labelled, load_training, normalise, split_unseen

TRAIN = load_training(PROJECT_ROOT)
TEST = load_examples(PROJECT_ROOT / "tests" / "nlu_test.yml")
EVAL_SETS = {name: load_labelled(PROJECT_ROOT / "tests" / "eval" / f"{name}_questions.yml") for name in ("dev", "heldout")}
PROBES = yaml.safe_load((PROJECT_ROOT / "tests" / "topic_probes.yml").read_text(encoding="utf-8"))["probes"]
CONVERSATION_SETS = {name: yaml.safe_load((PROJECT_ROOT / "tests" / "eval" / f"{name}_conversations.yml").read_text())
                     ["conversations"] for name in ("dev", "heldout")}
NOISE = yaml.safe_load((PROJECT_ROOT / "tests" / "noise_inputs.yml").read_text(encoding="utf-8"))["noise"]
EVAL_ONLY_LABELS = {"worry"}  # figurative worry: what matters is that it raises no alarm
# a key press, silence and the end of a transfer are sent by the phone line, never said or typed
DOMAIN_INTENTS = [i for i in yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]
                  if i not in CALL_EVENTS]
CONTENT_INTENTS = [i for i in DOMAIN_INTENTS if i.startswith("ask_")]
MIN_TRAIN, MIN_TEST = 25, 4  # tests/nlu_test.yml had 10 or more each until the newer answers took some
ORIGINAL_INTENTS = {f"ask_{answer_id}" for answer_id in REQUIRED_ANSWER_IDS}


def by_intent(examples):
    grouped = defaultdict(list)
    for example in examples:
        grouped[example.intent].append(example)
    return grouped


def test_files_parse_into_examples():
    assert len(TRAIN) > 0 and len(TEST) > 0
    assert CONTENT_INTENTS


def test_held_out_set_shares_no_example_with_training_data():
    training = defaultdict(list)
    for example in TRAIN:
        training[normalise(example.text)].append(example)
    shared = [
        f"{e.intent}: {e.raw!r} (training: {training[normalise(e.text)][0].raw!r})"
        for e in TEST
        if normalise(e.text) in training
    ]
    assert not shared, f"{len(shared)} held-out examples are also training examples:\n" + "\n".join(shared)


@pytest.mark.parametrize("name", EVAL_SETS)
def test_the_independent_evaluation_scores_only_examples_that_are_not_training_examples(name):
    # Written without seeing the training data, a set still says some common questions the same way
    # ("what is architectural distortion"); those are reported and left out of the figures.
    examples = EVAL_SETS[name]
    scored, shared = split_unseen(examples, TRAIN)
    training = {normalise(e.text) for e in TRAIN}
    assert all(normalise(e.text) not in training for e in scored)
    assert all(normalise(e.text) in training for e in shared)
    assert len(scored) >= 600 and len(shared) < 0.2 * len(examples)
    assert sum(e.style == "spoken" for e in scored) >= 150
    assert sum(e.label == "out_of_scope" for e in examples) >= 100
    assert sum(e.label == "out_of_scope" for e in scored) >= 80
    safety = {"crisis", "emergency", "disclosure_assault", "disclosure_abuse", "disclosure_depression", "worry"}
    assert sum(e.label in safety for e in scored) >= 150


def test_the_safety_development_set_is_not_trained_on():
    examples = load_labelled(PROJECT_ROOT / "tests" / "eval" / "safety_dev_questions.yml")
    scored, shared = split_unseen(examples, TRAIN)
    assert len(scored) >= 300 and len(shared) < 0.05 * len(examples)


@pytest.mark.parametrize("name", CONVERSATION_SETS)
def test_conversation_sets_expect_curated_answers(name):
    answers = {intent[len("ask_"):] for intent in CONTENT_INTENTS}
    turns = [t for c in CONVERSATION_SETS[name] for t in c["turns"]]
    assert len(CONVERSATION_SETS[name]) >= 50
    assert [t["expect"] for t in turns if t["expect"] not in answers] == []


def test_topic_probes_are_not_training_examples():
    training = {normalise(e.text) for e in TRAIN}
    assert [p["text"] for p in PROBES if normalise(p["text"]) in training] == []


@pytest.mark.parametrize("name", EVAL_SETS)
def test_independent_set_covers_every_intent_in_both_styles(name):
    examples_of_set = EVAL_SETS[name]
    labels = {e.label for e in examples_of_set} | ({"express_worry"} if "worry" in {e.label for e in examples_of_set} else set())
    assert set(DOMAIN_INTENTS) - labels == set()
    assert labels - set(DOMAIN_INTENTS) <= EVAL_ONLY_LABELS
    for intent in CONTENT_INTENTS:
        examples = [e for e in examples_of_set if e.label == intent]
        assert len(examples) >= 8 and 2 * sum(e.style == "spoken" for e in examples) >= len(examples), intent


def test_held_out_set_has_no_duplicates():
    counts = Counter(normalise(e.text) for e in TEST)
    assert [t for t, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("intent", CONTENT_INTENTS)
def test_content_intent_has_enough_examples(intent):
    train, test = by_intent(TRAIN)[intent], by_intent(TEST)[intent]
    assert len(train) >= MIN_TRAIN, f"{intent}: {len(train)} training examples (need {MIN_TRAIN})"
    if intent in ORIGINAL_INTENTS:  # tests/nlu_test.yml predates the newer answers; the independent set covers every one
        assert len(test) >= MIN_TEST, f"{intent}: {len(test)} held-out examples (need {MIN_TEST})"
        spoken = [e for e in test if is_spoken_style(e.raw)]
        assert 5 * len(spoken) >= 2 * len(test), f"{intent}: {len(spoken)} of {len(test)} held-out examples are spoken-style"


def test_every_domain_intent_has_training_examples():
    trained = set(by_intent(TRAIN))
    assert [i for i in DOMAIN_INTENTS if i not in trained] == []


def test_training_and_held_out_intents_are_in_the_domain():
    assert sorted({e.intent for e in TRAIN} - set(DOMAIN_INTENTS)) == []
    assert sorted({e.intent for e in TEST} - set(DOMAIN_INTENTS)) == []


def _known_phrase(entity: str, surface: str) -> bool:
    terms = load_terms()
    spoken = " ".join(surface.lower().split())
    if entity == BIRADS:
        numbers = [w for words in terms.birads_numbers.values() for w in words]
        return any(re.fullmatch(re.escape(m) + r"\s*" + "(" + "|".join(map(re.escape, numbers)) + ")", spoken)
                   for m in terms.birads_markers)
    return spoken in {variant for variants in terms.phrases.get(entity, {}).values() for variant in variants}


@pytest.mark.parametrize("source,examples", [("data/", TRAIN), ("tests/nlu_test.yml", TEST)])
def test_entity_annotations_are_phrases_from_the_term_lists(source, examples):
    unknown = [
        f"{e.raw!r}: [{surface}]({entity})"
        for e in examples
        for entity, _, _, surface in e.entities
        if not _known_phrase(entity, surface)
    ]
    assert not unknown, f"{source}: annotations not in content/terms.yml:\n" + "\n".join(unknown)


def test_the_spanish_held_out_sets_are_kept_out_of_training():
    sets = PROJECT_ROOT / "tests" / "eval"
    questions = load_labelled(sets / "es_heldout_questions.yml")
    turns = load_labelled(sets / "es_heldout_conversations.yml")
    scored, shared = split_unseen(questions + turns, TRAIN)
    assert len(questions) >= 200 and len(turns) >= 50
    # a few words anyone says ("menu", "ok") are English training examples too: left out of the figures
    assert len(shared) < 0.05 * len(questions + turns)
    spanish = {normalise(e.text) for e in load_training(PROJECT_ROOT, "es")}
    assert [e.text for e in questions + turns if normalise(e.text) in spanish] == []
    spanish_training = {e.intent for e in load_training(PROJECT_ROOT, "es")}
    assert set(DOMAIN_INTENTS) - spanish_training == set()  # every intent has Spanish examples
    assert {e.label for e in questions} - set(DOMAIN_INTENTS) <= EVAL_ONLY_LABELS
