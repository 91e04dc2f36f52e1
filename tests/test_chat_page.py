"""The chat page in a real browser: a person opens it, reads, types, taps, reloads, and nothing unsafe or inaccessible happens.

Headless Chromium (Debian's chromium and chromium-driver) talks to the real
assistant from the `assistant` fixture. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import tempfile
from typing import List

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from companion.content import content
from conftest import ARTIFACTS

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = (1280, 900)
PHONE = (360, 740)
REPLY_WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.TemporaryDirectory(prefix="chat-page-profile-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile.name}")
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    profile.cleanup()


class ChatPage:
    """The chat page as a person uses it, through the browser."""

    def __init__(self, driver: webdriver.Chrome, base_url: str) -> None:
        self.driver = driver
        self.url = f"{base_url}/webhooks/webchat/"

    # --- opening -----------------------------------------------------------
    def open_fresh(self) -> "ChatPage":
        """A first visit: nothing kept in this browser, so the assistant greets."""
        self.driver.get(self.url + "static/chat.css")  # same origin, without starting a chat
        self.driver.execute_script("window.localStorage.clear(); window.sessionStorage.clear();")
        self.driver.get(self.url)
        self.wait_for_replies(0)
        return self

    def reload(self) -> None:
        self.driver.refresh()
        self.wait_until(lambda d: self.assistant_bubbles(), "the kept transcript")

    # --- reading -----------------------------------------------------------
    def wait_until(self, condition, what: str, seconds: float = REPLY_WAIT_SECONDS):
        return WebDriverWait(self.driver, seconds).until(condition, f"waited for {what}")

    def find(self, selector: str) -> List[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def assistant_bubbles(self) -> List[WebElement]:
        return self.find("#transcript .message.assistant")

    def person_bubbles(self) -> List[WebElement]:
        return self.find("#transcript .message.person")

    def transcript_text(self) -> str:
        return self.find("#transcript")[0].text

    def latest_reply(self) -> WebElement:
        return self.assistant_bubbles()[-1]

    def suggestions(self) -> List[WebElement]:
        return self.find("#transcript button.suggestion")

    def waiting(self) -> bool:
        return self.find("#typing")[0].is_displayed()

    def wait_for_replies(self, had: int) -> WebElement:
        """Waits until the assistant has said more than `had` things and stopped typing."""
        self.wait_until(lambda d: len(self.assistant_bubbles()) > had and not self.waiting(), "the assistant's reply")
        return self.latest_reply()

    # --- doing -------------------------------------------------------------
    def type_and_send(self, text: str) -> WebElement:
        had = len(self.assistant_bubbles())
        box = self.find("#message-input")[0]
        box.clear()
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        return self.wait_for_replies(had)

    def tap(self, title: str) -> WebElement:
        had = len(self.assistant_bubbles())
        [button] = [b for b in self.suggestions() if b.text == title]
        button.click()
        return self.wait_for_replies(had)

    def set_screen(self, width: int, height: int, mobile: bool = False) -> None:
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.driver.save_screenshot(str(ARTIFACTS / name))

    def scrolls_sideways(self) -> bool:
        return self.driver.execute_script(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth;"
        )

    def accessibility_problems(self) -> List[dict]:
        """axe-core's serious and critical violations (the page itself never loads axe; this test injects it)."""
        self.driver.execute_script(
            "if (!window.axe) { var s = document.createElement('script');"
            " s.src = 'static/axe.min.js'; document.head.appendChild(s); }"
        )
        self.wait_until(lambda d: d.execute_script("return !!window.axe;"), "axe-core to load", 15)
        results = self.driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            "  .then(function (r) { done(r.violations); }, function (e) { done([{id: 'axe-error', impact: 'critical', description: String(e)}]); });"
        )
        return [v for v in results if v.get("impact") in ("serious", "critical")]


@pytest.fixture
def page(browser, assistant) -> ChatPage:
    browser.set_script_timeout(30)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return ChatPage(browser, assistant.url).open_fresh()


def first_line(answer_id: str) -> str:
    return content().answers[answer_id].text.splitlines()[0]


def test_a_first_visit_shows_the_disclaimer_and_the_starter_questions(page):
    disclaimer = content().behaviour("disclaimer").text
    assert disclaimer in page.transcript_text()
    starters = [content().answers[s].title for s in content().starters]
    shown = [b.text for b in page.suggestions()]
    assert starters == shown[: len(starters)]
    assert "Talk to a person" in shown
    assert page.person_bubbles() == []  # "/greet" is sent quietly


def test_a_typed_question_is_answered_with_its_sources_and_a_suggestion_leads_on(page):
    reply = page.type_and_send("what are calcifications?")
    assert first_line("finding_calcifications") in reply.text
    sources = reply.find_element(By.CSS_SELECTOR, "p.sources").text
    assert sources.startswith(("Source:", "Sources:"))
    assert "American Cancer Society" in sources

    follow_up = content().answers[content().answers["finding_calcifications"].follow_ups[0]]
    reply = page.tap(follow_up.title)
    assert page.person_bubbles()[-1].text.endswith(follow_up.title)
    assert first_line(follow_up.id) in reply.text
    assert reply.find_elements(By.CSS_SELECTOR, "p.sources")


def test_the_conversation_is_still_there_after_a_reload(page):
    page.type_and_send("what is a cyst?")
    before = page.transcript_text()
    page.reload()
    assert page.transcript_text() == before
    assert first_line("finding_cyst") in page.transcript_text()
    # the same conversation goes on: no second greeting
    reply = page.type_and_send("thank you")
    assert content().behaviour("disclaimer").text not in reply.text


def test_asking_for_a_person_shows_who_to_call_and_the_chat_goes_on_after(page):
    reply = page.type_and_send("I want to talk to a real person")
    card = reply.find_element(By.CSS_SELECTOR, ".handoff-card")
    calls = card.find_elements(By.CSS_SELECTOR, "a[href^='tel:']")
    assert calls, card.text
    support_number = "1-800-227-2345"  # the default 24/7 support line (config/facility.yml may add the clinic)
    assert any(support_number in a.text for a in calls)
    assert any(a.get_attribute("href") == "tel:+18002272345" for a in calls)
    assert "24 hours a day" in card.text

    # the handoff paused the conversation; writing again carries on with the assistant
    reply = page.type_and_send("what is a cyst?")
    assert first_line("finding_cyst") in reply.text


def test_words_of_crisis_bring_up_the_lifeline_as_an_alert(page):
    reply = page.type_and_send("i want to kill myself")
    alert = reply.find_element(By.CSS_SELECTOR, "[role='alert']")
    assert "988" in alert.text
    links = {a.get_attribute("href") for a in alert.find_elements(By.TAG_NAME, "a")}
    assert {"tel:988", "sms:988", "tel:911"} <= links


def test_markup_typed_by_a_person_is_shown_as_plain_text(page):
    typed = "<img src=x onerror=alert(1)>"
    page.type_and_send(typed)
    assert page.person_bubbles()[-1].text.endswith(typed)
    assert page.find("#transcript img") == []
    with pytest.raises(NoAlertPresentException):
        page.driver.switch_to.alert.text
    # the kept transcript is re-drawn as text too
    page.reload()
    assert page.person_bubbles()[-1].text.endswith(typed)
    assert page.find("#transcript img") == []


def test_start_over_forgets_the_conversation_and_greets_again(page):
    page.type_and_send("what is a cyst?")
    kept = page.driver.execute_script("return JSON.parse(localStorage.getItem('callback-companion.chat'));")
    had = len(page.assistant_bubbles())
    page.find("#start-over")[0].click()
    page.wait_until(lambda d: page.person_bubbles() == [] and page.assistant_bubbles() and not page.waiting(),
                    "a fresh greeting")
    assert first_line("finding_cyst") not in page.transcript_text()
    assert content().behaviour("disclaimer").text in page.transcript_text()  # a new conversation: disclaimer again
    fresh = page.driver.execute_script("return JSON.parse(localStorage.getItem('callback-companion.chat'));")
    assert fresh["conversation"] != kept["conversation"]
    assert len(fresh["entries"]) < had
    assert page.driver.switch_to.active_element.get_attribute("id") == "message-input"


def test_the_language_switch_turns_the_page_and_the_conversation_to_spanish_and_back(page):
    es = content("es")
    switch = page.find("#language-switch")[0]
    assert (switch.text, switch.get_attribute("lang")) == ("Español", "es")
    had = len(page.assistant_bubbles())
    switch.click()
    reply = page.wait_for_replies(had)
    assert es.behaviour("language_changed").text in reply.text
    assert page.driver.execute_script("return document.documentElement.lang;") == "es"
    assert page.find("#send")[0].text == "Enviar" and page.find("#language-switch")[0].text == "English"
    assert es.label("talk_to_person") in [b.text for b in page.suggestions()]

    answer = page.type_and_send("que es un quiste")
    assert es.answers["finding_cyst"].text.splitlines()[0] in answer.text
    assert answer.find_element(By.CSS_SELECTOR, "p.sources").text.startswith(("Fuente:", "Fuentes:"))
    page.reload()  # the choice stays with the conversation
    assert page.driver.execute_script("return document.documentElement.lang;") == "es"

    english = page.type_and_send("what is a cyst, in English please")
    assert page.driver.execute_script("return document.documentElement.lang;") == "en"
    assert page.find("#send")[0].text == "Send"
    assert english.text


def test_a_message_typed_in_spanish_turns_the_page_to_spanish(page):
    page.type_and_send("hola, me llamaron para otra mamografía, es normal?")
    assert page.driver.execute_script("return document.documentElement.lang;") == "es"
    assert page.find("label[for=message-input]")[0].text == "Escriba su pregunta"


def test_the_page_runs_without_errors_or_policy_violations(page):
    page.driver.get_log("browser")  # start from an empty log (opening a bare file asks for /favicon.ico)
    page.type_and_send("what are calcifications?")
    page.type_and_send("I want to talk to a real person")
    page.type_and_send("i want to kill myself")
    page.reload()
    problems = [entry for entry in page.driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert problems == [], "the page works under its own Content-Security-Policy"


def test_the_page_is_served_with_its_security_headers(page, assistant):
    headers = requests.get(page.url, timeout=10).headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Access-Control-Allow-Origin" not in requests.get(
        page.url, headers={"Origin": "https://elsewhere.example"}, timeout=10).headers, "no other site may call it"


def test_waiting_is_shown_to_the_eye_and_told_to_screen_readers(page):
    typing = page.find("#typing")[0]
    assert typing.get_attribute("aria-hidden") == "true"
    status = page.find("#status")[0]
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    log = page.find("#transcript")[0]
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    # hold the reply back so the waiting state can be seen
    page.driver.execute_cdp_cmd("Network.enable", {})
    page.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 1500, "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        box = page.find("#message-input")[0]
        had = len(page.assistant_bubbles())
        box.send_keys("what is a cyst?", Keys.ENTER)
        page.wait_until(lambda d: typing.is_displayed(), "the typing dots", 5)
        assert "typing" in status.get_attribute("textContent")
        page.wait_for_replies(had)
        assert status.get_attribute("textContent") == ""
    finally:
        page.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def test_empty_messages_are_not_sent_and_input_is_capped(page):
    box = page.find("#message-input")[0]
    assert box.get_attribute("maxlength") == "1000"
    box.send_keys("    ", Keys.ENTER)
    assert page.person_bubbles() == []
    assert not page.waiting()


def test_the_page_works_with_the_keyboard_alone(page):
    page.driver.execute_script("document.activeElement.blur();")  # start from the top of the page
    for _ in range(30):
        ActionChains(page.driver).send_keys(Keys.TAB).perform()
        active = page.driver.switch_to.active_element
        outline = active.value_of_css_property("outline-style")
        assert outline not in ("none", ""), f"no visible focus on {active.tag_name} {active.text!r}"
        if active.get_attribute("class") == "suggestion":
            break
    starter = page.driver.switch_to.active_element
    title = starter.text
    assert title == content().answers[content().starters[0]].title

    had = len(page.assistant_bubbles())
    starter.send_keys(Keys.SPACE)
    reply = page.wait_for_replies(had)
    assert first_line(content().starters[0]) in reply.text
    # after tapping, focus goes to the message box, ready for the next question
    assert page.driver.switch_to.active_element.get_attribute("id") == "message-input"

    page.driver.switch_to.active_element.send_keys("what is a cyst?", Keys.ENTER)
    reply = page.wait_for_replies(had + 1)
    assert first_line("finding_cyst") in reply.text
    assert page.driver.switch_to.active_element.get_attribute("id") == "message-input"


def test_no_serious_accessibility_problems_on_desktop_or_phone(page):
    page.type_and_send("what are calcifications?")
    page.type_and_send("I want to talk to a real person")
    page.type_and_send("i want to kill myself")
    for width, height, mobile in (DESKTOP + (False,), PHONE + (True,)):
        page.set_screen(width, height, mobile)
        problems = page.accessibility_problems()
        if problems:
            print(json.dumps(
                [{"id": v["id"], "impact": v["impact"], "help": v.get("help"),
                  "nodes": [n.get("html") for n in v.get("nodes", [])][:5]} for v in problems],
                indent=2,
            ))
        assert problems == [], f"axe found {len(problems)} serious or critical problems at {width}px"


@pytest.mark.parametrize(
    "width,height,mobile,name",
    [
        (*DESKTOP, False, "chat-page-desktop.png"),
        (*PHONE, True, "chat-page-phone.png"),
        (640, 450, False, "chat-page-zoom-200.png"),  # a 1280x900 window at 200% zoom
    ],
)
def test_the_page_fits_the_screen_without_sideways_scrolling(page, width, height, mobile, name):
    page.set_screen(width, height, mobile)
    page.type_and_send("what are calcifications?")
    page.type_and_send("I want to talk to a real person")
    assert not page.scrolls_sideways()
    page.find("#message-input")[0].send_keys("what is a cyst?")
    page.screenshot(name)
