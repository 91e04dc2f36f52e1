"""When part of the system fails: what the person gets on every channel, what the operator sees, and that it recovers.

One production-like stack serves the module: PostgreSQL and Redis (scripts/replicated.py's
Deployment), the real action server, and a Rasa server on endpoints.production.yml whose
action endpoint is tests/fault_proxy.py, a real HTTP proxy in front of the action server
that a test switches between pass-through, delay, HTTP 500 and refuse. Every request is
real-shaped and signed as its channel requires (REST, the chat page, Twilio's signed form
posts, Alexa's signed JSON with a local certificate chain).

Each fault is played on each channel in one conversation: a normal turn, the fault, then
a follow-up ("tell me more") once the fault is gone, which shows the conversation kept
its context. Each faulty turn is timed against the platform's limit (REST and chat 10 s,
Alexa 8 s, Twilio 15 s), and the Rasa log must hold an ERROR record naming the fault and
no identifier of the person.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple
from xml.etree import ElementTree as ET

import psycopg2
import pytest
import redis
import requests
from twilio.request_validator import RequestValidator

from alexa_requests import CERT_URL, CertificateAuthority, SkillSession, ask_response_problems
from conftest import ROOT, TEST_SECRETS, base_env, free_port
from fault_proxy import FaultProxy
from scripts.processes import action_server_command, http_ok, rasa_server_command, spawn, wait_until
from scripts.replicated import ENDPOINTS, HOST, LOCK_KEY_PREFIX, REDIS_LOCK_DB, DB_NAME, Deployment, missing_binaries

from channels import twiml
from channels.alexa.render import REPROMPT_TROUBLE
from channels.alexa.verification import cert_cache_name
from companion.content import content
from companion.privacy import conversation_key
from companion.render import render_behaviour
from companion.settings import load_facility

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(missing_binaries()),
        reason=f"Debian packages missing: {', '.join(missing_binaries())} (run `make system-packages`)",
    ),
]

CHANNELS = ["rest", "chat", "phone", "speaker"]
# How long each platform waits for an answer (what the person would otherwise get is silence or an error).
LIMITS = {"rest": 10.0, "chat": 10.0, "phone": 15.0, "speaker": 8.0}
CONTENT = content()
FACILITY = load_facility()
APOLOGY = render_behaviour("service_trouble", "fallback", "rest", CONTENT, FACILITY).text
SUPPORT_DISPLAY = "1-800-227-2345"
SUPPORT_SPOKEN = f'<say-as interpret-as="telephone">{SUPPORT_DISPLAY}</say-as>'
TOKEN = TEST_SECRETS["TWILIO_AUTH_TOKEN"]
SKILL_ID = TEST_SECRETS["ALEXA_SKILL_ID"]
CALLER = "+16125550199"
FRESH_DB = "companion_fresh"
TIMINGS: List[str] = []  # printed at the end of the module (pytest -s)


# --- the stack -------------------------------------------------------------------


class RasaServer:
    """One Rasa server on endpoints.production.yml, its log, and a way to read what it logged since a moment."""

    def __init__(self, stack: "Stack", name: str, env: Optional[Dict[str, str]] = None) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log = stack.deployment.logs / f"{name}.log"
        self.started = time.monotonic()
        self.process = spawn(rasa_server_command(stack.model, ENDPOINTS, self.port), {**stack.env, **(env or {})},
                             self.log, own_session=True)

    def ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self, seconds: float = 90) -> float:
        """Seconds from start until the server answers; fails (never hangs) after `seconds`."""
        wait_until(self.ready, "Rasa", seconds, (self.process, self.log))
        return time.monotonic() - self.started

    def offset(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def since(self, offset: int) -> str:
        with self.log.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Stack:
    """PostgreSQL, Redis, the action server behind the fault proxy, and the Alexa test certificates."""

    def __init__(self, base: Path, model: Path) -> None:
        self.model = model
        self.deployment = Deployment(base=base, model=model, env=base_env(), fresh=True)
        self.proxy: Optional[FaultProxy] = None
        self.actions: Optional[subprocess.Popen] = None
        self.authority = CertificateAuthority()
        self.signer = self.authority.issue()

    def start(self) -> "Stack":
        deployment = self.deployment
        deployment.start_stores()
        self.proxy = FaultProxy(f"http://{HOST}:{deployment.actions_port}").start()
        roots, certs = deployment.base / "trusted-roots.pem", deployment.base / "alexa-certs"
        roots.write_bytes(self.authority.root_pem())
        certs.mkdir(exist_ok=True)
        (certs / cert_cache_name(CERT_URL)).write_bytes(self.signer.chain_pem())
        self.env = {
            **deployment.env,
            "CC_ACTION_ENDPOINT_URL": self.proxy.url,
            "ALEXA_TRUSTED_ROOTS": str(roots),
            "ALEXA_CERT_CACHE_DIR": str(certs),
        }
        self.start_actions()
        return self

    def start_actions(self) -> None:
        log = self.deployment.logs / "actions.log"
        self.actions = spawn(action_server_command(self.deployment.actions_port), self.env, log, append=True, own_session=True)
        wait_until(lambda: http_ok(f"http://{HOST}:{self.deployment.actions_port}/health"), "the action server", 90, (self.actions, log))

    def stop_actions(self) -> None:
        if self.actions is not None and self.actions.poll() is None:
            self.actions.terminate()
            try:
                self.actions.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.actions.kill()
                self.actions.wait()

    def lock_held(self, conversation_id: str) -> bool:
        client = redis.Redis(host=HOST, port=self.deployment.redis_port, db=REDIS_LOCK_DB)
        return bool(client.exists(LOCK_KEY_PREFIX + conversation_id))

    def stored_events(self, conversation_id: str, database: str = DB_NAME) -> List[Dict]:
        dsn = self.deployment.dsn.replace(f"dbname={DB_NAME}", f"dbname={database}")
        with psycopg2.connect(dsn) as db, db.cursor() as cursor:
            cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (conversation_key(conversation_id),))
            return [json.loads(data) for (data,) in cursor.fetchall()]

    def create_database(self, name: str) -> None:
        db = psycopg2.connect(self.deployment.dsn)
        try:
            db.autocommit = True
            with db.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {name}")
        finally:
            db.close()

    def postgres_answers(self) -> bool:
        try:
            psycopg2.connect(self.deployment.dsn, connect_timeout=2).close()
            return True
        except psycopg2.OperationalError:
            return False

    def stop(self) -> None:
        self.stop_actions()
        if self.proxy is not None:
            self.proxy.stop()
        self.deployment.stop()


@pytest.fixture(scope="module")
def stack(trained_model):
    running = Stack(ROOT / "build" / "faults", trained_model)
    try:
        yield running.start()
    finally:
        running.stop()
        print("\nfault-test turns (channel, fault, seconds, what the person got):\n  " + "\n  ".join(TIMINGS))


@pytest.fixture(scope="module")
def assistant(stack):
    server = RasaServer(stack, "rasa")
    try:
        seconds = server.wait_ready(120)
        TIMINGS.append(f"main Rasa server ready after {seconds:.1f} s")
        reply = requests.post(f"{server.url}/webhooks/rest/webhook", json={"sender": "warm-up", "message": "hello"}, timeout=60)
        reply.raise_for_status()
        yield server
    finally:
        server.stop()


@pytest.fixture
def healthy(stack, assistant):
    """Every fault is undone after each test, whatever happened in it."""
    stack.proxy.pass_through()
    yield
    stack.proxy.pass_through()
    stack.deployment.restart_postgres()
    if stack.actions is None or stack.actions.poll() is not None:
        stack.start_actions()


# --- a person on each channel -------------------------------------------------------


@dataclasses.dataclass
class Turn:
    """One reply, as the person's channel delivered it."""

    channel: str
    status: int
    seconds: float
    body: str
    texts: List[str] = dataclasses.field(default_factory=list)  # what she reads, or hears before the prompt
    customs: List[Dict] = dataclasses.field(default_factory=list)  # REST and chat: the reply contract objects
    attributes: Dict = dataclasses.field(default_factory=dict)  # speaker: sessionAttributes
    ssml: str = ""  # speaker: outputSpeech
    reprompt: str = ""  # speaker
    ends_session: Optional[bool] = None  # speaker
    prompt: str = ""  # phone: what the Gather says
    next_url: str = ""  # phone: where Twilio posts next
    xml: str = ""  # phone

    @property
    def heard(self) -> str:
        return " ".join(self.texts)

    @property
    def answer_id(self) -> Optional[str]:
        if self.channel == "speaker":
            return self.attributes.get("answer_id")
        return self.customs[0].get("answer_id") if len(self.customs) == 1 else None

    def describe(self) -> str:
        kind = "apology" if APOLOGY in self.heard else (self.answer_id or "-")
        return f"{self.status} in {self.seconds:.2f} s: {kind:24} {self.heard[:90]!r}"


class Person:
    channel = ""

    def __init__(self, assistant: RasaServer) -> None:
        self.url = assistant.url

    @property
    def conversation_id(self) -> str:
        raise NotImplementedError

    @property
    def identifiers(self) -> List[str]:
        """What must never appear in a log line."""
        raise NotImplementedError

    def start(self) -> Turn:
        raise NotImplementedError

    def ask(self, words: str) -> Turn:
        raise NotImplementedError

    def _timed(self, send: Callable[[], requests.Response]) -> requests.Response:
        began = time.monotonic()
        response = send()
        response.elapsed_seconds = time.monotonic() - began
        return response


class RestPerson(Person):
    channel = "rest"

    def __init__(self, assistant: RasaServer) -> None:
        super().__init__(assistant)
        self.sender = f"fault-rest-{uuid.uuid4().hex[:12]}"

    @property
    def conversation_id(self) -> str:
        return conversation_key("rest", self.sender)

    @property
    def identifiers(self) -> List[str]:
        return [self.sender]

    def start(self) -> Turn:
        return self.ask("hello")

    def ask(self, words: str) -> Turn:
        response = self._timed(lambda: requests.post(
            f"{self.url}/webhooks/rest/webhook", json={"sender": self.sender, "message": words}, timeout=LIMITS["rest"] + 30))
        turn = Turn("rest", response.status_code, response.elapsed_seconds, response.text)
        if response.status_code == 200:
            messages = response.json()
            turn.texts = [m["text"] for m in messages if m.get("text")]
            turn.customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
        return turn


class ChatPerson(Person):
    channel = "chat"

    def __init__(self, assistant: RasaServer) -> None:
        super().__init__(assistant)
        self.conversation = f"fault-chat-{uuid.uuid4().hex[:16]}"

    @property
    def conversation_id(self) -> str:
        return conversation_key("webchat", self.conversation)

    @property
    def identifiers(self) -> List[str]:
        return [self.conversation]

    def start(self) -> Turn:
        return self.ask("hello")

    def ask(self, words: str) -> Turn:
        response = self._timed(lambda: requests.post(
            f"{self.url}/webhooks/webchat/message", json={"conversation": self.conversation, "message": words},
            headers={"Origin": self.url}, timeout=LIMITS["chat"] + 30))
        turn = Turn("chat", response.status_code, response.elapsed_seconds, response.text)
        if response.status_code == 200:
            messages = response.json()["messages"]
            turn.texts = [m["text"] for m in messages if m.get("text")]
            turn.customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
        return turn


class PhonePerson(Person):
    """A caller: Twilio's signed form posts to the voice webhook, then to each <Gather>'s action URL."""

    channel = "phone"

    def __init__(self, assistant: RasaServer) -> None:
        super().__init__(assistant)
        self.sid = "CA" + uuid.uuid4().hex
        self.last: Optional[Turn] = None

    @property
    def conversation_id(self) -> str:
        return conversation_key("twilio", self.sid)

    @property
    def identifiers(self) -> List[str]:
        return [self.sid, CALLER, CALLER.lstrip("+"), CALLER[2:]]

    def post(self, path: str, keep: bool = True, **extra: str) -> Turn:
        url = path if path.startswith("http") else self.url + path
        fields = {
            "AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "CallSid": self.sid, "CallStatus": "in-progress",
            "Direction": "inbound", "From": CALLER, "Caller": CALLER, "To": "+16125550000", "Called": "+16125550000", **extra,
        }
        signature = RequestValidator(TOKEN).compute_signature(url, fields)
        response = self._timed(lambda: requests.post(
            url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=LIMITS["phone"] + 30))
        turn = Turn("phone", response.status_code, response.elapsed_seconds, response.text, xml=response.text)
        if response.status_code == 200:
            root = ET.fromstring(response.text)
            turn.texts = [twiml.spoken_text(say) for say in root.findall("Say")]
            gather = root.find("Gather")
            if gather is not None:
                turn.prompt = twiml.spoken_text(gather)
                turn.next_url = gather.get("action", "")
        if keep:
            self.last = turn
        return turn

    def start(self) -> Turn:
        return self.post("/webhooks/twilio_ivr/voice", CallStatus="ringing")

    def ask(self, words: str) -> Turn:
        assert self.last is not None and self.last.next_url, f"the call is not listening:\n{self.last.xml if self.last else ''}"
        return self.post(self.last.next_url, SpeechResult=words, Confidence="0.92")

    def press(self, key: str, after: Turn) -> Turn:
        """What pressing a key at `after`'s prompt would give, without moving the call on."""
        return self.post(after.next_url, keep=False, Digits=key)


class SpeakerPerson(Person):
    """An Alexa user in one skill session: signed requests, verified by the server as Amazon's would be."""

    channel = "speaker"

    def __init__(self, assistant: RasaServer, stack: Stack) -> None:
        super().__init__(assistant)
        self.session = SkillSession(f"{self.url}/webhooks/alexa/webhook", SKILL_ID, stack.signer)

    @property
    def conversation_id(self) -> str:
        return conversation_key("alexa", self.session.user_id, self.session.session_id)

    @property
    def identifiers(self) -> List[str]:
        return [self.session.user_id, self.session.session_id]

    def _turn(self, send: Callable) -> Turn:
        began = time.monotonic()
        reply = send()
        turn = Turn("speaker", reply.status, time.monotonic() - began, json.dumps(reply.body))
        if reply.status == 200:
            turn.attributes = reply.body.get("sessionAttributes") or {}
            turn.ssml = reply.ssml
            turn.texts = [reply.speech]
            turn.reprompt = reply.reprompt
            turn.ends_session = reply.ends_session
        return turn

    def start(self) -> Turn:
        return self._turn(self.session.launch)

    def ask(self, words: str) -> Turn:
        return self._turn(lambda: self.session.say(words))


def person_on(channel: str, assistant: RasaServer, stack: Stack) -> Person:
    if channel == "speaker":
        return SpeakerPerson(assistant, stack)
    return {"rest": RestPerson, "chat": ChatPerson, "phone": PhonePerson}[channel](assistant)


# --- what the person must get ---------------------------------------------------------


def assert_well_formed(turn: Turn) -> None:
    """Never a 500, a stack trace or a reply the platform would reject."""
    assert turn.status == 200, f"{turn.channel}: HTTP {turn.status}: {turn.body[:500]}"
    assert "Traceback" not in turn.body and "Exception" not in turn.body, turn.body[:500]
    assert turn.seconds < LIMITS[turn.channel], f"{turn.channel}: {turn.seconds:.1f} s, over the platform's {LIMITS[turn.channel]} s"
    if turn.channel == "phone":
        assert twiml.problems(turn.xml) == [], turn.xml
    elif turn.channel == "speaker":
        assert ask_response_problems(json.loads(turn.body)) == [], turn.body
    else:
        assert len(turn.customs) == 1, f"expected one reply-contract object: {turn.body[:500]}"


def assert_apology(turn: Turn) -> None:
    """The service_trouble apology with the support line, in the channel's own form, in time."""
    assert_well_formed(turn)
    if turn.channel in ("rest", "chat"):
        assert turn.customs == [{"answer_id": "fallback", "reason": "service_trouble"}], turn.body
        assert turn.texts == [APOLOGY], turn.body
        assert SUPPORT_DISPLAY in turn.texts[0]
    elif turn.channel == "phone":
        assert turn.texts == [APOLOGY], turn.xml
        assert SUPPORT_SPOKEN in turn.xml, "the number is read as a telephone number"
        # and offers to connect her to the support line
        assert turn.prompt == content().voice["phone"]["offer_support"].format(support_name=FACILITY.support_name), turn.xml
        assert "offer=support" in turn.next_url, turn.xml
    else:
        assert turn.texts == [APOLOGY], turn.body
        assert SUPPORT_SPOKEN in turn.ssml
        assert turn.attributes == {"answer_id": "fallback", "reason": "service_trouble"}, turn.body
        assert turn.ends_session is False and turn.reprompt == REPROMPT_TROUBLE, turn.body


def opening(text: str, words: int = 5) -> str:
    return " ".join(text.split()[:words])


def assert_answer(turn: Turn, answer_id: str, part: Optional[str] = None) -> None:
    """A curated answer (or one part of it), not the apology."""
    assert_well_formed(turn)
    assert APOLOGY not in turn.heard, f"{turn.channel}: still the apology: {turn.body[:300]}"
    answer = CONTENT.answers[answer_id]
    if turn.channel in ("rest", "chat"):
        assert turn.answer_id == answer_id, turn.body[:500]
        if part:
            assert turn.customs[0].get("part") == part, turn.body[:500]
        return
    if turn.channel == "speaker":
        assert turn.answer_id == answer_id, turn.body[:500]
    words = answer.more if part == "more" else answer.spoken
    assert opening(words) in turn.heard, f"{turn.channel}: expected {opening(words)!r} in {turn.heard[:300]!r}"


def assert_greeted(turn: Turn) -> None:
    assert_well_formed(turn)
    assert APOLOGY not in turn.heard
    if turn.channel in ("rest", "chat", "speaker"):
        assert turn.answer_id == "greeting", turn.body[:300]
    else:
        assert opening(CONTENT.behaviour("greeting").spoken) in turn.heard, turn.xml


# --- what the operator must see -----------------------------------------------------------

RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", re.M)


def error_records(log: str) -> List[str]:
    """The ERROR records in a stretch of Rasa's log, each with its traceback."""
    starts = [m.start() for m in RECORD_START.finditer(log)] + [len(log)]
    records = [log[a:b] for a, b in zip(starts, starts[1:])]
    return [r for r in records if re.match(r"^\S+ \S+ ERROR ", r)]


def assert_logged(server: RasaServer, offset: int, person: Person, fault: str, said: List[str]) -> str:
    """An ERROR record that names the fault, and nothing that identifies the person anywhere in the log."""
    patterns = {
        "refused": r"ERROR +rasa\.core\.actions\.action +- Failed to run custom action 'action_\w+'\. Couldn't connect to the server",
        "slow": r"ERROR +rasa\.core\.processor +- Encountered an exception while running action 'action_\w+'(?s:.*)\nTimeoutError",
        "error": r"ERROR +rasa\.core\.processor +- Encountered an exception while running action 'action_\w+'(?s:.*)ClientResponseError: 500",
        # Rasa's own record when a turn's read or write fails, or ours when a channel's look before the turn does
        "database": r"ERROR +(rasa\.core\.tracker_store +- Error happened when trying to (retrieve|save) conversation tracker "
                    r"(from|to) 'PrivateSQLTrackerStore'(?s:.*)OperationalError"
                    r"|companion\.tracker_store +- Conversation store unreachable while reading conversation \w+ \(OperationalError\))",
    }
    log = ""
    deadline = time.monotonic() + 3  # the reply may leave before the last record is flushed
    while time.monotonic() < deadline:
        log = server.since(offset)
        errors = error_records(log)
        if any(re.search(patterns[fault], record) for record in errors):
            break
        time.sleep(0.2)
    errors = error_records(log)
    assert any(re.search(patterns[fault], record) for record in errors), \
        f"no ERROR record naming the fault ({fault}) in:\n{log[-4000:]}"
    for identifier in person.identifiers:
        assert identifier not in log, f"{identifier!r} (the person's id or number) is in the server log"
    for words in said:
        for record in errors:
            assert words not in record, f"the person's words {words!r} are in an ERROR record:\n{record}"
    return next(r.splitlines()[0] for r in errors if re.search(patterns[fault], r))


def record(fault: str, turn: Turn) -> None:
    TIMINGS.append(f"{turn.channel:8} {fault:28} {turn.describe()}")


# --- 1-3: the action server down, slow, failing ------------------------------------------------


def converse_through_fault(stack: Stack, assistant: RasaServer, channel: str, fault: str, inject: Callable[[Person], None],
                           during: Callable[[Person, Turn], None] = lambda person, turn: None,
                           recovery_seconds: Optional[float] = None) -> Person:
    """A normal turn, the fault, then (fault gone) a follow-up in the same conversation."""
    person = person_on(channel, assistant, stack)
    assert_greeted(person.start())
    assert_answer(person.ask("what are calcifications"), "finding_calcifications")

    inject(person)
    offset, began = assistant.offset(), time.time()
    question = "what is a cyst"
    faulty = person.ask(question)
    record(fault, faulty)
    assert_apology(faulty)
    calls = stack.proxy.calls_since(began)
    assert any(c.mode == stack.proxy.mode for c in calls), f"the fault was never hit: {calls}"
    first_line = assert_logged(assistant, offset, person, fault, [question])
    TIMINGS.append(f"{'':8} {'':28} log: {first_line.strip()[:170]}")
    during(person, faulty)

    stack.proxy.pass_through()
    after = person.ask("tell me more")
    record(f"{fault}, then fixed", after)
    # the failed turn left the conversation as it was: "more" is about calcifications
    assert_answer(after, "finding_calcifications", part="more")
    if recovery_seconds is not None:
        assert after.seconds < recovery_seconds, f"the next turn took {after.seconds:.1f} s: is the conversation still locked?"
    return person


@pytest.mark.parametrize("channel", CHANNELS)
def test_action_server_refusing_connections(stack, assistant, healthy, channel):
    converse_through_fault(stack, assistant, channel, "refused", lambda person: stack.proxy.refuse())


@pytest.mark.parametrize("channel", CHANNELS)
def test_action_server_slow(stack, assistant, healthy, channel):
    """The proxy holds every action call 20 s: our action timeout (CC_ACTION_TIMEOUT, 4.5 s) cuts it and frees the lock."""

    held: List[bool] = []

    def slow_down(person: Person) -> None:
        stack.proxy.delay(20)

        def watch() -> None:  # the lock is in Redis while the turn waits for the action server
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline and not held:
                if stack.lock_held(person.conversation_id):
                    held.append(True)
                time.sleep(0.05)

        threading.Thread(target=watch, daemon=True).start()

    def lock_released(person: Person, turn: Turn) -> None:
        assert held, "the conversation's lock was never seen in Redis during the slow turn"
        deadline = time.monotonic() + 2
        while stack.lock_held(person.conversation_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not stack.lock_held(person.conversation_id), "the conversation's lock is still held in Redis"
        # the proxy really held the call until Rasa's action timeout cut it; the log names aiohttp's TimeoutError
        assert turn.seconds >= 4.5, f"{turn.seconds:.1f} s"

    converse_through_fault(stack, assistant, channel, "slow", slow_down, during=lock_released, recovery_seconds=3.0)


@pytest.mark.parametrize("channel", CHANNELS)
def test_action_server_answering_500(stack, assistant, healthy, channel):
    converse_through_fault(stack, assistant, channel, "error", lambda person: stack.proxy.error())


def test_action_server_process_stopped_then_restarted(stack, assistant, healthy):
    """The real action server process stops: every channel apologises; once it is back, every conversation goes on."""
    people = [person_on(channel, assistant, stack) for channel in CHANNELS]
    for person in people:
        assert_greeted(person.start())
        assert_answer(person.ask("what are calcifications"), "finding_calcifications")

    stack.stop_actions()
    for person in people:
        offset = assistant.offset()
        faulty = person.ask("what is a cyst")
        record("action server stopped", faulty)
        assert_apology(faulty)
        assert_logged(assistant, offset, person, "refused", ["what is a cyst"])
        if isinstance(person, PhonePerson):
            # the caller who presses 1 is put through to the support line, action server or not
            dial = ET.fromstring(person.press("1", faulty).xml).find("Dial")
            assert dial is not None and dial.findtext("Number") == "+18002272345"

    began = time.monotonic()
    stack.start_actions()
    TIMINGS.append(f"action server restarted in {time.monotonic() - began:.1f} s")
    for person in people:
        after = person.ask("tell me more")
        record("action server back", after)
        assert_answer(after, "finding_calcifications", part="more")


# --- 4: the conversation store unreachable mid-conversation ------------------------------------


def turn_problems(events: List[Dict]) -> List[str]:
    """Every stored user event must be followed by its actions and closed by action_listen before the next one."""
    problems = []
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    for n, i in enumerate(users):
        end = users[n + 1] if n + 1 < len(users) else len(events)
        actions = [e.get("name") for e in events[i + 1:end] if e.get("event") == "action"]
        if not any(a != "action_listen" for a in actions):
            problems.append(f"user event {n + 1} has no action after it: {actions}")
        if not actions or actions[-1] != "action_listen":
            problems.append(f"user event {n + 1} is not closed by action_listen: {actions}")
    return problems


def stored_intents(events: List[Dict]) -> List[str]:
    return [(e.get("parse_data") or {}).get("intent", {}).get("name") for e in events if e.get("event") == "user"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_database_down_mid_conversation(stack, assistant, healthy, channel):
    """PostgreSQL stops mid-conversation: every turn is still answered in time; when it is back, the conversation
    goes on from what was stored, without restarting Rasa, and every stored turn is whole."""
    person = person_on(channel, assistant, stack)
    assert_greeted(person.start())
    assert_answer(person.ask("what are calcifications"), "finding_calcifications")
    said = ["what are calcifications"]

    offset = assistant.offset()
    if channel == "rest":
        # a turn in flight when the database goes: its action takes 2 s, PostgreSQL stops after 0.8 s
        stack.proxy.delay(2)
        result: Dict[str, Turn] = {}
        thread = threading.Thread(target=lambda: result.update(turn=person.ask("what is dense breast tissue")))
        thread.start()
        time.sleep(0.8)
        stack.deployment.stop_postgres()
        thread.join(LIMITS["rest"] + 30)
        stack.proxy.pass_through()
        record("database stops mid-turn", result["turn"])
        assert_well_formed(result["turn"])
        said.append("what is dense breast tissue")
    else:
        stack.deployment.stop_postgres()

    during = person.ask("what is a cyst")
    said.append("what is a cyst")
    record("database down", during)
    assert_well_formed(during)
    assert_apology(during)
    first_line = assert_logged(assistant, offset, person, "database", said)
    TIMINGS.append(f"{'':8} {'':28} log: {first_line.strip()[:170]}")

    began = time.monotonic()
    stack.deployment.restart_postgres()
    TIMINGS.append(f"{'':8} PostgreSQL back in {time.monotonic() - began:.1f} s")
    after = person.ask("tell me more")
    record("database back", after)
    # the conversation goes on from what was stored before the outage, with no restart of Rasa
    assert_answer(after, "finding_calcifications", part="more")
    assert after.seconds < 3.0

    events = stack.stored_events(person.conversation_id)
    assert turn_problems(events) == [], json.dumps(events)[:3000]
    # the turns answered while the database was down are not stored at all; the others are, once each
    assert stored_intents(events) == ["greet", "ask_finding_calcifications", "tell_more"], stored_intents(events)


@pytest.mark.parametrize("channel", CHANNELS)
def test_database_down_person_is_told_of_the_trouble(stack, assistant, healthy, channel):
    person = person_on(channel, assistant, stack)
    assert_greeted(person.start())
    assert_answer(person.ask("what are calcifications"), "finding_calcifications")
    stack.deployment.stop_postgres()
    during = person.ask("tell me more")
    record("database down: tell me more", during)
    stack.deployment.restart_postgres()
    assert_apology(during)


def health(server: RasaServer) -> Tuple[int, Dict[str, str]]:
    reply = requests.get(f"{server.url}/webhooks/health/", timeout=10)
    return reply.status_code, reply.json()["checks"]


def test_the_health_check_names_the_part_that_is_down(stack, assistant, healthy):
    """Ready (200) with everything up; 503 naming the conversation store or the action server while it is down."""
    assert health(assistant) == (200, {"model": "ok", "conversation_store": "ok", "lock_store": "ok", "action_server": "ok"})

    stack.deployment.stop_postgres()
    status, checks = health(assistant)
    assert status == 503 and checks["conversation_store"].startswith("failing")
    assert {k: v for k, v in checks.items() if k != "conversation_store"} == {"model": "ok", "lock_store": "ok", "action_server": "ok"}
    stack.deployment.restart_postgres()
    assert health(assistant)[0] == 200

    stack.stop_actions()
    status, checks = health(assistant)
    assert status == 503 and checks["action_server"].startswith("failing") and checks["conversation_store"] == "ok"
    stack.start_actions()
    assert health(assistant)[0] == 200

    stack.proxy.delay(20)  # an action server that takes a call but never answers
    began = time.monotonic()
    status, checks = health(assistant)
    assert status == 503 and checks["action_server"] == "failing: no answer within 2 s"
    assert time.monotonic() - began < 5


# --- 5: the conversation store unreachable when Rasa starts ------------------------------------


def test_rasa_started_while_database_down(stack, assistant, healthy):
    """Rasa does not wait for PostgreSQL: it logs "Could not create tables" and is ready at once; until the database
    answers every channel gives the apology, and when PostgreSQL comes up turns are answered and stored again."""
    stack.deployment.stop_postgres()
    server = RasaServer(stack, "rasa-started-db-down")
    try:
        ready = server.wait_ready(90)
        TIMINGS.append(f"Rasa started with PostgreSQL down: ready after {ready:.1f} s, PostgreSQL still down")
        assert not stack.postgres_answers()
        assert re.search(r"ERROR +rasa\.core\.tracker_store +- Could not create tables: \(psycopg2\.OperationalError\)",
                         server.since(0)), server.tail()
        people = [person_on(channel, server, stack) for channel in CHANNELS]
        for person in people:
            turn = person.start()
            record("started without database", turn)
            assert_apology(turn)

        stack.deployment.restart_postgres()
        for person in people:
            turn = person.ask("what are calcifications")
            record("database up after start", turn)
            assert_answer(turn, "finding_calcifications")
            events = stack.stored_events(person.conversation_id)
            assert turn_problems(events) == []
            assert stored_intents(events) == ["ask_finding_calcifications"], stored_intents(events)
    finally:
        server.stop()


def test_rasa_started_before_a_new_database_stores_once_it_is_up(stack, assistant, healthy):
    stack.create_database(FRESH_DB)
    stack.deployment.stop_postgres()
    server = RasaServer(stack, "rasa-new-database", env={"CC_DB_NAME": FRESH_DB})
    try:
        server.wait_ready(90)
        stack.deployment.restart_postgres()
        person = RestPerson(server)
        dsn = stack.deployment.dsn.replace(f"dbname={DB_NAME}", f"dbname={FRESH_DB}")
        table = None
        deadline = time.monotonic() + 12  # longer than the 5 s between SQLTrackerStore's connection retries
        while table is None and time.monotonic() < deadline:
            turn = person.ask("what are calcifications")
            assert_answer(turn, "finding_calcifications")
            with psycopg2.connect(dsn) as db, db.cursor() as cursor:
                cursor.execute("SELECT to_regclass('events')")
                table = cursor.fetchone()[0]
            if table is None:
                time.sleep(2)
        record("new database, up after start", turn)
        assert table is not None, "12 s after PostgreSQL came up there is still no events table: nothing is stored"
        assert "ask_finding_calcifications" in stored_intents(stack.stored_events(person.conversation_id, FRESH_DB))
    finally:
        server.stop()
