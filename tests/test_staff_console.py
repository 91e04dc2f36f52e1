"""The staff console over HTTP: sign-in, refusals, a chat taken by a navigator, nobody free, and call backs on both channels.

One assistant with live chat and call backs on (tests/staff_client.py's
STAFF_ENV) serves every test here; the browser test with two Chromium windows
is tests/test_staff_browser.py, the replicated one in tests/test_replicated.py.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
import uuid
from xml.etree import ElementTree as ET

import pytest
import requests
from cryptography.fernet import Fernet
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from test_chat_page import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS
from test_phone_line import Call, signature
from test_privacy_sinks import SECRETS, TYPED

from channels import twiml
from companion.content import content
from companion.privacy import conversation_key
from conftest import Assistant, Replies
from scripts.staff_client import CALLBACK_KEY, PASSWORD, STAFF_ENV, ChatPageClient, Navigator, create_account

CALLER = "+16125550143"


@pytest.fixture(scope="module")
def staffed(trained_model, tmp_path_factory):
    running = Assistant(tmp_path_factory.mktemp("staffed"), trained_model, extra_env=STAFF_ENV)
    create_account(running.endpoints_file, "jordan")
    create_account(running.endpoints_file, "casey")
    yield running
    running.stop()


@pytest.fixture
def navigator(staffed) -> Navigator:
    person = Navigator(staffed.url)
    assert person.sign_in("jordan").status_code == 303
    return person


class ChatPage(ChatPageClient):
    """The chat page's requests, each turn's replies read as the tests read them."""

    def __init__(self, assistant) -> None:
        super().__init__(assistant.url)

    def say(self, text: str) -> Replies:
        return Replies(self.send(text))


# --- refusals -----------------------------------------------------------------------

ROUTES = [
    ("GET", "/api/queue"), ("GET", "/api/handoffs/1"), ("GET", "/api/handoffs/1/events"),
    ("POST", "/api/handoffs/1/take"), ("POST", "/api/handoffs/1/reply"), ("POST", "/api/handoffs/1/hand-back"),
    ("POST", "/api/handoffs/1/close"), ("GET", "/api/callbacks"), ("POST", "/api/callbacks/1/done"),
    ("POST", "/sign-out"), ("GET", "/static/console.js"),
]
CHANGES = [path for method, path in ROUTES if method == "POST"]


@pytest.mark.parametrize("cookie", ["", "cc_staff=forged-session-token"])
def test_every_console_route_refuses_a_request_without_a_session(staffed, cookie):
    headers = {"Cookie": cookie} if cookie else {}
    for method, path in ROUTES:
        reply = requests.request(method, f"{staffed.url}/webhooks/staff{path}", headers=headers, json={}, timeout=30)
        assert reply.status_code == 401, (method, path, reply.status_code)
    page = requests.get(f"{staffed.url}/webhooks/staff/", headers=headers, allow_redirects=False, timeout=30)
    assert page.status_code == 303 and page.headers["Location"].endswith("/webhooks/staff/sign-in")


def test_a_change_without_the_csrf_token_or_from_another_site_is_refused(staffed, navigator):
    chat = ChatPage(staffed)
    chat.say("hello")
    chat.say("I want to talk to a real person")
    entry = navigator.entry_for(chat.key)
    changes = [p.replace("/1/", f"/{entry['id']}/") for p in CHANGES]
    for path in changes:
        assert navigator.post(path, csrf="").status_code == 403, path
        assert navigator.post(path, csrf="not-the-token").status_code == 403, path
        assert navigator.post(path, origin="https://elsewhere.example").status_code == 403, path
    cross_site = requests.post(
        f"{staffed.url}/webhooks/staff/api/handoffs/{entry['id']}/take",
        headers=navigator.headers({"X-CSRF-Token": navigator.csrf, "Sec-Fetch-Site": "cross-site"}), timeout=30)
    assert cross_site.status_code == 403
    assert navigator.entry_for(chat.key)["status"] == "waiting", "nothing refused changed anything"
    assert navigator.get("/api/queue").status_code == 200, "the session still works"


def test_the_session_cookie_is_secure_httponly_and_strict(staffed):
    form = requests.get(f"{staffed.url}/webhooks/staff/sign-in", timeout=30)
    person = Navigator(staffed.url)
    reply = person.sign_in("jordan")
    assert reply.status_code == 303
    session_cookie = next(h for h in reply.raw.headers.getlist("Set-Cookie") if h.startswith("cc_staff="))
    attributes = {part.strip().lower() for part in session_cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=strict", "path=/webhooks/staff"} <= attributes
    assert "Content-Security-Policy" in form.headers


def test_a_wrong_password_is_refused_and_the_lockout_holds(staffed):
    create_account(staffed.endpoints_file, "riley")
    person = Navigator(staffed.url)
    assert person.sign_in("riley", "not the password at all").status_code == 401
    assert person.sign_in("nobody-by-that-name", PASSWORD).status_code == 401
    assert person.sign_in("riley", "not the password either").status_code == 401
    locked = person.sign_in("riley", "third wrong password")
    assert locked.status_code == 429 and "Too many wrong passwords" in locked.text
    assert person.sign_in("riley", PASSWORD).status_code == 429, "the right password does not open a locked account"
    assert person.get("/api/queue").status_code == 401
    # a sign-in form posted without the form's own token (from another site) is refused too
    forged = requests.post(f"{staffed.url}/webhooks/staff/sign-in",
                           data={"username": "jordan", "password": PASSWORD}, allow_redirects=False, timeout=30)
    assert forged.status_code == 403


# --- a chat taken by a navigator -----------------------------------------------------------

def test_a_navigator_takes_a_waiting_chat_answers_it_and_hands_it_back(staffed, navigator):
    chat = ChatPage(staffed)
    chat.say("hello")
    chat.say("what does calcifications mean")
    handoff = chat.say("can I talk to a real person")
    assert handoff.customs[-1]["live"] == "waiting" and "asked a navigator to join" in handoff.text

    entry = navigator.entry_for(chat.key)
    assert entry["status"] == "waiting" and entry["channel"] == "webchat" and entry["reason"] == "asked"
    assert entry["topic"] == "finding_calcifications" and entry["clinic_open"] is True
    detail = navigator.get(f"/api/handoffs/{entry['id']}").json()
    said = [line["text"] for line in detail["transcript"] if line["author"] == "person"]
    assert "what does calcifications mean" in said
    assert navigator.post(f"/api/handoffs/{entry['id']}/take").status_code == 200
    joined = chat.news_until("assistant")
    assert joined["live"] == "navigator"
    assert any("navigator has joined" in m["text"] for m in joined["messages"])

    assert chat.say("is it serious?").messages == [], "the assistant stays out of the navigator's chat"
    events = navigator.get(f"/api/handoffs/{entry['id']}/events", after=detail["last"]).json()
    assert [m["text"] for m in events["messages"] if m["author"] == "person"] == ["is it serious?"]
    assert navigator.post(f"/api/handoffs/{entry['id']}/reply", {"text": "Most calcifications are benign."}).status_code == 200
    reply = chat.news_until("navigator")
    assert [m["text"] for m in reply["messages"] if m["author"] == "navigator"] == ["Most calcifications are benign."]

    crisis = chat.say("I want to kill myself")
    assert crisis.customs[0]["answer_id"] == "crisis" and "988" in crisis.text
    alerts = navigator.get(f"/api/handoffs/{entry['id']}/events", after=events["last"]).json()["messages"]
    assert any(m["author"] == "alert" and "crisis" in m["text"] for m in alerts)
    assert navigator.entry_for(chat.key)["urgent"] is True
    assert chat.say("thank you").messages == [], "still the navigator's chat after the crisis answer"

    assert navigator.post(f"/api/handoffs/{entry['id']}/hand-back").status_code == 200
    left = chat.news_until("assistant")
    assert left["live"] is None and any("navigator has left" in m["text"] for m in left["messages"])
    assert chat.say("how long do biopsy results take").customs[-1]["answer_id"] == "biopsy_results_timing"
    assert navigator.entry_for(chat.key) is None, "handed back: off the queue"
    with sqlite3.connect(staffed.db) as db:
        audit = db.execute("SELECT username, action, conversation FROM staff_audit WHERE conversation = ?",
                           (chat.key,)).fetchall()
    assert ("jordan", "view", chat.key) in audit and ("jordan", "take", chat.key) in audit


def test_safety_events_are_marked_and_first_in_the_queue(staffed, navigator):
    asked = ChatPage(staffed)
    asked.say("I want to talk to a person")
    time.sleep(0.05)
    rest = staffed.rest(f"safety-{uuid.uuid4().hex[:8]}", "I am going to end my life tonight")
    assert any(isinstance(m.get("custom"), dict) and m["custom"].get("answer_id") == "crisis" for m in rest)
    queue = navigator.queue()
    urgent = [e for e in queue if e["urgent"]]
    assert urgent and queue[: len(urgent)] == urgent, "safety events come first"
    assert urgent[0]["safety"] == "crisis" and urgent[0]["channel"] == "rest"


def test_a_chat_nobody_takes_is_told_so_and_can_ask_for_a_call_back(staffed, navigator):
    chat = ChatPage(staffed)
    chat.say("hello")
    chat.say("I want to talk to a person")
    started = time.monotonic()
    told = chat.news_until("assistant", seconds=40)
    waited = time.monotonic() - started
    words = " ".join(m["text"] for m in told["messages"])
    assert "no navigator is free" in words and "1-800-227-2345" in words and "call you back" in words
    assert waited < float(STAFF_ENV["CC_STAFF_WAIT_SECONDS"]) + 5 and told["live"] is None
    assert navigator.entry_for(chat.key)["status"] == "missed", "the clinic still sees she wanted them"

    asked = chat.say("yes")
    assert asked.customs[-1].get("callback") == "ask_number"
    form = f"{staffed.url}/webhooks/webchat/callback"
    assert requests.post(form, json={"conversation": chat.id, "number": "12"}, timeout=30).status_code == 422
    kept = requests.post(form, json={"conversation": chat.id, "number": "(612) 555-0187"}, timeout=30)
    assert kept.status_code == 200 and Replies(kept.json()["messages"]).customs[-1]["callback"] == "saved"
    numbers = [c["number"] for c in navigator.get("/api/callbacks").json()["callbacks"]]
    assert "+16125550187" in numbers
    # a number for a conversation that was never asked for one is not kept
    stranger = ChatPage(staffed)
    stranger.say("hello")
    assert requests.post(form, json={"conversation": stranger.id, "number": "612-555-0111"}, timeout=30).status_code == 422


def test_a_spanish_chat_is_marked_in_the_queue_and_its_call_back_is_asked_for_in_spanish(staffed, navigator):
    chat = ChatPage(staffed)
    chat.say("hola")
    waiting = chat.say("quiero hablar con una persona")
    assert waiting.customs[-1].get("language") == "es"
    assert navigator.entry_for(chat.key)["language"] == "es", "the navigator sees she writes in Spanish"
    told = chat.news_until("assistant", seconds=40)
    assert "no hay una navegadora libre" in " ".join(m["text"] for m in told["messages"])
    asked = chat.say("sí")
    assert asked.customs[-1].get("callback") == "ask_number"
    form = f"{staffed.url}/webhooks/webchat/callback"
    refused = requests.post(form, json={"conversation": chat.id, "number": "12"}, timeout=30)
    assert refused.status_code == 422 and "dígitos" in refused.json()["error"]
    kept = requests.post(form, json={"conversation": chat.id, "number": "612 555 0155"}, timeout=30)
    assert kept.status_code == 200 and Replies(kept.json()["messages"]).customs[-1]["language"] == "es"
    kept_requests = navigator.get("/api/callbacks").json()["callbacks"]
    assert [c["language"] for c in kept_requests if c["number"] == "+16125550155"] == ["es"]
    stranger = ChatPage(staffed)
    stranger.say("hola, tengo una pregunta")
    not_asked = requests.post(form, json={"conversation": stranger.id, "number": "612-555-0111"}, timeout=30)
    assert not_asked.status_code == 422 and "no pidió" in not_asked.json()["error"]


# --- the phone line -----------------------------------------------------------------------

def test_a_transfer_whispers_the_reason_and_topic_to_the_navigator(staffed):
    call = Call(staffed, caller=CALLER)
    call.start()
    call.say("what does calcifications mean")
    transfer = call.say("can I talk to a person")
    number = transfer.dial.find("Number")
    assert number.text == "+16125550100" and number.get("url")
    whisper = requests.post(
        staffed.url + number.get("url"), data=call.fields(), timeout=30,
        headers={"X-Twilio-Signature": signature(staffed.url + number.get("url"), call.fields())})
    assert whisper.status_code == 200 and whisper.headers["content-type"].startswith("application/xml")
    assert twiml.problems(whisper.text, whisper=True) == []
    spoken = twiml.spoken_text(ET.fromstring(whisper.text))
    assert "asked for a person" in spoken and "calcifications" in spoken
    assert "0143" not in whisper.text.replace(" ", "").replace(",", "")
    unsigned = requests.post(staffed.url + number.get("url"), data=call.fields(), timeout=30)
    assert unsigned.status_code == 403


def test_an_unanswered_transfer_offers_a_call_back_and_a_yes_puts_it_in_the_console(staffed, navigator):
    call = Call(staffed, caller=CALLER)
    call.start()
    call.say("can I talk to a person")
    offer = call.transfer_ends("no-answer")
    assert "no one could take your call" in offer.said.lower()
    assert "call you back" in offer.prompt and "ends in 0143" in offer.prompt and "say yes or press 1" in offer.prompt
    assert '<say-as interpret-as="telephone">0143</say-as>' in offer.xml
    confirmed = call.say("yes")
    assert "will call you back" in confirmed.said

    requests_now = navigator.get("/api/callbacks").json()["callbacks"]
    mine = [r for r in requests_now if r["number"] == CALLER]
    assert len(mine) == 1 and mine[0]["channel"] == "twilio_ivr" and mine[0]["reason"] == "transfer_unanswered"
    with sqlite3.connect(staffed.db) as db:
        sealed = db.execute("SELECT number FROM staff_callbacks WHERE id = ?", (mine[0]["id"],)).fetchone()[0]
    assert CALLER not in sealed and Fernet(CALLBACK_KEY.encode()).decrypt(sealed.encode()).decode() == CALLER
    assert mine[0]["expires"] - mine[0]["created"] == pytest.approx(7 * 86400, abs=5)

    assert navigator.post(f"/api/callbacks/{mine[0]['id']}/done").status_code == 200
    assert all(r["number"] != CALLER for r in navigator.get("/api/callbacks").json()["callbacks"])
    with sqlite3.connect(staffed.db) as db:
        assert db.execute("SELECT COUNT(*) FROM staff_callbacks WHERE id = ?", (mine[0]["id"],)).fetchone()[0] == 0


def test_a_spanish_caller_nobody_answers_is_offered_a_call_back_in_spanish_and_it_is_marked_spanish(staffed, navigator):
    caller = "+16125550166"
    call = Call(staffed, caller=caller)
    call.start()
    call.press("9")
    transfer = call.say("quiero hablar con una persona")
    assert transfer.dialled == "+16125550100"
    offer = call.transfer_ends("no-answer")
    assert "nadie pudo tomar su llamada" in offer.said and "termina en 0166" in offer.prompt
    assert offer.gather.get("language") == "es-US"
    confirmed = call.say("sí")
    assert "le llamará" in confirmed.said
    mine = [r for r in navigator.get("/api/callbacks").json()["callbacks"] if r["number"] == caller]
    assert [(r["channel"], r["language"]) for r in mine] == [("twilio_ivr", "es")]


def test_a_no_to_the_call_back_keeps_nothing(staffed, navigator):
    call = Call(staffed, caller="+16125550177")
    call.start()
    call.say("can I talk to a person")
    call.transfer_ends("busy")
    call.press("2")
    assert all(r["number"] != "+16125550177" for r in navigator.get("/api/callbacks").json()["callbacks"])


def test_personal_details_typed_in_a_navigators_chat_are_kept_only_redacted(staffed, navigator):
    chat = ChatPage(staffed)
    chat.say("I want to talk to a person")
    entry = navigator.entry_for(chat.key)
    assert navigator.post(f"/api/handoffs/{entry['id']}/take").status_code == 200
    assert chat.say(TYPED).messages == []
    assert navigator.post(f"/api/handoffs/{entry['id']}/reply", {"text": "Thanks Maria Lopez, we will call 612-555-0143"}).status_code == 200
    live = navigator.get(f"/api/handoffs/{entry['id']}").json()["live"]
    assert "[name]" in " ".join(m["text"] for m in live) and "[phone]" in " ".join(m["text"] for m in live)
    assert navigator.post(f"/api/handoffs/{entry['id']}/hand-back").status_code == 200


def test_the_call_back_number_is_kept_nowhere_but_its_encrypted_column(staffed):
    kept = []
    with sqlite3.connect(staffed.db) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            kept += [repr(row) for row in db.execute(f'SELECT * FROM "{table}"')]
    kept += [p.read_bytes().decode("utf-8", "replace") for p in staffed.db.parent.glob(staffed.db.name + "-*")]
    kept.append(staffed.log_text())
    everything = "\n".join(kept)
    for digits in ("6125550143", "612-555-0143", "555-0143", "6125550187", "555-0187", "0 1 4 3"):
        assert digits not in everything, digits
    # nor anything else personal typed into a live chat (tests/test_privacy_sinks.py's details)
    found = [secret for secret in SECRETS if secret in everything.lower()]
    assert found == [], f"kept in clear: {found}"


# --- two Chromium windows: the person on the chat page, the navigator at the console ------------

@pytest.fixture(scope="module")
def two_windows():
    drivers, profiles = [], []
    for _ in range(2):
        profile = tempfile.TemporaryDirectory(prefix="staff-browser-")
        options = Options()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile.name}", "--window-size=1280,900"]:
            options.add_argument(flag)
        drivers.append(webdriver.Chrome(service=Service(CHROMEDRIVER), options=options))
        profiles.append(profile)
    yield drivers
    for driver in drivers:
        driver.quit()
    for profile in profiles:
        profile.cleanup()


def _axe_problems(driver, axe_url: str):
    driver.execute_script("var s = document.createElement('script'); s.src = arguments[0]; document.head.appendChild(s);",
                          axe_url)
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return !!window.axe;"), "axe-core to load")
    driver.set_script_timeout(30)
    results = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(function (r) { done(r.violations); },"
        " function (e) { done([{id: 'axe-error', impact: 'critical', description: String(e)}]); });")
    return [(v["id"], v.get("description")) for v in results if v.get("impact") in ("serious", "critical")]


def _send(driver, box: str, text: str) -> None:
    field = driver.find_element(By.CSS_SELECTOR, box)
    field.clear()
    field.send_keys(text)
    field.send_keys(Keys.ENTER)


def _texts(driver, selector: str):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, selector)]


@pytest.mark.slow
def test_a_person_and_a_navigator_chat_in_two_browser_windows(staffed, two_windows):
    patient, nurse = two_windows
    base = staffed.url.replace("127.0.0.1", "localhost")  # a secure context for the Secure cookie, as HTTPS would be
    wait = lambda driver, condition, what, seconds=30: WebDriverWait(driver, seconds).until(condition, what)  # noqa: E731

    nurse.get(f"{base}/webhooks/staff/")
    assert nurse.current_url.endswith("/webhooks/staff/sign-in")
    assert _axe_problems(nurse, f"{base}/webhooks/webchat/static/axe.min.js") == []
    nurse.find_element(By.ID, "username").send_keys("casey")
    nurse.find_element(By.ID, "password").send_keys(PASSWORD)
    nurse.find_element(By.ID, "sign-in").click()
    wait(nurse, lambda d: d.current_url.endswith("/webhooks/staff/") and d.find_elements(By.ID, "queue"), "the console")

    patient.get(f"{base}/webhooks/webchat/")
    wait(patient, lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript .message.assistant"), "the greeting")
    bubbles = lambda: len(patient.find_elements(By.CSS_SELECTOR, "#transcript .message.assistant"))  # noqa: E731
    had = bubbles()
    _send(patient, "#message-input", "what does calcifications mean")
    wait(patient, lambda d: bubbles() > had, "the answer")
    had = bubbles()
    _send(patient, "#message-input", "I want to talk to a person")
    wait(patient, lambda d: "asked a navigator to join" in d.find_element(By.ID, "transcript").text, "the handoff")
    wait(patient, lambda d: d.find_element(By.ID, "live-status").is_displayed(), "the waiting banner")
    browser_id = patient.execute_script("return JSON.parse(localStorage.getItem('callback-companion.chat')).conversation")
    key = conversation_key(conversation_key("webchat", browser_id))[:12]

    entry = wait(nurse, lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-conversation="{key}"]'), "the request", 15)
    assert "Asked for a person" in entry[0].text and "Chat page" in entry[0].text
    entry[0].click()
    wait(nurse, lambda d: "what does calcifications mean" in d.find_element(By.ID, "chat-transcript").text, "the transcript")
    nurse.find_element(By.ID, "take").click()
    wait(patient, lambda d: "A navigator has joined" in d.find_element(By.ID, "transcript").text, "the navigator joining")
    assert "chatting with a navigator" in patient.find_element(By.ID, "live-status").text

    had = bubbles()
    _send(patient, "#message-input", "is it serious?")
    wait(nurse, lambda d: "Person: is it serious?" in d.find_element(By.ID, "chat-transcript").text, "her message")
    assert bubbles() == had, "the assistant says nothing in between"
    wait(nurse, lambda d: d.find_element(By.ID, "reply-input").is_displayed(), "the reply box")
    _send(nurse, "#reply-input", "Most calcifications turn out to be benign. I can book your visit.")
    wait(patient, lambda d: _texts(d, "#transcript .message.navigator"), "the navigator's reply", 10)
    assert "Most calcifications turn out to be benign" in _texts(patient, "#transcript .message.navigator")[-1]

    _send(patient, "#message-input", "I want to kill myself")
    wait(patient, lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript .message.assistant.urgent"), "the crisis answer")
    assert "988" in patient.find_elements(By.CSS_SELECTOR, "#transcript .message.assistant.urgent")[-1].text
    wait(nurse, lambda d: "crisis" in d.find_element(By.ID, "alerts").text, "the navigator's alert")
    assert _axe_problems(nurse, "static/axe.min.js") == []

    nurse.find_element(By.ID, "hand-back").click()
    wait(patient, lambda d: "navigator has left" in d.find_element(By.ID, "transcript").text, "the hand back")
    wait(patient, lambda d: not d.find_element(By.ID, "live-status").is_displayed(), "the banner gone")
    had = bubbles()
    _send(patient, "#message-input", "how long do biopsy results take")
    wait(patient, lambda d: bubbles() > had, "the assistant's answer")
    answer = content().answers["biopsy_results_timing"].text.splitlines()[0][:60]
    wait(patient, lambda d: answer in d.find_elements(By.CSS_SELECTOR, "#transcript .message.assistant")[-1].text,
         "the answer about biopsy results")
    assert _axe_problems(patient, "static/axe.min.js") == []
    severe = [e for e in patient.get_log("browser") + nurse.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], "both pages work under their Content-Security-Policy"



@pytest.mark.slow
def test_nobody_free_on_the_chat_page_then_a_call_back_typed_in_its_form(staffed, two_windows, navigator):
    patient = two_windows[0]
    patient.get(f"{staffed.url.replace('127.0.0.1', 'localhost')}/webhooks/webchat/")
    patient.execute_script("window.localStorage.clear();")
    patient.refresh()
    wait = lambda condition, what, seconds=30: WebDriverWait(patient, seconds).until(condition, what)  # noqa: E731
    wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript .message.assistant"), "the greeting")
    _send(patient, "#message-input", "can I talk to a person")
    wait(lambda d: "asked a navigator to join" in d.find_element(By.ID, "transcript").text, "the handoff")
    wait(lambda d: "no navigator is free" in d.find_element(By.ID, "transcript").text, "nobody free",
         float(STAFF_ENV["CC_STAFF_WAIT_SECONDS"]) + 20)
    [yes] = [b for b in patient.find_elements(By.CSS_SELECTOR, "button.suggestion") if b.text == "Yes, call me back"]
    yes.click()
    field = wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".callback-form input[type=tel]"), "the number form")[0]
    field.send_keys("12")
    field.send_keys(Keys.ENTER)
    wait(lambda d: "10-digit" in d.find_element(By.CSS_SELECTOR, ".callback-form .form-problem").text, "the refusal")
    field.clear()
    field.send_keys("612 555 0166")
    field.send_keys(Keys.ENTER)
    wait(lambda d: "will call you back" in d.find_element(By.ID, "transcript").text, "the thanks")
    assert not patient.find_elements(By.CSS_SELECTOR, ".callback-form"), "the form is gone"
    kept = patient.execute_script("return localStorage.getItem('callback-companion.chat');")
    assert "0166" not in kept, "the number is not kept in the browser"
    numbers = [c["number"] for c in navigator.get("/api/callbacks").json()["callbacks"]]
    assert "+16125550166" in numbers


def test_sign_in_attempts_from_one_client_are_limited_before_any_password_is_checked(staffed):
    """Last in this module: it uses up this client's sign-in attempts for a while."""
    person = Navigator(staffed.url)
    answers = []
    for _ in range(60):  # 20 a minute in STAFF_ENV; each refused attempt takes a password check's time
        answers.append(person.sign_in("nobody-by-that-name", "guess"))
        if answers[-1].status_code == 429:
            break
    assert answers[-1].status_code == 429 and "Too many sign-in attempts" in answers[-1].text
    assert {a.status_code for a in answers[:-1]} <= {401}
