"""Conversation basics: greeting, help, thanks, goodbye, out of scope, and yes/no to an offer."""

from __future__ import annotations

from typing import List

from actions.base import CompanionAction, Turn
from actions.escalation import hand_off
from companion.content import Spoken
from companion.render import answer_button, button


def starter_buttons(turn: Turn) -> List[dict]:
    buttons = [answer_button(turn.content.answers[s]) for s in turn.content.starters]
    return buttons + [button("Talk to a person", "/human_handoff")]


class ActionGreet(CompanionAction):
    action_name = "action_greet"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("greeting", "greeting", buttons=starter_buttons(turn),
                       starters=[{"answer_id": s, "title": turn.content.answers[s].title} for s in turn.content.starters])


class ActionHelp(CompanionAction):
    action_name = "action_help"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("help", "help", buttons=starter_buttons(turn))


class ActionThanks(CompanionAction):
    action_name = "action_thanks"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("thanks", "help", buttons=starter_buttons(turn))


class ActionGoodbye(CompanionAction):
    action_name = "action_goodbye"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("goodbye", "goodbye", end_conversation=True)


class ActionOutOfScope(CompanionAction):
    action_name = "action_out_of_scope"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("out_of_scope", "out_of_scope", buttons=starter_buttons(turn))
        turn.set("misunderstood", 0.0)


class ActionAffirm(CompanionAction):
    """'Yes': accepts what the assistant last offered."""

    action_name = "action_affirm"

    def respond(self, turn: Turn) -> None:
        offer = turn.slot("pending_offer") or ""
        kind, _, value = offer.partition(":")
        turn.set("pending_offer", None)
        if kind == "answer" and turn.content.answer(value):
            turn.answer(turn.content.answer(value))
        elif kind == "more" and turn.content.answer(value):
            answer = turn.content.answer(value)
            turn.answer(answer, part="more", body=Spoken(answer.more, answer.more))
        elif kind == "handoff":
            hand_off(turn, reason="accepted_offer")
        elif kind == "dial":
            turn.behaviour("connecting_crisis_line", "crisis", dial=value)
        else:
            turn.behaviour("anything_else", "help", buttons=starter_buttons(turn))


class ActionDeny(CompanionAction):
    """'No': declines the offer and asks what else would help."""

    action_name = "action_deny"

    def respond(self, turn: Turn) -> None:
        turn.set("pending_offer", None)
        turn.behaviour("deny", "help", buttons=starter_buttons(turn))
