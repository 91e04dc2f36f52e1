"""The web chat channel over HTTP: the page and its headers, a message in and the replies out, and requests the page would never send."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import uuid

import pytest
import requests

from channels.webchat import WebChatInput
from companion.content import content
import yaml
from conftest import ROOT, Replies

PAGE = "/webhooks/webchat/"


def new_conversation() -> str:
    return uuid.uuid4().hex


def post(assistant, conversation, message, **kwargs) -> requests.Response:
    return requests.post(
        f"{assistant.url}{PAGE}message", json={"conversation": conversation, "message": message}, timeout=30, **kwargs
    )


def say(assistant, conversation: str, message: str) -> Replies:
    response = post(assistant, conversation, message)
    assert response.status_code == 200, response.text
    return Replies(response.json()["messages"])


def post_raw(assistant, body: bytes) -> requests.Response:
    return requests.post(
        f"{assistant.url}{PAGE}message", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )


# --- the page ---------------------------------------------------------------


def test_the_page_is_served_with_a_strict_content_security_policy(assistant):
    page = requests.get(assistant.url + PAGE, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"

    html = page.text
    assert '<html lang="en">' in html
    assert re.search(r"<title>[^<]+</title>", html)
    assert '<label for="message-input"' in html
    assert 'maxlength="1000"' in html
    assert 'role="log"' in html and 'aria-live="polite"' in html
    # no inline script, no third-party anything, and axe-core is never loaded by the page itself
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "axe" not in html


@pytest.mark.parametrize(
    "name,content_type", [("chat.js", "text/javascript"), ("chat.css", "text/css"), ("axe.min.js", "text/javascript")]
)
def test_the_page_files_are_served_with_the_same_headers(assistant, name, content_type):
    response = requests.get(f"{assistant.url}{PAGE}static/{name}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(content_type)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["index.html", "webchat.py", "..%2Fwebchat.py", "VENDORED.md"])
def test_only_the_page_files_are_served(assistant, name):
    response = requests.get(f"{assistant.url}{PAGE}static/{name}", timeout=10)
    assert response.status_code == 404


def test_the_page_address_without_a_slash_leads_to_the_page(assistant):
    response = requests.get(assistant.url + PAGE.rstrip("/"), timeout=10)
    assert response.status_code == 200
    assert response.url.endswith(PAGE)


def test_the_page_renders_replies_without_innerhtml():
    from channels.webchat import PAGE_DIR

    script = (PAGE_DIR / "chat.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script
    assert "crypto.getRandomValues" in script


# --- messages in, replies out -----------------------------------------------


def test_a_new_conversation_is_greeted_with_the_disclaimer_and_starters(assistant):
    replies = say(assistant, new_conversation(), "/greet")
    assert replies.answer_id == "greeting"
    assert content().behaviour("disclaimer").text in replies.text
    titles = [b["title"] for b in replies.buttons]
    assert [content().answers[s].title for s in content().starters] == titles[: len(content().starters)]


def test_a_question_gets_its_answer_with_the_reply_contract(assistant):
    replies = say(assistant, new_conversation(), "what are calcifications?")
    assert replies.answer_id == "finding_calcifications"
    assert replies.custom["sources"] and all(s["publisher"] and s["title"] for s in replies.custom["sources"])
    assert content().answers["finding_calcifications"].text.splitlines()[0] in replies.text
    assert re.search(r"\n\nSources?: .*American Cancer Society", replies.text)
    assert {"title": "Tell me more", "payload": "/tell_more"} in replies.buttons
    # the browser gets the replies, not the keyed conversation hash
    assert all("recipient_id" not in m for m in replies.messages)


def test_the_same_conversation_id_continues_the_conversation(assistant):
    conversation = new_conversation()
    say(assistant, conversation, "what are calcifications?")
    more = say(assistant, conversation, "/tell_more")
    assert more.answer_id == "finding_calcifications"
    assert more.custom.get("part") == "more"


def test_after_a_handoff_the_next_message_is_still_answered(assistant):
    conversation = new_conversation()
    handoff = say(assistant, conversation, "I want to talk to a real person")
    assert handoff.answer_id == "handoff"
    contacts = handoff.custom["contacts"]
    assert contacts and all(c["tel"].startswith("tel:+") and c["display"] and c["hours"] for c in contacts)
    assert {b["payload"] for b in handoff.buttons} == {c["tel"] for c in contacts}
    records = [json.loads(line) for line in assistant.handoff_log.read_text().splitlines()]
    assert any(r["channel"] == "webchat" and r["reason"] == "asked" for r in records)

    # the handoff paused the conversation; writing again means going on with the assistant
    after = say(assistant, conversation, "what is a cyst?")
    assert after.answer_id == "finding_cyst"
    again = say(assistant, conversation, "/tell_more")
    assert again.answer_id == "finding_cyst"


def test_words_of_crisis_get_the_lifeline(assistant):
    replies = say(assistant, new_conversation(), "i want to kill myself")
    assert replies.answer_id == "crisis"
    assert "988" in replies.text
    assert any(line["tel"] == "tel:988" for line in replies.custom["lines"])


NOISE = yaml.safe_load(open(ROOT / "tests" / "noise_inputs.yml"))["noise"]


def test_noise_on_the_chat_page_is_never_a_goodbye_and_almost_never_an_answer(assistant):
    ended, acted_on = [], []
    for text in NOISE:
        replies = say(assistant, new_conversation(), text)
        if replies.custom.get("end_conversation"):
            ended.append(text)
        if replies.answer_id not in ("fallback", "out_of_scope", "greeting"):
            acted_on.append((text, replies.answer_id))
    assert len(NOISE) >= 100 and ended == [] and len(acted_on) <= 0.1 * len(NOISE), acted_on


@pytest.mark.parametrize("statement,kind,tel", [
    ("I want to commit suicide", "crisis", "tel:988"),
    ("I am depressed", "disclosure", "tel:988"),
    ("I was raped", "disclosure", "tel:+18006564673"),
    ("I am being abused", "disclosure", "tel:+18007997233"),
    ("I was beaten up by my husband", "disclosure", "tel:+18007997233"),
    ("I am having a heart attack", "emergency", "tel:911"),
])
def test_miners_statements_on_the_chat_page_get_the_right_line_to_tap(assistant, statement, kind, tel):
    replies = say(assistant, new_conversation(), statement)
    assert replies.answer_id == kind
    assert tel in [b["payload"] for b in replies.buttons]


@pytest.mark.parametrize("statement", ["Are you depressed?", "My head hurts", "My foot hurts"])
def test_miners_other_statements_on_the_chat_page_raise_no_alarm(assistant, statement):
    assert say(assistant, new_conversation(), statement).answer_id not in ("crisis", "emergency", "disclosure")


def test_control_characters_are_dropped_before_the_assistant_reads_the_message(assistant):
    replies = say(assistant, new_conversation(), "what are calci\x00fi\x07cations?\r\n")
    assert replies.answer_id == "finding_calcifications"


def test_a_100000_character_message_is_cut_and_answered(assistant):
    # letters only: a word of letters and digits may be a record number, and is redacted
    marker = "marker" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])
    response = post(assistant, new_conversation(), f"{marker} what are calcifications? " + "x" * 100_000)
    assert response.status_code == 200
    assert Replies(response.json()["messages"]).customs
    stored = [
        json.loads(row[0])["text"]
        for row in sqlite3.connect(assistant.db).execute("SELECT data FROM events WHERE type_name = 'user'")
        if marker in (json.loads(row[0]).get("text") or "")
    ]
    assert stored and all(len(text) <= 1000 for text in stored)


# --- requests the page would never send -------------------------------------


@pytest.mark.parametrize(
    "conversation",
    [None, "", "short", "x" * 65, "../../etc/passwd", "has space in it", "ümlautsümlauts", 12345678, ["abcdefgh"]],
)
def test_a_bad_conversation_id_is_refused(assistant, conversation):
    response = post(assistant, conversation, "what are calcifications?")
    assert response.status_code == 400
    assert "conversation" in response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b'"just a string"',
        b'{"conversation": "abcdefgh1234"}',
        b'{"conversation": "abcdefgh1234", "message": 42}',
        b'{"conversation": "abcdefgh1234", "message": "   \\n\\t "}',
        b'{"conversation": "abcdefgh1234", "message": "\\u0000\\u0007"}',
        b'{"conversation": "abcdefgh1234", "message": "hi"',
        b"\xff\xfe\x00{",
    ],
)
def test_a_malformed_request_gets_400_and_the_next_request_works(assistant, body):
    response = post_raw(assistant, body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert say(assistant, new_conversation(), "what is a cyst?").answer_id == "finding_cyst"


def test_invalid_utf8_in_a_message_is_replaced_not_refused(assistant):
    body = b'{"conversation": "' + new_conversation().encode() + b'", "message": "what is a cyst?\xff\xfe"}'
    response = post_raw(assistant, body)
    assert response.status_code == 200
    assert Replies(response.json()["messages"]).answer_id == "finding_cyst"


# --- when the assistant fails: the channel itself, with stand-ins for the assistant ---


def replies_when_the_assistant(behaves, timeout: float = 0.2):
    channel = WebChatInput(timeout_seconds=timeout)
    return Replies(asyncio.run(channel.answer(behaves, None, "abcdefgh1234", "what is a cyst?")))


async def too_slow(message):
    await asyncio.sleep(5)


async def fails(message):
    raise RuntimeError("the action server is down")


async def says_nothing(message):
    return None


@pytest.mark.parametrize("behaves", [too_slow, fails, says_nothing], ids=["too slow", "fails", "says nothing"])
def test_when_the_assistant_cannot_answer_the_person_sees_service_trouble(behaves):
    replies = replies_when_the_assistant(behaves)
    trouble = content().behaviour("service_trouble").text.split("{")[0]
    assert replies.text.startswith(trouble)
    assert replies.answer_id == "fallback"
    assert "1-800-227-2345" in replies.text


# --- the safety set, every phrasing -------------------------------------------------

SAFETY = yaml.safe_load(open(ROOT / "tests" / "safety_phrases.yml"))


@pytest.mark.parametrize("kind", ["crisis", "emergency", "worry"])
def test_every_phrasing_in_the_safety_set_gets_the_right_reply_in_chat(assistant, kind):
    wrong = []
    for phrase in SAFETY[kind]:
        reply = requests.post(
            f"{assistant.url}/webhooks/webchat/message",
            json={"conversation": f"safety-{uuid.uuid4().hex[:16]}", "message": phrase}, timeout=30,
        )
        kinds = [m["custom"]["answer_id"] for m in reply.json()["messages"] if "custom" in m]
        alarm = kinds and kinds[0] in ("crisis", "emergency")
        if (kind == "worry" and alarm) or (kind != "worry" and kinds != [kind]):
            wrong.append((phrase, kinds))
    assert wrong == []


def test_a_message_sent_twice_is_answered_twice_but_handled_once(assistant):
    body = {"conversation": f"replay-{uuid.uuid4().hex[:12]}", "message": "what is a cyst", "message_id": uuid.uuid4().hex}
    first = requests.post(f"{assistant.url}/webhooks/webchat/message", json=body, timeout=30).json()["messages"]
    again = requests.post(f"{assistant.url}/webhooks/webchat/message", json=body, timeout=30).json()["messages"]
    assert first == again
    more = requests.post(
        f"{assistant.url}/webhooks/webchat/message",
        json={"conversation": body["conversation"], "message": "say that again"}, timeout=30,
    ).json()["messages"]
    assert [m["custom"]["answer_id"] for m in more if "custom" in m] == ["finding_cyst"]
