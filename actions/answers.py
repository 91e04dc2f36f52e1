"""Curated answers and the conversation around them: answer, tell me more, is that bad, what next, say that again."""

from __future__ import annotations

from typing import Optional

from actions.base import CompanionAction, Turn
from companion.content import Spoken
from companion.render import answer_button


class ActionAnswer(CompanionAction):
    """Answers a content question (intent ask_<answer id>) from content/answers.yml."""

    action_name = "action_answer"

    def respond(self, turn: Turn) -> None:
        answer = turn.content.answer_for_intent(turn.intent)
        if answer is None:
            turn.behaviour("did_you_mean_none", "fallback")
            return
        if answer.id == "birads_categories":
            category = turn.entity("birads")
            if category in answer.categories:
                turn.answer(answer, part="category", body=answer.categories[category], extra=category, category=category)
                return
        if answer.id == "biopsy_likelihood":
            topic_id = turn.mentioned_topic(entities=("finding",)) or turn.slot("topic")
            topic = turn.content.answer(topic_id) if topic_id else None
            if topic and "biopsy" in topic.context:
                # "Will I need a biopsy for that?": the answer about biopsies for the finding in question
                _answer_context(turn, topic.id, "biopsy")
                return
        turn.answer(answer)


def _answer_context(turn: Turn, answer_id: str, kind: str) -> None:
    answer = turn.content.answer(answer_id)
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
    """'Is that bad?': about the finding last discussed, or the general odds when there is none."""

    action_name = "action_is_that_bad"

    def respond(self, turn: Turn) -> None:
        topic_id = turn.mentioned_topic() or turn.slot("topic")
        topic = turn.content.answer(topic_id) if topic_id else None
        if topic and "is_that_bad" in topic.context:
            _answer_context(turn, topic.id, "is_that_bad")
        else:
            turn.answer(turn.content.answer("callback_cancer_odds"))


class ActionNextStep(CompanionAction):
    """'And after that?': the answer that follows the last one."""

    action_name = "action_next_step"

    def respond(self, turn: Turn) -> None:
        last = _last_answer_id(turn)
        answer = turn.content.answer(last) if last else None
        following = answer.next if answer and answer.next else (answer.follow_ups[0] if answer else "followup_appointment")
        turn.answer(turn.content.answer(following))


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
