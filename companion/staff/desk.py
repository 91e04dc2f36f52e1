"""The handoff desk interface: what the Rasa server tells whoever answers people when a conversation needs one.

The console's SQL store (companion/staff/store.py) implements it; a clinic's
own help desk could be connected instead by implementing `open_handoff`. (The
JSONL export of handoffs, CC_HANDOFF_LOG, is written by the action server:
companion/escalation.py.)
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Protocol

from companion.privacy import conversation_key

# the reply kinds that put a conversation on the queue as a safety event
SAFETY_KINDS = frozenset({"crisis", "emergency", "disclosure"})


@dataclasses.dataclass(frozen=True)
class HandoffRequest:
    sender_id: str
    channel: str
    reason: str  # asked, accepted_offer, not_understood, safety, after_hours, transfer_unanswered
    clinic_open: bool
    topic: Optional[str] = None
    safety: Optional[str] = None  # crisis, emergency, disclosure
    live: bool = False  # a chat that waits for a navigator to join
    language: Optional[str] = None  # the conversation's language: en, es

    @property
    def conversation(self) -> str:
        return conversation_key(self.sender_id)


class HandoffDesk(Protocol):
    def open_handoff(self, request: HandoffRequest) -> int:
        """Puts the conversation on the desk's queue (or updates its open entry); returns the entry's id."""
