"""Curated answers and the conversation around them: answer, tell me more, is that bad, does it hurt, how long, what about X, what next, say that again."""

from __future__ import annotations

import re
from typing import Optional

from actions import phone_call
from actions.base import CompanionAction, Turn
from companion import safety
from companion.content import Spoken
from companion.render import answer_button

_ABOUT_HER = re.compile(r"\b(my|mine|me|for me|i have|i got)\b", re.IGNORECASE)

# "Does it hurt?" and "how long does it take?" about a test: the answer on what the test is like has those
# details, so it comes before the answer that was given.
EXPERIENCE_ANSWERS = {"biopsy_explained": "biopsy_experience", "biopsy_likelihood": "biopsy_experience",
                      "biopsy_instead_of_waiting": "biopsy_experience", "breast_mri": "mri_experience"}
FOLLOW_UP_CONTEXT = {"does_it_hurt": "hurts", "how_long": "how_long"}


class ActionAnswer(CompanionAction):
    """Answers a content question (intent ask_<answer id>) from content/answers.yml."""

    action_name = "action_answer"

    def respond(self, turn: Turn) -> None:
        answer = turn.content.answer_for_intent(turn.intent)
        if answer is None:
            turn.behaviour("did_you_mean_none", "fallback")
        elif turn.heard_poorly:
            # a caller the recogniser barely heard is asked whether this is what she asked, before it is answered
            phone_call.confirm(turn, answer)
        else:
            answer_question(turn, answer)


def answer_question(turn: Turn, answer) -> None:
    """An answer to a question, in the conversation's context: a BI-RADS category she named, a biopsy for the finding discussed."""
    if answer.id in ("birads_categories", "birads_zero") and not (answer.id == "birads_zero"
                                                                   and turn.entity("birads") == "0"):
        if answer_birads_category(turn):
            return
    if answer.id == "biopsy_likelihood":
        topic_id = turn.mentioned_topic(entities=("finding",)) or turn.slot("topic")
        topic = turn.content.answer(topic_id) if topic_id else None
        if topic and "biopsy" in topic.context:
            # "Will I need a biopsy for that?": the answer about biopsies for the finding in question
            _answer_context(turn, topic.id, "biopsy")
            return
    turn.answer(answer)


def answer_birads_category(turn: Turn, personal: Optional[bool] = None) -> bool:
    """A BI-RADS category named in the message: its general meaning and, when she asks about her own letter,
    that only her care team can say what it means for her. False when no known category is named."""
    birads = turn.content.answer("birads_categories")
    category = turn.entity("birads")
    if birads is None or category not in birads.categories:
        return False
    if personal is None:
        personal = safety.asks_for_diagnosis(turn.text) or bool(_ABOUT_HER.search(turn.text))
    turn.answer(birads, part="category", body=birads.categories[category], extra=category,
                category=category, personal=personal or None)
    if personal:
        turn.behaviour("birads_named", "no_diagnosis", remember=False, disclaimer=False)
    return True


def _answer_context(turn: Turn, answer_id: str, kind: str) -> None:
    answer = turn.content.required(answer_id)
    text = answer.context[kind]
    turn.answer(answer, part=kind, body=Spoken(text, text), extra="", topic=answer.id)


class ActionTellMore(CompanionAction):
    """'Tell me more' / 'what does that mean?': the detail of the last answer."""

    action_name = "action_tell_more"

    def respond(self, turn: Turn) -> None:
        last = _last_answer_id(turn)
        answer = turn.content.answer(last) if last else None
        if answer is None:
            turn.behaviour("no_topic", "help")
        elif answer.more:
            turn.answer(answer, part="more", body=Spoken(answer.more, answer.more))
        else:
            buttons = [answer_button(turn.content.answers[f]) for f in answer.follow_ups]
            turn.behaviour("nothing_more", "help", buttons=buttons)


class ActionIsThatBad(CompanionAction):
    """'Is that bad?': about what was named or last answered, else the finding discussed, else the general odds."""

    action_name = "action_is_that_bad"

    def respond(self, turn: Turn) -> None:
        for topic in _candidates(turn):
            if "is_that_bad" in topic.context:
                _answer_context(turn, topic.id, "is_that_bad")
                return
        turn.answer(turn.content.required("callback_cancer_odds"))


class ActionNextStep(CompanionAction):
    """'And after that?': the answer that follows the last one."""

    action_name = "action_next_step"

    def respond(self, turn: Turn) -> None:
        last = _last_answer_id(turn)
        answer = turn.content.answer(last) if last else None
        following = answer.next if answer and answer.next else (answer.follow_ups[0] if answer else "followup_appointment")
        turn.answer(turn.content.required(following))


class ActionRepeat(CompanionAction):
    """'Say that again': the last reply, word for word."""

    action_name = "action_repeat"

    def respond(self, turn: Turn) -> None:
        last = turn.slot("last_reply") or ""
        kind, _, rest = last.partition(":")
        if kind == "answer":
            answer_id, _, tail = rest.partition(":")
            part, _, extra = tail.partition(":")
            answer = turn.content.answer(answer_id)
            if answer:
                _replay(turn, answer, part or "main", extra)
                return
        if kind == "behaviour":
            key, _, reply_kind = rest.partition(":")
            if key in turn.content.behaviours:
                turn.behaviour(key, reply_kind)
                return
        turn.behaviour("nothing_to_repeat", "help")


def _replay(turn: Turn, answer, part: str, extra: str) -> None:
    if part == "more":
        turn.answer(answer, part="more", body=Spoken(answer.more, answer.more))
    elif part == "category" and extra in answer.categories:
        turn.answer(answer, part="category", body=answer.categories[extra], extra=extra, category=extra)
    elif part in answer.context:
        _answer_context(turn, answer.id, part)
    else:
        turn.answer(answer)


def _last_answer_id(turn: Turn) -> Optional[str]:
    last = turn.slot("last_reply") or ""
    if last.startswith("answer:"):
        return last.split(":")[1]
    return None


def _candidates(turn: Turn):
    """The answers a short follow-up may be about: one named in this message, then the last answer, then the topic."""
    named = turn.mentioned_topic()
    for answer_id in (named, _last_answer_id(turn), turn.slot("topic")):
        answer = turn.content.answer(answer_id) if answer_id else None
        if answer is not None:
            experience = turn.content.answer(EXPERIENCE_ANSWERS.get(answer.id, ""))
            if experience is not None:
                yield experience
            yield answer


class ActionAboutTopic(CompanionAction):
    """A short follow-up read in context: "does it hurt?", "how long does that take?", "what about a cyst?"."""

    action_name = "action_about_topic"

    def respond(self, turn: Turn) -> None:
        if turn.intent == "what_about":
            self._what_about(turn)
            return
        kind = FOLLOW_UP_CONTEXT[turn.intent]
        candidates = list(_candidates(turn))
        for answer in candidates:
            if kind in answer.context:
                _answer_context(turn, answer.id, kind)
                return
        if candidates:
            # the answer in question, which is the nearest thing there is
            turn.answer(candidates[0])
        else:
            turn.behaviour("no_topic", "help")

    def _what_about(self, turn: Turn) -> None:
        named = turn.content.answer(turn.mentioned_topic() or "")
        if named is None:
            turn.behaviour("no_topic", "help")
            return
        # "is that bad?" then "what about a cyst?": the same question about the new subject
        last = turn.slot("last_reply") or ""
        part = last.split(":")[2] if last.startswith("answer:") and last.count(":") >= 2 else "main"
        if part in named.context:
            _answer_context(turn, named.id, part)
        else:
            turn.answer(named)
