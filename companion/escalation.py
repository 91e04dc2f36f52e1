"""Escalation to a person: who to offer (clinic or 24/7 support line), whether a call can be transferred, and the staff record.

The staff console's queue is filled by the Rasa server (companion/staff/);
this module keeps the optional JSONL export: with CC_HANDOFF_LOG set, one JSON
line per request, with the time, the hashed conversation key (the same key the
tracker store uses), the channel and the reason. Nothing personal is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import threading
from pathlib import Path
from typing import Dict, List, Optional

from companion import phone
from companion.privacy import conversation_key, redact
from companion.settings import Facility

HANDOFF_LOG_ENV = "CC_HANDOFF_LOG"
_lock = threading.Lock()


@dataclasses.dataclass(frozen=True)
class Contact:
    name: str
    number: str
    hours: str
    open_now: bool

    def as_dict(self) -> Dict:
        return {
            "name": self.name,
            "phone": phone.e164(self.number),
            "display": phone.display(self.number),
            "tel": phone.tel_uri(self.number),
            "hours": self.hours,
            "open_now": self.open_now,
        }


@dataclasses.dataclass(frozen=True)
class Handoff:
    contacts: List[Contact]
    transfer_number: Optional[str]  # set only when a phone transfer to the clinic can be tried now
    clinic_reachable: bool

    def as_dict(self) -> Dict:
        return {
            "contacts": [c.as_dict() for c in self.contacts],
            "transfer": phone.e164(self.transfer_number) if self.transfer_number else None,
            "support": self.contacts[-1].as_dict(),
        }


def plan_handoff(facility: Facility, now: Optional[dt.datetime] = None) -> Handoff:
    open_now = facility.is_open(now)
    support = Contact(facility.support_name, facility.support_phone, "24 hours a day, 7 days a week", True)
    contacts: List[Contact] = []
    if facility.navigator_phone:
        contacts.append(Contact(facility.display_name, facility.navigator_phone, facility.hours.spoken(), open_now))
    contacts.append(support)
    transfer = facility.transfer_number if (facility.transfer_number and open_now) else None
    return Handoff(contacts=contacts, transfer_number=transfer, clinic_reachable=bool(facility.navigator_phone))


def handoff_log_path() -> Optional[Path]:
    value = os.environ.get(HANDOFF_LOG_ENV)
    return Path(value) if value else None


def record_handoff(sender_id: str, channel: Optional[str], reason: str, handoff: Handoff) -> Dict:
    """The export record; appended to CC_HANDOFF_LOG when that is set."""
    record = {
        "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "conversation": conversation_key(sender_id),
        # fixed words today; redacted all the same, so a later field cannot bring a person's words in
        "channel": redact(channel or "unknown"),
        "reason": redact(reason),
        "clinic_open": any(c.open_now for c in handoff.contacts[:-1]),
    }
    path = handoff_log_path()
    if path is None:
        return record
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
    return record
