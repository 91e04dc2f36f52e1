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


ROUND_THE_CLOCK = {"en": "24 hours a day, 7 days a week", "es": "las 24 horas, los 7 días de la semana"}


def plan_handoff(facility: Facility, now: Optional[dt.datetime] = None, lang: str = "en") -> Handoff:
    """Who she can reach, in her language: in Spanish, the clinic's Spanish line first when it has one
    (and a phone transfer goes there while it is open)."""
    open_now = facility.is_open(now)
    support = Contact(facility.support_name_in(lang), facility.support_phone, ROUND_THE_CLOCK.get(lang, ROUND_THE_CLOCK["en"]),
                      True)
    contacts: List[Contact] = []
    transfer = facility.transfer_number if (facility.transfer_number and open_now) else None
    if lang == "es" and facility.spanish_phone:
        spanish_open = facility.spanish_line_open(now)
        contacts.append(Contact(f"{facility.name or 'Su centro de imágenes'} (en español)", facility.spanish_phone,
                                (facility.spanish_hours or facility.hours).spoken(lang), spanish_open))
        transfer = facility.spanish_phone if spanish_open else None
    if facility.navigator_phone:
        contacts.append(Contact(facility.display_name if lang == "en" or facility.name else "Su centro de imágenes",
                                facility.navigator_phone, facility.hours.spoken(lang), open_now))
    contacts.append(support)
    return Handoff(contacts=contacts, transfer_number=transfer,
                   clinic_reachable=bool(facility.navigator_phone or (lang == "es" and facility.spanish_phone)))


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
