"""A navigator in the conversation, and call backs: what the person is told, and what a "yes" to a call back does.

The Rasa server runs these actions when something happens on the staff side
(companion/staff/, channels/staff_console.py): a navigator joins a waiting
chat (the conversation is paused: her messages go to the navigator), leaves
it (the channel resumes the conversation first), nobody takes a chat in time,
or a phone transfer is not answered. The call back offer is accepted by the
ordinary "yes" (actions/conversation.py), on the channels that can take a
number: the phone line (the caller's own number, which she is told and
confirms) and the chat page (a number she types in the page's own form, which
never passes through the assistant). The channel keeps the number; these
actions only say what happens.
"""

from __future__ import annotations

from rasa_sdk.events import ConversationPaused

from actions.base import CompanionAction, Turn
from companion.render import button
from companion.staff import settings as staff_settings

CALLBACK_CHANNELS = frozenset({"webchat", "twilio_ivr"})
CALLBACK_OFFER = "callback"
# set while the chat page's number form is open: the channel keeps a number only then
AWAITING_NUMBER = "callback_number"


def may_offer_callback(turn: Turn) -> bool:
    return staff_settings.callbacks() and turn.channel in CALLBACK_CHANNELS


def offer_callback(turn: Turn, lead_key: str, **custom) -> None:
    """The lead line, then the call back offer when one can be taken here; otherwise the lead line with the support line."""
    if not may_offer_callback(turn):
        turn.behaviour(lead_key, "handoff", **custom)
        return
    turn.behaviour(lead_key, "handoff", remember=False, disclaimer=False)
    turn.behaviour("callback_offer", "handoff", callback="offer",
                   buttons=[button(turn.content.label("callback_yes"), "/affirm"), button(turn.content.label("callback_no"), "/deny")], **custom)
    turn.set("pending_offer", CALLBACK_OFFER)


def accept_callback(turn: Turn) -> None:
    """'Yes' to a call back: on the phone the channel keeps the caller's number; on the chat page she types one."""
    if turn.voice:
        turn.behaviour("callback_saved", "handoff", callback="confirmed")
    else:
        turn.behaviour("callback_ask_number", "handoff", callback="ask_number")
        turn.set("pending_offer", AWAITING_NUMBER)


class ActionNavigatorJoined(CompanionAction):
    action_name = "action_navigator_joined"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("navigator_joined", "handoff", live="joined")
        turn.set("pending_offer", None)
        turn.events.append(ConversationPaused())


class ActionNavigatorLeft(CompanionAction):
    action_name = "action_navigator_left"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("navigator_left", "handoff", live="left")
        turn.set("misunderstood", 0.0)


class ActionNavigatorUnavailable(CompanionAction):
    """Nobody took the chat within CC_STAFF_WAIT_SECONDS: say so, give the support line, and offer a call back."""

    action_name = "action_navigator_unavailable"

    def respond(self, turn: Turn) -> None:
        offer_callback(turn, "navigator_unavailable", live="unavailable")


class ActionTransferUnanswered(CompanionAction):
    """A phone transfer to the clinic that nobody picked up."""

    action_name = "action_transfer_unanswered"

    def respond(self, turn: Turn) -> None:
        offer_callback(turn, "transfer_unanswered", reason="transfer_unanswered")


class ActionCallbackSaved(CompanionAction):
    """The chat page kept the number she typed."""

    action_name = "action_callback_saved"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("callback_saved", "handoff", callback="saved")
        turn.set("pending_offer", None)


class ActionCallbackFailed(CompanionAction):
    action_name = "action_callback_failed"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("callback_failed", "handoff", callback="failed")
        turn.set("pending_offer", None)
