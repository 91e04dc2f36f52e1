"""The Spanish content keeps every rule of the English, reads easily, keeps the English facts, and gives 988's Spanish line."""

import re
import shutil

import pytest
import yaml

from companion.content import (READING_EASE_MIN, REQUIRED_ANSWER_IDS, Spoken, check_content, content, fernandez_huerta,
                               load_content, word_count)
from companion.render import render_answer, render_behaviour
from companion.settings import load_facility

ENGLISH = load_content()
SPANISH = load_content(lang="es")
REVIEWERS = {"clinical_reviewer": ""}


def test_spanish_content_passes_every_check():
    assert check_content(SPANISH, REVIEWERS) == []


def test_english_is_the_default_and_a_locale_tag_finds_spanish():
    assert content().lang == "en" and content("en-US").answers["callback_common"].spoken == ENGLISH.answers["callback_common"].spoken
    assert content("es-US").lang == content("es").lang == "es"
    assert content("fr").lang == "en"


@pytest.mark.parametrize("answer_id", REQUIRED_ANSWER_IDS)
def test_each_answer_has_its_own_spanish_words_and_the_english_facts(answer_id):
    english, spanish = ENGLISH.answers[answer_id], SPANISH.answers[answer_id]
    for field in ("title", "topic", "spoken", "text"):
        assert getattr(spanish, field) and getattr(spanish, field) != getattr(english, field), field
    assert [c.facts for c in spanish.citations] == [c.facts for c in english.citations]
    assert [c.source.key for c in spanish.citations] == [c.source.key for c in english.citations]
    assert (spanish.credit, spanish.follow_ups, spanish.next, spanish.reviewed) == \
        (english.credit, english.follow_ups, english.next, english.reviewed)
    assert set(spanish.context) == set(english.context) and set(spanish.categories) == set(english.categories)


@pytest.mark.parametrize("answer_id", REQUIRED_ANSWER_IDS)
def test_spanish_answer_fits_voice_and_chat_and_reads_easily(answer_id):
    answer = SPANISH.answers[answer_id]
    assert 0 < word_count(answer.spoken) + word_count(SPANISH.credit(answer.credited_sources)) <= 60
    assert 0 < word_count(answer.text) <= 120
    assert not re.search(r"\d", re.sub(r"\b\d(?:,? \d){2,}\b", "", answer.spoken)), "numbers in spoken are words"
    assert not answer.spoken.endswith("?")
    for field in ("spoken", "text", "more"):
        assert fernandez_huerta(getattr(answer, field)) >= READING_EASE_MIN, field


def test_the_spoken_credit_is_said_in_spanish():
    answer = SPANISH.answers["callback_common"]
    reply = render_answer(answer, "twilio_ivr", SPANISH)
    assert reply.text.endswith("Información de la Sociedad Americana Contra El Cáncer y del Colegio Americano de Radiología.")


def test_chat_in_spanish_names_its_sources_and_offers_more_in_spanish():
    answer = SPANISH.answers["callback_common"]
    reply = render_answer(answer, "rest", SPANISH)
    assert "Fuentes: Sociedad Americana Contra El Cáncer" in reply.text
    assert reply.buttons[0] == {"title": "Cuénteme más", "payload": "/tell_more"}
    assert [b["title"] for b in reply.buttons[1:]] == [SPANISH.answers[f].title for f in answer.follow_ups]


def test_english_rendering_is_unchanged_by_the_translation():
    reply = render_answer(ENGLISH.answers["callback_common"], "rest", ENGLISH)
    assert "Sources: American Cancer Society" in reply.text and reply.buttons[0]["title"] == "Tell me more"


@pytest.mark.parametrize("channel", ["rest", "twilio_ivr"])
def test_the_crisis_reply_in_spanish_gives_988_press_2_and_text_ayuda(channel):
    reply = render_behaviour("crisis", "crisis", channel, SPANISH, load_facility())
    assert re.search(r"9 ?8 ?8", reply.text)
    assert re.search(r"oprima (el )?(2|dos)", reply.text) and "AYUDA" in reply.text
    assert re.search(r"9 ?1 ?1", reply.text)


def test_the_988_line_in_spanish_prefills_ayuda_and_says_which_key_to_press():
    line = SPANISH.lines["lifeline_988"].as_dict()
    assert line["sms"] == "sms:988?body=AYUDA" and line["press"] == "2"
    assert line["chat"] == "https://988lifeline.org/es"
    assert "press" not in ENGLISH.lines["lifeline_988"].as_dict()


def test_spanish_reading_ease_tells_easy_from_hard():
    assert fernandez_huerta("Que le pidan volver es común. Casi siempre, las imágenes extra salen bien.") >= READING_EASE_MIN
    assert fernandez_huerta("La distorsión arquitectónica mamográfica requiere correlación radiológico-patológica "
                            "multidisciplinaria, incorporando frecuentemente muestreo estereotáctico.") < READING_EASE_MIN


def copy_content(folder):
    shutil.copytree("content", folder, dirs_exist_ok=True)
    return folder / "es" / "answers" / "calling_back.yml"


def problems_after(folder):
    return "\n".join(check_content(load_content(folder, lang="es"), REVIEWERS))


def test_a_missing_spanish_answer_falls_back_to_english_and_is_reported(tmp_path):
    path = copy_content(tmp_path)
    answers = yaml.safe_load(path.read_text())
    answers["answers"] = [a for a in answers["answers"] if a["id"] != "technical_recall"]
    del answers["answers"][0]["more"]
    path.write_text(yaml.safe_dump(answers, allow_unicode=True))
    spanish = load_content(tmp_path, lang="es")
    assert spanish.answers["technical_recall"].spoken == ENGLISH.answers["technical_recall"].spoken  # never empty
    problems = problems_after(tmp_path)
    assert "answer 'technical_recall' has no es words" in problems
    assert "answer 'callback_common' more has no es words" in problems


def test_a_missing_spanish_message_or_voice_prompt_is_reported(tmp_path):
    copy_content(tmp_path)
    for name, drop in (("behaviours.yml", "crisis"), ("voice.yml", None)):
        data = yaml.safe_load((tmp_path / "es" / name).read_text())
        if drop:
            del data[drop]
        else:
            del data["phone"]["menu_lead"]
        (tmp_path / "es" / name).write_text(yaml.safe_dump(data, allow_unicode=True))
    problems = problems_after(tmp_path)
    assert "behaviour message 'crisis' spoken has no es words" in problems
    assert "voice.yml phone menu_lead has no es words" in problems


def test_an_unknown_spanish_answer_is_reported(tmp_path):
    path = copy_content(tmp_path)
    answers = yaml.safe_load(path.read_text())
    answers["answers"].append({"id": "no_such_answer", "title": "¿Qué?", "spoken": "Nada.", "text": "Nada."})
    path.write_text(yaml.safe_dump(answers, allow_unicode=True))
    assert "answer 'no_such_answer' is in content/es/ but not in the English content" in problems_after(tmp_path)


def test_a_spanish_edit_that_breaks_a_rule_is_reported(tmp_path):
    path = copy_content(tmp_path)
    answers = yaml.safe_load(path.read_text())
    first = answers["answers"][0]
    first["spoken"] = "Llame al 1-800-227-2345 o vea https://example.org " + "palabra " * 60 + "¿Me entiende?"
    first["text"] = "Llame al 9 8 8. " + first["text"]
    first["more"] = "La distorsión arquitectónica mamográfica requiere correlación radiológico-patológica multidisciplinaria."
    path.write_text(yaml.safe_dump(answers, allow_unicode=True))
    problems = problems_after(tmp_path)
    assert "spoken with its credit has" in problems and "web address" in problems and "run of digits" in problems
    assert "ends with a question" in problems
    assert "digit by digit" in problems  # chat text
    assert "without its Spanish option" in problems
    assert "Fernández-Huerta reading ease" in problems


def test_a_question_without_its_opening_mark_is_reported(tmp_path):
    copy_content(tmp_path)
    behaviours = yaml.safe_load((tmp_path / "es" / "behaviours.yml").read_text())
    behaviours["deny"]["text"] = "Está bien. Qué le gustaría saber?"
    (tmp_path / "es" / "behaviours.yml").write_text(yaml.safe_dump(behaviours, allow_unicode=True))
    assert "lacks its opening ¿ or ¡" in problems_after(tmp_path)


@pytest.mark.parametrize("words", [
    "La mayoría de las veces no es cáncer.",
    "Aun así, 7 de cada 10 biopsias son benignas.",
    "Por lo general resulta ser nada grave.",
])
def test_odds_reassurance_in_spanish_where_the_risk_may_be_high_is_reported(tmp_path, words):
    copy_content(tmp_path)
    file = tmp_path / "es" / "answers" / "birads.yml"
    answers = yaml.safe_load(file.read_text())
    answers["answers"][0]["categories"]["5"]["text"] += " " + words
    file.write_text(yaml.safe_dump(answers, allow_unicode=True))
    assert "odds-based reassurance" in problems_after(tmp_path)


def test_chat_shows_spanish_spoken_phone_numbers_as_written_numbers():
    answer = SPANISH.answers["support_line"]
    chat = render_answer(answer, "rest", SPANISH, body=Spoken(answer.more, answer.more), part="more")
    assert "1 8 0 0" not in chat.text and "1-800-227-2345" in chat.text
