"""The channels by name, and what the dialogue needs to know about each: spoken or shown, whether it can dial, whether staff take over its conversations.

Both processes read this one table: the actions to render for a channel, the
channels for their own name. A channel missing here is a text channel.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional

REST = "rest"
WEBCHAT = "webchat"
PHONE = "twilio_ivr"
SPEAKER = "alexa"


@dataclasses.dataclass(frozen=True)
class Traits:
    voice: bool = False  # replies are spoken: no lists or links, numbers digit by digit, a card beside them
    dials: bool = False  # the channel can connect a call to another number, and has a keypad
    paused_for_staff: bool = False  # after a handoff the conversation waits for a person


CHANNELS: Dict[str, Traits] = {
    REST: Traits(),
    WEBCHAT: Traits(paused_for_staff=True),
    PHONE: Traits(voice=True, dials=True),
    SPEAKER: Traits(voice=True),
}


def traits(channel: Optional[str]) -> Traits:
    return CHANNELS.get(channel or "", Traits())
