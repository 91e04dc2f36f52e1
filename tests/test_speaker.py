"""The smart speaker: Alexa requests in, Alexa Skills Kit responses out, through a real server that verifies every request.

The server trusts a root CA made for this module (ALEXA_TRUSTED_ROOTS) and
finds the signing chain in a local folder (ALEXA_CERT_CACHE_DIR) instead of
downloading it from s3.amazonaws.com; everything else is Amazon's check as it
runs in production. A few tests at the end drive the verifier and the channel
in-process, where a clock or a slow assistant has to be arranged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List

import pytest

from alexa_requests import (
    CERT_URL,
    CertificateAuthority,
    SkillSession,
    ask_response_problems,
    envelope,
    intent_request,
    launch_request,
    request_for,
    resolve,
    signature_headers,
    spoken_words,
)
import yaml
from conftest import ROOT, TEST_SECRETS, Assistant

from channels.alexa.channel import QUESTION_INTENTS, AlexaInput
from channels.alexa.verification import (
    AlexaRequestVerifier,
    VerificationError,
    cert_cache_name,
    normalised_cert_url,
    verifier_from_environment,
)
from companion import phone, privacy
from companion.content import load_content
from companion.escalation import plan_handoff
from companion.settings import load_facility

SKILL_ID = TEST_SECRETS["ALEXA_SKILL_ID"]
CLINIC = {"CC_FACILITY_NAME": "Lakeside Imaging", "CC_NAVIGATOR_PHONE": "+13125550142", "CC_HOURS": "Mon-Sun 00:00-23:59"}
CONTENT = load_content()


def opening(text: str, words: int = 8) -> str:
    return " ".join(text.split()[:words])


def answer_opening(answer_id: str, part: str = "spoken") -> str:
    return opening(getattr(CONTENT.answers[answer_id], part))


def behaviour_opening(key: str) -> str:
    return opening(CONTENT.behaviour(key).spoken)


def publish_chain(folder, url: str, signing) -> None:
    """Puts a chain where the server looks before downloading, as if it had fetched it from `url`."""
    (folder / cert_cache_name(url)).write_bytes(signing.chain_pem())


# --- the server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def authority() -> CertificateAuthority:
    return CertificateAuthority()


@pytest.fixture(scope="module")
def signer(authority):
    return authority.issue()


@pytest.fixture(scope="module")
def cert_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("alexa-cert-cache")


@pytest.fixture(scope="module")
def speaker(trained_model, tmp_path_factory, authority, signer, cert_dir):
    workdir = tmp_path_factory.mktemp("speaker")
    roots = workdir / "trusted-roots.pem"
    roots.write_bytes(authority.root_pem())
    publish_chain(cert_dir, CERT_URL, signer)
    running = Assistant(
        workdir, trained_model,
        extra_env={"ALEXA_TRUSTED_ROOTS": str(roots), "ALEXA_CERT_CACHE_DIR": str(cert_dir), **CLINIC},
    )
    yield running
    running.stop()


@pytest.fixture
def webhook(speaker) -> str:
    return f"{speaker.url}/webhooks/alexa/webhook"


@pytest.fixture
def person(webhook, signer):
    """A new Alexa user (or, given user_id, a new session of that user) talking to the skill."""
    return lambda **kwargs: SkillSession(webhook, SKILL_ID, signer, **kwargs)


def stored_events(speaker, session: SkillSession, monkeypatch) -> int:
    """How many events the conversation store holds for this user and session."""
    monkeypatch.setenv(privacy.SECRET_ENV, TEST_SECRETS["CC_ID_SECRET"])
    privacy._secret.cache_clear()
    try:
        sender = privacy.conversation_key("alexa", session.user_id, session.session_id)
        stored = privacy.conversation_key(sender)  # the tracker store keys rows by a hash of the sender id
    finally:
        monkeypatch.undo()
        privacy._secret.cache_clear()
    with sqlite3.connect(speaker.db) as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (stored,)).fetchone()[0]


def assert_valid(reply) -> None:
    assert reply.status == 200, reply.body
    assert ask_response_problems(reply.body) == [], reply.body


# --- the conversation -----------------------------------------------------------


def test_health(speaker):
    import requests

    assert requests.get(f"{speaker.url}/webhooks/alexa/", timeout=5).json() == {"status": "ok"}


def test_opening_the_skill_greets_with_the_disclaimer_and_a_hint(person):
    reply = person().launch()

    assert_valid(reply)
    assert behaviour_opening("disclaimer") in reply.speech
    assert behaviour_opening("greeting") in reply.speech
    first_starter = CONTENT.answers[CONTENT.starters[0]].title
    assert first_starter in reply.speech
    assert reply.ends_session is False
    assert "help" in reply.reprompt


def test_a_question_gets_the_curated_answer_with_its_source_on_the_card(person):
    speaker_user = person()
    speaker_user.launch()

    reply = speaker_user.say("what are calcifications")

    assert_valid(reply)
    assert answer_opening("finding_calcifications") in reply.speech
    assert reply.card["title"] == CONTENT.answers["finding_calcifications"].title
    assert "Source" in reply.card["content"]
    assert reply.ends_session is False
    assert reply.reprompt and reply.reprompt not in reply.speech  # guidance, not a repeat


@pytest.mark.parametrize(
    "utterance, answer_id",
    [
        ("why was I called back", "callback_reasons"),
        ("is it normal to be called back", "callback_common"),
        ("how can I cope while I wait", "coping_while_waiting"),
        ("does a callback mean I have cancer", "callback_cancer_odds"),
        ("will I need a biopsy", "biopsy_likelihood"),
        ("tell me about breast cysts", "finding_cyst"),
        ("what is a breast ultrasound", "breast_ultrasound"),
        ("when will I get my results", "results_timing"),
    ],
)
def test_questions_with_common_openings_reach_the_right_answer(person, utterance, answer_id):
    name, slots = resolve(utterance)
    assert name in QUESTION_INTENTS and slots, f"the interaction model does not catch {utterance!r}"

    reply = person().say(utterance)

    assert_valid(reply)
    assert reply.card["title"] == CONTENT.answers[answer_id].title, reply.speech


def test_help_lists_what_can_be_asked(person):
    reply = person().say("help")

    assert_valid(reply)
    assert behaviour_opening("help") in reply.speech
    assert reply.ends_session is False


def test_go_home_offers_the_menu_of_questions(person):
    reply = person().say("go home")

    assert_valid(reply)
    assert behaviour_opening("help") in reply.speech


@pytest.mark.parametrize("utterance", ["stop", "cancel"])
def test_stop_and_cancel_say_goodbye_and_end_the_session(person, utterance):
    speaker_user = person()
    speaker_user.launch()

    reply = speaker_user.say(utterance)

    assert_valid(reply)
    assert behaviour_opening("goodbye") in reply.speech
    assert reply.ends_session is True
    assert "reprompt" not in reply.response


def test_not_understood_asks_again_and_then_offers_a_person(person):
    speaker_user = person()
    speaker_user.launch()

    first = speaker_user.say("purple monkey dishwasher")
    second = speaker_user.say("banana telescope")

    assert_valid(first)
    assert any(words in first.speech for words in (behaviour_opening("not_heard"), behaviour_opening("did_you_mean_none"),
                                                    "Did you ask about"))
    assert first.ends_session is False
    assert_valid(second)
    assert behaviour_opening("not_understood_handoff") in second.speech
    assert second.card["title"] == "Talk to a person"


def test_yes_after_an_answer_gives_more_and_no_moves_on(person):
    speaker_user = person()
    speaker_user.say("what are calcifications")

    more = speaker_user.say("yes")
    declined = speaker_user.say("no")

    assert_valid(more)
    assert answer_opening("finding_calcifications", "more") in more.speech
    assert_valid(declined)
    assert behaviour_opening("deny") in declined.speech


def test_repeat_says_the_last_answer_again(person):
    speaker_user = person()
    speaker_user.launch()
    answer = speaker_user.say("what is a breast cyst")

    again = speaker_user.say("repeat")

    assert_valid(again)
    assert answer_opening("finding_cyst") in answer.speech
    assert again.speech == answer.speech


def test_session_end_gets_an_empty_response(person):
    speaker_user = person()
    speaker_user.launch()

    reply = speaker_user.end("USER_INITIATED")

    assert reply.status == 200
    assert reply.body == {"version": "1.0", "response": {}}


def test_asking_for_a_person_gives_numbers_and_hours_on_the_card_and_telephone_speech(speaker, person):
    reply = person().say("can I talk to a real person")

    assert_valid(reply)
    assert '<say-as interpret-as="telephone">' in reply.ssml
    contacts = plan_handoff(load_facility(environ=speaker.env)).contacts
    assert len(contacts) == 2
    for contact in contacts:
        assert phone.display(contact.number) in reply.card["content"]
        assert contact.hours in reply.card["content"]
        assert phone.display(contact.number) in reply.speech  # read as a telephone number
    assert reply.ends_session is False


def test_crisis_gets_988_in_speech_and_on_the_card(person):
    reply = person().say("I want to kill myself")

    assert_valid(reply)
    assert '<say-as interpret-as="telephone">988</say-as>' in reply.ssml
    assert "call or text 988" in reply.card["content"].lower()
    assert "988" in reply.reprompt
    assert reply.ends_session is False


def test_yes_after_a_crisis_does_not_pretend_to_place_a_call(person):
    speaker_user = person()
    speaker_user.say("I want to kill myself")

    reply = speaker_user.say("yes")

    assert_valid(reply)
    assert behaviour_opening("connecting_crisis_line") not in reply.speech
    assert '<say-as interpret-as="telephone">988</say-as>' in reply.ssml


def test_each_session_is_its_own_conversation(person):
    first = person()
    first.say("what are calcifications")
    later = person(user_id=first.user_id)  # same Alexa user, a new session

    reply = later.say("tell me more")

    assert_valid(reply)
    assert answer_opening("finding_calcifications", "more") not in reply.speech
    assert behaviour_opening("no_topic") in reply.speech


def test_two_people_talking_at_once_keep_their_own_conversations(person):
    alice, beth = person(), person()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda who: who.launch(), (alice, beth)))
        asked = list(pool.map(lambda pair: pair[0].say(pair[1]),
                              ((alice, "what are calcifications"), (beth, "what is a breast cyst"))))
        more = list(pool.map(lambda who: who.say("tell me more"), (alice, beth)))

    assert answer_opening("finding_calcifications") in asked[0].speech
    assert answer_opening("finding_cyst") in asked[1].speech
    assert answer_opening("finding_calcifications", "more") in more[0].speech
    assert answer_opening("finding_cyst", "more") in more[1].speech
    assert answer_opening("finding_cyst", "more") not in more[0].speech


def test_a_very_long_question_is_cut_not_refused(person):
    reply = person().send(intent_request("AskWhatIntent", {"question": "are calcifications " + "really " * 600}))

    assert_valid(reply)


def test_malformed_requests_get_400_and_the_server_keeps_serving(person, signer):
    speaker_user = person()
    not_json = b"{not json"
    no_ids = json.dumps({"version": "1.0", "context": {"System": {"application": {"applicationId": SKILL_ID}}},
                         "request": launch_request()}).encode()

    odd_shapes = json.dumps({**json.loads(speaker_user.body(intent_request("AskWhatIntent"))),
                             "session": "not an object"}).encode()
    odd_shapes = odd_shapes.replace(b'"intent": {', b'"intent": "oops", "x": {')

    assert speaker_user.post(not_json, signature_headers(not_json, signer)).status == 400
    assert speaker_user.post(no_ids, signature_headers(no_ids, signer)).status == 400
    assert speaker_user.post(odd_shapes, signature_headers(odd_shapes, signer)).status == 400
    assert_valid(speaker_user.launch())


# --- verification through the server --------------------------------------------


def test_a_verified_request_reaches_the_assistant(speaker, person, monkeypatch):
    speaker_user = person()

    reply = speaker_user.launch()

    assert_valid(reply)
    assert stored_events(speaker, speaker_user, monkeypatch) > 0


def _rejected(speaker, speaker_user, monkeypatch, body: bytes, headers: Dict[str, str]) -> None:
    reply = speaker_user.post(body, headers)
    assert reply.status == 400, reply.body
    assert "error" in reply.body
    assert stored_events(speaker, speaker_user, monkeypatch) == 0


def test_a_wrong_signature_is_rejected(speaker, person, signer, monkeypatch):
    speaker_user = person()
    body = speaker_user.body(launch_request())
    other = speaker_user.body(request_for("what are calcifications"))

    _rejected(speaker, speaker_user, monkeypatch, body, signature_headers(other, signer))


def test_a_tampered_body_is_rejected(speaker, person, signer, monkeypatch):
    speaker_user = person()
    body = speaker_user.body(request_for("what are calcifications"))
    headers = signature_headers(body, signer)

    _rejected(speaker, speaker_user, monkeypatch, body.replace(b"calcifications", b"cysts"), headers)


def test_a_stale_request_is_rejected(speaker, person, signer, monkeypatch):
    speaker_user = person()
    body = speaker_user.body(launch_request(at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=200)))

    _rejected(speaker, speaker_user, monkeypatch, body, signature_headers(body, signer))


@pytest.mark.parametrize(
    "cert_url",
    [
        "http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem",
        "https://notamazon.com/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/invalid.path/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert-test.pem",
        "https://s3.amazonaws.com:563/echo.api/echo-api-cert-test.pem",
    ],
)
def test_a_certificate_url_amazon_does_not_use_is_rejected(speaker, person, signer, cert_dir, monkeypatch, cert_url):
    speaker_user = person()
    body = speaker_user.body(launch_request())

    _rejected(speaker, speaker_user, monkeypatch, body, signature_headers(body, signer, cert_url=cert_url))


def test_a_signing_certificate_without_the_alexa_name_is_rejected(speaker, person, authority, cert_dir, monkeypatch):
    impostor = authority.issue(dns_names=("skills.example.com",))
    url = "https://s3.amazonaws.com/echo.api/no-alexa-name.pem"
    publish_chain(cert_dir, url, impostor)
    speaker_user = person()
    body = speaker_user.body(launch_request())

    _rejected(speaker, speaker_user, monkeypatch, body, signature_headers(body, impostor, cert_url=url))


def test_an_expired_signing_certificate_is_rejected(speaker, person, authority, cert_dir, monkeypatch):
    now = dt.datetime.now(dt.timezone.utc)
    expired = authority.issue(not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1))
    url = "https://s3.amazonaws.com/echo.api/expired.pem"
    publish_chain(cert_dir, url, expired)
    speaker_user = person()
    body = speaker_user.body(launch_request())

    _rejected(speaker, speaker_user, monkeypatch, body, signature_headers(body, expired, cert_url=url))


def test_a_chain_from_an_untrusted_root_is_rejected(speaker, person, cert_dir, monkeypatch):
    stranger = CertificateAuthority("Untrusted Root").issue()
    url = "https://s3.amazonaws.com/echo.api/untrusted.pem"
    publish_chain(cert_dir, url, stranger)
    speaker_user = person()
    body = speaker_user.body(launch_request())

    _rejected(speaker, speaker_user, monkeypatch, body, signature_headers(body, stranger, cert_url=url))


def test_a_request_for_another_skill_is_rejected(speaker, webhook, signer, monkeypatch):
    other_skill = SkillSession(webhook, "amzn1.ask.skill.someone-else", signer)
    body = other_skill.body(launch_request())

    _rejected(speaker, other_skill, monkeypatch, body, signature_headers(body, signer))


def test_an_unsigned_request_is_rejected(speaker, person, monkeypatch):
    speaker_user = person()
    body = speaker_user.body(launch_request())

    _rejected(speaker, speaker_user, monkeypatch, body, {"Content-Type": "application/json"})


# --- the verifier and the channel in-process ------------------------------------


def _body(skill_id: str = SKILL_ID, at=None) -> bytes:
    return json.dumps(envelope(launch_request(at=at), skill_id, "amzn1.ask.account.X", "amzn1.echo-api.session.X")).encode()


@pytest.mark.parametrize(
    "url, normalised",
    [
        ("https://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"),
        ("https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem", "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"),
        ("HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem", "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"),
        ("https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem", "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"),
    ],
)
def test_certificate_urls_amazon_uses_are_accepted(url, normalised):
    assert normalised_cert_url(url) == normalised


@pytest.mark.parametrize(
    "url",
    [
        "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://notamazon.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
        "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
        "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api%2f..%2f..%2fother/cert.pem",
        "",
    ],
)
def test_other_certificate_urls_are_refused(url):
    with pytest.raises(VerificationError):
        normalised_cert_url(url)


def test_the_chain_is_downloaded_once_and_cached(authority, signer):
    downloads: List[str] = []

    def fetch(url: str) -> bytes:
        downloads.append(url)
        return signer.chain_pem()

    verifier = AlexaRequestVerifier(skill_id=SKILL_ID, trusted_roots=[authority.root], fetch_chain=fetch)
    for _ in range(3):
        body = _body()
        verifier.verify(signature_headers(body, signer, cert_url=CERT_URL.replace("https", "HTTPS")), body)

    assert downloads == [CERT_URL]


def test_a_sha1_signature_is_checked_when_it_is_the_only_one(authority, signer):
    verifier = AlexaRequestVerifier(skill_id=SKILL_ID, trusted_roots=[authority.root], fetch_chain=lambda url: signer.chain_pem())
    body = _body()

    assert verifier.verify(signature_headers(body, signer, sha1_only=True), body)["request"]["type"] == "LaunchRequest"
    with pytest.raises(VerificationError, match="signature"):
        verifier.verify(signature_headers(_body(), signer, sha1_only=True), body.replace(b"Launch", b"Lunch"))


def test_the_clock_decides_what_is_stale(authority, signer):
    now = dt.datetime.now(dt.timezone.utc)
    verifier = AlexaRequestVerifier(skill_id=SKILL_ID, trusted_roots=[authority.root],
                                    fetch_chain=lambda url: signer.chain_pem(), clock=lambda: now)
    recent, stale = _body(at=now - dt.timedelta(seconds=140)), _body(at=now + dt.timedelta(seconds=160))

    verifier.verify(signature_headers(recent, signer), recent)
    with pytest.raises(VerificationError, match="150 seconds"):
        verifier.verify(signature_headers(stale, signer), stale)


def test_a_failed_download_is_a_rejection_not_a_crash(authority):
    def unreachable(url: str) -> bytes:
        raise ConnectionError("no route")

    verifier = AlexaRequestVerifier(skill_id=SKILL_ID, trusted_roots=[authority.root], fetch_chain=unreachable)
    with pytest.raises(VerificationError, match="downloaded"):
        verifier.verify({"SignatureCertChainUrl": CERT_URL, "Signature-256": "AAAA"}, _body())


def test_development_switch_skips_signatures_but_still_checks_the_skill():
    verifier = verifier_from_environment(environ={"ALEXA_VERIFY_REQUESTS": "false", "ALEXA_SKILL_ID": SKILL_ID})

    assert verifier.verify({}, _body())["request"]["type"] == "LaunchRequest"
    with pytest.raises(VerificationError, match="another skill"):
        verifier.verify({}, _body(skill_id="amzn1.ask.skill.other"))
    assert verifier_from_environment(environ={"ALEXA_SKILL_ID": SKILL_ID}).check_signatures is True


def _handle_with(assistant, timeout: float = 0.3) -> Dict:
    """The response the channel gives when the assistant behaves like `assistant`."""
    channel = AlexaInput(verifier=AlexaRequestVerifier(skill_id=SKILL_ID, check_signatures=False), timeout=timeout)
    body = json.dumps(envelope(request_for("what are calcifications"), SKILL_ID, "u", "s")).encode()
    reply = asyncio.run(channel.handle({}, body, assistant))
    assert reply.status == 200
    return json.loads(reply.body)


async def _too_slow(message) -> None:
    await asyncio.sleep(2)


async def _broken(message) -> None:
    raise RuntimeError("assistant failed")


async def _silent(message) -> None:
    return None


@pytest.mark.parametrize("assistant", [_too_slow, _broken, _silent], ids=["too slow", "raises", "says nothing"])
def test_when_the_assistant_cannot_answer_the_person_hears_where_to_get_help(assistant):
    body = _handle_with(assistant)

    assert ask_response_problems(body) == []
    assert behaviour_opening("service_trouble") in spoken_words(body["response"]["outputSpeech"]["ssml"])
    assert '<say-as interpret-as="telephone">1-800-227-2345</say-as>' in body["response"]["outputSpeech"]["ssml"]


def test_a_very_long_reply_is_cut_at_a_sentence_end_within_alexas_limit():
    from channels.alexa.render import ReplyRenderer

    body = ReplyRenderer(load_facility()).response([{"text": "This sentence is long enough to matter. " * 400}])

    markup = body["response"]["outputSpeech"]["ssml"]
    assert ask_response_problems(body) == []
    assert 7000 < len(markup) <= 8000
    assert markup.endswith("matter.</speak>")


# --- the safety set, every phrasing -------------------------------------------------

SAFETY = yaml.safe_load(open(ROOT / "tests" / "safety_phrases.yml"))


@pytest.mark.parametrize("kind", ["crisis", "emergency"])
def test_every_phrasing_in_the_safety_set_is_caught_on_the_speaker(person, kind):
    message = behaviour_opening(kind)
    missed = []
    for phrase in SAFETY[kind]:
        session = person()
        session.launch()
        if message not in session.say(phrase).speech:
            missed.append(phrase)
    assert missed == []


def test_worry_is_not_answered_as_a_crisis_on_the_speaker(person):
    alarms = [behaviour_opening(kind) for kind in ("crisis", "emergency")]
    flagged = []
    for phrase in SAFETY["worry"]:
        session = person()
        session.launch()
        speech = session.say(phrase).speech
        if any(alarm in speech for alarm in alarms):
            flagged.append(phrase)
    assert flagged == []


def test_a_request_alexa_sends_twice_is_answered_twice_but_handled_once(speaker, person, monkeypatch):
    session = person()
    session.launch()
    body = session.body(request_for("what is a cyst"))
    first = session.post(body)
    stored = stored_events(speaker, session, monkeypatch)
    again = session.post(body)
    assert first.speech == again.speech and "cyst" in first.speech.lower()
    assert stored_events(speaker, session, monkeypatch) == stored


# --- noise, and Miner's statements -------------------------------------------------

NOISE = yaml.safe_load(open(ROOT / "tests" / "noise_inputs.yml"))["noise"]


def test_noise_never_ends_the_session(person):
    ended, answered = [], []
    for text in NOISE:
        speaker_user = person()
        speaker_user.launch()
        reply = speaker_user.say(text.lower().strip(".?!"))
        assert_valid(reply)
        if reply.ends_session:
            ended.append(text)
        # as on the other channels: "didn't catch that", "did you ask about ...?" and "I can only help with ..."
        # are not acting on noise; a curated answer is
        elif not any(w in reply.speech for w in (behaviour_opening("not_heard"), behaviour_opening("did_you_mean"),
                                                  behaviour_opening("out_of_scope"), "understand", "Callback Companion")):
            answered.append((text, reply.speech[:80]))
    assert len(NOISE) >= 100 and ended == [] and len(answered) <= 0.1 * len(NOISE), answered


@pytest.mark.parametrize("statement,kind,line_name", [
    ("I want to commit suicide", "crisis", "988"),
    ("I am depressed", "disclosure_depression", "988"),
    ("I was raped", "disclosure_assault", "Sexual Assault"),
    ("I am being abused", "disclosure_abuse", "Domestic Violence"),
    ("I was beaten up by my husband", "disclosure_abuse", "Domestic Violence"),
    ("I am having a heart attack", "emergency", "911"),
])
def test_miners_statements_on_the_speaker_get_the_line_on_card_and_in_speech(person, statement, kind, line_name):
    reply = person().say(statement)
    assert_valid(reply)
    assert behaviour_opening(kind) in reply.speech
    assert line_name in reply.card["title"] + reply.card["content"]
    assert reply.ends_session is False


@pytest.mark.parametrize("statement", ["Are you depressed?", "My head hurts", "My foot hurts"])
def test_miners_other_statements_on_the_speaker_get_no_alarm(person, statement):
    reply = person().say(statement)
    assert_valid(reply)
    for kind in ("crisis", "emergency", "disclosure_depression"):
        assert behaviour_opening(kind) not in reply.speech
    assert reply.ends_session is False


@pytest.mark.parametrize("when, valid", [(dt.datetime(2018, 3, 1, tzinfo=dt.timezone.utc), True),
                                         (dt.datetime(2019, 3, 1, tzinfo=dt.timezone.utc), False)])
def test_amazons_own_signing_chain_passes_while_it_was_valid(when, valid):
    """Amazon's echo-api chain of October 2017 (s3.amazonaws.com/echo.api/echo-api-cert-5.pem) and the VeriSign
    root it led to (from the certifi bundle of 2018; browsers have since removed it)."""
    from channels.alexa.certificates import TrustStore, load_pem_certificates, validate_chain

    assets = ROOT / "tests" / "assets"
    chain = load_pem_certificates((assets / "echo-api-chain-2017-10.pem").read_bytes())
    roots = TrustStore(load_pem_certificates((assets / "verisign-class-3-g5-root.pem").read_bytes()))
    if valid:
        assert validate_chain(chain, roots, when).leaf.subject.rfc4514_string().startswith("CN=echo-api.amazon.com")
    else:
        with pytest.raises(VerificationError, match="expired"):
            validate_chain(chain, roots, when)
    with pytest.raises(VerificationError, match="trusted root"):
        validate_chain(chain, TrustStore([]), dt.datetime(2018, 3, 1, tzinfo=dt.timezone.utc))


# --- Spanish: the es-US model, and the request's locale -----------------------------

SPANISH = load_content(lang="es")


def test_a_spanish_speaker_is_greeted_answered_and_reprompted_in_spanish(person):
    user = person(locale="es-US")
    greeting = user.launch()
    assert_valid(greeting)
    assert opening(SPANISH.behaviour("greeting").spoken) in greeting.speech
    assert opening(SPANISH.behaviour("disclaimer").spoken) in greeting.speech
    assert "ayuda" in greeting.reprompt

    answer = user.say("qué son las calcificaciones")
    assert_valid(answer)
    assert opening(SPANISH.answers["finding_calcifications"].spoken) in answer.speech
    assert answer.card["title"] == SPANISH.answers["finding_calcifications"].title
    assert answer.reprompt == SPANISH.voice["speaker"]["reprompt_more"] or "pregunta" in answer.reprompt


def test_every_es_us_question_intent_reaches_the_assistant_with_its_opening_word(person):
    from channels.alexa.channel import OPENINGS_BY_LOCALE

    spanish = OPENINGS_BY_LOCALE["es-US"]
    assert spanish["AskQueIntent"] == "qué" and spanish["AskQuestionIntent"] == ""
    reply = person(locale="es-US").say("por qué me pidieron volver después de la mamografía")
    assert_valid(reply)
    assert opening(SPANISH.answers["callback_reasons"].spoken) in reply.speech


def test_a_spanish_speaker_in_crisis_hears_988_with_its_spanish_option(person):
    reply = person(locale="es-US").say("tengo una pregunta ya no quiero vivir")
    assert_valid(reply)
    assert "988" in reply.speech and "dos" in reply.speech
    assert reply.ends_session is False


def test_the_language_follows_each_requests_locale(person):
    user = person(locale="es-US")
    user.launch()
    user.locale = "en-US"  # a device set to English and Spanish sends each request in the language it heard
    english = user.say("what are calcifications")
    assert opening(CONTENT.answers["finding_calcifications"].spoken) in english.speech
