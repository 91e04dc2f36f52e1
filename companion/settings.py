"""Facility settings: the clinic's name, numbers and hours, from config/facility.yml and the environment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from pathlib import Path
from typing import Dict, Optional, Tuple
from zoneinfo import ZoneInfo

import yaml

from companion import PROJECT_ROOT

SETTINGS_FILE = PROJECT_ROOT / "config" / "facility.yml"

_ENV = {
    "name": "CC_FACILITY_NAME",
    "navigator_phone": "CC_NAVIGATOR_PHONE",
    "transfer_number": "CC_TRANSFER_NUMBER",
    "hours": "CC_HOURS",
    "timezone": "CC_TIMEZONE",
    "support_phone": "CC_SUPPORT_PHONE",
    "support_name": "CC_SUPPORT_NAME",
}
_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HOURS = re.compile(
    r"^\s*(?P<d1>[a-z]{3})(?:\s*-\s*(?P<d2>[a-z]{3}))?\s+"
    r"(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*-\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})\s*$",
    re.IGNORECASE,
)


@dataclasses.dataclass(frozen=True)
class OpeningHours:
    days: frozenset
    opens: dt.time
    closes: dt.time
    label: str

    @classmethod
    def parse(cls, text: str) -> "OpeningHours":
        match = _HOURS.match(text or "")
        if not match:
            raise ValueError(f"hours must look like 'Mon-Fri 08:00-17:00', not {text!r}")
        first = _DAYS.index(match["d1"].lower())
        last = _DAYS.index((match["d2"] or match["d1"]).lower())
        days = frozenset(_DAYS[first : last + 1])
        opens = dt.time(int(match["h1"]), int(match["m1"]))
        closes = dt.time(int(match["h2"]), int(match["m2"]))
        return cls(days, opens, closes, text.strip())

    def is_open(self, moment: dt.datetime) -> bool:
        day = _DAYS[moment.weekday()]
        return day in self.days and self.opens <= moment.time() < self.closes

    def spoken(self) -> str:
        """'Monday to Friday, 8 AM to 5 PM' for voice and chat."""
        names = {
            "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
            "fri": "Friday", "sat": "Saturday", "sun": "Sunday",
        }
        ordered = [d for d in _DAYS if d in self.days]
        days = names[ordered[0]] if len(ordered) == 1 else f"{names[ordered[0]]} to {names[ordered[-1]]}"
        return f"{days}, {_clock(self.opens)} to {_clock(self.closes)}"


def _clock(t: dt.time) -> str:
    hour = t.hour % 12 or 12
    suffix = "AM" if t.hour < 12 else "PM"
    return f"{hour} {suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d} {suffix}"


@dataclasses.dataclass(frozen=True)
class Facility:
    name: str
    navigator_phone: str
    transfer_number: str
    hours: OpeningHours
    timezone: ZoneInfo
    support_phone: str
    support_name: str
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
        reviewers={
            str(key): ", ".join(filter(None, [str((person or {}).get("name") or "").strip(),
                                               str((person or {}).get("credential") or "").strip()]))
            for key, person in (raw.get("reviewers") or {}).items()
        },
        places=tuple(str(p).strip() for p in raw.get("places") or () if str(p).strip()),
    )
