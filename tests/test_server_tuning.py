"""The Rasa server's tuning changes speed only: same event classes, same verdict on action replies, same predictions."""

import asyncio
import gc
import subprocess
import sys

import pytest
import rasa.core.processor as rasa_processor
import rasa.shared.utils.common as rasa_common
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import events as sdk_events

from companion import server_tuning
from conftest import ROOT, base_env
from scripts.processes import rasa_env
from companion.graph_runner import SequentialGraphRunner

SCHEMA = RemoteAction.action_response_format_spec()


def rasa_resolves(type_name):
    """Rasa's own lookup: the first Event subclass with the name."""
    for cls in rasa_common.all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    return None


def test_every_event_type_resolves_to_the_class_rasa_would_pick():
    names = {cls.type_name for cls in rasa_common.all_subclasses(Event)}
    assert len(names) > 20
    for name in names:
        assert server_tuning.resolve_by_type(name) is rasa_resolves(name), name


def test_an_unknown_event_type_is_refused_or_defaulted_as_rasa_does():
    with pytest.raises(ValueError):
        server_tuning.resolve_by_type("no_such_event")
    assert server_tuning.resolve_by_type("no_such_event", default=ActionExecuted) is ActionExecuted
    assert server_tuning.resolve_by_type("topic") is None


GOOD_REPLIES = [
    {"events": [], "responses": []},
    {},
    {
        "events": [
            sdk_events.SlotSet("topic", "finding_cyst"),
            sdk_events.SlotSet("misunderstood", 1.0),
            sdk_events.FollowupAction("action_listen"),
            sdk_events.ConversationPaused(),
            sdk_events.ConversationResumed(),
            sdk_events.UserUtteranceReverted(),
            sdk_events.ActionReverted(),
            sdk_events.AllSlotsReset(),
            sdk_events.Restarted(),
            sdk_events.SessionStarted(),
            sdk_events.ActionExecuted("action_answer"),
            sdk_events.BotUttered("hello", metadata={}),
        ],
        "responses": [{"text": "A cyst is a sac of fluid.", "custom": {"answer_id": "finding_cyst"}, "buttons": []}],
    },
]

BAD_REPLIES = [
    [],
    {"events": "slot"},
    {"events": ["slot"]},
    {"events": [{"name": "topic", "value": "x"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "value": "x"}]},
    {"events": [{"event": "slot", "name": "topic"}]},
    {"events": [{"event": "entities"}]},
    {"events": [], "responses": "hello"},
    {"events": [], "responses": ["hello"]},
]


@pytest.mark.parametrize("reply", GOOD_REPLIES)
def test_a_reply_rasas_schema_accepts_is_accepted(reply):
    validate(reply, SCHEMA)
    assert server_tuning.reply_problem(reply) is None
    assert server_tuning.validate_action_result(None, reply) is True


@pytest.mark.parametrize("reply", BAD_REPLIES)
def test_a_malformed_reply_is_refused_as_rasas_schema_refuses_it(reply):
    with pytest.raises(ValidationError):
        validate(reply, SCHEMA)
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        server_tuning.validate_action_result(None, reply)


def test_what_the_model_load_made_is_frozen_out_of_garbage_collection():
    made = []

    async def load():
        made.append([object() for _ in range(1000)])
        return "agent"

    gc_was_frozen = gc.get_freeze_count()
    try:
        load_then_freeze = server_tuning.freezing_after_load(load)
        assert asyncio.run(load_then_freeze()) == "agent"
        assert gc.get_freeze_count() >= gc_was_frozen + 1000
        assert server_tuning.freezing_after_load(load_then_freeze) is load_then_freeze  # applied once only
    finally:
        gc.unfreeze()


def test_the_server_loads_its_model_through_the_freezing_loader():
    import rasa.core.agent

    server_tuning.apply()
    server_tuning.apply()  # a second call changes nothing
    assert getattr(rasa.core.agent.load_agent, "freezes_after_load", False)
    assert server_tuning.freezing_after_load(rasa.core.agent.load_agent) is rasa.core.agent.load_agent


def test_the_tuning_refuses_a_rasa_release_it_was_not_written_against():
    with pytest.raises(server_tuning.UnsupportedRasa, match="3.6.21"):
        server_tuning.apply(version="3.7.0")


def test_every_entry_point_starts_rasa_through_the_launcher():
    from scripts import container, processes

    assert processes.rasa_server_command(ROOT / "m.tar.gz", ROOT / "e.yml", 5005)[:3] == processes.LAUNCHER
    assert container.server_command(["run", "--port", "5005"], {})[0][:3] == processes.LAUNCHER
    run_sh = (ROOT / "scripts" / "run.sh").read_text()
    assert "companion.launcher shell" in run_sh and "companion.launcher run" in run_sh
    assert "bin/rasa\" run" not in run_sh and "bin/rasa\" shell" not in run_sh


def test_rasa_shell_gets_the_tuning_too():
    # `make shell` is scripts/run.sh shell: Rasa's terminal chat, started by the launcher
    done = subprocess.run([sys.executable, "-m", "companion.launcher", "shell", "--help"], cwd=ROOT,
                          env=rasa_env(CC_SHOW_TUNING="1"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "tuning applied for Rasa 3.6.21" in done.stderr
    assert "usage: rasa shell" in done.stdout


# ---- the graph runner: the trained model predicts the same with either runner -------------------------

MESSAGES = [
    "hello",
    "why did they call me back",
    "what is a cyst",
    "does dense breast tissue matter",
    "what does birads 3 mean",
    "will I need a biopsy",
    "can I talk to a person",
    "tell me more",
    "asdfgh qwerty",
    "my name is Jane Doe and my number is 555 123 4567",
]


@pytest.fixture(scope="module")
def agents(trained_model):
    loaded = {}
    for runner in (DaskGraphRunner, SequentialGraphRunner):
        original = rasa_processor.DaskGraphRunner
        rasa_processor.DaskGraphRunner = runner
        try:
            loaded[runner.__name__] = Agent.load(str(trained_model))
        finally:
            rasa_processor.DaskGraphRunner = original
    assert isinstance(loaded["SequentialGraphRunner"].processor.graph_runner, SequentialGraphRunner)
    assert type(loaded["DaskGraphRunner"].processor.graph_runner) is DaskGraphRunner
    return loaded["DaskGraphRunner"], loaded["SequentialGraphRunner"]


def summary(parse):
    return (
        parse["intent"]["name"],
        round(parse["intent"]["confidence"], 6),
        [(e["entity"], e["value"], e["start"], e["end"]) for e in parse["entities"]],
        [(r["name"], round(r["confidence"], 6)) for r in parse["intent_ranking"]],
    )


@pytest.mark.parametrize("text", MESSAGES)
def test_understanding_is_the_same_with_either_runner(agents, text):
    with_dask, sequential = agents
    assert summary(asyncio.run(sequential.parse_message(text))) == summary(asyncio.run(with_dask.parse_message(text)))


@pytest.mark.parametrize("text", MESSAGES)
def test_the_next_actions_are_the_same_with_either_runner(agents, text):
    with_dask, sequential = agents
    parse = asyncio.run(with_dask.parse_message(text))
    domain = with_dask.domain

    def next_two(agent):
        tracker = DialogueStateTracker.from_events(
            "someone", [ActionExecuted("action_listen"), UserUttered(text, parse["intent"], parse["entities"], parse)],
            slots=domain.slots,
        )
        chosen = []
        for _ in range(2):
            prediction = agent.processor._predict_next_with_tracker(tracker)
            action = domain.action_names_or_texts[prediction.max_confidence_index]
            chosen.append((action, prediction.policy_name, round(prediction.max_confidence, 6)))
            tracker.update(ActionExecuted(action))
        return chosen

    assert next_two(sequential) == next_two(with_dask)


def test_every_setting_is_checked_at_start_with_one_message_naming_each_problem():
    from companion.environment import Environment, SettingsError

    with pytest.raises(SettingsError) as refused:
        Environment.load({"CC_HOURS": "nine to five", "TWILIO_LOW_CONFIDENCE": "2", "CC_TRANSFR_NUMBER": "+16125550100",
                          "CC_DB_PASSWORD": "hunter2x", "CC_DB_PORT": "no"})
    message = str(refused.value)
    assert "CC_HOURS" in message and "TWILIO_LOW_CONFIDENCE" in message and "CC_DB_PORT" in message
    assert "did you mean CC_TRANSFER_NUMBER?" in message
    assert "hunter2x" not in message
    loaded = Environment.load({"CC_ACTION_TIMEOUT": "3", "TWILIO_VALIDATE_SIGNATURE": "off"})
    assert loaded.get("CC_ACTION_TIMEOUT") == 3.0 and loaded.get("TWILIO_VALIDATE_SIGNATURE") is False


def test_a_server_with_a_bad_setting_does_not_start(tmp_path):
    env = {**base_env(), "CC_ACTION_TIMEOUT": "soon"}
    for command in ([sys.executable, "-m", "companion.launcher", "--version"],
                    [sys.executable, "-m", "companion.action_server", "--port", "1"]):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode != 0 and "CC_ACTION_TIMEOUT='soon'" in done.stderr, done.stderr[-2000:]


def test_the_readme_lists_every_setting():
    from companion.environment import table

    assert table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_each_setting_is_read_by_the_same_check_that_guards_the_start():
    from channels.alexa.verification import verification_enabled
    from channels.phone.settings import PhoneSettings
    from channels.rate_limits import RateLimits
    from companion.environment import Environment, Rate
    from companion.opening_hours import OpeningHours
    from companion.staff import settings as staff

    # a value the start refuses is refused where it is read, not read as something else
    for name, value in (("CC_HOURS", "Mon-Fry 08:00-17:00"), ("CC_RATE_PER_CLIENT", "lots"),
                        ("TWILIO_VALIDATE_SIGNATURE", "maybe"), ("CC_LIVE_CHAT", "sure")):
        with pytest.raises(ValueError):
            Environment.load({name: value})
    with pytest.raises(ValueError):
        OpeningHours.parse("Mon-Fry 08:00-17:00")
    with pytest.raises(ValueError):
        RateLimits.from_environment({"CC_RATE_PER_CLIENT": "lots"})
    with pytest.raises(ValueError):
        PhoneSettings.load({}, environ={"TWILIO_VALIDATE_SIGNATURE": "maybe"})
    with pytest.raises(ValueError):
        staff.live_chat({"CC_LIVE_CHAT": "sure"})

    # and the words it accepts mean the same in every reader
    assert Environment.load({"CC_RATE_PER_CLIENT": "5/second"}).get("CC_RATE_PER_CLIENT") == Rate(5, 1.0)
    assert RateLimits.from_environment({"CC_RATE_PER_CLIENT": "5/second"}).clients.rate == Rate(5, 1.0)
    assert PhoneSettings.load({}, environ={"TWILIO_VALIDATE_SIGNATURE": "off"}).validate_signature is False
    assert PhoneSettings.load({"low_confidence": "0.4"}, environ={}).low_confidence == 0.4
    assert verification_enabled({"ALEXA_VERIFY_REQUESTS": "no"}) is False
    assert verification_enabled({}) is True
    assert staff.live_chat({"CC_LIVE_CHAT": "on"}) is True and staff.wait_seconds({}) == 180
