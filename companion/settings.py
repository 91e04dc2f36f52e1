"""Facility settings: the clinic's name, numbers and hours, from config/facility.yml and the environment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Dict, Optional, Tuple
from zoneinfo import ZoneInfo

import yaml

from companion import PROJECT_ROOT
from companion.opening_hours import OpeningHours

SETTINGS_FILE = PROJECT_ROOT / "config" / "facility.yml"

_ENV = {
    "name": "CC_FACILITY_NAME",
    "navigator_phone": "CC_NAVIGATOR_PHONE",
    "transfer_number": "CC_TRANSFER_NUMBER",
    "hours": "CC_HOURS",
    "timezone": "CC_TIMEZONE",
    "support_phone": "CC_SUPPORT_PHONE",
    "support_name": "CC_SUPPORT_NAME",
    "support_name_es": "CC_SUPPORT_NAME_ES",
    "spanish_phone": "CC_SPANISH_PHONE",
    "spanish_hours": "CC_SPANISH_HOURS",
}


@dataclasses.dataclass(frozen=True)
class Facility:
    name: str
    navigator_phone: str
    transfer_number: str
    hours: OpeningHours
    timezone: ZoneInfo
    support_phone: str
    support_name: str
    support_name_es: str = "la Sociedad Americana Contra el Cáncer"
    # a line where someone speaks Spanish, and when ("" and None: there is none)
    spanish_phone: str = ""
    spanish_hours: Optional[OpeningHours] = None
    # who signs off the content: reviewer key -> "Name, credential" ("" until the clinic names them)
    reviewers: Dict[str, str] = dataclasses.field(default_factory=dict)
    # other names of the clinic's sites and buildings, kept readable by the redaction
    places: Tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        return self.name or "your imaging center"

    def is_open(self, now: Optional[dt.datetime] = None) -> bool:
        now = now or dt.datetime.now(dt.timezone.utc)
        return self.hours.is_open(now.astimezone(self.timezone))

    def spanish_line_open(self, now: Optional[dt.datetime] = None) -> bool:
        if not self.spanish_phone:
            return False
        now = now or dt.datetime.now(dt.timezone.utc)
        return (self.spanish_hours or self.hours).is_open(now.astimezone(self.timezone))

    def support_name_in(self, lang: str) -> str:
        return self.support_name_es if lang == "es" else self.support_name


def load_facility(path: Path = SETTINGS_FILE, environ=os.environ) -> Facility:
    """Read the settings file, then let environment variables override each value."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    raw = raw or {}
    values = {key: str(environ.get(env) or raw.get(key) or "").strip() for key, env in _ENV.items()}
    return Facility(
        name=values["name"],
        navigator_phone=values["navigator_phone"],
        transfer_number=values["transfer_number"] or values["navigator_phone"],
        hours=OpeningHours.parse(values["hours"] or "Mon-Fri 08:00-17:00"),
        timezone=ZoneInfo(values["timezone"] or "America/Chicago"),
        support_phone=values["support_phone"] or "+18002272345",
        support_name=values["support_name"] or "the American Cancer Society",
        support_name_es=values["support_name_es"] or "la Sociedad Americana Contra el Cáncer",
        spanish_phone=values["spanish_phone"],
        spanish_hours=OpeningHours.parse(values["spanish_hours"]) if values["spanish_hours"] else None,
        reviewers={
            str(key): ", ".join(filter(None, [str((person or {}).get("name") or "").strip(),
                                               str((person or {}).get("credential") or "").strip()]))
            for key, person in (raw.get("reviewers") or {}).items()
        },
        places=tuple(str(p).strip() for p in raw.get("places") or () if str(p).strip()),
    )
