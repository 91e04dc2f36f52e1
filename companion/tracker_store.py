"""A SQL tracker store that keeps no personal data: keyed-hash conversation ids and redacted text.

It is Rasa's own SQLTrackerStore (SQLite by default, PostgreSQL in production)
with changes at the storage boundary:
- rows are keyed by a keyed hash of the sender id, never the id itself;
- user text, entities, slots and message metadata are redacted on save, and a
  message's id is kept as a keyed hash; the event broker, if one is configured,
  gets the same redacted copies (Rasa would publish the events as they are);
- when the database is unreachable, a turn is stored whole or not at all.
  Rasa would quietly carry on from an empty in-memory history (and keep the
  unredacted conversation in memory); instead the failure is recorded, nothing
  of the turn is kept, and the channel gives the person the apology
  (`take_failure`). Connections are checked before use and the tables are
  created as soon as the database answers, so the service recovers by itself.
- a long conversation is rolled into a new session every MAX_SESSION_EVENTS
  events (CC_MAX_SESSION_EVENTS), carrying its slots over, so each turn reads,
  predicts from and sends the action server a bounded history: turn 200 costs
  what turn 20 does. Earlier sessions stay stored.
- a tracker it read knows how many of its events are stored, so a save needs
  no counting query;
- the channels get quick looks that read a few rows instead of rebuilding the
  tracker: the replies already given to a message id, and whether the
  conversation may be paused.
The tracker the assistant works with in memory during a turn is untouched.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from typing import Any, Dict, List, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import SQLAlchemyError

from companion.environment import environment
from companion.privacy import conversation_key, install_log_redaction, redact

logger = logging.getLogger(__name__)


def redact_event(data: Dict[str, Any]) -> Dict[str, Any]:
    """A stored copy of one event (as `Event.as_dict()` gives it) with nothing personal in it.

    Only what is changed is copied: `as_dict()` builds a new top-level dict,
    but its parse data may be the event's own.
    """
    data = dict(data)
    if data.get("event") == "user":
        original = data.get("text") or ""
        data["text"] = redact(original)
        parse = dict(data.get("parse_data") or {})
        if parse:
            parse["text"] = data["text"]
            # what a channel sent along with the message (speech confidence, the page's language) is not kept
            parse.pop("metadata", None)
            if parse.get("message_id"):
                parse["message_id"] = stored_message_id(parse["message_id"])
            if data["text"] != original:
                # entity offsets point into the original text; keep only their labels
                parse["entities"] = [
                    {"entity": e.get("entity"), "value": e.get("value")}
                    for e in parse.get("entities") or []
                    if redact(str(e.get("value"))) == str(e.get("value"))
                ]
                data["entities"] = parse["entities"]
            data["parse_data"] = parse
        data["metadata"] = {}
        if data.get("message_id"):
            # a client chooses its replay ids: stored only as a keyed hash, like the conversation id
            data["message_id"] = stored_message_id(data["message_id"])
    elif data.get("event") == "slot" and isinstance(data.get("value"), str):
        data["value"] = redact(data["value"])
    return data


def stored_message_id(message_id: str) -> str:
    """The form a message id is stored in, and looked up by."""
    return conversation_key("message-id", message_id)


def _tuned_engine(engine: "sa.engine.Engine") -> "sa.engine.Engine":
    """The store's engine, set up for a turn-by-turn workload.

    A pooled connection may have died with the database, so each is checked
    before use. SQLite keeps one connection per thread instead of opening a
    file per query, and writes a journal ahead of the database (WAL) with
    syncing at checkpoints, which spares a disk flush on every turn while a
    crash still loses at most the last turns, never the file.
    """
    url = engine.url
    engine.dispose()
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
    tuned = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool, **create_engine_kwargs(url))

    @sa.event.listens_for(tuned, "connect")
    def _pragmas(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return tuned


# how long a failed turn stays marked for its channel to notice (a channel checks right after the turn)
FAILURE_MEMORY_SECONDS = 60.0
# set on a tracker this store read or wrote: how many of its events are stored
STORED_COUNT = "_stored_event_count"
# about 20 turns: a session longer than this is rolled into a new one
MAX_SESSION_EVENTS = environment().get("CC_MAX_SESSION_EVENTS", 120)


def roll_long_session(tracker: Optional[DialogueStateTracker], limit: int = MAX_SESSION_EVENTS):
    """Starts a new session on a tracker whose current session is longer than `limit`, keeping its slots.

    The events are the ones Rasa's own session start writes, so the new session
    reads like any other; they are stored with the rest of the turn.
    """
    if tracker is None or len(tracker.events) <= limit:
        return tracker
    carried = [
        (name, slot.value)
        for name, slot in tracker.slots.items()
        if slot.value is not None and slot.value != slot.initial_value
    ]
    # made one after another: the store finds a session by the time of its SessionStarted,
    # so everything that belongs to the new session must be stamped later
    tracker.update(ActionExecuted(ACTION_SESSION_START_NAME))
    tracker.update(SessionStarted())
    for name, value in carried:
        tracker.update(SlotSet(name, value))
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    return tracker


def _log_unreachable(sender_id: Text, error: Exception, doing: str) -> None:
    logger.error(
        "Conversation store unreachable while %s conversation %s (%s); the turn is not stored",
        doing, conversation_key(sender_id)[:12], type(error).__name__,
    )


class PrivateSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that stores hashed conversation ids and redacted events, and never half a turn."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        install_log_redaction()
        super().__init__(*args, **kwargs)
        self.engine = _tuned_engine(self.engine)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._tables_ready = False
        self._failures: Dict[str, float] = {}
        self._failures_lock = threading.Lock()
        try:
            self._ensure_tables()
        except SQLAlchemyError as error:
            # Rasa starts anyway; the tables are created when the database answers
            logger.error("Conversation store unreachable at start (%s); will retry on each turn", type(error).__name__)

    def _ensure_tables(self) -> None:
        if not self._tables_ready:
            self.Base.metadata.create_all(self.engine)
            self._tables_ready = True

    # --- failures -------------------------------------------------------------
    def _mark_failed(self, sender_id: Text, error: Exception, doing: str) -> None:
        _log_unreachable(sender_id, error, doing)
        now = time.monotonic()
        with self._failures_lock:
            self._failures = {k: t for k, t in self._failures.items() if now - t < FAILURE_MEMORY_SECONDS}
            self._failures[sender_id] = now

    def _failed_recently(self, sender_id: Text) -> bool:
        with self._failures_lock:
            marked = self._failures.get(sender_id)
        return marked is not None and time.monotonic() - marked < FAILURE_MEMORY_SECONDS

    def take_failure(self, sender_id: Text) -> bool:
        """True (once) when the store failed during this conversation's last turn."""
        with self._failures_lock:
            return self._failures.pop(sender_id, None) is not None

    # --- reading and writing ----------------------------------------------------
    def _event_query(self, session, sender_id: Text, fetch_events_from_all_sessions: bool = False):
        return super()._event_query(session, conversation_key(sender_id), fetch_events_from_all_sessions)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._guarded_retrieve(sender_id, full=False)

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._guarded_retrieve(sender_id, full=True)

    async def _guarded_retrieve(self, sender_id: Text, full: bool) -> Optional[DialogueStateTracker]:
        try:
            self._ensure_tables()
            if full:
                return await super().retrieve_full_tracker(sender_id)
            tracker = await super().retrieve(sender_id)
            if tracker is not None:
                setattr(tracker, STORED_COUNT, len(tracker.events))
            return roll_long_session(tracker)
        except SQLAlchemyError as error:
            self._mark_failed(sender_id, error, "reading")
            raise

    async def save(self, tracker: DialogueStateTracker) -> None:
        if self._failed_recently(tracker.sender_id):
            # the turn began without its history: storing it would mix two histories
            logger.error("Conversation %s: turn not stored after a store failure", conversation_key(tracker.sender_id)[:12])
            return
        try:
            self._ensure_tables()
            await self._save(tracker)
        except SQLAlchemyError as error:
            # not raised on: Rasa would keep the whole conversation in memory instead
            self._mark_failed(tracker.sender_id, error, "saving")

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Rasa's way to publish a turn to the event broker: here `_save` publishes the stored, redacted copies."""

    def _publish(self, stored_key: str, events: List[Dict[str, Any]]) -> None:
        """Sends the turn's events to the event broker, if one is configured: the same redacted copies the store keeps."""
        if self.event_broker is None:
            return
        for data in events:
            self.event_broker.publish({"sender_id": stored_key, **data})

    async def _save(self, tracker: DialogueStateTracker) -> None:
        stored_key = conversation_key(tracker.sender_id)
        published: List[Dict[str, Any]] = []
        with self.session_scope() as session:
            for event in self._unstored_events(session, tracker):
                data = redact_event(event.as_dict())
                published.append(data)
                intent = (data.get("parse_data") or {}).get("intent", {}).get("name")
                session.add(
                    self.SQLEvent(
                        sender_id=stored_key,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=intent,
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        setattr(tracker, STORED_COUNT, len(tracker.events))
        self._publish(stored_key, published)
        logger.debug("Tracker %s stored", stored_key[:12])

    # --- quick looks for the channels: a few rows, no tracker rebuilt ------------
    def replies_to(self, sender_id: Text, message_id: Text) -> Optional[List[BotUttered]]:
        """The bot messages that answered the user message `message_id` in the current session.

        None when no such message is stored. A channel asks this before every
        turn that carries a replay id, and the answer is almost always None, so
        the stored text is searched for the id (as `json.dumps` wrote it) and
        rows are read and decoded only when it is there.
        """
        E = self.SQLEvent
        message_id = stored_message_id(message_id)
        stored_as = '"message_id": ' + json.dumps(message_id)
        pattern = "%" + stored_as.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._quick_look(sender_id) as session:
            candidates = (
                self._event_query(session, sender_id)
                .filter(E.type_name == UserUttered.type_name, E.data.like(pattern, escape="\\"))
                .with_entities(E.id, E.data)
                .all()
            )
            asked = next((row_id for row_id, data in candidates if json.loads(data).get("message_id") == message_id), None)
            if asked is None:
                return None
            rows = (
                self._event_query(session, sender_id)
                .filter(E.id > asked, E.type_name.in_([UserUttered.type_name, BotUttered.type_name]))
                .with_entities(E.type_name, E.data)
                .all()
            )
        replies: List[BotUttered] = []
        for type_name, data in rows:
            if type_name == UserUttered.type_name:
                break
            replies.append(Event.from_parameters(json.loads(data)))
        return replies

    def may_be_paused(self, sender_id: Text) -> bool:
        """False when the current session is surely not paused: no pause since the last resume or restart.

        A quick check before the full one (`tracker.is_paused()`), which needs
        the whole tracker.
        """
        E = self.SQLEvent
        markers = [ConversationPaused.type_name, ConversationResumed.type_name, Restarted.type_name]
        with self._quick_look(sender_id) as session:
            latest = (
                self._event_query(session, sender_id)
                .filter(E.type_name.in_(markers))
                .order_by(None)
                .order_by(E.id.desc())
                .with_entities(E.type_name)
                .first()
            )
        return latest is not None and latest[0] == ConversationPaused.type_name

    @contextlib.contextmanager
    def _quick_look(self, sender_id: Text):
        """A session for a quick look; an unreachable store is logged like any read and raised to the channel."""
        try:
            self._ensure_tables()
            with self.session_scope() as session:
                yield session
        except SQLAlchemyError as error:
            _log_unreachable(sender_id, error, "reading")
            raise

    def _unstored_events(self, session, tracker: DialogueStateTracker):
        """The tracker's events after the ones already stored.

        A tracker this store read or wrote knows how many of its events are
        stored; Rasa counts them with a query on every save instead. Turns of
        one conversation never overlap (Rasa's lock store), so the number stays
        true until the next save.
        """
        stored = getattr(tracker, STORED_COUNT, None)
        if stored is None:
            return self._additional_events(session, tracker)
        return list(tracker.events)[stored:]


def private_store(agent: Any) -> Optional[PrivateSQLTrackerStore]:
    """The agent's PrivateSQLTrackerStore (inside Rasa's FailSafeTrackerStore), if it has one."""
    store = getattr(getattr(agent, "tracker_store", None), "_tracker_store", None)
    return store if isinstance(store, PrivateSQLTrackerStore) else None


def take_failure(agent: Any, sender_id: Text) -> bool:
    """True when the agent's conversation store failed during this conversation's last turn."""
    store = private_store(agent)
    return store is not None and store.take_failure(sender_id)


def store_from_endpoints(endpoints: str) -> Optional[SQLTrackerStore]:
    """The SQL store an endpoints file names, opened for a maintenance script (no server running); None if it names
    none. Only the tracker store is read, but Rasa expands every variable in the file, so those a server would have
    are given harmless values."""
    import os

    from rasa.utils.endpoints import read_endpoint_config

    os.environ.setdefault("ACTIONS_PORT", "5055")
    os.environ.setdefault("CC_ACTIONS_SECRET", "")
    config = read_endpoint_config(endpoints, "tracker_store")
    return SQLTrackerStore(host=config.url, **dict(config.kwargs)) if config is not None else None
