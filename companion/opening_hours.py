"""Opening hours ("Mon-Fri 08:00-17:00"): the one parser of the hours setting, whether it comes from the file or the environment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

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
            raise ValueError("expected hours such as 'Mon-Fri 08:00-17:00'")
        first_day, last_day = match["d1"].lower(), (match["d2"] or match["d1"]).lower()
        if first_day not in _DAYS or last_day not in _DAYS:
            raise ValueError("expected days such as Mon-Fri (Mon, Tue, Wed, Thu, Fri, Sat, Sun)")
        first, last = _DAYS.index(first_day), _DAYS.index(last_day)
        days = frozenset(_DAYS[first : last + 1])
        opens = dt.time(int(match["h1"]), int(match["m1"]))
        closes = dt.time(int(match["h2"]), int(match["m2"]))
        return cls(days, opens, closes, text.strip())

    def is_open(self, moment: dt.datetime) -> bool:
        day = _DAYS[moment.weekday()]
        return day in self.days and self.opens <= moment.time() < self.closes

    def spoken(self, lang: str = "en") -> str:
        """'Monday to Friday, 8 AM to 5 PM' (or 'de lunes a viernes, de 8 a. m. a 5 p. m.') for voice and chat."""
        ordered = [d for d in _DAYS if d in self.days]
        names = _DAY_NAMES.get(lang, _DAY_NAMES["en"])
        if lang == "es":
            days = names[ordered[0]] if len(ordered) == 1 else f"de {names[ordered[0]]} a {names[ordered[-1]]}"
            return f"{days}, de {_clock(self.opens, lang)} a {_clock(self.closes, lang)}"
        days = names[ordered[0]] if len(ordered) == 1 else f"{names[ordered[0]]} to {names[ordered[-1]]}"
        return f"{days}, {_clock(self.opens)} to {_clock(self.closes)}"


_DAY_NAMES = {
    "en": {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
           "sat": "Saturday", "sun": "Sunday"},
    "es": {"mon": "lunes", "tue": "martes", "wed": "miércoles", "thu": "jueves", "fri": "viernes",
           "sat": "sábado", "sun": "domingo"},
}


def _clock(t: dt.time, lang: str = "en") -> str:
    hour = t.hour % 12 or 12
    if lang == "es":
        suffix = "a. m." if t.hour < 12 else "p. m."
    else:
        suffix = "AM" if t.hour < 12 else "PM"
    return f"{hour} {suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d} {suffix}"
