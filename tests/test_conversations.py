"""Conversations over REST: a question in, the curated answer out, and the follow-ups that depend on what came before."""

import pytest

from companion.content import REQUIRED_ANSWER_IDS, content

# One plain-words question for every curated answer.
QUESTIONS = {
    "callback_common": "Is it normal to get called back after a mammogram?",
    "callback_cancer_odds": "Does getting called back mean I have cancer?",
    "callback_reasons": "Why do women get called back after a screening mammogram?",
    "technical_recall": "Could they just need to redo the pictures because they were blurry?",
    "finding_calcifications": "What are calcifications?",
    "finding_mass": "What does it mean when they see a mass?",
    "finding_cyst": "What is a breast cyst?",
    "finding_asymmetry": "What does asymmetry mean on a mammogram?",
    "finding_distortion": "What is architectural distortion?",
    "dense_breasts": "I got a letter saying I have dense breasts. What is breast density?",
    "first_mammogram": "This was my first mammogram ever. Is that why they called me back?",
    "followup_appointment": "What will happen at my follow-up appointment?",
    "diagnostic_mammogram": "How is a diagnostic mammogram different from a screening one?",
    "breast_ultrasound": "Why would they do an ultrasound?",
    "breast_mri": "When do they use a breast MRI?",
    "possible_results": "What are the possible outcomes after the extra tests?",
    "short_interval_followup": "They told me to come back in six months. What does that mean?",
    "results_timing": "When will I get my results?",
    "biopsy_likelihood": "Will I need a biopsy?",
    "biopsy_explained": "What is a biopsy and how is it done?",
    "schedule_soon": "How soon should I book the follow-up?",
    "what_to_bring": "What should I bring to the appointment?",
    "prior_images": "Should I get my old mammograms sent over?",
    "questions_to_ask": "What questions should I ask the radiologist?",
    "coping_while_waiting": "I'm so anxious waiting for the appointment. How do I cope?",
    "if_cancer": "What happens if it turns out to be cancer?",
    "birads_categories": "What is BI-RADS?",
    "support_line": "Is there a helpline I can call to talk to someone?",
}


def test_every_answer_has_a_question_here():
    assert set(QUESTIONS) == set(REQUIRED_ANSWER_IDS)


@pytest.mark.parametrize("answer_id", sorted(QUESTIONS))
def test_a_plain_question_gets_its_curated_answer(chat, answer_id):
    replies = chat.say(QUESTIONS[answer_id])
    assert replies.answer_id == answer_id
    sources = replies.custom["sources"]
    assert sources and all(s["publisher"] and s["title"] for s in sources)
    answer = content().answers[answer_id]
    assert answer.text.splitlines()[0] in replies.text
    assert "Source" in replies.text


def test_the_first_reply_carries_the_disclaimer_once(chat):
    first = chat.say("hello")
    assert first.answer_id == "greeting"
    assert "not medical advice" in first.text or "can't give medical advice" in first.text
    second = chat.say("what are calcifications")
    assert "medical advice" not in second.text


def test_greeting_offers_starter_questions(chat):
    replies = chat.say("hi there")
    payloads = [b["payload"] for b in replies.buttons]
    assert "/human_handoff" in payloads
    assert [f"/ask_{s}" for s in content().starters] == payloads[: len(content().starters)]


def test_tell_me_more_after_a_finding(chat):
    assert chat.say("what are calcs?").answer_id == "finding_calcifications"
    more = chat.say("tell me more")
    assert more.answer_id == "finding_calcifications"
    assert more.custom["part"] == "more"
    assert content().answers["finding_calcifications"].more in more.text


def test_what_does_that_mean_after_a_finding(chat):
    chat.say("what is architectural distortion")
    replies = chat.say("what does that mean?")
    assert replies.answer_id == "finding_distortion"
    assert replies.custom["part"] == "more"


def test_is_that_bad_is_answered_about_the_last_finding(chat):
    chat.say("what is a cyst")
    replies = chat.say("is that bad?")
    assert replies.answer_id == "finding_cyst"
    assert replies.custom["part"] == "is_that_bad"
    assert content().answers["finding_cyst"].context["is_that_bad"] in replies.text


def test_is_that_bad_without_a_topic_gives_the_general_odds(chat):
    assert chat.say("is that bad?").answer_id == "callback_cancer_odds"


def test_biopsy_for_that_after_a_finding(chat):
    chat.say("they saw a mass on my mammogram, what is that")
    replies = chat.say("will I need a biopsy for that?")
    assert replies.answer_id == "finding_mass"
    assert replies.custom["part"] == "biopsy"
    assert content().answers["finding_mass"].context["biopsy"] in replies.text


def test_and_after_that_follows_the_follow_up_visit(chat):
    assert chat.say("what happens at the follow-up visit").answer_id == "followup_appointment"
    assert chat.say("and after that?").answer_id == content().answers["followup_appointment"].next


def test_say_that_again_repeats_the_last_answer(chat):
    first = chat.say("what is an ultrasound")
    again = chat.say("can you say that again")
    assert again.answer_id == first.answer_id == "breast_ultrasound"
    assert again.text == first.text or first.text.endswith(again.text)


def test_named_birads_category_gets_that_category(chat):
    replies = chat.say("what does bi rads 3 mean")
    assert replies.answer_id == "birads_categories"
    assert replies.custom["category"] == "3"
    assert content().answers["birads_categories"].categories["3"].text.splitlines()[0] in replies.text


def test_follow_up_button_moves_on(chat):
    first = chat.say("is a callback common?")
    follow_up = next(b for b in first.buttons if b["payload"].startswith("/ask_"))
    replies = chat.say(follow_up["payload"])
    assert replies.answer_id == follow_up["payload"][len("/ask_"):]


@pytest.mark.parametrize(
    "message, kind",
    [
        ("hello", "greeting"),
        ("what can you do?", "help"),
        ("bye", "goodbye"),
        ("what's the weather like tomorrow", "out_of_scope"),
    ],
)
def test_behaviours_carry_their_kind(chat, message, kind):
    assert chat.say(message).answer_id == kind


def test_goodbye_ends_the_conversation(chat):
    assert chat.say("that's all, goodbye").custom.get("end_conversation") is True
