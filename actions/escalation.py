"""Handing over to a person, and what happens when the assistant does not understand.

Handoff is channel-aware: the phone line gets a transfer target when the
clinic is open (the channel dials it, and falls back to the support line);
chat gets the numbers and hours as a card and a ConversationPaused event; the
speaker gets the numbers spoken and on a card. Every handoff's reply carries
its reason, topic and whether staff hours are on, and the Rasa server puts it
on the staff console's queue. With live chat on (CC_LIVE_CHAT), a chat in
staff hours is told a navigator will join; outside them, with call backs on
(CC_CALLBACKS), the phone line and the chat page offer a call back.
"""

from __future__ import annotations

from rasa_sdk.events import ConversationPaused

from actions import phone_call
from actions.answers import answer_birads_category
from actions.base import CompanionAction, Turn
from actions.live_chat import CALLBACK_OFFER, may_offer_callback
from companion.channel_traits import traits
from companion.escalation import plan_handoff, record_handoff
from companion.render import answer_button, button
from companion.staff import settings as staff_settings

MISUNDERSTOOD_LIMIT = 2


def hand_off(turn: Turn, reason: str, prefix_key: str = "", stayed_on_line: bool = False) -> None:
    handoff = plan_handoff(turn.facility, lang=turn.language)
    staff_hours = turn.facility.is_open()
    key = "handoff_open" if turn.facility.navigator_phone else "handoff_support_only"
    if turn.language == "es":
        # in Spanish: the clinic's Spanish line when it has one, else says it has none and gives the support
        # line's Spanish-speaking specialists
        key = "handoff_spanish_line" if turn.facility.spanish_phone else key
        prefix_key = prefix_key or ("" if turn.facility.spanish_phone else "handoff_no_spanish_line")
    prefix = turn.content.behaviour(prefix_key) if prefix_key else None
    buttons = [button(turn.content.label("call", name=c.name), c.as_dict()["tel"]) for c in handoff.contacts]
    live = traits(turn.channel).paused_for_staff and staff_hours and staff_settings.live_chat()
    callback = not staff_hours and may_offer_callback(turn)
    details = dict(reason=reason, topic=turn.slot("topic"), staff_hours=staff_hours, **handoff.as_dict())
    if live:
        turn.behaviour(key, "handoff", buttons=buttons, prefix=prefix, remember=False, disclaimer=False)
        turn.behaviour("live_waiting", "handoff", live="waiting", **details)
    elif callback:
        turn.behaviour(key, "handoff", buttons=buttons, prefix=prefix, remember=False, disclaimer=False)
        turn.behaviour("callback_offer", "handoff", callback="offer",
                       buttons=[button(turn.content.label("callback_yes"), "/affirm"), button(turn.content.label("callback_no"), "/deny")], **details)
    else:
        turn.behaviour(key, "handoff", buttons=buttons, prefix=prefix, **details)
    record_handoff(turn.tracker.sender_id, turn.channel, reason, handoff)
    turn.set("misunderstood", 0.0)
    turn.set("pending_offer", CALLBACK_OFFER if callback else None)
    if phone_call.on_phone(turn):
        phone_call.after_handoff(turn, handoff.as_dict()["transfer"], stayed_on_line, callback_offered=callback)
    if traits(turn.channel).paused_for_staff:
        turn.events.append(ConversationPaused())


class ActionHandoff(CompanionAction):
    action_name = "action_handoff"

    def respond(self, turn: Turn) -> None:
        hand_off(turn, reason="asked")


class ActionClarify(CompanionAction):
    """Not understood: first 'did you mean...?' with the likeliest answers, then a person."""

    action_name = "action_clarify"

    def respond(self, turn: Turn) -> None:
        misunderstood = int(turn.slot("misunderstood") or 0) + 1
        if misunderstood >= MISUNDERSTOOD_LIMIT:
            hand_off(turn, reason="not_understood", prefix_key="not_understood_handoff")
            return
        turn.set("misunderstood", float(misunderstood))
        if turn.domain_verdict() != "in_domain":
            # noise, a filler, an aside, nothing the content knows: nothing to guess from, so no "did you mean"
            turn.behaviour("not_heard", "fallback", reason="not_heard")
            turn.set("pending_offer", None)
            return
        ranking = turn.tracker.latest_message.get("intent_ranking", [])
        likeliest = next((r.get("name") for r in ranking if r.get("name") != "nlu_fallback"), "")
        if likeliest in ("ask_birads_categories", "ask_birads_zero", "personal_diagnosis") and answer_birads_category(turn):
            # unsure between the BI-RADS answers, but the category she named is clear
            return
        candidates = []
        for ranked in ranking:
            answer = turn.content.answer_for_intent(ranked.get("name"))
            if answer and answer not in candidates:
                candidates.append(answer)
            if len(candidates) == 2:
                break
        if candidates:
            turn.behaviour(
                "did_you_mean", "fallback",
                buttons=[answer_button(a) for a in candidates] + [button(turn.content.label("talk_to_person"), "/human_handoff")],
                fields={"topic": candidates[0].topic},
                choices=[{"answer_id": a.id, "title": a.title} for a in candidates],
            )
            turn.set("pending_offer", f"answer:{candidates[0].id}")
        else:
            turn.behaviour("did_you_mean_none", "fallback")
            turn.set("pending_offer", None)
