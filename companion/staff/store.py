"""The staff console's SQL store: the handoff queue, live chat messages, accounts, sessions, the audit log and call backs.

One object per database engine (the tracker store's), so every replica of the
Rasa server sees the same queue and the same live messages: a navigator's reply
written by one replica is read by the replica that serves the person.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from companion.privacy import redact
from companion.staff import crypto, passwords, settings
from companion.staff import tables as t
from companion.staff.desk import SAFETY_KINDS, HandoffRequest

logger = logging.getLogger(__name__)

# the assistant's own words (curated content) are kept as they are
TYPED_BY_PEOPLE = ("person", "navigator")
OPEN_STATUSES = ("open", "waiting", "taken", "missed")
LIVE_STATUSES = ("waiting", "taken")
IDLE_SESSION_SECONDS = 3600
# expired call backs are deleted when the console lists them, and at most this often with the queue
FORGET_EVERY_SECONDS = 60


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SignInRefused(Exception):
    def __init__(self, locked_seconds: float = 0.0) -> None:
        super().__init__("locked" if locked_seconds else "wrong name or password")
        self.locked_seconds = locked_seconds


class SQLStaffStore:
    """Implements companion.staff.desk.HandoffDesk, and everything else the console keeps."""

    def __init__(self, engine: "sa.engine.Engine") -> None:
        self.engine = engine
        self._ready = False
        self._last_forget = float("-inf")

    def _begin(self):
        if not self._ready:
            t.metadata.create_all(self.engine)
            t.add_missing_columns(self.engine)
            self._ready = True
        return self.engine.begin()

    # --- the queue ------------------------------------------------------------
    def open_handoff(self, request: HandoffRequest) -> int:
        now = time.time()
        status = "waiting" if request.live else "open"
        with self._begin() as db:
            current = db.execute(
                sa.select(t.handoffs.c.id, t.handoffs.c.status, t.handoffs.c.safety)
                .where(t.handoffs.c.sender_id == request.sender_id, t.handoffs.c.status.in_(OPEN_STATUSES))
                .order_by(t.handoffs.c.id.desc())
            ).first()
            if current is not None:
                changes: Dict[str, Any] = {"updated": now, "clinic_open": request.clinic_open}
                if request.language:
                    changes.update(language=request.language)
                if request.safety:
                    changes.update(safety=request.safety)
                elif current.safety is None:
                    changes.update(reason=request.reason)
                if request.topic:
                    changes["topic"] = request.topic
                if current.status == "missed" and request.live:
                    changes.update(status="waiting", created=now)
                db.execute(t.handoffs.update().where(t.handoffs.c.id == current.id).values(**changes))
                entry = current.id
            else:
                entry = db.execute(t.handoffs.insert().values(
                    sender_id=request.sender_id, conversation=request.conversation, channel=request.channel,
                    reason=request.reason, safety=request.safety, topic=request.topic, language=request.language,
                    clinic_open=request.clinic_open, status=status, created=now, updated=now,
                )).inserted_primary_key[0]
        return entry

    def queue(self) -> List[Dict[str, Any]]:
        """The open entries: safety events first, then the newest first."""
        if time.monotonic() - self._last_forget > FORGET_EVERY_SECONDS:
            self.forget_expired()
        with self._begin() as db:
            rows = db.execute(
                sa.select(t.handoffs).where(t.handoffs.c.status.in_(OPEN_STATUSES))
                .order_by(sa.case((t.handoffs.c.safety.is_(None), 1), else_=0), t.handoffs.c.updated.desc())
            ).mappings().all()
        return [self._entry(row) for row in rows]

    def handoff(self, entry: int) -> Optional[Dict[str, Any]]:
        with self._begin() as db:
            row = db.execute(sa.select(t.handoffs).where(t.handoffs.c.id == entry)).mappings().first()
        return self._entry(row) if row else None

    @staticmethod
    def _entry(row) -> Dict[str, Any]:
        entry = dict(row)
        entry["urgent"] = entry["safety"] is not None
        return entry

    def live_state(self, sender_id: str) -> Optional[Dict[str, Any]]:
        """The conversation's live chat entry (waiting or taken), if it has one."""
        with self._begin() as db:
            row = db.execute(
                sa.select(t.handoffs).where(t.handoffs.c.sender_id == sender_id, t.handoffs.c.status.in_(LIVE_STATUSES))
                .order_by(t.handoffs.c.id.desc())
            ).mappings().first()
        return dict(row) if row else None

    def latest_handoff(self, sender_id: str) -> Optional[Dict[str, Any]]:
        with self._begin() as db:
            row = db.execute(sa.select(t.handoffs).where(t.handoffs.c.sender_id == sender_id)
                             .order_by(t.handoffs.c.id.desc())).mappings().first()
        return dict(row) if row else None

    def change_status(self, entry: int, to: str, expected: tuple, navigator: Optional[str] = None) -> bool:
        """Moves an entry to `to` if it is in one of the `expected` states; False when another replica or navigator got there first."""
        values: Dict[str, Any] = {"status": to, "updated": time.time()}
        if navigator is not None:
            values["navigator"] = navigator
        with self._begin() as db:
            changed = db.execute(
                t.handoffs.update().where(t.handoffs.c.id == entry, t.handoffs.c.status.in_(expected)).values(**values)
            ).rowcount
        return changed == 1

    def overdue_waits(self, sender_id: str) -> Optional[int]:
        """The entry of this conversation's chat that has waited longer than CC_STAFF_WAIT_SECONDS, if any."""
        limit = time.time() - settings.wait_seconds()
        with self._begin() as db:
            row = db.execute(
                sa.select(t.handoffs.c.id).where(
                    t.handoffs.c.sender_id == sender_id, t.handoffs.c.status == "waiting", t.handoffs.c.created < limit)
            ).first()
        return row.id if row else None

    # --- live chat messages -----------------------------------------------------
    def add_live_message(self, sender_id: str, author: str, text: str, data: Optional[Dict[str, Any]] = None) -> int:
        """Stores one live chat message; what the person or a navigator typed is stored redacted."""
        if author in TYPED_BY_PEOPLE:
            text = redact(text or "")
        with self._begin() as db:
            return db.execute(t.live_messages.insert().values(
                sender_id=sender_id, author=author, text=text or "",
                data=json.dumps(data) if data else None, created=time.time(),
            )).inserted_primary_key[0]

    def live_messages(self, sender_id: str, after: int = 0, authors: Optional[tuple] = None) -> List[Dict[str, Any]]:
        query = sa.select(t.live_messages).where(t.live_messages.c.sender_id == sender_id, t.live_messages.c.id > after)
        if authors:
            query = query.where(t.live_messages.c.author.in_(authors))
        with self._begin() as db:
            rows = db.execute(query.order_by(t.live_messages.c.id)).mappings().all()
        return [{**dict(row), "data": json.loads(row["data"]) if row["data"] else None} for row in rows]

    def latest_live_id(self, sender_id: str) -> int:
        with self._begin() as db:
            value = db.execute(sa.select(sa.func.max(t.live_messages.c.id)).where(
                t.live_messages.c.sender_id == sender_id)).scalar()
        return int(value or 0)

    # --- accounts, sessions, audit ------------------------------------------------
    def create_account(self, username: str, password: str) -> None:
        if len(password) < passwords.MIN_LENGTH:
            raise ValueError(f"a password needs at least {passwords.MIN_LENGTH} characters")
        hashed = passwords.hash_password(password)
        with self._begin() as db:
            existing = db.execute(sa.select(t.accounts.c.id).where(t.accounts.c.username == username)).first()
            if existing:
                db.execute(t.accounts.update().where(t.accounts.c.id == existing.id).values(
                    password_hash=hashed, failures=0, locked_until=0.0))
            else:
                db.execute(t.accounts.insert().values(
                    username=username, password_hash=hashed, failures=0, locked_until=0.0, created=time.time()))

    def sign_in(self, username: str, password: str) -> Dict[str, str]:
        """A new session ({token, csrf, username}) for the right password; SignInRefused otherwise, and while locked."""
        now = time.time()
        with self._begin() as db:
            account = db.execute(sa.select(t.accounts).where(t.accounts.c.username == username)).mappings().first()
        if account is None:
            passwords.verify_password(password, passwords.DUMMY_HASH)
            raise SignInRefused()
        if account["locked_until"] > now:
            raise SignInRefused(locked_seconds=account["locked_until"] - now)
        if not passwords.verify_password(password, account["password_hash"]):
            failures = account["failures"] + 1
            locked = now + settings.lockout_minutes() * 60 if failures >= settings.lockout_failures() else 0.0
            with self._begin() as db:
                db.execute(t.accounts.update().where(t.accounts.c.id == account["id"]).values(
                    failures=0 if locked else failures, locked_until=locked))
            self.record_audit(username, "sign_in_locked" if locked else "sign_in_refused")
            raise SignInRefused(locked_seconds=locked - now if locked else 0.0)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._begin() as db:
            db.execute(t.accounts.update().where(t.accounts.c.id == account["id"]).values(failures=0, locked_until=0.0))
            db.execute(t.sessions.insert().values(
                token_hash=_token_hash(token), username=username, csrf=csrf, created=now, last_seen=now))
        self.record_audit(username, "sign_in")
        return {"token": token, "csrf": csrf, "username": username}

    def session(self, token: str) -> Optional[Dict[str, str]]:
        """The signed-in session for a cookie's token ({username, csrf}), or None when unknown or expired."""
        if not token:
            return None
        now = time.time()
        key = _token_hash(token)
        with self._begin() as db:
            row = db.execute(sa.select(t.sessions).where(t.sessions.c.token_hash == key)).mappings().first()
            if row is None:
                return None
            if now - row["created"] > settings.session_hours() * 3600 or now - row["last_seen"] > IDLE_SESSION_SECONDS:
                db.execute(t.sessions.delete().where(t.sessions.c.token_hash == key))
                return None
            if now - row["last_seen"] > 60:
                db.execute(t.sessions.update().where(t.sessions.c.token_hash == key).values(last_seen=now))
        return {"username": row["username"], "csrf": row["csrf"]}

    def sign_out(self, token: str) -> None:
        with self._begin() as db:
            db.execute(t.sessions.delete().where(t.sessions.c.token_hash == _token_hash(token)))

    def record_audit(self, username: str, action: str, conversation: Optional[str] = None) -> None:
        with self._begin() as db:
            db.execute(t.audit.insert().values(time=time.time(), username=username, action=action,
                                               conversation=conversation))

    def audit_log(self, limit: int = 200) -> List[Dict[str, Any]]:
        with self._begin() as db:
            rows = db.execute(sa.select(t.audit).order_by(t.audit.c.id.desc()).limit(limit)).mappings().all()
        return [dict(row) for row in rows]

    # --- call back requests ---------------------------------------------------------
    def add_callback(self, conversation: str, channel: str, reason: str, topic: Optional[str], number: str,
                     language: Optional[str] = None) -> int:
        """Keeps a call back request the person said yes to; the number only encrypted (crypto.NoKey without a key)."""
        now = time.time()
        sealed = crypto.encrypt(number)
        with self._begin() as db:
            return db.execute(t.callbacks.insert().values(
                conversation=conversation, channel=channel, reason=reason, topic=topic, language=language, number=sealed,
                created=now, expires=now + settings.retention_days() * 86400,
            )).inserted_primary_key[0]

    def callbacks(self) -> List[Dict[str, Any]]:
        """The open requests, oldest first, numbers decrypted for the console (the expired ones are deleted first)."""
        self.forget_expired()
        with self._begin() as db:
            rows = db.execute(sa.select(t.callbacks).order_by(t.callbacks.c.created)).mappings().all()
        return [{**dict(row), "number": crypto.decrypt(row["number"])} for row in rows]

    def callback_done(self, entry: int) -> Optional[str]:
        """Deletes the request, number and all; its conversation key (for the audit log), or None if it was gone."""
        with self._begin() as db:
            row = db.execute(sa.select(t.callbacks.c.conversation).where(t.callbacks.c.id == entry)).first()
            if row is None:
                return None
            db.execute(t.callbacks.delete().where(t.callbacks.c.id == entry))
        return row.conversation

    def forget_expired(self) -> int:
        """Deletes the call back requests past their retention, and live chat text of chats over as long ago."""
        now = time.time()
        self._last_forget = time.monotonic()
        with self._begin() as db:
            gone = db.execute(t.callbacks.delete().where(t.callbacks.c.expires < now)).rowcount
            old = now - settings.retention_days() * 86400
            db.execute(t.live_messages.delete().where(t.live_messages.c.created < old))
            db.execute(t.handoffs.delete().where(t.handoffs.c.status.in_(("returned", "closed")),
                                                 t.handoffs.c.updated < old))
        if gone:
            logger.info("staff: %d call back request(s) past retention deleted", gone)
        return gone


def is_safety_kind(kind: Optional[str]) -> bool:
    return kind in SAFETY_KINDS
