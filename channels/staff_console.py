"""The staff console: navigators sign in, see the handoff queue, answer chats live and see who asked for a call back.

Routes (under /webhooks/staff/); every one but the sign-in page (and its
style sheet) refuses a request without a session: the pages redirect to
sign-in, the API answers 401. Every state change (POST) also needs the
session's CSRF token in X-CSRF-Token and, when the browser sends them, an
Origin of this site and Sec-Fetch-Site: same-origin; otherwise 403.

  GET  /                               the console (static/console.js does the rest)
  GET  /sign-in, POST /sign-in         the sign-in form (scrypt passwords, lockout after failures)
  POST /sign-out
  GET  /static/<file>                  the console's style sheet and script
  GET  /api/queue                      waiting handoffs, safety events first, then the newest
  GET  /api/handoffs/<id>              one handoff with its redacted transcript (audited)
  GET  /api/handoffs/<id>/events       long poll: new live chat messages and the handoff's status
  POST /api/handoffs/<id>/take         join a waiting chat (the person is told, by the assistant)
  POST /api/handoffs/<id>/reply        {"text"}: a navigator's message to the person's page
  POST /api/handoffs/<id>/hand-back    leave the chat; the assistant carries on
  POST /api/handoffs/<id>/close        done with a handoff that is not a live chat
  GET  /api/callbacks                  call back requests with their numbers (audited)
  POST /api/callbacks/<id>/done        the call was made: the request and its number are deleted

The session cookie is Secure, HttpOnly and SameSite=Strict, so the console
must be served over HTTPS (or on localhost, which browsers treat as secure).
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import math
import secrets
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text
from urllib.parse import parse_qs, urlsplit

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import clean_text
from channels.rate_limits import RateLimits
from channels.staff_turns import desk_for, run_staff_action
from channels.webchat import security_headers
from companion.environment import Rate, environment
from companion.privacy import conversation_key
from companion.staff.store import SignInRefused
from companion.tracker_store import private_store

logger = logging.getLogger(__name__)

PAGE_DIR = Path(__file__).resolve().parent / "staff_page"
PREFIX = "/webhooks/staff"
SESSION_COOKIE = "cc_staff"
SIGN_IN_COOKIE = "cc_staff_sign_in"
PUBLIC_STATIC = {"staff.css": "text/css; charset=utf-8"}
STATIC = {**PUBLIC_STATIC, "console.js": "text/javascript; charset=utf-8",
          "axe.min.js": "text/javascript; charset=utf-8"}
HEADERS = security_headers("")
TRANSCRIPT_EVENTS = 200
POLL_SECONDS = 15.0
CHECK_EVERY_SECONDS = 0.2
LIVE_CHANNELS = frozenset({"webchat"})
CALLBACK_VIEW_AUDIT_SECONDS = 300


def _cookie(resp: HTTPResponse, name: str, value: str, max_age: Optional[int] = None) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["path"] = PREFIX
    cookie["secure"] = True
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    if max_age is not None:
        cookie["max-age"] = max_age


def _json(payload: Any, status: int = 200) -> HTTPResponse:
    return response.json(payload, status=status, headers=HEADERS)


def _refused(status: int, reason: str) -> HTTPResponse:
    return _json({"error": reason}, status=status)


def _same_site(request: Request) -> bool:
    """A request from this site's own pages: Origin and Sec-Fetch-Site, when the browser sends them, say so."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin:
        hosts = {request.headers.get("host"), (request.headers.get("x-forwarded-host") or "").split(",")[0].strip()}
        if urlsplit(origin).netloc not in hosts:
            return False
    return True


def _page(name: str, **values: str) -> bytes:
    text = (PAGE_DIR / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return text.encode("utf-8")


def transcript(agent: Any, sender_id: str) -> List[Dict[str, Any]]:
    """The conversation as stored (redacted): what she said and what the assistant said, oldest first."""
    store = private_store(agent)
    if store is None:
        return []
    E = store.SQLEvent
    with store.session_scope() as session:
        rows = (
            session.query(E.type_name, E.data)
            .filter(E.sender_id == conversation_key(sender_id),
                    E.type_name.in_([UserUttered.type_name, BotUttered.type_name]))
            .order_by(E.id.desc()).limit(TRANSCRIPT_EVENTS).all()
        )
    lines = []
    for type_name, data in reversed(rows):
        event = json.loads(data)
        text = event.get("text") or ""
        if text and not text.startswith("/"):
            lines.append({"author": "person" if type_name == UserUttered.type_name else "assistant",
                          "text": text, "time": event.get("timestamp")})
    return lines


def _public(entry: Dict[str, Any]) -> Dict[str, Any]:
    """A queue entry as the console shows it (no internal ids)."""
    keep = ("id", "conversation", "channel", "reason", "safety", "topic", "language", "clinic_open", "status",
            "navigator", "created", "updated", "urgent")
    shown = {k: entry.get(k) for k in keep}
    shown["conversation"] = (shown["conversation"] or "")[:12]
    shown["live_chat"] = entry.get("channel") in LIVE_CHANNELS
    shown["waited_minutes"] = int((time.time() - entry["created"]) // 60) if entry.get("created") else 0
    return shown


class StaffConsoleInput(InputChannel):
    """Not a way to talk to the assistant: the navigators' console (credentials.yml: channels.staff_console.StaffConsoleInput)."""

    @classmethod
    def name(cls) -> Text:
        return "staff"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        # username -> (the call back requests last shown, when): for the audit log, on this server
        self._callbacks_seen: Dict[str, tuple] = {}
        # sign-in attempts per client, before any password is checked: each check costs a memory-hard hash
        self.sign_in_attempts = RateLimits(environment().get("CC_STAFF_SIGN_IN_RATE", Rate(10, 60.0)),
                                           Rate.parse("1/second"), environment().get("CC_TRUSTED_PROXIES", ""))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        staff = Blueprint("staff_console", __name__)

        def context(request: Request):
            agent = getattr(request.app.ctx, "agent", None)
            desk = desk_for(agent)
            session = desk.session(request.cookies.get(SESSION_COOKIE) or "") if desk else None
            return agent, desk, session

        def api(change: bool = False):
            """Wraps an API route: a session, and for a change the CSRF token and a same-site request, or a refusal."""
            def wrap(handler):
                async def route(request: Request, *args, **kwargs) -> HTTPResponse:
                    agent, desk, session = context(request)
                    if desk is None:
                        return _refused(503, "The staff console needs the SQL conversation store.")
                    if session is None:
                        return _refused(401, "Please sign in.")
                    if change:
                        token = request.headers.get("x-csrf-token") or ""
                        if not (_same_site(request) and hmac.compare_digest(token, session["csrf"])):
                            logger.warning("staff: a change without a valid CSRF token or from another site was refused")
                            return _refused(403, "Refused: this request did not come from the console.")
                    return await handler(request, agent, desk, session, *args, **kwargs)
                route.__name__ = handler.__name__
                return route
            return wrap

        @staff.route("/", methods=["GET"])
        async def console(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect(request.path + "/", headers=HEADERS)
            _, desk, session = context(request)
            if session is None:
                return response.redirect(f"{PREFIX}/sign-in", status=303, headers=HEADERS)
            body = _page("console.html", csrf=session["csrf"], username=session["username"])
            return response.raw(body, content_type="text/html; charset=utf-8", headers=HEADERS)

        @staff.route("/sign-in", methods=["GET"])
        async def sign_in_page(request: Request) -> HTTPResponse:
            return self._sign_in_form()

        @staff.route("/sign-in", methods=["POST"])
        async def sign_in(request: Request) -> HTTPResponse:
            _, desk, _ = context(request)
            form = {k: v[0] for k, v in parse_qs((request.body or b"").decode("utf-8", "replace")).items()}
            expected = request.cookies.get(SIGN_IN_COOKIE) or ""
            if not (expected and _same_site(request) and hmac.compare_digest(form.get("csrf", ""), expected)):
                return self._sign_in_form("The form had expired. Please sign in again.", status=403)
            if desk is None:
                return self._sign_in_form("The console is not available.", status=503)
            client = self.sign_in_attempts.client_address(request.ip, request.headers.get("X-Forwarded-For"))
            wait = self.sign_in_attempts.clients.take(client)
            if wait > 0:
                return self._sign_in_form(f"Too many sign-in attempts from here. Try again in {math.ceil(wait)} "
                                          "seconds.", status=429)
            try:
                session = desk.sign_in(form.get("username", "")[:64], form.get("password", "")[:256])
            except SignInRefused as refused:
                if refused.locked_seconds:
                    minutes = max(1, round(refused.locked_seconds / 60))
                    return self._sign_in_form(f"Too many wrong passwords. Try again in {minutes} minutes.", status=429)
                return self._sign_in_form("Wrong name or password.", status=401)
            resp = response.redirect(f"{PREFIX}/", status=303, headers=HEADERS)
            _cookie(resp, SESSION_COOKIE, session["token"])
            _cookie(resp, SIGN_IN_COOKIE, "", max_age=0)
            return resp

        @staff.route("/sign-out", methods=["POST"])
        @api(change=True)
        async def sign_out(request, agent, desk, session) -> HTTPResponse:
            desk.sign_out(request.cookies.get(SESSION_COOKIE) or "")
            desk.record_audit(session["username"], "sign_out")
            resp = _json({"signed_out": True})
            _cookie(resp, SESSION_COOKIE, "", max_age=0)
            return resp

        @staff.route("/static/<filename>", methods=["GET"])
        async def static(request: Request, filename: str) -> HTTPResponse:
            if filename not in STATIC:
                return _refused(404, "Not found.")
            if filename not in PUBLIC_STATIC and context(request)[2] is None:
                return _refused(401, "Please sign in.")
            folder = PAGE_DIR if filename != "axe.min.js" else PAGE_DIR.parent / "webchat_page"
            return response.raw((folder / filename).read_bytes(), content_type=STATIC[filename], headers=HEADERS)

        @staff.route("/api/queue", methods=["GET"])
        @api()
        async def queue(request, agent, desk, session) -> HTTPResponse:
            return _json({"queue": [_public(e) for e in desk.queue()], "username": session["username"]})

        @staff.route("/api/handoffs/<entry:int>", methods=["GET"])
        @api()
        async def handoff(request, agent, desk, session, entry: int) -> HTTPResponse:
            found = desk.handoff(entry)
            if found is None:
                return _refused(404, "No such handoff.")
            desk.record_audit(session["username"], "view", found["conversation"])
            live = desk.live_messages(found["sender_id"])
            return _json({"handoff": _public(found), "transcript": transcript(agent, found["sender_id"]),
                          "live": [self._live(m) for m in live], "last": live[-1]["id"] if live else 0})

        @staff.route("/api/handoffs/<entry:int>/events", methods=["GET"])
        @api()
        async def events(request, agent, desk, session, entry: int) -> HTTPResponse:
            found = desk.handoff(entry)
            after = request.args.get("after") or "0"
            if found is None or not after.isdigit():
                return _refused(404, "No such handoff.")
            deadline = time.monotonic() + POLL_SECONDS
            while True:
                news = desk.live_messages(found["sender_id"], int(after))
                current = desk.handoff(entry)
                if news or current["status"] != found["status"] or time.monotonic() >= deadline:
                    return _json({"messages": [self._live(m) for m in news], "status": current["status"],
                                  "last": news[-1]["id"] if news else int(after)})
                await asyncio.sleep(CHECK_EVERY_SECONDS)

        @staff.route("/api/handoffs/<entry:int>/take", methods=["POST"])
        @api(change=True)
        async def take(request, agent, desk, session, entry: int) -> HTTPResponse:
            found = desk.handoff(entry)
            if found is None or found["channel"] not in LIVE_CHANNELS:
                return _refused(409, "Only a chat on the chat page can be taken.")
            if not desk.change_status(entry, "taken", ("waiting", "missed"), navigator=session["username"]):
                return _refused(409, "This chat is not waiting any more.")
            desk.record_audit(session["username"], "take", found["conversation"])
            for message in await run_staff_action(agent, found["sender_id"], "action_navigator_joined", pause=True):
                desk.add_live_message(found["sender_id"], "assistant", message.get("text") or "", data=message)
            logger.info("staff: handoff %d taken", entry)
            return _json({"handoff": _public(desk.handoff(entry))})

        @staff.route("/api/handoffs/<entry:int>/reply", methods=["POST"])
        @api(change=True)
        async def reply(request, agent, desk, session, entry: int) -> HTTPResponse:
            found = desk.handoff(entry)
            try:
                text = clean_text((request.json or {}).get("text"))
            except Exception:
                text = ""
            if found is None or found["status"] != "taken" or found["navigator"] != session["username"]:
                return _refused(409, "Take the chat first.")
            if not text:
                return _refused(400, "The message is empty.")
            message_id = desk.add_live_message(found["sender_id"], "navigator", text)
            return _json({"id": message_id})

        @staff.route("/api/handoffs/<entry:int>/hand-back", methods=["POST"])
        @api(change=True)
        async def hand_back(request, agent, desk, session, entry: int) -> HTTPResponse:
            found = desk.handoff(entry)
            if found is None or not desk.change_status(entry, "returned", ("taken",)):
                return _refused(409, "This chat is not taken.")
            desk.record_audit(session["username"], "hand_back", found["conversation"])
            for message in await run_staff_action(agent, found["sender_id"], "action_navigator_left", resume=True):
                desk.add_live_message(found["sender_id"], "assistant", message.get("text") or "", data=message)
            return _json({"handoff": _public(desk.handoff(entry))})

        @staff.route("/api/handoffs/<entry:int>/close", methods=["POST"])
        @api(change=True)
        async def close(request, agent, desk, session, entry: int) -> HTTPResponse:
            found = desk.handoff(entry)
            if found is None or not desk.change_status(entry, "closed", ("open", "missed")):
                return _refused(409, "A waiting or taken chat is taken or handed back, not closed.")
            desk.record_audit(session["username"], "close", found["conversation"])
            return _json({"handoff": _public(desk.handoff(entry))})

        @staff.route("/api/callbacks", methods=["GET"])
        @api()
        async def callbacks(request, agent, desk, session) -> HTTPResponse:
            requests = desk.callbacks()
            shown_ids = tuple(r["id"] for r in requests)
            last = self._callbacks_seen.get(session["username"])
            # the console refreshes every few seconds: a view is audited when it shows other requests, or anew after a while
            if last is None or last[0] != shown_ids or time.monotonic() - last[1] > CALLBACK_VIEW_AUDIT_SECONDS:
                desk.record_audit(session["username"], "view_callbacks")
                self._callbacks_seen[session["username"]] = (shown_ids, time.monotonic())
            shown = [{"id": r["id"], "conversation": r["conversation"][:12], "channel": r["channel"],
                      "reason": r["reason"], "topic": r["topic"], "language": r["language"], "number": r["number"],
                      "created": r["created"], "expires": r["expires"]} for r in requests]
            return _json({"callbacks": shown})

        @staff.route("/api/callbacks/<entry:int>/done", methods=["POST"])
        @api(change=True)
        async def callback_done(request, agent, desk, session, entry: int) -> HTTPResponse:
            conversation = desk.callback_done(entry)
            if conversation is None:
                return _refused(404, "No such call back request.")
            desk.record_audit(session["username"], "callback_done", conversation)
            return _json({"deleted": entry})

        return staff

    @staticmethod
    def _live(message: Dict[str, Any]) -> Dict[str, Any]:
        return {"id": message["id"], "author": message["author"], "text": message["text"], "time": message["created"]}

    @staticmethod
    def _sign_in_form(message: str = "", status: int = 200) -> HTTPResponse:
        token = secrets.token_urlsafe(32)
        body = _page("sign-in.html", csrf=token, message=message)
        resp = response.raw(body, status=status, content_type="text/html; charset=utf-8", headers=HEADERS)
        _cookie(resp, SIGN_IN_COOKIE, token, max_age=1800)
        return resp
