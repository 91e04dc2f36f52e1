"""Safety replies: crisis (988), emergency (911), and the kind refusal to interpret a person's own result."""

from __future__ import annotations

from actions.base import CompanionAction, Turn
from companion import safety
from companion.render import button

CRISIS_LINE = "988"


class ActionSafetyResponse(CompanionAction):
    """Predicted by SafetyPolicy ahead of everything else."""

    action_name = "action_safety_response"

    def respond(self, turn: Turn) -> None:
        kind = safety.screen(turn.text) or safety.classifier_alarm(turn.tracker.latest_message)
        if kind is None:
            # only a hesitant classifier thinks so: answer the worry, and say where help is
            turn.behaviour("check_in", "help", remember=False, disclaimer=False)
            turn.answer(turn.content.answer("coping_while_waiting"))
            return
        if kind == safety.EMERGENCY:
            turn.behaviour("emergency", "emergency", dial="911", buttons=[button("Call 911", "tel:911")])
            return
        turn.behaviour(
            "crisis", "crisis",
            lines=[{"name": "988 Suicide & Crisis Lifeline", "phone": CRISIS_LINE, "tel": "tel:988", "sms": "sms:988"}],
            offer_dial=CRISIS_LINE if turn.voice else None,
        )
        # on the phone, "yes" connects the call to 988
        turn.set("pending_offer", f"dial:{CRISIS_LINE}" if turn.voice else None)


class ActionNoDiagnosis(CompanionAction):
    """A request to read the person's own result: a kind refusal, the general facts, who can answer, and a person."""

    action_name = "action_no_diagnosis"

    def respond(self, turn: Turn) -> None:
        topic_id = turn.mentioned_topic()
        topic = turn.content.answer(topic_id) if topic_id else None
        general = topic.context.get("is_that_bad") if topic else None
        reply_buttons = [button("Talk to a person", "/human_handoff")]
        if topic:
            reply_buttons.insert(0, button(topic.title, f"/{topic.intent}"))
        turn.behaviour("no_diagnosis", "no_diagnosis", buttons=reply_buttons, related=topic_id)
        if general:
            # the general facts that apply, said as general facts
            turn.dispatcher.utter_message(text=general if turn.voice else f"In general: {general}")
        turn.set("pending_offer", "handoff")
        if topic_id:
            turn.set("topic", topic_id)
