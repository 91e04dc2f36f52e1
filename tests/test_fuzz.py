"""Generated input thrown at the code that parses and renders for channels: it never raises and never emits malformed speech markup.

The budget is FUZZ_EXAMPLES generated cases per test (200 in `make test`,
20,000 with `make fuzz`); the number run is printed at the end of the session.
"""

import json
import os
from xml.etree import ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.common import MAX_MESSAGE_CHARS, clean_text
from companion import safety
from companion.content import content
from companion.privacy import redact
from companion.render import render_answer, render_behaviour
from companion.settings import load_facility
from twilio.twiml.voice_response import VoiceResponse

from companion.ssml import add_to_twiml_say, alexa_ssml

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COUNTED = {"cases": 0}

# Text as the world sends it: any code point, including surrogates' neighbours, controls and digit runs.
WILD_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=3000) | st.from_regex(
    r"[0-9 ,.<>&'\"-]{0,80}", fullmatch=True
)


def count():
    COUNTED["cases"] += 1


@FUZZ
@given(WILD_TEXT | st.binary(max_size=2000) | st.integers() | st.none())
def test_clean_text_always_gives_bounded_printable_text(value):
    count()
    cleaned = clean_text(value)
    assert isinstance(cleaned, str) and len(cleaned) <= MAX_MESSAGE_CHARS
    assert all(ch in "\n\t" or ord(ch) >= 32 for ch in cleaned)


@FUZZ
@given(WILD_TEXT)
def test_alexa_ssml_is_always_well_formed(text):
    count()
    ssml = alexa_ssml(text)
    root = ET.fromstring(ssml)
    assert root.tag == "speak"
    assert {el.tag for el in root.iter()} <= {"speak", "say-as", "break"}


@FUZZ
@given(WILD_TEXT)
def test_twiml_say_is_always_well_formed(text):
    count()
    response = VoiceResponse()
    add_to_twiml_say(response.say(), text)
    reparsed = ET.fromstring(response.to_xml())
    assert {el.tag for el in reparsed.iter()} <= {"Response", "Say", "say-as", "break"}


@FUZZ
@given(WILD_TEXT)
def test_safety_screen_and_redaction_never_raise(text):
    count()
    assert safety.screen(text) in (None, "crisis", "emergency")
    assert isinstance(safety.asks_for_diagnosis(text), bool)
    assert isinstance(redact(text), str)


@FUZZ
@given(
    st.sampled_from(sorted(content().answers)),
    st.sampled_from(["rest", "webchat", "twilio_ivr", "alexa", None, "unknown"]),
)
def test_every_answer_renders_on_every_channel_as_json(answer_id, channel):
    count()
    reply = render_answer(content().answers[answer_id], channel, content())
    json.dumps(reply.as_message())
    assert reply.custom["answer_id"] == answer_id and reply.text
    ET.fromstring(alexa_ssml(reply.text))


@FUZZ
@given(st.sampled_from(sorted(content().behaviours)), st.sampled_from(["rest", "webchat", "twilio_ivr", "alexa"]))
def test_every_behaviour_renders_on_every_channel(key, channel):
    count()
    reply = render_behaviour(key, "help", channel, content(), load_facility(),
                             fields={"topic": "is a callback common", "line": "the 9 8 8 Lifeline"})
    assert reply.text and "{" not in reply.text
    ET.fromstring(alexa_ssml(reply.text))


# --- the channels' own parsing and rendering ------------------------------------------------

import asyncio  # noqa: E402

from alexa_requests import ask_response_problems  # noqa: E402

from channels import twiml  # noqa: E402
from channels.alexa.channel import BadRequest, message_for  # noqa: E402
from channels.alexa.render import ReplyRenderer  # noqa: E402
from channels.phone.channel import CallFlow  # noqa: E402
from channels.phone.request import MalformedRequest, parse_form  # noqa: E402
from channels.phone.settings import PhoneSettings  # noqa: E402

KINDS = sorted(content().answers) + ["greeting", "goodbye", "help", "handoff", "crisis", "emergency", "disclosure",
                                     "no_diagnosis", "out_of_scope", "fallback", "service_trouble"]
CONTACT = st.fixed_dictionaries({
    "name": WILD_TEXT, "phone": st.from_regex(r"\+?[0-9]{3,12}", fullmatch=True), "display": WILD_TEXT,
    "tel": WILD_TEXT, "hours": WILD_TEXT, "open_now": st.booleans(),
})
CUSTOM = st.fixed_dictionaries(
    {"answer_id": st.sampled_from(KINDS)},
    optional={
        "card": st.fixed_dictionaries({"title": WILD_TEXT, "text": WILD_TEXT}),
        "contacts": st.lists(CONTACT, max_size=3), "support": CONTACT,
        "transfer": st.one_of(st.none(), st.from_regex(r"\+1[0-9]{10}", fullmatch=True)),
        "offer_dial": st.sampled_from(["988", "+18006564673"]), "dial": st.sampled_from(["988", "911", "+18007997233"]),
        "offer_line": st.one_of(st.sampled_from(sorted(content().lines)), WILD_TEXT),
        "lines": st.lists(CONTACT, max_size=2),
        "end_conversation": st.booleans(), "follow_ups": st.lists(st.fixed_dictionaries({"answer_id": st.sampled_from(KINDS), "title": WILD_TEXT}), max_size=3),
    },
)
REPLIES = st.lists(
    st.one_of(st.fixed_dictionaries({"text": WILD_TEXT}), st.fixed_dictionaries({"custom": CUSTOM})), max_size=4
)


@FUZZ
@given(st.binary(max_size=3000))
def test_twilio_form_parsing_never_fails_unexpectedly(body):
    count()
    try:
        parse_form(body)
    except MalformedRequest:
        pass


@FUZZ
@given(st.dictionaries(st.sampled_from(["listening", "offer", "leg", "x"]), st.lists(WILD_TEXT, max_size=2)),
       REPLIES, st.dictionaries(st.sampled_from(["SpeechResult", "Digits", "Confidence", "CallStatus"]), WILD_TEXT))
def test_every_phone_reply_is_valid_twiml(query, replies, form):
    count()

    async def ask(_text, _metadata):
        return replies

    flow = CallFlow(PhoneSettings.load({}, environ={}), ask)
    root = asyncio.run(flow.voice(query, {"CallSid": "CA" + "0" * 32, **form}))
    assert twiml.problems(root.to_xml()) == []


@FUZZ
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | WILD_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["request", "type", "intent", "name", "slots", "question", "value", "session"]), inner, max_size=4),
    max_leaves=12,
))
def test_alexa_request_reading_never_fails_unexpectedly(request):
    count()
    try:
        message_for(request if isinstance(request, dict) and isinstance(request.get("request"), dict) else {"request": {}})
    except BadRequest:
        pass


@FUZZ
@given(REPLIES, st.booleans(), st.booleans())
def test_every_speaker_reply_is_valid_ask_json(replies, end_session, launch):
    count()
    body = ReplyRenderer(load_facility()).response(replies, end_session=end_session, launch=launch)
    assert ask_response_problems(json.loads(json.dumps(body))) == []


def test_zz_report_fuzz_case_count(capsys):
    """Runs last in this module: how many generated cases the fuzz tests ran."""
    with capsys.disabled():
        print(f"\nfuzz: {COUNTED['cases']} generated cases run (FUZZ_EXAMPLES={EXAMPLES} per test)")
    assert COUNTED["cases"] > 0
