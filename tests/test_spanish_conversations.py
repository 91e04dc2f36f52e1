"""Conversations in Spanish over REST: the Spanish answer, the Spanish safety replies and handoff, and switching language."""

import pytest

from companion.content import content

ES = content("es")
EN = content("en")

# A plain Spanish question for some of the curated answers, typed with and without accents.
QUESTIONS = {
    "callback_common": "¿Es normal que me llamen para repetir la mamografía?",
    "callback_cancer_odds": "si me llamaron de nuevo quiere decir que tengo cancer?",
    "finding_calcifications": "¿Qué son las calcificaciones?",
    "finding_cyst": "que es un quiste en el seno",
    "breast_ultrasound": "para que me hacen un ultrasonido",
    "biopsy_likelihood": "¿Me van a tener que hacer una biopsia?",
    "results_timing": "cuando me dan los resultados",
    "coping_while_waiting": "estoy muy nerviosa esperando la cita, como puedo calmarme",
    "what_to_bring": "que tengo que llevar a la cita",
    "support_line": "¿hay una línea de ayuda a la que pueda llamar?",
}


@pytest.mark.parametrize("answer_id", sorted(QUESTIONS))
def test_a_spanish_question_gets_the_spanish_answer_with_its_sources(chat, answer_id):
    replies = chat.say(QUESTIONS[answer_id])
    assert replies.answer_id == answer_id
    assert replies.custom["language"] == "es"
    assert ES.answers[answer_id].text.splitlines()[0] in replies.text
    assert "Fuente" in replies.text
    assert EN.answers[answer_id].text.splitlines()[0] not in replies.text


def test_the_first_spanish_reply_carries_the_spanish_disclaimer(chat):
    replies = chat.say("hola buenas tardes")
    assert replies.answer_id == "greeting"
    assert ES.behaviour("disclaimer").text in replies.text
    assert [b["title"] for b in replies.buttons][-1] == ES.label("talk_to_person")


def test_the_language_stays_for_words_that_could_be_either(chat):
    chat.say("qué es una mamografía de diagnóstico")
    replies = chat.say("ok")
    assert replies.custom["language"] == "es"


def test_asking_for_english_switches_and_spanish_switches_back(chat):
    chat.say("que son las calcificaciones")
    english = chat.say("in English please")
    assert english.answer_id == "greeting" and english.custom["language"] == "en"
    assert EN.behaviour("language_changed").text in english.text
    assert chat.say("what is a cyst").custom["language"] == "en"
    spanish = chat.say("en español por favor")
    assert spanish.custom["language"] == "es" and ES.behaviour("language_changed").text in spanish.text


def test_the_language_button_switches_and_the_greeting_can_start_in_spanish(chat, new_chat):
    switched = chat.say('/change_language{"language": "es"}')
    assert switched.custom["language"] == "es"
    assert chat.say("what about a cyst?").custom["language"] == "en"  # clearly English: she switched by writing
    greeted = new_chat().say('/greet{"language": "es"}')
    assert greeted.answer_id == "greeting" and ES.behaviour("greeting").text in greeted.text


@pytest.mark.parametrize("said, kind, line", [
    ("ya no quiero vivir", "crisis", "988"),
    ("si es cancer me mato", "crisis", "988"),
    ("no puedo respirar y me duele el pecho y el brazo", "emergency", "911"),
    ("mi esposo me pega cuando se enoja", "disclosure", "1-800-799-7233"),
])
def test_spanish_safety_replies_come_first_and_in_spanish(new_chat, said, kind, line):
    conversation = new_chat()
    conversation.say("que es una asimetria")
    replies = conversation.say(said)
    assert replies.answer_id == kind and replies.custom["language"] == "es"
    assert line in replies.text
    if kind == "crisis":
        assert "oprima 2" in replies.text and "AYUDA" in replies.text


def test_spanish_idioms_of_fear_get_support_not_a_crisis_line(chat):
    replies = chat.say("me muero de nervios, casi me da un infarto cuando vi la carta")
    assert replies.answer_id not in ("crisis", "emergency")
    assert replies.custom["language"] == "es"


def test_a_spanish_handoff_says_there_is_no_spanish_line_and_gives_the_support_lines_spanish_option(chat):
    replies = chat.say("quiero hablar con una persona")
    assert replies.answer_id == "handoff" and replies.custom["language"] == "es"
    assert "no tiene una línea en español" in replies.text and "1-800-227-2345" in replies.text
    assert "la Sociedad Americana Contra el Cáncer" in replies.text and "American Cancer Society" not in replies.text


def test_own_results_are_never_interpreted_in_spanish(chat):
    replies = chat.say("segun mis resultados tengo cancer?")
    assert replies.custom["language"] == "es"
    assert ES.behaviour("no_diagnosis").text.split(".")[0] in replies.text
