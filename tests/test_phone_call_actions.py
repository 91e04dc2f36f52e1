"""The phone call's dialogue on its own: a tracker in (as the phone line's messages make it), the replies, prompt and slots out."""

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer
from actions.conversation import ActionAffirm, ActionDeny, ActionGoodbye
from actions.phone_call import ActionDialEnded, ActionKeypad, ActionSilence
from actions.safety import ActionSafetyResponse
from companion.content import content

WORDS = content().voice["phone"]
ON_A_CALL = {"disclaimer_given": True}


def call(text, intent, slots=None, entities=(), heard_poorly=False, confidence=0.95):
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence},
              "intent_ranking": [{"name": intent, "confidence": confidence}], "entities": list(entities)}
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": "twilio_ivr",
               "metadata": {"modality": "voice", "heard_poorly": heard_poorly}}]
    return Tracker("caller", {**ON_A_CALL, **(slots or {})}, latest, events, False, None, {}, "action_listen")


def key(digit, slots=None):
    return call(f'/keypad{{"key": "{digit}"}}', "keypad", slots, entities=[{"entity": "key", "value": digit}])


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    contract = next(m["custom"] for m in dispatcher.messages if m.get("custom"))
    return texts, contract, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_a_poorly_heard_question_is_asked_back_before_it_is_answered():
    texts, contract, slots = run(ActionAnswer(), call("what are calcifications", "ask_finding_calcifications",
                                                      heard_poorly=True))
    assert texts == []
    assert contract["prompt"] == WORDS["confirm_topic"].format(topic="calcifications")
    assert slots["pending_offer"] == "confirm:finding_calcifications"


@pytest.mark.parametrize("accept", [key("1", {"pending_offer": "confirm:finding_calcifications"}),
                                    call("yes", "affirm", {"pending_offer": "confirm:finding_calcifications"})])
def test_1_or_yes_to_the_confirmation_answers_it(accept):
    action = ActionKeypad() if accept.latest_message["intent"]["name"] == "keypad" else ActionAffirm()
    _, contract, _ = run(action, accept)
    assert contract["answer_id"] == "finding_calcifications"
    assert contract["prompt"] == WORDS["next_with_more"]


def test_2_or_no_to_the_confirmation_asks_again():
    for action, tracker in ((ActionKeypad(), key("2", {"pending_offer": "confirm:finding_cyst"})),
                            (ActionDeny(), call("no", "deny", {"pending_offer": "confirm:finding_cyst"}))):
        texts, contract, slots = run(action, tracker)
        assert texts == [] and contract["prompt"] == WORDS["ask_again"] and slots["pending_offer"] is None


def test_without_an_offer_the_keys_are_the_menu():
    _, contract, _ = run(ActionKeypad(), key("1"))
    assert contract["answer_id"] == content().starters[0]
    _, contract, _ = run(ActionKeypad(), key("0"))
    assert contract["answer_id"] == "handoff"


def test_silence_is_reprompted_twice_then_a_person_is_offered_then_the_support_line_dialled():
    prompts = []
    slots = {}
    for _ in range(3):
        _, contract, changed = run(ActionSilence(), call("/silence", "silence", slots))
        slots.update(changed)
        prompts.append(contract["prompt"])
    assert prompts == [WORDS["reprompt_first"], WORDS["reprompt_second"].format(last="4"), WORDS["offer_person"]]
    _, contract, _ = run(ActionSilence(), call("/silence", "silence", slots))
    assert contract["answer_id"] == "handoff" and contract["dial"] == "+18002272345" and contract["leg"] == "support"


def test_a_key_that_means_nothing_counts_as_not_heard_and_a_real_answer_resets_the_count():
    _, contract, slots = run(ActionKeypad(), key("7"))
    assert contract["prompt"] == WORDS["reprompt_first"] and slots["silences"] == 1.0
    _, _, slots = run(ActionAnswer(), call("what is a cyst", "ask_finding_cyst", {"silences": 1.0}))
    assert slots["silences"] == 0.0


def test_an_emergency_offers_to_free_the_line_and_only_the_caller_ends_the_call():
    texts, contract, slots = run(ActionSafetyResponse(), call("i am having a heart attack", "emergency"))
    assert contract["answer_id"] == "emergency" and contract["prompt"] == WORDS["offer_hang_up"]
    assert not contract.get("end_conversation") and slots["pending_offer"] == "hangup"
    _, contract, _ = run(ActionGoodbye(), call("hang up", "goodbye", {"pending_offer": "hangup"}, confidence=0.5))
    assert contract["end_conversation"] is True


def test_a_transfer_nobody_took_offers_the_support_line_and_1_dials_it():
    ended = call('/dial_ended{"leg": "clinic", "status": "busy"}', "dial_ended",
                 entities=[{"entity": "leg", "value": "clinic"}, {"entity": "status", "value": "busy"}])
    texts, contract, slots = run(ActionDialEnded(), ended)
    assert texts == [WORDS["no_one_answered"]] and slots["pending_offer"] == "dial:support"
    assert "American Cancer Society" in contract["prompt"]
    texts, contract, _ = run(ActionKeypad(), key("1", {"pending_offer": "dial:support"}))
    assert contract["dial"] == "+18002272345" and "Connecting you" in texts[-1]


def test_a_transfer_that_was_taken_ends_with_goodbye():
    ended = call('/dial_ended{"leg": "clinic", "status": "completed"}', "dial_ended",
                 entities=[{"entity": "leg", "value": "clinic"}, {"entity": "status", "value": "completed"}])
    _, contract, _ = run(ActionDialEnded(), ended)
    assert contract["answer_id"] == "goodbye" and contract["end_conversation"] is True


@pytest.mark.slow
def test_rasa_test_core_predicts_the_call_actions_in_conversation(trained_model, tmp_path):
    """`rasa test core` on tests/stories/: the trained model sends each phone message to its action."""
    import subprocess
    import sys

    from conftest import ROOT

    result = subprocess.run(
        [sys.executable, "-m", "companion.launcher", "test", "core", "--model", str(trained_model),
         "--stories", str(ROOT / "tests" / "stories"), "--out", str(tmp_path), "--fail-on-prediction-errors"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "failed_test_stories.yml").read_text().count("- story:") == 0
