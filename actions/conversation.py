"""Conversation basics: greeting, help, thanks, goodbye, out of scope, questions about the assistant, and yes/no to an offer."""

from __future__ import annotations

import re
from typing import List

from actions import phone_call
from actions.answers import answer_question
from actions.base import CompanionAction, Turn
from actions.escalation import hand_off
from actions.live_chat import CALLBACK_OFFER, accept_callback
from companion.content import Spoken
from companion.render import answer_button, button


def starter_buttons(turn: Turn) -> List[dict]:
    buttons = [answer_button(turn.content.answers[s]) for s in turn.content.starters]
    return buttons + [button(turn.content.label("talk_to_person"), "/human_handoff")]


class ActionGreet(CompanionAction):
    action_name = "action_greet"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("greeting", "greeting", buttons=starter_buttons(turn),
                       starters=[{"answer_id": s, "title": turn.content.answers[s].title} for s in turn.content.starters])


class ActionHelp(CompanionAction):
    action_name = "action_help"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("help", "help", buttons=starter_buttons(turn))


_SAYS_GOODBYE = re.compile(r"\b(good ?bye|bye|bye bye|that's all|thats all|that is all)\b", re.IGNORECASE)


class ActionThanks(CompanionAction):
    """Thanks; "thank you, goodbye" is a goodbye as well."""

    action_name = "action_thanks"

    def respond(self, turn: Turn) -> None:
        if _SAYS_GOODBYE.search(turn.text):
            say_goodbye(turn)
            return
        turn.behaviour("thanks", "help", buttons=starter_buttons(turn))


# The conversation ends (a phone call hangs up) only on a goodbye the classifier is this sure of, in
# words that take leave; anything else is asked about first, so line noise ("let me see") never ends a
# frightened caller's call.
GOODBYE_CONFIDENCE = 0.8
_TAKES_LEAVE = re.compile(
    r"\b(good ?bye|bye+|by+e|ttyl|c ya|see (you|ya)|(talk (to you )?|catch you )(later|soon)|so long|good ?night|night night|"
    r"take care|have a (good|nice|great) (day|night|evening)|(i'?m|i am|we'?re|all) (done|finished|all set)|"
    r"that'?s (all|it|everything)|nothing else|no more questions|gotta (go|run)|(have|need|got) to go|"
    r"going to go|gonna (go|let you go)|let you go|log(ging)? off|hang(ing)? up|end(ing)? (the )?(call|chat)|"
    r"close the chat|exit|quit|stop here|"
    r"adi[oó]s|chao|chau|hasta (luego|ma[nñ]ana|pronto|la pr[oó]xima)|nos vemos|me voy|me despido|"
    r"(tengo|tenemos) que (irme|colgar|ir)|cuelg\w*|termin(e|é|ar|amos)|(es|era) todo|ya no tengo m[aá]s|salir|"
    r"buen(as noches| d[ií]a)|cu[ií]de(se|te))\b",
    re.IGNORECASE)


def takes_leave(text: str) -> bool:
    """Words that say goodbye, or the speaker's Stop and Cancel (sent as /goodbye)."""
    return text.strip().startswith("/goodbye") or bool(_TAKES_LEAVE.search(text))


def say_goodbye(turn: Turn) -> None:
    turn.set("pending_offer", None)
    turn.behaviour("goodbye", "goodbye", end_conversation=True)


class ActionGoodbye(CompanionAction):
    action_name = "action_goodbye"

    def respond(self, turn: Turn) -> None:
        if turn.slot("pending_offer") == "hangup":
            # "hang up" after the emergency message: the caller chose to free the line for 911
            phone_call.hang_up(turn)
            return
        confidence = (turn.tracker.latest_message.get("intent") or {}).get("confidence") or 0.0
        if confidence >= GOODBYE_CONFIDENCE and turn.domain_verdict() != "noise" and takes_leave(turn.text):
            say_goodbye(turn)
            return
        turn.behaviour("confirm_goodbye", "help")
        turn.set("pending_offer", "goodbye")


class ActionOutOfScope(CompanionAction):
    """Outside what the content covers: an honest "I don't have an answer for that", and who can answer."""

    action_name = "action_out_of_scope"

    def respond(self, turn: Turn) -> None:
        # a question that touches the callback's subject gets who can answer it; anything else, what this is for
        key = "no_answer" if turn.domain_reading().get("in_domain", 0.0) > 0 else "out_of_scope"
        turn.behaviour(key, "out_of_scope", buttons=starter_buttons(turn), reason=key)
        turn.set("misunderstood", 0.0)


class ActionComfort(CompanionAction):
    """Worry said as a feeling ("I'm so scared", "this wait is killing me"): a kind word, then how to cope."""

    action_name = "action_comfort"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("comfort", "help", remember=False, disclaimer=False)
        turn.answer(turn.content.required("coping_while_waiting"))


class ActionAboutMe(CompanionAction):
    """A question about the assistant itself ("are you a robot?", "are you depressed?"): an honest, kind reply."""

    action_name = "action_about_me"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("about_me", "help", buttons=starter_buttons(turn))


class ActionOtherSymptom(CompanionAction):
    """A physical complaint that is not about the breast ("my head hurts"): a doctor, and 911 if sudden or severe."""

    action_name = "action_other_symptom"

    def respond(self, turn: Turn) -> None:
        turn.behaviour("other_symptom", "out_of_scope", reason="other_symptom",
                       buttons=[button(turn.content.label("talk_to_person"), "/human_handoff")])


class ActionAffirm(CompanionAction):
    """'Yes': accepts what the assistant last offered."""

    action_name = "action_affirm"

    def respond(self, turn: Turn) -> None:
        offer = turn.slot("pending_offer") or ""
        kind, _, value = offer.partition(":")
        turn.set("pending_offer", None)
        if kind in ("answer", "confirm") and turn.content.answer(value):
            answer_question(turn, turn.content.answer(value))
        elif kind == "more" and turn.content.answer(value):
            answer = turn.content.required(value)
            turn.answer(answer, part="more", body=Spoken(answer.more, answer.more))
        elif kind == "handoff":
            hand_off(turn, reason="accepted_offer")
        elif kind == CALLBACK_OFFER:
            accept_callback(turn)
        elif kind == "goodbye":
            say_goodbye(turn)
        elif offer == "hangup":
            phone_call.hang_up(turn)
        elif offer == "dial:support":
            phone_call.dial_support(turn)
        elif kind == "dial" and value in turn.content.lines:
            line = turn.content.lines[value]
            reply_kind = "crisis" if value in turn.content.line_replies.get("crisis", ()) else "disclosure"
            key = "connecting_crisis_line" if reply_kind == "crisis" else "connecting_line"
            leg = "crisis" if line.number == "988" else line.key
            # a line with counsellors in her language is reached by a key once it answers (988: 2 for Spanish)
            turn.behaviour(key, reply_kind, dial=line.number, leg=leg, send_digits=line.press or None,
                           fields={"line": line.spoken_name if turn.voice else line.name})
        else:
            turn.behaviour("anything_else", "help", buttons=starter_buttons(turn))


class ActionDeny(CompanionAction):
    """'No': declines the offer and asks what else would help."""

    action_name = "action_deny"

    def respond(self, turn: Turn) -> None:
        if (turn.slot("pending_offer") or "").startswith("confirm:"):
            # not what she asked: she is asked to say it again, in a few words
            phone_call.ask_again(turn)
            return
        turn.set("pending_offer", None)
        turn.behaviour("deny", "help", buttons=starter_buttons(turn))
