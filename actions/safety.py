"""Safety replies: crisis (988), emergency (911), disclosures (RAINN, the Domestic Violence Hotline, 988),
and the kind refusal to interpret a person's own result."""

from __future__ import annotations

from actions import phone_call
from actions.answers import answer_birads_category
from actions.base import CompanionAction, Turn
from companion import safety
from companion.render import button


class ActionSafetyResponse(CompanionAction):
    """Predicted by SafetyPolicy ahead of everything else (and by the rules for a hesitant safety intent)."""

    action_name = "action_safety_response"

    def respond(self, turn: Turn) -> None:
        kind = safety.assess(turn.text, turn.tracker.latest_message)
        if kind is None:
            # only a hesitant classifier thinks so: answer the worry, and say where help is
            turn.behaviour("check_in", "help", remember=False, disclaimer=False)
            turn.answer(turn.content.required("coping_while_waiting"))
            return
        if kind == safety.EMERGENCY:
            turn.behaviour("emergency", "emergency", dial="911", buttons=[button(turn.content.label("call_911"), "tel:911")])
            # a phone call cannot be connected to 911: the caller may choose to have the line freed to dial it
            turn.set("pending_offer", "hangup" if phone_call.on_phone(turn) else None)
            return
        lines = turn.content.lines_for(kind)
        offered = lines[0] if lines else None
        reply_kind = "crisis" if kind == safety.CRISIS else "disclosure"
        buttons = [button(turn.content.label("call", name=line.name), f"tel:{line.number}") for line in lines]
        if reply_kind == "disclosure":
            buttons.append(button(turn.content.label("talk_to_person"), "/human_handoff"))
        turn.behaviour(
            kind, reply_kind,
            lines=[line.as_dict() for line in lines],
            disclosure=kind.removeprefix("disclosure_") if reply_kind == "disclosure" else None,
            offer_dial=offered.number if turn.voice and offered else None,
            offer_line=offered.key if turn.voice and offered else None,
            buttons=buttons,
        )
        # on the phone, "yes" connects the call to the line offered
        turn.set("pending_offer", f"dial:{offered.key}" if turn.voice and offered else None)


class ActionNoDiagnosis(CompanionAction):
    """A request to read the person's own result: a kind refusal, the general facts, who can answer, and a person.

    A BI-RADS category named in the message gets that category's general meaning
    after the refusal; nothing here ever gives odds-based reassurance.
    """

    action_name = "action_no_diagnosis"

    def respond(self, turn: Turn) -> None:
        if answer_birads_category(turn, personal=True):
            # the category's general meaning, then that only her care team can say what it means for her
            turn.set("pending_offer", "handoff")
            return
        topic_id = turn.mentioned_topic()
        topic = turn.content.answer(topic_id) if topic_id else None
        general = topic.context.get("is_that_bad") if topic else None
        reply_buttons = [button(turn.content.label("talk_to_person"), "/human_handoff")]
        if topic:
            reply_buttons.insert(0, button(topic.title, f"/{topic.intent}"))
        turn.behaviour("no_diagnosis", "no_diagnosis", buttons=reply_buttons, related=topic_id)
        if general:
            # the general facts that apply, said as general facts
            turn.dispatcher.utter_message(text=general if turn.voice else f"In general: {general}")
        turn.set("pending_offer", "handoff")
        if topic_id:
            turn.set("topic", topic_id)
