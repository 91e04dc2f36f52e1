"""The phone call's side of the dialogue: key presses, silence, poorly heard speech, the offers a caller accepts with a key, and the end of a transfer.

The phone line (channels/phone/) only turns Twilio's requests into messages: a
key press is `/keypad{"key": "1"}`, silence is `/silence`, the end of a
transfer is `/dial_ended{"leg": "clinic", "status": "busy"}`, and speech
carries `heard_poorly` in its metadata. What they mean where the conversation
is (what 1 accepts, how many silences in a row, a transfer nobody took) is
decided here. Every reply on the phone carries `prompt` in its contract: the
words the caller hears while the line listens; a reply without one (a dial, a
hang-up) ends the listening.

Offers a caller answers on the keypad (`pending_offer`): "confirm:<answer id>" and
"callback" (1 yes, 2 no), "dial:support", "dial:<help line>" and "hangup" (1 accepts).
The greeting's prompt is followed by how to switch language (`other_language`:
"Para español, oprima 9", said in that language's voice); 9 switches.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from actions.base import CompanionAction, Turn
from companion import phone
from companion.channel_traits import traits
from companion.content import content
from companion.language import ENGLISH, SPANISH


def other_language(lang: str) -> str:
    return ENGLISH if lang == SPANISH else SPANISH

# the intents of the messages the phone line sends for what is not speech
CALL_EVENTS = ("keypad", "silence", "dial_ended")
MAX_REPROMPTS = 2
MENU_SIZE = 4
ANSWERED = frozenset({"completed", "answered"})
# the offers whose prompt says "press 1"
KEYPAD_OFFERS = frozenset({"confirm", "dial", "hangup", "callback"})


def words(turn: Turn, name: str, **fields: str) -> str:
    """The phone line's own words (content/voice.yml, `phone`)."""
    return turn.content.voice["phone"][name].format(**fields)


def on_phone(turn: Turn) -> bool:
    return traits(turn.channel).dials


def contract(turn: Turn) -> Dict[str, Any]:
    """The reply contract of this turn: the `custom` of the last message that has one (one is added if none has)."""
    for message in reversed(turn.dispatcher.messages):
        if message.get("custom"):
            return message["custom"]
    turn.dispatcher.utter_message(json_message={"answer_id": "prompt"})
    return turn.dispatcher.messages[-1]["custom"]


def starters(turn: Turn):
    return [turn.content.answers[s] for s in turn.content.starters if s in turn.content.answers][:MENU_SIZE]


def menu(turn: Turn) -> str:
    options = [words(turn, "menu_option", topic=a.topic, key=str(n)) for n, a in enumerate(starters(turn), start=1)]
    return " ".join([words(turn, "menu_lead"), *options, words(turn, "menu_person")])


def offer_prompt(turn: Turn, offer: str, kind: str = "") -> Optional[str]:
    """What the caller is asked when this offer is open; None for an offer with nothing to press."""
    name, _, value = offer.partition(":")
    if name == "confirm" and turn.content.answer(value):
        return words(turn, "confirm_topic", topic=turn.content.required(value).topic)
    if offer == "dial:support":
        return words(turn, "offer_support", support_name=turn.facility.support_name_in(turn.language))
    if name == "dial" and value in turn.content.lines:
        if kind == "crisis":
            return words(turn, "offer_crisis_line")
        return words(turn, "offer_line", line=turn.content.lines[value].spoken_name)
    if offer == "hangup":
        return words(turn, "offer_hang_up")
    if offer == "person":
        return words(turn, "offer_person")
    return None


def add_prompt(turn: Turn) -> None:
    """Sets `prompt` on a phone reply: the open offer's question, the menu after the greeting, else what to do next."""
    custom = contract(turn)
    if "prompt" in custom or custom.get("end_conversation") or custom.get("dial") not in (None, "911"):
        return
    kind = custom.get("answer_id") or ""
    offer = offer_prompt(turn, turn.slot_as_left("pending_offer") or "", kind)
    if offer:
        custom["prompt"] = offer
    elif kind == "greeting":
        custom["prompt"] = menu(turn)
        other = other_language(turn.language)
        custom["other_language"] = {"language": other, "prompt": content(other).voice["phone"]["language_offer"]}
    elif "sources" in custom:  # a curated answer
        custom["prompt"] = words(turn, "next_with_more" if custom.get("has_more") else "next_question")
    else:
        said = [m.get("text") or "" for m in turn.dispatcher.messages if m.get("text")]
        asked = bool(said) and said[-1].rstrip().endswith("?")
        custom["prompt"] = words(turn, "next_after_question" if asked else "next_question")


def dial(turn: Turn, number: str, leg: str, **extra: Any) -> None:
    """Ends the turn with a transfer; its end comes back as /dial_ended with this leg."""
    contract(turn).update({"dial": number, "leg": leg, **extra})


def dial_support(turn: Turn) -> None:
    turn.dispatcher.utter_message(text=words(turn, "connecting_support", support_name=turn.facility.support_name_in(turn.language)))
    dial(turn, phone.e164(turn.facility.support_phone), "support")


def confirm(turn: Turn, answer) -> None:
    """Poorly heard speech that reads as a question with an answer: "Did you ask about …? 1 yes, 2 no"."""
    turn.dispatcher.utter_message(json_message={"answer_id": "confirm", "topic": answer.id,
                                                "prompt": words(turn, "confirm_topic", topic=answer.topic)})
    turn.set("pending_offer", f"confirm:{answer.id}")


def ask_again(turn: Turn) -> None:
    turn.dispatcher.utter_message(json_message={"answer_id": "prompt", "prompt": words(turn, "ask_again")})
    turn.set("pending_offer", None)


def hang_up(turn: Turn) -> None:
    """The caller chose to end the call, to dial 911 themselves."""
    turn.set("pending_offer", None)
    turn.behaviour("emergency", "emergency", remember=False, end_conversation=True)


def after_handoff(turn: Turn, transfer: Optional[str], stayed_on_line: bool, callback_offered: bool = False) -> None:
    """On the phone, a handoff transfers to the open clinic (whose navigator first hears why, the whisper);
    otherwise the support line is offered (unless a call back is), or dialled for a caller who stayed on."""
    if transfer:
        custom = contract(turn)
        turn.dispatcher.utter_message(text=words(turn, "connecting"))
        dial(turn, transfer, "clinic",
             whisper={"reason": custom.get("reason"), "topic": custom.get("topic"), "language": turn.language})
    elif stayed_on_line:
        dial_support(turn)
    elif not callback_offered:
        turn.set("pending_offer", "dial:support")


def missed(turn: Turn) -> None:
    """Nothing heard, or a key that means nothing: reprompt twice in different words, then offer a person, then connect."""
    from actions.escalation import hand_off

    misses = int(turn.slot("silences") or 0) + 1
    offer = turn.slot("pending_offer") or ""
    if offer == "person":
        hand_off(turn, reason="stayed_on_line", stayed_on_line=True)
        return
    turn.set("silences", float(misses))
    if misses > MAX_REPROMPTS:
        prompt = words(turn, "offer_person")
        turn.set("pending_offer", "person")
    elif offer_prompt(turn, offer):
        prompt = f"{words(turn, 'not_caught')} {offer_prompt(turn, offer, _offer_kind(turn))}"
    elif misses == 1:
        prompt = words(turn, "reprompt_first")
    else:
        prompt = words(turn, "reprompt_second", last=str(len(starters(turn))))
    turn.dispatcher.utter_message(json_message={"answer_id": "prompt", "prompt": prompt})


def _offer_kind(turn: Turn) -> str:
    """The kind of reply that made the open offer (a crisis offer is worded apart from the other lines)."""
    last = turn.slot("last_reply") or ""
    return last.split(":")[2] if last.startswith("behaviour:") and last.count(":") >= 2 else ""


class ActionSilence(CompanionAction):
    action_name = "action_silence"
    keeps_silence_count = True

    def respond(self, turn: Turn) -> None:
        missed(turn)


class ActionKeypad(CompanionAction):
    """A key press: 1 accepts an open offer (2 declines a confirmation), otherwise the menu: 1–4 a starter, 0 a person,
    * repeat, 9 the other language."""

    action_name = "action_keypad"
    keeps_silence_count = True

    def respond(self, turn: Turn) -> None:
        from actions.answers import ActionRepeat, answer_question
        from actions.conversation import ActionAffirm, ActionDeny
        from actions.escalation import hand_off

        key = turn.entity("key") or ""
        offer = (turn.slot("pending_offer") or "").partition(":")[0]
        menu_keys = {str(n): a for n, a in enumerate(starters(turn), start=1)}
        if key == "1" and offer in KEYPAD_OFFERS:
            ActionAffirm().respond(turn)
        elif key == "2" and offer == "confirm":
            ask_again(turn)
        elif key == "2" and offer == "callback":
            ActionDeny().respond(turn)
        elif key == "0":
            hand_off(turn, reason="asked")
        elif key == "*":
            ActionRepeat().respond(turn)
        elif key == "9":
            from actions.language import switch_language

            switch_language(turn, other_language(turn.language))
        elif key in menu_keys:
            answer_question(turn, menu_keys[key])
        else:
            missed(turn)
            return
        turn.set("silences", 0.0)


class ActionDialEnded(CompanionAction):
    """A transfer ended: goodbye when it was taken; if the clinic did not answer, the support line; else its number."""

    action_name = "action_dial_ended"

    def respond(self, turn: Turn) -> None:
        from actions.live_chat import may_offer_callback, offer_callback

        leg, status = turn.entity("leg") or "support", (turn.entity("status") or "").lower()
        if status in ANSWERED:
            from actions.conversation import say_goodbye

            say_goodbye(turn)
        elif leg == "clinic" and may_offer_callback(turn):
            offer_callback(turn, "transfer_unanswered", reason="transfer_unanswered")
        elif leg == "clinic":
            turn.dispatcher.utter_message(text=words(turn, "no_one_answered"), json_message={"answer_id": "handoff"})
            turn.set("pending_offer", "dial:support")
        else:
            line = turn.content.lines.get(leg)
            number = line.spoken if line else "9 8 8" if leg == "crisis" else phone.spoken(turn.facility.support_phone)
            turn.dispatcher.utter_message(text=words(turn, "not_connected", number=number),
                                          json_message={"answer_id": "handoff", "prompt": words(turn, "next_question")})
            turn.set("pending_offer", None)
