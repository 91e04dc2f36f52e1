"""Handing over to a person, and what happens when the assistant does not understand.

Handoff is channel-aware: the phone line gets a transfer target when the
clinic is open (the channel dials it, and falls back to the support line);
chat gets the numbers and hours as a card, a ConversationPaused event and a
staff record; the speaker gets the numbers spoken and on a card.
"""

from __future__ import annotations

from rasa_sdk.events import ConversationPaused

from actions import phone_call
from actions.answers import answer_birads_category
from actions.base import CompanionAction, Turn
from companion.channel_traits import traits
from companion.escalation import plan_handoff, record_handoff
from companion.render import answer_button, button

MISUNDERSTOOD_LIMIT = 2


def hand_off(turn: Turn, reason: str, prefix_key: str = "", stayed_on_line: bool = False) -> None:
    handoff = plan_handoff(turn.facility)
    key = "handoff_open" if handoff.clinic_reachable else "handoff_support_only"
    prefix = turn.content.behaviour(prefix_key) if prefix_key else None
    buttons = [button(f"Call {c.name}", c.as_dict()["tel"]) for c in handoff.contacts]
    turn.behaviour(key, "handoff", buttons=buttons, prefix=prefix, reason=reason, **handoff.as_dict())
    record_handoff(turn.tracker.sender_id, turn.channel, reason, handoff)
    turn.set("misunderstood", 0.0)
    turn.set("pending_offer", None)
    if phone_call.on_phone(turn):
        phone_call.after_handoff(turn, handoff.as_dict()["transfer"], stayed_on_line)
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
                buttons=[answer_button(a) for a in candidates] + [button("Talk to a person", "/human_handoff")],
                fields={"topic": candidates[0].topic},
                choices=[{"answer_id": a.id, "title": a.title} for a in candidates],
            )
            turn.set("pending_offer", f"answer:{candidates[0].id}")
        else:
            turn.behaviour("did_you_mean_none", "fallback")
            turn.set("pending_offer", None)
