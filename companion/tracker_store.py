"""A SQL tracker store that keeps no personal data: keyed-hash conversation ids and redacted text.

It is Rasa's own SQLTrackerStore (SQLite by default, PostgreSQL in production)
with two changes at the storage boundary:
- rows are keyed by a keyed hash of the sender id, never the id itself;
- user text, entities and message metadata are redacted on save.
The tracker the assistant works with in memory during a turn is untouched.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any, Dict, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from companion.privacy import conversation_key, install_log_redaction, redact

logger = logging.getLogger(__name__)


def redact_event(data: Dict[str, Any]) -> Dict[str, Any]:
    """A stored copy of one event with nothing personal in it."""
    data = copy.deepcopy(data)
    if data.get("event") == "user":
        original = data.get("text") or ""
        data["text"] = redact(original)
        parse = data.get("parse_data") or {}
        if parse:
            parse["text"] = data["text"]
            if data["text"] != original:
                # entity offsets point into the original text; keep only their labels
                parse["entities"] = [
                    {"entity": e.get("entity"), "value": e.get("value")}
                    for e in parse.get("entities") or []
                    if redact(str(e.get("value"))) == str(e.get("value"))
                ]
                data["entities"] = parse["entities"]
        data["metadata"] = {}
    elif data.get("event") == "slot" and isinstance(data.get("value"), str):
        data["value"] = redact(data["value"])
    return data


class PrivateSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that stores hashed conversation ids and redacted events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        install_log_redaction()
        super().__init__(*args, **kwargs)

    def _event_query(self, session, sender_id: Text, fetch_events_from_all_sessions: bool = False):
        return super()._event_query(session, conversation_key(sender_id), fetch_events_from_all_sessions)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        stored_key = conversation_key(tracker.sender_id)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = redact_event(event.as_dict())
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
        logger.debug("Tracker %s stored", stored_key[:12])
